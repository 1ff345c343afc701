"""The one place where the project's paths live.

Everything is relative to the project root (the folder holding ``pyproject.toml``), so a copy of
the repository in another folder builds from its own files. ``MALI_ROOT`` overrides the root, which
the tests use to point the pipeline at a temporary copy.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(os.environ.get("MALI_ROOT", Path(__file__).resolve().parents[1]))
RAW = ROOT / "data" / "raw"
# MALI_PROCESSED lets the renderer point notebooks at another processed folder (tests do).
PROCESSED = Path(os.environ.get("MALI_PROCESSED", ROOT / "data" / "processed"))
REPORTS = ROOT / "reports"
NOTEBOOKS = ROOT / "notebooks"
MATPLOTLIBRC = ROOT / "matplotlibrc"
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
