"""Run the pandera models and cross-table rules; turn failures into a report a person can act on.

Validation happens in two passes. Per table: cells are parsed into types (a cell that does not
parse is one problem, reported once, instead of a cascade), then the table's pandera model runs
lazily so every broken rule is collected. Across tables: references, subsets and duplicates. The
second pass runs only when every table passed the first, since a broken table makes its
references meaningless.
"""

from __future__ import annotations

import re

import pandas as pd
import pandera.pandas as pa

from analysis.errors import DataError, Problem, shorten

_INT = re.compile(r"^[+-]?\d+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

MEASURE_OUTCOME_ERROR = (
    "measure does not go with outcome: killings, executions and violations are recorded as "
    "killed; injured_or_missing as injured or missing"
)

# The columns a dataframe-level check is about, so the report can point at them.
CHECK_COLUMNS: dict[str, tuple[str, ...]] = {
    MEASURE_OUTCOME_ERROR: ("measure", "outcome"),
    "count_min is greater than count_max": ("count_min", "count_max"),
    "date_end is before date_start": ("date_start", "date_end"),
    "period_end is before period_start": ("period_start", "period_end"),
    "latitude, longitude, coord_precision and coord_source must be given together": (
        "latitude",
        "longitude",
        "coord_precision",
        "coord_source",
    ),
}


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
    problems: list[Problem] = []
    cases = exc.failure_cases
    for row in cases.itertuples(index=False):
        check = str(row.check)
        line = None if pd.isna(row.index) else int(row.index)
        if row.schema_context == "DataFrameSchema":
            if check == "multiple_fields_uniqueness":
                continue  # reported once per row below
            columns = CHECK_COLUMNS.get(check)
            if columns is None:
                problems.append(Problem(file, line, row.column, shorten(row.failure_case), check))
                continue
            if row.column != columns[0]:
                continue
            value = ", ".join(f"{c}={_cell(raw, line, c)}" for c in columns)
            problems.append(Problem(file, line, "/".join(columns), value, check))
        else:
            problems.append(
                Problem(file, line, row.column, _value(row.failure_case), _describe(check))
            )
    dupes = cases[cases["check"] == "multiple_fields_uniqueness"]
    if not dupes.empty:
        columns = list(dict.fromkeys(dupes["column"]))
        for line in sorted(set(dupes["index"].dropna().astype(int))):
            value = ", ".join(f"{c}={_cell(raw, line, c)}" for c in columns)
            problems.append(
                Problem(file, line, "+".join(columns), value, "duplicate row for this combination")
            )
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


_RULES = [
    (r"^isin\((.*)\)$", "value is not one of the allowed codes {0}"),
    (r"^str_matches\('(.*)'\)$", "value does not have the required form {0}"),
    (r"^greater_than_or_equal_to\((.*)\)$", "value is below the minimum {0}"),
    (r"^less_than_or_equal_to\((.*)\)$", "value is above the maximum {0}"),
    (r"^str_length\((.*)\)$", "text length outside the allowed range {0}"),
    (r"^field_uniqueness$", "value must be unique but appears more than once"),
    (r"^not_nullable$", "a value is required but the cell is empty"),
]


_DATE_BOUND = re.compile(r"^(greater|less)_than_or_equal_to\((\d{4}-\d{2}-\d{2}) 00:00:00\)$")


def _describe(check: str) -> str:
    date_bound = _DATE_BOUND.match(check)
    if date_bound:
        side, day = date_bound.groups()
        if side == "greater":
            return f"date is below the minimum {day} (the earliest date the dataset covers)"
        return f"date is above the maximum {day}"
    for pattern, template in _RULES:
        match = re.match(pattern, check)
        if match:
            return template.format(*match.groups())
    return check


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
    return checked, _swapped_coordinates(problems, raw, file)


def _swapped_coordinates(problems: list[Problem], raw: pd.DataFrame, file: str) -> list[Problem]:
    """Where latitude and longitude are both out of range on a line but fit Mali the other way
    round, add a problem saying they look swapped (the range problems stay, for the values)."""
    from analysis.vocab import MALI_BBOX as B

    out_of_range = ("value is below the minimum", "value is above the maximum")
    by_line: dict[int, dict[str, Problem]] = {}
    for p in problems:
        in_range_rule = p.rule.startswith(out_of_range)
        if p.column in ("latitude", "longitude") and p.row is not None and in_range_rule:
            by_line.setdefault(p.row, {})[p.column] = p
    extra: list[Problem] = []
    for line, found in by_line.items():
        if len(found) != 2:
            continue
        try:
            lat, lon = float(raw.at[line, "latitude"]), float(raw.at[line, "longitude"])
        except (KeyError, TypeError, ValueError):
            continue
        if B["lat_min"] <= lon <= B["lat_max"] and B["lon_min"] <= lat <= B["lon_max"]:
            extra.append(
                Problem(
                    file,
                    line,
                    "latitude/longitude",
                    f"latitude={raw.at[line, 'latitude']}, longitude={raw.at[line, 'longitude']}",
                    "latitude and longitude look swapped: they fall in Mali the other way round",
                )
            )
    return problems + extra


def validate_frame(frame: pd.DataFrame, model: type[pa.DataFrameModel], name: str) -> pd.DataFrame:
    """Validate (and coerce) a table the pipeline built; any failure is a bug, reported as such."""
    try:
        return model.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        problems = [
            Problem(
                f"{name} (built by the pipeline)",
                None,
                row.column,
                _value(row.failure_case),
                _describe(str(row.check)),
            )
            for row in exc.failure_cases.itertuples(index=False)
        ]
        raise DataError(problems) from None


def raise_if(problems: list[Problem]) -> None:
    if problems:
        raise DataError(problems)
