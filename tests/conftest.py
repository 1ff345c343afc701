"""Shared fixtures: a small, fictional curated dataset whose derived figures are known by hand."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures"
ROOT = HERE.parent


@pytest.fixture
def raw_dir(tmp_path: Path) -> Path:
    """A writable copy of tests/fixtures/curated."""
    target = tmp_path / "raw"
    shutil.copytree(FIXTURES / "curated", target)
    return target


def edit_csv(path: Path, old: str, new: str) -> None:
    """Replace one exact piece of text in a fixture file (the test fails if it is absent)."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def append_row(path: Path, row: str) -> int:
    """Append a CSV row; return its line number."""
    text = path.read_text(encoding="utf-8")
    if not text.endswith("\n"):
        text += "\n"
    path.write_text(text + row + "\n", encoding="utf-8")
    return len((text + row).splitlines())
