"""The dataset's version, read from the dated release notes (data/RELEASES.md).

A citation must name the exact data it used. Each release of the data gets an entry headed
``## <version> (<YYYY-MM-DD>)``, newest first; the first such heading is the current version. It
reaches the data package, the database's metadata, every page footer and ``CITATION.cff`` (a
test checks that the citation file names the same version and date).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from analysis import paths

HEADING = re.compile(r"^## (\d+\.\d+\.\d+) \((\d{4}-\d{2}-\d{2})\)\s*$", re.MULTILINE)


class ReleaseNotesError(ValueError):
    """The release notes are missing or hold no dated version heading."""


@dataclass(frozen=True)
class Release:
    version: str
    date: str


def latest(path: Path = paths.RELEASES) -> Release:
    """The newest release: the first ``## X.Y.Z (YYYY-MM-DD)`` heading of the notes."""
    if not path.exists():
        raise ReleaseNotesError(f"{path} not found: the dataset version is read from it")
    match = HEADING.search(path.read_text(encoding="utf-8"))
    if match is None:
        raise ReleaseNotesError(
            f"{path}: no release heading of the form '## 1.0.0 (2026-01-31)' found"
        )
    return Release(version=match.group(1), date=match.group(2))
