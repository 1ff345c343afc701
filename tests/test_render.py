"""Notebooks become self-contained, reproducible HTML, each run in a child of the fork server;
the pages equal those of a fresh Jupyter kernel per notebook (nbclient, the oracle here)."""

from __future__ import annotations

import concurrent.futures
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest

from analysis import clean, render
from analysis.report import i18n, notebooks, pages, pagescript
from analysis.report.pool import JobFailed, Pool
from tests.conftest import FIXTURES, ROOT

pytestmark = pytest.mark.slow
FOOTER = {"dataset_version": None, "inputs": {}, "versions": {}, "exports": {}}


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


def processed_from(raw: Path, out: Path) -> Path:
    assert clean.main(["--raw", str(raw), "--out", str(out)]) == 0
    return out


def _files(folder: Path) -> dict[str, bytes]:
    """Every output under ``folder`` (both editions), by its path there."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in folder.rglob("*")
        if p.is_file() and not p.name.startswith(".")
    }


def executed_in_a_kernel(page, processed, lang="en", root=ROOT):
    """The oracle: the notebook prepared as the build prepares it, run in a fresh Jupyter
    kernel of its own by nbclient, inputs removed as the build removes them."""
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    nb = notebooks.prepare(page, processed, lang)
    # Unix sockets in a private folder: kernels started at once cannot race for a TCP port.
    with tempfile.TemporaryDirectory(prefix="mali-kernel-") as sockets:
        km = KernelManager(kernel_name="python3", transport="ipc", ip=str(Path(sockets) / "k"))
        NotebookClient(
            nb,
            km=km,
            timeout=notebooks.CELL_TIMEOUT,
            resources={"metadata": {"path": str(page.notebook.parent)}},
            extra_arguments=["--IPKernelApp.log_level=ERROR"],
        ).execute(env=notebooks.kernel_env(root))
    nb.cells = [cell for cell in nb.cells if not notebooks.is_parameters(cell)]
    return nb


def kernel_page(page, processed):
    return pages.export_page(executed_in_a_kernel(page, processed), page, "0" * 64, [], FOOTER)


def kernel_pages(root: Path, processed: Path, reports: Path, store: Path) -> dict[str, bytes]:
    """Every notebook page of both editions from a kernel per notebook, exported with the
    keys the build recorded for them; by path under ``reports``."""
    found = notebooks.discover(root / "notebooks")
    jobs = [(page, lang) for lang in ("en", "fr") for page in found]

    def run(job):
        return executed_in_a_kernel(job[0], processed, job[1], root)

    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        runs = list(pool.map(run, jobs))
    nav, footer = pages.navigations(found, ("en", "fr")), pages.footer_context(processed)
    state = render.State(root, store)
    built = {}
    for (page, lang), nb in zip(jobs, runs, strict=True):
        path = reports / i18n.FOLDERS[lang] / page.html_name
        key = state.outputs[state.name(path)]["key"]
        html = pages.export_page(nb, page, key, nav[lang][0], footer, lang)
        built[str(path.relative_to(reports))] = html.encode()
    return built


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The fixture's data built; both editions rendered by the fork server (keeping its runs
    in a store)."""
    tmp = tmp_path_factory.mktemp("render")
    root = project_copy(tmp)
    processed = processed_from(FIXTURES / "curated", tmp / "processed")
    reports = tmp / "reports"
    environ = dict(os.environ)
    assert render.render(root, processed, reports, store=tmp / "store") == 0
    # Children get their environment explicitly; the renderer's own is untouched.
    assert dict(os.environ) == environ
    return root, processed, reports, _files(reports), tmp / "store"


def html_pages(reports: Path) -> dict[str, str]:
    """Every page of both editions, named by its path under reports/ (fr/index.html)."""
    return {
        str(p.relative_to(reports)): p.read_text(encoding="utf-8")
        for p in sorted(reports.rglob("*.html"))
    }


def test_every_notebook_becomes_a_page_plus_index_appendix_methodology_and_csv(site):
    root, _, reports, _, _ = site
    names = set(_files(reports))
    expected = {f"{p.stem}.html" for p in (root / "notebooks").glob("[0-9][0-9]-*.py")}
    expected |= set(render.EXTRAS)
    assert names == expected | {f"fr/{name}" for name in expected}


def test_pages_equal_a_kernel_per_notebook_and_so_do_stored_runs(site, capsys):
    """Every notebook page of both editions, by children of the fork server as by a fresh
    kernel per notebook; then every file again from the stored runs (no cell run) after every
    page was deleted."""
    root, processed, reports, expected, store = site
    oracle = kernel_pages(root, processed, reports, store)
    assert len(oracle) == 2 * len(notebooks.discover(root / "notebooks"))
    assert {name: expected[name] for name in oracle} == oracle
    capsys.readouterr()
    shutil.rmtree(reports)
    assert render.render(root, processed, reports, store=store) == 0
    out = capsys.readouterr().out
    assert out.count(render.REEXPORTED) == sum(
        1 for name in expected if re.fullmatch(r"(fr/)?\d\d-.*\.html", name)
    )
    assert _files(reports) == expected
    # A stored run that is not the file recorded (a build stopped while writing it, an edit)
    # is not used; once run again, nothing is left to do.
    with (store / "executed" / "en" / "02-casualties-over-time.ipynb").open("a") as stored:
        stored.write("\n")
    (reports / "02-casualties-over-time.html").unlink()
    assert render.render(root, processed, reports, store=store) == 0
    out = capsys.readouterr().out
    assert out == "reports/02-casualties-over-time.html: built\n"
    assert render.render(root, processed, reports, store=store) == 0
    assert capsys.readouterr().out == ""
    assert _files(reports) == expected


def test_pages_are_self_contained(site):
    """Nothing is loaded from elsewhere: no scripts, stylesheets or frames; images inline.

    Links (<a href>) to sources are allowed: following one is the reader's choice.
    """
    for name, html in html_pages(site[2]).items():
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


def test_at_least_four_charts_each_with_alt_text(site):
    imgs = []
    for html in html_pages(site[2]).values():
        imgs += re.findall(r"<img [^>]*>", html)
    assert len(imgs) >= 4
    for tag in imgs:
        alt = re.search(r'alt="([^"]*)"', tag)
        assert alt and len(alt.group(1)) > 20, tag[:80]
        assert 'src="data:image/svg+xml,' in tag


def test_index_states_ranges_and_grades(site):
    index = html_pages(site[2])["index.html"]
    assert "326–529" in index  # grades A and B: 300+12+14 to 500+15+14
    assert "328–531" in index  # all grades
    assert "grades A and B" in index
    assert "March 2022" in index
    french = html_pages(site[2])["fr/index.html"]
    assert "326–529" in french and "328–531" in french
    assert "niveaux de preuve A et B" in french
    assert "mars 2022" in french


def test_code_is_hidden(site):
    html = html_pages(site[2])["02-casualties-over-time.html"]
    assert "import" not in re.sub(r"<[^>]+>", "", html).split("Question")[0]
    assert "metrics.monthly_range" not in html


def test_cross_source_page_with_exports(tmp_path, pool):
    """The English page, from the module's fork server: what is checked is the page's
    figures with exports present, not the build of an edition."""
    root = project_copy(tmp_path)
    raw = tmp_path / "raw"
    shutil.copytree(FIXTURES / "curated", raw)
    for dataset, name in (("acled", "acled-2025-06-01.csv"), ("ucdp", "ged-25.1-mali.csv")):
        (raw / dataset).mkdir()
        shutil.copy(FIXTURES / dataset / name, raw / dataset)
    processed, reports = tmp_path / "processed", tmp_path / "reports"
    processed_from(raw, processed)
    only = {"05-cross-source"}
    assert render.render(root, processed, reports, only, languages=("en",), runner=pool) == 0
    page = (reports / "05-cross-source.html").read_text(encoding="utf-8")
    assert 'alt="Monthly civilian deaths by source as ranges: Curated record' in page
    assert "ACLED 16–30" in page and "UCDP 27–45" in page
    assert "No ACLED or UCDP export was present" not in page
    assert "Armed Conflict Location" in page  # attribution under the chart and in the footer


def test_cross_source_page_without_exports_says_how_to_add_one(site):
    page = html_pages(site[2])["05-cross-source.html"]
    assert "No ACLED or UCDP export was present" in page
    assert "data/raw/acled/" in page


# --------------------------------------------------------------------------------------------
# The engines, on tiny notebooks
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pool():
    forked = Pool(notebooks.kernel_env(ROOT))
    yield forked
    forked.close()


def run_forked(pool, page, processed, lang="en"):
    """A page from a child of the fork server: ``(html, failure)``."""
    args = (page, processed, lang, "0" * 64, [], FOOTER)
    try:
        return pool.call("analysis.report.notebooks:run_page", *args)[0], None
    except JobFailed as exc:
        return None, render.failure(page, exc)


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


def test_kernel_outputs_are_reproduced_exactly(tmp_path, pool):
    """Streams, displays, rich results, plain-text results, clear_output and images: the
    page from a forked child equals the page from a kernel."""
    notebook = tmp_path / "notebooks" / "09-kernel-features.py"
    notebook.parent.mkdir()
    notebook.write_text(KERNEL_FEATURES, encoding="utf-8")
    page = notebooks.Page(notebook)
    reference = kernel_page(page, tmp_path)
    forked, failure = run_forked(pool, page, tmp_path)
    assert failure is None
    assert "to stdout 1" in reference and "to stderr" in reference and "0 1 2" in reference
    assert "plain text only" in reference and "<b>HTML</b>" in reference
    assert "to be cleared" not in reference
    assert forked == reference


HEAD = '# %% [markdown]\n# # Page\n\n# %% tags=["parameters"]\nPROCESSED = None\n\n'


def test_each_notebook_runs_in_a_fresh_namespace(tmp_path, pool):
    """A forked child sees neither another notebook's variables nor its changes to modules."""
    folder = tmp_path / "notebooks"
    folder.mkdir()
    writer = folder / "01-writer.py"
    writer.write_text(
        HEAD + "# %%\nimport pandas as pd\nfrom analysis.report import charts\n"
        "charts.LEAKED = 1\npd.options.display.max_rows = 3\nleaked = 1\n",
        encoding="utf-8",
    )
    reader = folder / "02-reader.py"
    reader.write_text(
        HEAD + "# %%\nimport pandas as pd\nfrom analysis.report import charts\n"
        "assert 'leaked' not in globals()\nassert not hasattr(charts, 'LEAKED')\n"
        "assert pd.options.display.max_rows == 60\n",
        encoding="utf-8",
    )
    assert run_forked(pool, notebooks.Page(writer), tmp_path)[1] is None
    assert run_forked(pool, notebooks.Page(reader), tmp_path)[1] is None


def test_a_child_that_dies_names_its_notebook_and_cell(tmp_path, pool):
    notebook = tmp_path / "08-dies.py"
    notebook.write_text(
        HEAD + "# %%\nx = 1\n\n# %%\nimport os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n",
        encoding="utf-8",
    )
    message = run_forked(pool, notebooks.Page(notebook), tmp_path)[1]
    assert message.startswith("notebook 08-dies.py failed in cell 3"), message
    assert "ended without a result" in message


# What a notebook can see of its process: no credential; in the fork server, one thread.
PROBE = (
    HEAD
    + """# %%
import os

leaked = [k for k in os.environ if k in ("ACLED_PASSWORD", "UCDP_TOKEN")]
with open("/proc/self/environ", "rb") as own:
    assert b"fake-credential" not in own.read(), "in the process's initial environment"
assert not leaked, leaked
assert os.environ["OMP_NUM_THREADS"] == "1"
parent = f"/proc/{os.getppid()}"
with open(f"{parent}/cmdline", "rb") as cmdline:
    if b"forkserver" in cmdline.read():
        threads = os.listdir(f"{parent}/task")
        assert len(threads) == 1, f"the fork server runs {len(threads)} threads"
        print("forked")
print("clean")
"""
)


def test_a_notebook_cannot_see_the_user_s_credentials(tmp_path, monkeypatch):
    """A user who exported credentials for `make fetch-*` does not hand them to notebooks;
    the fork server forks from one thread (native pools started no others)."""
    monkeypatch.setenv("ACLED_PASSWORD", "fake-credential")
    monkeypatch.setenv("UCDP_TOKEN", "fake-credential")
    notebook = tmp_path / "07-probe.py"
    notebook.write_text(PROBE, encoding="utf-8")
    forked = Pool(notebooks.kernel_env(ROOT))  # started with the credentials exported
    try:
        html, failure = run_forked(forked, notebooks.Page(notebook), tmp_path)
    finally:
        forked.close()
    assert failure is None, failure
    assert "forked" in html and "clean" in html
