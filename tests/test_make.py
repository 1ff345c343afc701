"""`make report` end to end in a temporary copy of the repository.

The copy shares this checkout's environment (.venv, .tools) through symlinks, so the test
exercises the Makefile, the pipeline and the renderer, not the package download.
"""

from __future__ import annotations

import hashlib
import os
import shutil
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
    return clone_built(built_repo, tmp_path_factory.mktemp("repo") / "repo")


def test_cold_build_produces_every_page(built_repo):
    # The shared copy was built cold by `make report` (tests/conftest.py: built_repo).
    copy = built_repo
    reports = copy / "reports"
    notebooks = sorted((copy / "notebooks").glob("[0-9][0-9]-*.py"))
    assert notebooks
    for nb in notebooks:
        assert (reports / f"{nb.stem}.html").stat().st_size > 1000
    assert (reports / "index.html").exists()
    assert (copy / "data" / "processed" / "manifest.json").exists()


def test_noop_build_does_nothing(copy):
    result = make(copy, "report")
    assert "Nothing to be done" in result.stdout
    assert make(copy, "-q", "report", check=False).returncode == 0


def test_changing_one_notebook_rebuilds_only_its_page(copy):
    """The index, appendix and methodology show every page's title, not its content: they are
    current while the titles are. The page is rebuilt in both editions; the French one shows
    the new, untranslated paragraph in English and the build says so."""
    notebook = copy / "notebooks" / "02-casualties-over-time.py"
    notebook.write_text(notebook.read_text() + "\n# %% [markdown]\n# An added note.\n")
    result = make(copy, "report")
    built = {line for line in result.stdout.splitlines() if line.endswith(": built")}
    assert built == {
        "reports/02-casualties-over-time.html: built",
        "reports/fr/02-casualties-over-time.html: built",
    }
    assert "not in the catalogue, shown in English: 'An added note.'" in result.stderr
    # "make[1]: ..." when the suite itself runs under make (make test).
    assert "Nothing to be done for 'report'" in make(copy, "report").stdout


def test_a_new_page_title_reaches_every_page_s_navigation(copy):
    notebook = copy / "notebooks" / "04-geography.py"
    text = notebook.read_text()
    title = next(line for line in text.splitlines() if line.startswith("# # "))
    notebook.write_text(text.replace(title, "# # Where harm was reported", 1))
    result = make(copy, "report")
    assert {f"reports/{p.name}" for p in (copy / "reports").glob("*.html")} <= set(
        built_pages(result)
    )
    for page in (copy / "reports").glob("*.html"):
        assert "Where harm was reported" in page.read_text(encoding="utf-8"), page.name
    # Only the renamed notebook runs again: the other pages change in their menu alone, and
    # are exported from their stored runs.
    assert sorted(built_pages(result, "executed")) == [
        "reports/04-geography.html",
        "reports/fr/04-geography.html",
    ]


def test_clean_rebuild_is_byte_identical(copy):
    first = digest(copy / "reports") | digest(copy / "data" / "processed")
    make(copy, "clean")
    make(copy, "report")
    second = digest(copy / "reports") | digest(copy / "data" / "processed")
    assert first == second


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


def test_failing_notebook_keeps_every_page_and_the_index(copy):
    make(copy, "report")
    reports = copy / "reports"
    index_before = (reports / "index.html").read_bytes()
    page_03 = (reports / "03-operations-over-time.html").read_bytes()
    # A change to the stylesheet makes every page stale (each is exported again from its
    # stored run); notebook 03, edited, runs and fails.
    style = copy / "analysis" / "report" / "templates" / "style.css"
    style_text = style.read_text()
    notebook = copy / "notebooks" / "03-operations-over-time.py"
    notebook_text = notebook.read_text()
    style.write_text(style_text + "\n/* a comment that changes the build key */\n")
    notebook.write_text(notebook_text + "\n# %%\nraise RuntimeError('deliberate')\n")
    try:
        result = make(copy, "report", check=False)
    finally:
        style.write_text(style_text)
        notebook.write_text(notebook_text)
    assert result.returncode != 0
    assert "03-operations-over-time.py" in result.stderr and "deliberate" in result.stderr
    assert "Deleting file" not in result.stderr
    for nb in (copy / "notebooks").glob("[0-9][0-9]-*.py"):
        assert (reports / f"{nb.stem}.html").exists(), nb.stem
    assert (reports / "03-operations-over-time.html").read_bytes() == page_03
    assert (reports / "index.html").read_bytes() == index_before
    # The other pages were written, from their stored runs.
    assert "reports/02-casualties-over-time.html" in built_pages(result, "exported")
    make(copy, "report")  # and the next build recovers


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


def test_deleted_page_is_rebuilt(copy):
    make(copy, "report")
    page = copy / "reports" / "04-geography.html"
    page.unlink()
    result = make(copy, "report")
    assert "reports/04-geography.html" in built_pages(result)
    assert page.exists()
    assert not any(p.startswith("reports/0") and "04-" not in p for p in built_pages(result))


def test_editing_the_map_outline_rebuilds_the_geography_page(copy):
    make(copy, "report")
    page = copy / "reports" / "04-geography.html"
    before = page.read_bytes()
    outline = copy / "data" / "raw" / "geo" / "mali_outline.csv"
    original = outline.read_text()
    lines = original.splitlines(keepends=True)
    ring, lon, lat = lines[1].strip().split(",")
    lines[1] = f"{ring},{float(lon) - 0.8:.5f},{lat}\n"  # one vertex moved west
    outline.write_text("".join(lines))
    try:
        result = make(copy, "report")
        assert "reports/04-geography.html" in built_pages(result, "executed")
        assert page.read_bytes() != before
        # The other notebooks do not read the outline: their pages change in the footer's
        # list of inputs only, and are exported from their stored runs.
        assert "reports/02-casualties-over-time.html" in built_pages(result, "exported")
        assert "reports/03-operations-over-time.html" in built_pages(result, "exported")
    finally:
        outline.write_text(original)
    make(copy, "report")
    assert page.read_bytes() == before


def test_removing_an_export_rebuilds_without_it(copy):
    from tests.conftest import FIXTURES

    make(copy, "report")
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
    assert "analysis.clean" in result.stdout
    assert not (processed / "events.parquet").exists()
    assert "No ACLED or UCDP export was present" in page.read_text()
    # The pages that show exports run again; the others only list the inputs in their footer.
    assert sorted(built_pages(result, "executed")) == [
        f"reports/{lang}0{n}-{name}.html"
        for lang in ("", "fr/")
        for n, name in ((1, "data-quality"), (5, "cross-source"))
    ]
    exports.rmdir()


def test_deleted_data_is_rebuilt_without_executing_notebooks(copy):
    """The data step runs inside the report recipe; `report` still rebuilds deleted data."""
    make(copy, "report")
    pages = digest(copy / "reports")
    shutil.rmtree(copy / "data" / "processed")
    result = make(copy, "report")
    assert "analysis.clean" in result.stdout
    assert not [p for p in built_pages(result) if p.startswith("reports/")]
    assert (copy / "data" / "processed" / "manifest.json").exists()
    assert digest(copy / "reports") == pages


def test_dry_run_runs_nothing(copy):
    """`make -n report` prints the commands and runs none (the data step is not a sub-make
    that make would run anyway)."""
    make(copy, "report")
    notebook = copy / "notebooks" / "01-data-quality.py"
    page = copy / "reports" / "01-data-quality.html"
    before = page.stat().st_mtime_ns
    os.utime(notebook)
    result = make(copy, "-n", "report")
    assert "analysis.render" in result.stdout
    assert not built_pages(result)
    assert page.stat().st_mtime_ns == before
    make(copy, "report")
