"""Shared fixtures: a small, fictional curated dataset whose derived figures are known by hand."""

from __future__ import annotations

import os
import shutil
import subprocess
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


def tracked_files() -> list[str]:
    """Files git tracks or would track (untracked, not ignored) in this checkout."""
    out = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [line for line in out.splitlines() if (ROOT / line).is_file()]


def repo_copy(target: Path) -> Path:
    """Copy the repository's files to ``target``, sharing this checkout's environments.

    .venv and .tools are symlinked, so a test exercises the Makefile, the pipeline and the
    renderer without downloading packages again.
    """
    for name in tracked_files():
        dest = target / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, dest)
    for env_dir in (".venv", ".tools"):
        os.symlink(ROOT / env_dir, target / env_dir)
    return target


def make(copy: Path, *targets: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run make in a repository copy, with a fixed SOURCE_DATE_EPOCH and no test variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MALI_", "PYTEST"))}
    env["SOURCE_DATE_EPOCH"] = "1700000000"
    result = subprocess.run(
        ["make", "-C", str(copy), *targets], env=env, capture_output=True, text=True, timeout=900
    )
    if check and result.returncode != 0:
        raise AssertionError(f"make {targets} failed:\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """A temporary copy of the repository with both editions built by `make report` (shared
    by the browser and edition tests, so the build runs once per session)."""
    target = repo_copy(tmp_path_factory.mktemp("site") / "repo")
    make(target, "report")
    return target
