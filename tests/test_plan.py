"""The build's decisions, as unit tests: the planner (analysis.plan) and the keys it compares
(analysis.keys), on small trees in a temporary folder. No notebook runs here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analysis import keys, plan, render
from analysis.plan import EXPORT, KEEP, RUN, Have, Want
from tests.conftest import ROOT

PAGE = Want("run-1", "export-1")
EXTRA = Want("extras-1", "extras-1")
WRITTEN = Have(stored_run="run-1", recorded_key="export-1", recorded_sha="a", actual_sha="a")


def test_a_current_file_is_kept():
    assert plan.decide(PAGE, WRITTEN).action == KEEP


@pytest.mark.parametrize(
    ("have", "action", "why"),
    [
        (Have("run-1", "export-1", "a", None), EXPORT, "missing"),
        (Have("run-1", "export-1", "a", "b"), EXPORT, "changed after"),
        (Have("run-1", "export-0", "a", "a"), EXPORT, "inputs changed"),
        (Have("run-1", None, None, "a"), EXPORT, "no record"),
        (Have("run-0", "export-0", "a", "a"), RUN, "out of date"),
        (Have(None, "export-1", "a", None), RUN, "missing"),
        (Have(), RUN, "missing"),
    ],
)
def test_a_page_is_exported_from_a_current_run_and_run_otherwise(have, action, why):
    decision = plan.decide(PAGE, have)
    assert decision.action == action
    assert why in decision.reason


def test_an_output_without_a_stored_run_is_built_again():
    # The index or a processed table: no intermediate, so anything but current means run.
    assert plan.decide(EXTRA, Have(None, "extras-1", "a", "a")).action == KEEP
    assert plan.decide(EXTRA, Have(None, "extras-1", "a", None)).action == RUN
    assert plan.decide(EXTRA, Have(None, "extras-0", "a", "a")).action == RUN


def test_a_job_takes_the_strongest_action_of_its_outputs():
    keep, export, run = (plan.decide(PAGE, have) for have in (WRITTEN, Have("run-1"), Have()))
    assert plan.strongest([keep, export, keep]) == EXPORT
    assert plan.strongest([keep, run, export]) == RUN
    assert plan.strongest([keep]) == KEEP and plan.strongest([]) == KEEP
    lines = plan.explain({"b.html": export, "a.html": keep})
    assert len(lines) == 2 and lines[0].split()[:2] == ["a.html", "keep"]


# ------------------------------------------------------------------------------- the keys


NOTEBOOK = """\
# %% [markdown]
# # A title

# %% tags=["parameters"]
PROCESSED = None
LANG = "en"
TABLES = ["incidents", "manifest"]

# %%
%matplotlib inline
from analysis.report import charts

# %% [markdown]
# Some words.
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A tiny project: a package with reached and unreached modules, a catalogue, templates."""
    files = {
        "analysis/__init__.py": "",
        "analysis/report/__init__.py": "",
        "analysis/report/charts.py": "from analysis.report.i18n import _\n",
        "analysis/report/i18n.py": "def f():\n    from analysis import vocab\n",
        "analysis/report/locale/fr/LC_MESSAGES/messages.po": 'msgid "a"\n',
        "analysis/report/templates/page.html.j2": "<html>",
        "analysis/report/other.py": "",
        "analysis/report/notebooks.py": "",
        "analysis/report/warm.py": "",
        "analysis/report/pages.py": "from analysis.report import i18n\n",
        "analysis/vocab.py": "",
        "analysis/clean.py": "from analysis.pipeline import derive\n",
        "analysis/pipeline/__init__.py": "",
        "analysis/pipeline/derive.py": "",
        "data/raw/incidents.csv": "id\n1\n",
        "data/hand/regions.csv": "r\n",
        "data/RELEASES.md": "v1\n",
        "uv.lock": "lock",
        "matplotlibrc": "svg.hashsalt: x",
        "notebooks/01-a.py": NOTEBOOK,
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


TABLES = {"incidents": "i1", "claims": "c1", "manifest": "m1"}


def keys_of(project: Path, tables=TABLES, lang="en") -> tuple[str, str]:
    nb = keys.Notebook(project, project / "notebooks" / "01-a.py")
    run = keys.run_key(project, nb, lang, tables)
    return run, keys.export_key(run, nb, keys.shared_export(project, [nb], {"footer": 1}))


def test_cells_and_declared_tables_are_read_from_the_notebook(project):
    code, markdown = keys.split_cells(NOTEBOOK)
    assert "TABLES" in code and "charts" in code and "A title" not in code
    assert "A title" in markdown and "Some words" in markdown and "import" not in markdown
    assert keys.declared_tables(code) == ("incidents", "manifest")
    assert keys.declared_tables("PROCESSED = None\n") is None


def test_reachable_code_follows_imports_to_the_catalogue(project):
    reached = keys.reachable(project, "%matplotlib inline\nfrom analysis.report import charts\n")
    assert reached == [
        "analysis/__init__.py",
        "analysis/report/__init__.py",
        "analysis/report/charts.py",
        "analysis/report/i18n.py",
        "analysis/report/locale/fr/LC_MESSAGES/messages.po",
        "analysis/vocab.py",  # imported inside a function
    ]


@pytest.mark.parametrize(
    ("path", "old", "new", "runs"),
    [
        ("notebooks/01-a.py", "from analysis", "x = 1\nfrom analysis", True),  # code cell
        ("notebooks/01-a.py", "Some words.", "Other words.", False),  # markdown: export only
        ("analysis/vocab.py", "", "A = 1\n", True),  # reached through i18n
        ("analysis/report/locale/fr/LC_MESSAGES/messages.po", "a", "b", True),
        ("uv.lock", "lock", "lock2", True),
        ("matplotlibrc", "x", "y", True),
        ("analysis/report/notebooks.py", "", "# runs notebooks\n", True),
        ("analysis/report/templates/page.html.j2", "<html>", "<html lang>", False),
        ("analysis/report/pages.py", "from", "# x\nfrom", False),
    ],
)
def test_what_runs_a_notebook_again_and_what_only_exports_it(project, path, old, new, runs):
    before = keys_of(project)
    target = project / path
    target.write_text(target.read_text().replace(old, new, 1) if old else new)
    after = keys_of(project)
    assert (before[0] != after[0]) is runs
    assert before[1] != after[1]  # the page is written again either way


def test_a_new_title_exports_every_page_other_words_only_their_own(project):
    other = project / "notebooks" / "02-b.py"
    other.write_text(NOTEBOOK.replace("A title", "Another title"))

    def export_keys():
        notebooks = [keys.Notebook(project, p) for p in sorted(project.glob("notebooks/*.py"))]
        shared = keys.shared_export(project, notebooks, {})
        return [keys.export_key("run", nb, shared) for nb in notebooks]

    first, second = export_keys()
    edit(other, "Some words.", "Other words.")
    assert export_keys()[0] == first and export_keys()[1] != second
    edit(other, "Another title", "A new title")
    assert export_keys()[0] != first


def test_unreached_code_and_undeclared_tables_change_nothing(project):
    before = keys_of(project)
    (project / "analysis/report/other.py").write_text("B = 2\n")
    (project / "analysis/pipeline/derive.py").write_text("C = 3\n")
    assert keys_of(project, {**TABLES, "claims": "c2"}) == before
    assert keys_of(project, {**TABLES, "incidents": "i2"})[0] != before[0]
    assert keys_of(project, lang="fr")[0] != before[0]


def test_a_notebook_without_tables_depends_on_every_table(project):
    edit(project / "notebooks/01-a.py", 'TABLES = ["incidents", "manifest"]\n', "")
    assert keys_of(project, {**TABLES, "claims": "c2"})[0] != keys_of(project)[0]


def test_data_key_covers_inputs_added_removed_changed_and_pipeline_code(project):
    seen = {keys.data_key(project)}
    (project / "data/raw/acled").mkdir()
    assert keys.data_key(project) in seen  # an empty folder is no input
    steps = [
        lambda: (project / "data/raw/acled/export.csv").write_text("a\n"),
        lambda: edit(project / "data/raw/incidents.csv", "1", "2"),
        lambda: (project / "data/raw/acled/export.csv").unlink(),
        lambda: edit(project / "data/hand/regions.csv", "r", "s"),
        lambda: (project / "analysis/pipeline/derive.py").write_text("D = 4\n"),
        lambda: edit(project / "uv.lock", "lock", "other"),
    ]
    for i, step in enumerate(steps):
        step()
        seen.add(keys.data_key(project))
        assert len(seen) == i + 2
    (project / "analysis/report/charts.py").write_text("E = 5\n")
    assert keys.data_key(project) in seen


def test_extras_depend_on_the_build_date_methodology_and_every_table(project, monkeypatch):
    def key():
        return keys.extras_key(project, "en", "shared", TABLES)

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    seen = {key()}
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000001")
    seen.add(key())
    (project / "METHODOLOGY.md").write_text("How.\n")
    seen.add(key())
    seen.add(keys.extras_key(project, "en", "shared", {**TABLES, "claims": "c2"}))
    seen.add(keys.extras_key(project, "fr", "shared", TABLES))
    assert len(seen) == 5


# ------------------------------------------------------------ every output, on the real tree


def processed_stub(folder: Path, names: list[str]) -> Path:
    folder.mkdir(parents=True)
    outputs = {}
    for name in names:
        (folder / name).write_bytes(name.encode())
        outputs[name] = {"sha256": keys.file_sha(folder / name), "bytes": len(name)}
    record = {"inputs": {}, "outputs": outputs, "versions": {}, "exports": {}}
    (folder / "manifest.json").write_text(json.dumps(record))
    return folder


def test_every_page_index_appendix_methodology_and_csv_of_both_editions_is_planned(tmp_path):
    processed = processed_stub(tmp_path / "processed", ["incidents.parquet", "claims.parquet"])
    build = render.Build(
        ROOT, processed, tmp_path / "reports", render.State(ROOT, None), ("en", "fr")
    )
    notebooks = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]-*.py"))
    expected = {
        f"{folder}{name}"
        for folder in ("", "fr/")
        for name in [*(f"{n}.html" for n in notebooks), *render.EXTRAS]
    }
    planned = {str(p.relative_to(tmp_path / "reports")) for p in build.decisions}
    assert planned == expected
    assert all(d.action == RUN for d in build.decisions.values())  # nothing on record
    assert len(build.todo) == 2 * (len(notebooks) + 1)  # the pages and extras of each edition
    assert all(job.action == RUN for job in build.todo)


def test_every_processed_file_is_planned_and_a_deleted_one_reruns_the_data_step(tmp_path):
    processed = processed_stub(tmp_path / "processed", ["a.parquet", "b.csv", "c.db"])
    state = render.State(tmp_path, tmp_path / ".make")
    (tmp_path / ".make").mkdir()
    key = keys.data_key(tmp_path)
    for path in render.data_outputs(processed):
        state.wrote(path, key)
    decisions = render.plan_data(tmp_path, processed, render.State(tmp_path, tmp_path / ".make"))
    assert len(decisions) == 4 and all(d.action == KEEP for d in decisions.values())
    for name in ("c.db", "manifest.json"):
        (processed / name).unlink()
        decisions = render.plan_data(tmp_path, processed, state)
        assert decisions[processed / name].action == RUN
