"""Problems found in input data, and the report a user reads instead of a traceback."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One broken rule at one place: file, CSV line, column and the offending value."""

    file: str
    row: int | None
    column: str | None
    value: str | None
    rule: str

    def where(self) -> str:
        parts = [self.file]
        if self.row is not None:
            parts.append(f"line {self.row}")
        if self.column:
            parts.append(f"column '{self.column}'")
        return ", ".join(parts)


class DataError(Exception):
    """Input data broke one or more rules. ``problems`` lists every one found."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = sorted(set(problems), key=_sort_key)
        super().__init__(format_problems(self.problems))


def _sort_key(p: Problem) -> tuple:
    return (p.file, p.column or "", p.rule, p.row if p.row is not None else -1, p.value or "")


MAX_ROWS_PER_RULE = 10


def shorten(value: object, limit: int = 60) -> str:
    text = str(value).replace("\n", "\\n").replace("\r", "\\r")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def format_problems(problems: list[Problem]) -> str:
    """A short report grouped by file, column and rule, listing the offending rows and values."""
    if not problems:
        return "no problems"
    lines = [f"{len(problems)} problem(s) found in the input data:"]
    groups: dict[tuple[str, str, str], list[Problem]] = {}
    for p in problems:
        groups.setdefault((p.file, p.column or "", p.rule), []).append(p)
    current_file = None
    for (file, column, rule), items in groups.items():
        if file != current_file:
            lines.append(f"\n{file}")
            current_file = file
        head = f"  column '{column}': " if column else "  "
        lines.append(f"{head}{rule}  [{len(items)} row(s)]")
        for p in items[:MAX_ROWS_PER_RULE]:
            at = f"line {p.row}" if p.row is not None else "whole file"
            val = f": {shorten(p.value)!r}" if p.value is not None else ""
            lines.append(f"    - {at}{val}")
        if len(items) > MAX_ROWS_PER_RULE:
            lines.append(f"    ... and {len(items) - MAX_ROWS_PER_RULE} more")
    return "\n".join(lines)
