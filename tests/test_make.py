"""`make report` end to end, for the paths a user takes: a fresh clone, a deleted output (and
`make -n`), one edit, a broken input, an export added and removed. The copy shares this
checkout's environment (.venv, .tools) through symlinks. Which output a given change rebuilds
is tested in tests/test_plan.py, in milliseconds."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest

from tests.conftest import clone_built, make_env

pytestmark = pytest.mark.slow


def make(copy: Path, *targets: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        ["make", "-C", str(copy), *targets],
        env=make_env(),
        capture_output=True,
        text=True,
        timeout=900,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"make {targets} failed:\n{result.stdout}\n{result.stderr}")
    return result


def digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


@pytest.fixture(scope="module")
def copy(built_repo, tmp_path_factory) -> Path:
    """One built clone for the module: each test leaves the sources as it found them, and the
    outputs as its last build left them (the next build brings them up to date)."""
    return clone_built(built_repo, tmp_path_factory.mktemp("repo") / "repo")


def built_pages(result: subprocess.CompletedProcess, how: str | None = None) -> list[str]:
    """The files a build wrote. ``how="executed"``: only notebook pages whose notebook ran;
    ``how="exported"``: only notebook pages exported again from their notebook's stored run."""
    from analysis.render import REEXPORTED

    pages = []
    for line in result.stdout.splitlines():
        path, sep, rest = line.partition(": built")
        if not sep:
            continue
        assert rest in ("", REEXPORTED), line
        notebook = Path(path).name[:2].isdigit()
        done = "exported" if rest else "executed" if notebook else "written"
        if how in (None, done):
            pages.append(path)
    return pages


DATA_STEP = "data/processed: validated and written"


def test_a_fresh_clone_builds_then_has_nothing_to_do(copy):
    # The shared copy was built cold by `make report` (tests/conftest.py: built_repo).
    result = make(copy, "report")
    assert not built_pages(result) and DATA_STEP not in result.stdout
    explained = [
        line
        for line in make(copy, "explain").stdout.splitlines()
        if line.startswith(("reports/", "data/processed/"))
    ]
    named = {line.split()[0] for line in explained}
    assert {
        "reports/index.html",
        "reports/fr/appendix.html",
        "data/processed/manifest.json",
    } <= named
    assert all(line.split()[1] == "keep" for line in explained), explained


def test_every_deleted_output_comes_back_byte_identical(copy):
    """One file of each kind, in both editions and in data/processed, and a stored run."""
    before = digest(copy / "reports") | digest(copy / "data" / "processed")
    deleted = [
        "reports/04-geography.html",
        "reports/fr/02-casualties-over-time.html",
        "reports/appendix.html",
        "reports/fr/methodology.html",
        "reports/fr/incidents.csv",
        "reports/index.html",
        "data/processed/incidents.parquet",
        "data/processed/civilian-harm.db",
        "data/processed/datapackage.json",
        ".make/executed/fr/02-casualties-over-time.ipynb",
    ]
    for name in deleted:
        (copy / name).unlink()
    # `make -n report` prints the command and runs nothing, though there is work to do.
    dry = make(copy, "-n", "report")
    assert "analysis.render" in dry.stdout
    assert not built_pages(dry) and not any((copy / name).exists() for name in deleted)
    explained = make(copy, "explain").stdout
    assert "reports/04-geography.html" in explained and "the file is missing" in explained
    result = make(copy, "report")
    assert DATA_STEP in result.stdout
    # The data comes back identical, so no notebook runs again but the one without its run.
    assert built_pages(result, "executed") == ["reports/fr/02-casualties-over-time.html"]
    assert built_pages(result, "exported") == ["reports/04-geography.html"]
    after = digest(copy / "reports") | digest(copy / "data" / "processed")
    assert after == before


def test_one_notebook_edit_runs_that_notebook_only(copy):
    notebook = copy / "notebooks" / "03-operations-over-time.py"
    original = notebook.read_text()
    notebook.write_text(original + "\n# %%\nprint('an edit')\n")
    try:
        result = make(copy, "report")
    finally:
        notebook.write_text(original)
    assert sorted(built_pages(result, "executed")) == [
        "reports/03-operations-over-time.html",
        "reports/fr/03-operations-over-time.html",
    ]
    assert "an edit" in (copy / "reports" / "03-operations-over-time.html").read_text()


def test_broken_input_stops_make_and_keeps_previous_outputs(copy):
    before = digest(copy / "reports") | digest(copy / "data" / "processed")
    casualties = copy / "data" / "raw" / "casualties.csv"
    original = casualties.read_bytes()
    lines = original.decode().splitlines(keepends=True)
    lines[1] = lines[1].replace(",civilians,", ",aliens,", 1)
    casualties.write_text("".join(lines))
    try:
        result = make(copy, "report", check=False)
    finally:
        casualties.write_bytes(original)
    assert result.returncode != 0
    assert "data/raw/casualties.csv" in result.stderr
    assert "line 2" in result.stderr and "'aliens'" in result.stderr
    after = digest(copy / "reports") | digest(copy / "data" / "processed")
    assert after == before


def test_adding_then_removing_an_export(copy):
    """An ACLED export dropped in reaches the cross-source page; removed, the data and the
    pages that read exports are rebuilt without it."""
    from tests.conftest import FIXTURES

    exports = copy / "data" / "raw" / "acled"
    exports.mkdir()
    export = exports / "acled-2025-06-01.csv"
    export.write_bytes((FIXTURES / "acled" / "acled-2025-06-01.csv").read_bytes())
    make(copy, "report")
    processed = copy / "data" / "processed"
    assert (processed / "events.parquet").exists()
    page = copy / "reports" / "05-cross-source.html"
    assert "No ACLED or UCDP export was present" not in page.read_text()
    export.unlink()
    result = make(copy, "report")
    assert DATA_STEP in result.stdout
    assert not (processed / "events.parquet").exists()
    assert "No ACLED or UCDP export was present" in page.read_text()
    # The pages that read exports run again; the others show the inputs in their footer only.
    executed = {Path(p).name for p in built_pages(result, "executed")}
    assert {"01-data-quality.html", "05-cross-source.html"} <= executed
    assert not executed & {"02-casualties-over-time.html", "04-geography.html"}
    assert "reports/02-casualties-over-time.html" in built_pages(result, "exported")
    exports.rmdir()
