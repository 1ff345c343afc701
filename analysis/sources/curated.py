"""The project's own compilation of sourced incidents (data/raw/*.csv), read as text.

Each table is read by the strict CSV reader: every cell as text, rows indexed by their CSV line,
the header checked against the columns the caller expects. Typing and validation are the
pipeline's job (``analysis.pipeline.curated``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.errors import DataError, Problem
from analysis.sources.csvio import display_name, read_csv_strict

# table name -> (file name, required). The region map is a hand-made decision, not a sourced
# record: it lives in data/hand (HAND_TABLES), the others in data/raw.
FILES: dict[str, tuple[str, bool]] = {
    "incidents": ("incidents.csv", True),
    "casualties": ("casualties.csv", True),
    "sources": ("sources.csv", True),
    "regions": ("regions.csv", True),
    "context_events": ("context_events.csv", False),
    "published_totals": ("published_totals.csv", False),
    "changelog": ("changelog.csv", False),
    "allegations": ("allegations.csv", False),
    "out_of_scope": ("out_of_scope.csv", False),
}
HAND_TABLES = ("regions",)
# Tables that mean nothing without rows.
NOT_EMPTY = ("incidents", "casualties", "sources", "regions")


def table_path(table: str, raw_dir: Path, hand_dir: Path) -> Path:
    return (hand_dir if table in HAND_TABLES else raw_dir) / FILES[table][0]


def input_files(raw_dir: Path, hand_dir: Path) -> list[Path]:
    """Every curated file the pipeline reads (those present), for hashing and make."""
    paths = [table_path(t, raw_dir, hand_dir) for t in FILES]
    return [p for p in paths if p.exists()]


def read_tables(
    raw_dir: Path,
    hand_dir: Path,
    columns: dict[str, list[str]],
    optional: dict[str, tuple[str, ...]] | None = None,
) -> tuple[dict[str, pd.DataFrame | None], list[Problem]]:
    """Read every curated table as text. An optional table that is absent maps to None;
    ``optional`` names each table's columns that may be left out (``read_csv_strict``)."""
    frames: dict[str, pd.DataFrame | None] = {}
    problems: list[Problem] = []
    for table, (_, required) in FILES.items():
        path = table_path(table, raw_dir, hand_dir)
        if not path.exists() and not required:
            frames[table] = None
            continue
        try:
            raw = read_csv_strict(path, columns[table], optional=(optional or {}).get(table, ()))
        except DataError as exc:
            problems.extend(exc.problems)
            continue
        if raw.empty and table in NOT_EMPTY:
            problems.append(
                Problem(display_name(path), None, None, None, "table has a header but no rows")
            )
            continue
        frames[table] = raw
    return frames, problems
