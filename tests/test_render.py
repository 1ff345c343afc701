"""Notebooks execute and become self-contained, reproducible HTML; failures keep old pages."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest

from analysis import clean, render
from analysis.report import pagescript
from tests.conftest import FIXTURES, ROOT

pytestmark = pytest.mark.slow


def project_copy(tmp: Path) -> Path:
    """A minimal project root: notebooks copied (editable), the package linked."""
    root = tmp / "project"
    root.mkdir()
    shutil.copytree(
        ROOT / "notebooks",
        root / "notebooks",
        ignore=shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints"),
    )
    os.symlink(ROOT / "analysis", root / "analysis")
    for name in ("matplotlibrc", "METHODOLOGY.md", "METHODOLOGY.fr.md", "uv.lock"):
        shutil.copy2(ROOT / name, root / name)
    return root


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("render")
    root = project_copy(tmp)
    processed = tmp / "processed"
    raw = tmp / "raw"
    shutil.copytree(FIXTURES / "curated", raw)
    assert clean.main(["--raw", str(raw), "--out", str(processed)]) == 0
    reports = tmp / "reports"
    environ = dict(os.environ)
    assert render.render(root, processed, reports) == 0
    # The renderer passes inputs to the kernels explicitly; its own environment is untouched.
    assert dict(os.environ) == environ
    return root, processed, reports


def pages(reports: Path) -> dict[str, str]:
    """Every page of both editions, named by its path under reports/ (fr/index.html)."""
    return {
        str(p.relative_to(reports)): p.read_text(encoding="utf-8")
        for p in sorted(reports.rglob("*.html"))
    }


def test_every_notebook_becomes_a_page_plus_index(built):
    root, _, reports = built
    names = set(pages(reports))
    expected = {f"{p.stem}.html" for p in (root / "notebooks").glob("[0-9][0-9]-*.py")}
    expected |= {"index.html", "appendix.html", "methodology.html"}
    assert expected <= names
    assert {f"fr/{name}" for name in expected} <= names


def test_pages_are_self_contained(built):
    """Nothing is loaded from elsewhere: no scripts, stylesheets or frames; images inline.

    Links (<a href>) to sources are allowed: following one is the reader's choice.
    """
    for name, html in pages(built[2]).items():
        own = f"<script>{pagescript.script()}</script>"  # one script, allowed by its hash
        assert html.count(own) == 1 and pagescript.csp_hash(pagescript.script()) in html
        html = html.replace(own, "")
        assert "<script" not in html, name
        assert not re.search(r"<(link|iframe|object|embed|video|audio|source)\b", html), name
        for src in re.findall(r'<img [^>]*src="([^"]*)"', html):
            assert src.startswith("data:image/"), (name, src[:60])
        assert not re.search(r"url\((?!data:)", html), name
        assert "@import" not in html, name
        assert "default-src 'none'" in html, name


def test_at_least_four_charts_each_with_alt_text(built):
    imgs = []
    for html in pages(built[2]).values():
        imgs += re.findall(r"<img [^>]*>", html)
    assert len(imgs) >= 4
    for tag in imgs:
        alt = re.search(r'alt="([^"]*)"', tag)
        assert alt and len(alt.group(1)) > 20, tag[:80]
        assert 'src="data:image/svg+xml,' in tag


def test_index_states_ranges_and_grades(built):
    index = pages(built[2])["index.html"]
    assert "326–529" in index  # grades A and B: 300+12+14 to 500+15+14
    assert "328–531" in index  # all grades
    assert "grades A and B" in index
    assert "March 2022" in index
    french = pages(built[2])["fr/index.html"]
    assert "326–529" in french and "328–531" in french
    assert "niveaux de preuve A et B" in french
    assert "mars 2022" in french


def test_code_is_hidden(built):
    html = pages(built[2])["02-casualties-over-time.html"]
    assert "import" not in re.sub(r"<[^>]+>", "", html).split("Question")[0]
    assert "metrics.monthly_range" not in html


def test_unchanged_inputs_rebuild_nothing(built, capsys):
    root, processed, reports = built
    # Pages are replaced atomically (a new inode) when rebuilt; an up-to-date page keeps its
    # inode and bytes (only its time stamp is refreshed, for make).
    before = {p: p.stat().st_ino for p in reports.rglob("[0-9]*.html")}
    assert render.render(root, processed, reports) == 0
    after = {p: p.stat().st_ino for p in reports.rglob("[0-9]*.html")}
    assert before == after
    assert "01-data-quality.html: built" not in capsys.readouterr().out


def test_failing_notebook_keeps_previous_page_and_index(built, capsys):
    root, processed, reports = built
    notebook = root / "notebooks" / "02-casualties-over-time.py"
    original = notebook.read_text()
    before = pages(reports)
    notebook.write_text(original + "\n# %%\nraise ValueError('deliberate failure for the test')\n")
    try:
        assert render.render(root, processed, reports) == 1
    finally:
        notebook.write_text(original)
    assert pages(reports) == before
    err = capsys.readouterr().err
    assert "02-casualties-over-time.py" in err
    assert "ValueError: deliberate failure for the test" in err
    assert re.search(r"in cell \d+", err)


def test_cross_source_page_with_exports(tmp_path):
    root = project_copy(tmp_path)
    raw = tmp_path / "raw"
    shutil.copytree(FIXTURES / "curated", raw)
    for dataset, name in (("acled", "acled-2025-06-01.csv"), ("ucdp", "ged-25.1-mali.csv")):
        (raw / dataset).mkdir()
        shutil.copy(FIXTURES / dataset / name, raw / dataset)
    processed, reports = tmp_path / "processed", tmp_path / "reports"
    assert clean.main(["--raw", str(raw), "--out", str(processed)]) == 0
    assert render.render(root, processed, reports, only={"05-cross-source"}) == 0
    page = (reports / "05-cross-source.html").read_text(encoding="utf-8")
    assert 'alt="Monthly civilian deaths by source as ranges: Curated record' in page
    assert "ACLED 16–30" in page and "UCDP 27–45" in page
    assert "No ACLED or UCDP export was present" not in page
    assert "Armed Conflict Location" in page  # attribution under the chart and in the footer


def test_cross_source_page_without_exports_says_how_to_add_one(built):
    page = pages(built[2])["05-cross-source.html"]
    assert "No ACLED or UCDP export was present" in page
    assert "data/raw/acled/" in page


# --------------------------------------------------------------------------------------------
# The zygote engine (children forked from one warm process) against the reference (a fresh
# nbclient kernel per notebook): the same bytes.
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> tuple[Path, dict[str, bytes]]:
    """The real data/raw built, and every file of both editions rendered by the reference
    engine (a fresh nbclient kernel per notebook and edition)."""
    tmp = tmp_path_factory.mktemp("reference")
    processed = tmp / "processed"
    assert clean.main(["--raw", str(ROOT / "data" / "raw"), "--out", str(processed)]) == 0
    reports = tmp / "nbclient"
    assert render.render(ROOT, processed, reports, engine="nbclient") == 0
    return processed, _files(reports)


def test_pages_are_byte_identical_to_a_fresh_kernel_per_notebook(reference, tmp_path, capsys):
    """Every page of both editions, the index, appendix, methodology and CSV, built from the
    real data/raw: by children of a warm process, then again from the notebooks' stored runs
    (no cell run), as by a fresh kernel per notebook."""
    processed, expected = reference
    store = tmp_path / "store"
    reports = tmp_path / "zygote"
    assert render.render(ROOT, processed, reports, store=store) == 0
    forked = _files(reports)
    assert len(forked) >= 18
    assert {name for name in forked if name.startswith("fr/")} == {
        f"fr/{name}" for name in forked if "/" not in name
    }
    assert forked.keys() == expected.keys()
    for name in expected:
        assert forked[name] == expected[name], name
    # Every page stale, every notebook's inputs unchanged: each page comes from its stored run.
    capsys.readouterr()
    shutil.rmtree(reports)
    assert render.render(ROOT, processed, reports, store=store) == 0
    out = capsys.readouterr().out
    assert out.count(render.REEXPORTED) == sum(
        1 for name in expected if re.fullmatch(r"(fr/)?\d\d-.*\.html", name)
    )
    assert _files(reports) == expected
    # A run stored half-way (its record of what it read is missing) is not used.
    (store / "en" / "02-casualties-over-time.json").unlink()
    (reports / "02-casualties-over-time.html").unlink()
    assert render.render(ROOT, processed, reports, store=store) == 0
    out = capsys.readouterr().out
    assert "reports/02-casualties-over-time.html: built\n" in out
    assert render.REEXPORTED not in out
    assert _files(reports) == expected


def test_a_run_depends_on_the_code_but_not_on_the_templates(tmp_path):
    """A notebook's stored run is used again after a stylesheet or template edit (only the
    export changes), never after a change to the code a notebook runs."""
    root = tmp_path / "root"
    shutil.copytree(ROOT / "analysis", root / "analysis", ignore=shutil.ignore_patterns("__py*"))
    for name in ("matplotlibrc", "uv.lock"):
        shutil.copy2(ROOT / name, root / name)

    def keys() -> tuple[str, str]:
        page, run = render.code_digests(root)
        return page.hexdigest(), run.hexdigest()

    page, run = keys()
    css = root / "analysis" / "report" / "templates" / "style.css"
    css.write_text(css.read_text() + "\n/* edited */\n")
    assert keys()[0] != page and keys()[1] == run
    page = keys()[0]
    metrics = root / "analysis" / "report" / "metrics.py"
    metrics.write_text(metrics.read_text() + "\n# edited\n")
    assert keys()[0] != page and keys()[1] != run


KERNEL_FEATURES = """# %% [markdown]
# # What a kernel does with outputs

# %% tags=["parameters"]
PROCESSED = None

# %%
import sys

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import HTML, Image, Markdown, clear_output, display

print("to stdout", 1)
sys.stderr.write("to stderr\\\\n")
print("stdout again")
display(HTML("<p>displayed <b>HTML</b></p>"))
display(Markdown("*markdown* display"))
print("after the displays")
pd.DataFrame({"a": [1, 2], "b": ["x", "<y>"]})

# %%
pd.Series([1.5, 2.5], name="plain text only")

# %%
display("to be cleared")
clear_output()
display({"a": 1}, raw=False)
fig, ax = plt.subplots(figsize=(2, 1))
ax.plot([0, 1], [1, 0])
display(fig)
plt.close(fig)
import io
buffer = io.BytesIO()
fig.savefig(buffer, format="png", metadata={"Software": None})
Image(buffer.getvalue())

# %%
x = 1
x

# %%

# %%
for i in range(3):
    print(i, end=" ")
print()
"""


def test_kernel_outputs_are_reproduced_exactly(tmp_path):
    """Streams, displays, rich results, plain-text results, clear_output and images: the
    page from a forked worker equals the page from a kernel."""
    from analysis.report import notebooks
    from analysis.report.zygote import Zygote

    notebook = tmp_path / "notebooks" / "09-kernel-features.py"
    notebook.parent.mkdir()
    notebook.write_text(KERNEL_FEATURES, encoding="utf-8")
    page = notebooks.Page(notebook)
    footer = {"dataset_version": None, "inputs": {}, "versions": {}, "exports": {}}
    reference = notebooks.execute(page, tmp_path, ROOT)
    with Zygote(ROOT) as zygote:
        forked = notebooks.execute(page, tmp_path, ROOT, zygote=zygote)
    html = [notebooks.export_page(nb, page, "0" * 64, [], footer) for nb in (reference, forked)]
    assert "to stdout 1" in html[0] and "to stderr" in html[0] and "0 1 2" in html[0]
    assert "plain text only" in html[0] and "<b>HTML</b>" in html[0]
    assert "to be cleared" not in html[0]
    assert html[1] == html[0]


def test_each_notebook_runs_in_a_fresh_namespace(tmp_path):
    """A forked worker sees neither another notebook's variables nor its changes to modules."""
    from analysis.report import notebooks
    from analysis.report.zygote import Zygote

    folder = tmp_path / "notebooks"
    folder.mkdir()
    head = '# %% [markdown]\n# # Page\n\n# %% tags=["parameters"]\nPROCESSED = None\n\n'
    writer = folder / "01-writer.py"
    writer.write_text(
        head + "# %%\nimport pandas as pd\nfrom analysis.report import charts\n"
        "charts.LEAKED = 1\npd.options.display.max_rows = 3\nleaked = 1\n",
        encoding="utf-8",
    )
    reader = folder / "02-reader.py"
    reader.write_text(
        head + "# %%\nimport pandas as pd\nfrom analysis.report import charts\n"
        "assert 'leaked' not in globals()\nassert not hasattr(charts, 'LEAKED')\n"
        "assert pd.options.display.max_rows == 60\n",
        encoding="utf-8",
    )
    with Zygote(ROOT) as zygote:
        notebooks.execute(notebooks.Page(writer), tmp_path, ROOT, zygote=zygote)
        notebooks.execute(notebooks.Page(reader), tmp_path, ROOT, zygote=zygote)


def test_a_worker_that_dies_names_its_notebook_and_cell(tmp_path):
    from analysis.report import notebooks
    from analysis.report.zygote import Zygote

    notebook = tmp_path / "08-dies.py"
    notebook.write_text(
        '# %% tags=["parameters"]\nPROCESSED = None\n\n# %%\nx = 1\n\n'
        "# %%\nimport os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n",
        encoding="utf-8",
    )
    with Zygote(ROOT) as zygote, pytest.raises(notebooks.NotebookFailed) as info:
        notebooks.execute(notebooks.Page(notebook), tmp_path, ROOT, zygote=zygote)
    message = str(info.value)
    assert message.startswith("notebook 08-dies.py failed in cell 2"), message
    assert "ended without a result" in message


def _files(folder: Path) -> dict[str, bytes]:
    """Every output under ``folder`` (both editions), by its path there (the build lock is not
    an output)."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in folder.rglob("*")
        if p.is_file() and not p.name.startswith(".")
    }


def _sockets(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.sock"))


def _wait_until(condition, seconds: float = 20) -> bool:
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_a_warm_server_builds_later_pages_identical_to_a_fresh_kernel(
    reference, tmp_path, monkeypatch
):
    """The server that outlives a build serves the next one, gives the pages a fresh kernel
    per notebook gives, is replaced when what its warm state depends on changes, and stops on
    request."""
    from analysis.report import zygote

    # A short folder: a Unix socket's path has at most 107 bytes (a longer one means no server).
    run = Path(tempfile.mkdtemp(prefix="mr-", dir="/tmp"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(run))
    monkeypatch.setenv("MALI_RENDER_SERVER", "1")
    monkeypatch.setenv("MALI_RENDER_SERVER_IDLE", "120")
    root = ROOT
    processed, expected = reference
    served = tmp_path / "served"
    args = ["--root", str(root), "--processed", str(processed), "--reports", str(served)]
    # Two pages (a map and a table page) and every edition's index, appendix and methodology:
    # the server runs the same jobs as a private zygote, which the test above checks on every
    # page.
    args += ["--store", str(tmp_path / "store"), "--only", "04-geography", "05-cross-source"]
    folder = run / f"mali-render-{os.getuid()}"
    try:
        assert render.main(args) == 0
        first = _sockets(folder)
        assert len(first) == 1  # the server outlived the build
        # A second build of the same state connects to it and has nothing to execute.
        before = _files(served)
        assert render.main(args) == 0
        assert _sockets(folder) == first
        assert _files(served) == before
        # Pages from the server's children (both editions) equal those of a fresh kernel per
        # notebook.
        assert {"04-geography.html", "fr/05-cross-source.html", "fr/index.html"} <= set(before)
        assert before == {name: expected[name] for name in before}
        # The kernel's environment changed: a new server, and the old one is stopped.
        monkeypatch.setenv("MALI_TEST_UNUSED", "x")  # stripped from kernels: same state
        assert render.main(args) == 0
        assert _sockets(folder) == first
        monkeypatch.setenv("LC_MALI_TEST", "changed")
        assert render.main(args) == 0
        assert _wait_until(lambda: len(_sockets(folder)) == 1 and _sockets(folder) != first)
    finally:
        zygote.stop_servers(root)
    assert _wait_until(lambda: not _sockets(folder))
    shutil.rmtree(run)


def test_no_server_where_others_could_reach_its_socket(tmp_path, monkeypatch):
    from analysis.report import zygote

    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    folder = tmp_path / f"mali-render-{os.getuid()}"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    assert zygote.runtime_dir() is None
    monkeypatch.setenv("MALI_RENDER_SERVER", "1")
    own = zygote.Zygote.for_build(ROOT)
    try:
        assert type(own) is zygote.Zygote  # a private zygote, ended with the build
    finally:
        own.close()
    assert not _sockets(folder)


def test_the_server_is_off_in_ci_and_on_request(monkeypatch):
    from analysis.report import zygote

    monkeypatch.delenv("MALI_RENDER_SERVER", raising=False)
    monkeypatch.setenv("CI", "true")
    assert not zygote.server_enabled()
    monkeypatch.setenv("MALI_RENDER_SERVER", "1")
    assert zygote.server_enabled()
    monkeypatch.delenv("CI")
    monkeypatch.setenv("MALI_RENDER_SERVER", "0")
    assert not zygote.server_enabled()


def test_a_build_waiting_for_the_lock_does_not_hold_up_the_warm_server(tmp_path, monkeypatch):
    """The warm server serves one build at a time, in the order they connect. A build that
    connected and then waited for the build lock would hold up the build that has the lock
    (until a job timed out, 600 s later): a build connects only once it holds the lock."""
    import subprocess
    import sys
    import time

    from analysis import atomic
    from analysis.report import notebooks, zygote

    run = Path(tempfile.mkdtemp(prefix="mr-", dir="/tmp"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(run))
    monkeypatch.setenv("MALI_RENDER_SERVER", "1")
    monkeypatch.setenv("MALI_RENDER_SERVER_IDLE", "120")
    processed = tmp_path / "processed"
    assert clean.main(["--raw", str(ROOT / "data" / "raw"), "--out", str(processed)]) == 0
    reports = tmp_path / "reports"
    folder = run / f"mali-render-{os.getuid()}"
    args = ["--root", str(ROOT), "--processed", str(processed), "--reports", str(reports)]
    # One page is enough: what is tested is who holds the server, not the pages.
    args += ["--store", str(tmp_path / "store"), "--only", "05-cross-source"]
    try:
        with atomic.build_lock(reports):
            waiting = subprocess.Popen(
                [sys.executable, "-m", "analysis.render", *args],
                env={**os.environ, "PYTHONPATH": str(ROOT)},
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            # The waiting build has started the server (it warms while the build's data step
            # would run) and is now blocked on the lock.
            assert _wait_until(lambda: len(_sockets(folder)) == 1, 60)
            time.sleep(3)
            shared = zygote.Zygote.for_build(ROOT)
            try:
                assert type(shared) is not zygote.Zygote  # the warm server, not a private one
                pages = notebooks.discover(ROOT / "notebooks")
                titles = shared.call(
                    "analysis.report.notebooks:titles_job", pages, ("en",), timeout=60
                )
            finally:
                shared.close()
            assert set(titles["en"]) == {p.name for p in pages}
        assert waiting.wait(timeout=600) == 0
    finally:
        zygote.stop_servers(ROOT)
    assert _wait_until(lambda: not _sockets(folder))
    shutil.rmtree(run)
