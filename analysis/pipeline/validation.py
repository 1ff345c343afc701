"""Run the pandera models and cross-table rules; turn failures into a report a person can act on.

Validation happens in two passes. Per table: cells are parsed into types (a cell that does not
parse is one problem, reported once, instead of a cascade), then the table's pandera model runs
lazily so every broken rule is collected. Across tables: references, subsets and duplicates. The
second pass runs only when every table passed the first, since a broken table makes its
references meaningless.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pandas as pd
import pandera.pandas as pa

from analysis.errors import DataError, Problem, shorten
from analysis.sources.checks import CHECKS

_INT = re.compile(r"^[+-]?\d+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

MEASURE_OUTCOME_ERROR = CHECKS["measure_outcome"].message


def _kinds(model: type[pa.DataFrameModel]) -> dict[str, str]:
    kinds = {}
    for name, column in model.to_schema().columns.items():
        dtype = str(column.dtype)
        if dtype == "Int64":
            kinds[name] = "int"
        elif dtype.startswith("float"):
            kinds[name] = "float"
        elif dtype.startswith("datetime64"):
            kinds[name] = "date"
    return kinds


def parse_cells(frame: pd.DataFrame, model: type[pa.DataFrameModel], file: str):
    """Parse typed columns from text. Returns (frame, problems, bad_lines)."""
    problems: list[Problem] = []
    bad: set[int] = set()
    out = frame.copy()
    for column, kind in _kinds(model).items():
        if column not in out:
            continue
        text = out[column]
        present = text.notna()
        if kind == "int":
            ok = text.str.fullmatch(_INT.pattern).fillna(False).astype(bool)
            parsed = pd.to_numeric(text.where(ok), errors="coerce").astype("Int64")
            rule = "not a whole number"
        elif kind == "float":
            parsed = pd.to_numeric(text, errors="coerce").astype("float64")
            ok = parsed.notna()
            rule = "not a number"
        else:
            shaped = text.str.fullmatch(_DATE.pattern).fillna(False).astype(bool)
            parsed = pd.to_datetime(text.where(shaped), format="%Y-%m-%d", errors="coerce")
            ok = parsed.notna()
            rule = "not a valid date in the form YYYY-MM-DD"
        failed = present & ~ok
        for line, value in text[failed].items():
            problems.append(Problem(file, int(line), column, str(value), rule))
            bad.add(int(line))
        out[column] = parsed
    return out, problems, bad


def _failure_problems(exc: pa.errors.SchemaErrors, raw: pd.DataFrame, file: str) -> list[Problem]:
    """One problem per failed cell; a rule across columns gives one problem per row, naming its
    columns and their values (the rule registry says which, by the check's name)."""
    problems: list[Problem] = []
    for error in exc.schema_errors:
        check, cases = error.check, error.failure_cases
        lines = [None if pd.isna(i) else int(i) for i in cases["index"]]
        if check == "multiple_fields_uniqueness":
            columns = list(dict.fromkeys(cases["column"]))
            for line in sorted({n for n in lines if n is not None}):
                value = ", ".join(f"{c}={_cell(raw, line, c)}" for c in columns)
                problems.append(
                    Problem(
                        file, line, "+".join(columns), value, "duplicate row for this combination"
                    )
                )
            continue
        rule = CHECKS.get(getattr(check, "name", None))
        if rule is not None and "column" in cases:
            columns = rule.columns
            for line in dict.fromkeys(lines):
                value = ", ".join(f"{c}={_cell(raw, line, c)}" for c in columns)
                problems.append(Problem(file, line, "/".join(columns), value, rule.message))
            continue
        column = getattr(error.schema, "name", None)
        for line, value in zip(lines, cases["failure_case"], strict=True):
            problems.append(Problem(file, line, column, _value(value), describe(check)))
    return problems


def _cell(raw: pd.DataFrame, line: int | None, column: str) -> str:
    if line is None or line not in raw.index or column not in raw:
        return "?"
    value = raw.at[line, column]
    return "" if pd.isna(value) else str(value)


def _value(value: object) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    return shorten(value)


# What a failed pandera check means, by the check's name and its bounds.
_BUILTIN: dict[str, Callable[[dict], str]] = {
    "isin": lambda s: f"value is not one of the allowed codes {s['allowed_values']}",
    "str_matches": lambda s: f"value does not have the required form {s['pattern']}",
    "greater_than_or_equal_to": lambda s: (
        f"date is below the minimum {s['min_value']:%Y-%m-%d} (the earliest date the dataset "
        "covers)"
        if isinstance(s["min_value"], pd.Timestamp)
        else f"value is below the minimum {s['min_value']}"
    ),
    "less_than_or_equal_to": lambda s: (
        f"date is above the maximum {s['max_value']:%Y-%m-%d}"
        if isinstance(s["max_value"], pd.Timestamp)
        else f"value is above the maximum {s['max_value']}"
    ),
    "str_length": lambda s: (
        f"text length outside the allowed range {s['min_value']}, {s['max_value']}"
    ),
}
# pandera's own checks, which it names by a string.
_PANDERA = {
    "field_uniqueness": "value must be unique but appears more than once",
    "not_nullable": "a value is required but the cell is empty",
}


def describe(check: object) -> str:
    """The report's words for a failed check: a pandera built-in by its name and bounds, a
    check of ours by its own wording."""
    if isinstance(check, str):
        return _PANDERA.get(check, check)
    name = getattr(check, "name", None)
    if name in _BUILTIN:
        return _BUILTIN[name](check.statistics)
    return check.error or str(name)


def validate_table(
    raw: pd.DataFrame, model: type[pa.DataFrameModel], file: str
) -> tuple[pd.DataFrame, list[Problem]]:
    """Parse and validate one raw table; return the typed frame and every problem found."""
    typed, problems, bad = parse_cells(raw, model, file)
    candidate = typed.drop(index=sorted(bad)) if bad else typed
    try:
        checked = model.validate(candidate, lazy=True)
    except pa.errors.SchemaErrors as exc:
        problems.extend(_failure_problems(exc, raw, file))
        checked = candidate
    return checked, problems + _swapped_coordinates(typed, raw, file)


def _swapped_coordinates(typed: pd.DataFrame, raw: pd.DataFrame, file: str) -> list[Problem]:
    """Points that fall outside Mali but inside it the other way round get a problem saying
    so, beside the range problems that give the values."""
    rule = CHECKS["coordinates_swapped"]
    if not set(rule.columns) <= set(typed.columns):
        return []
    return [
        Problem(
            file,
            int(line),
            "/".join(rule.columns),
            ", ".join(f"{c}={raw.at[line, c]}" for c in rule.columns),
            rule.message,
        )
        for line in typed.index[rule.broken(typed).to_numpy()]
    ]


def validate_frame(frame: pd.DataFrame, model: type[pa.DataFrameModel], name: str) -> pd.DataFrame:
    """Validate (and coerce) a table the pipeline built; any failure is a bug, reported as such."""
    try:
        return model.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        problems = [
            Problem(f"{name} (built by the pipeline)", None, p.column, p.value, p.rule)
            for p in _failure_problems(exc, frame, name)
        ]
        raise DataError(problems) from None


def raise_if(problems: list[Problem]) -> None:
    if problems:
        raise DataError(problems)
