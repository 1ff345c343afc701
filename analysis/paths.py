"""The one place where the project's paths (and the build's date) come from.

Everything is relative to the project root (the folder holding ``pyproject.toml``), so a copy of
the repository in another folder builds from its own files. ``MALI_ROOT`` overrides the root,
which the tests use to point a build at a temporary copy.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(os.environ.get("MALI_ROOT", Path(__file__).resolve().parents[1]))
RAW = ROOT / "data" / "raw"
# Hand-maintained decisions (region map, actor map, ...): reviewed like code, kept apart from
# the sourced records in data/raw.
HAND = ROOT / "data" / "hand"
ACTOR_MAP = HAND / "actor_map.csv"
GEO = RAW / "geo"
PROCESSED = ROOT / "data" / "processed"
REPORTS = ROOT / "reports"
NOTEBOOKS = ROOT / "notebooks"
MATPLOTLIBRC = ROOT / "matplotlibrc"
METHODOLOGY = ROOT / "METHODOLOGY.md"
# Dataset releases (the version a citation names) and the citation file.
RELEASES = ROOT / "data" / "RELEASES.md"
CITATION = ROOT / "CITATION.cff"
# Published forms of the processed tables (built by `make data` into PROCESSED).
DATAPACKAGE = "datapackage.json"
DATABASE = "civilian-harm.db"
DATASETTE_METADATA = "datasette.json"

# Optional third-party exports a user drops in (gitignored, never redistributed).
ACLED_DIR = RAW / "acled"
UCDP_DIR = RAW / "ucdp"

# The date a build stands for when SOURCE_DATE_EPOCH is not set (make sets it to the last
# commit's time): a fixed value, so that two builds of one state give the same bytes.
DEFAULT_SOURCE_DATE_EPOCH = 1700000000


def source_date_epoch() -> int:
    """SOURCE_DATE_EPOCH (reproducible-builds.org), or the project's fixed default."""
    return int(os.environ.get("SOURCE_DATE_EPOCH") or DEFAULT_SOURCE_DATE_EPOCH)
