"""One notebook's run in a forked child, and what a notebook gets and gives back.

A notebook gets its inputs in a cell injected after its ``parameters`` cell: ``PROCESSED`` (the
folder of validated tables) and ``LANG`` (the edition). Its markdown is translated through the
catalogue before it runs; both cells are removed before export. Its process gets an
allow-listed environment (``kernel_env``), never the user's whole one. ``analysis.render``
calls ``run_page`` (or ``export_stored``) in a child forked from the warm fork server
(``analysis.report.pool``); ``analysis.report.worker`` runs the cells. docs/architecture.md
explains the build.
"""

from __future__ import annotations

import os
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from analysis import paths
from analysis.report import i18n

if TYPE_CHECKING:
    import nbformat

CELL_TIMEOUT = 600
PARAMETERS_TAG = "parameters"
INJECTED_ID = "injected-inputs"
# What a notebook's process sees of the user's environment: nothing else (no credentials).
ALLOWED = {"PATH", "HOME", "TMPDIR", "LANG", "LANGUAGE", "TZ", "TERM", "USER", "LOGNAME"}
ALLOWED_PREFIXES = ("LC_", "MALI_")
# Native thread pools (BLAS, OpenMP, Arrow, Arrow's allocator) start no threads in the process
# that forks the children: a fork copies only the thread that called it.
THREADS = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "ARROW_IO_THREADS": "1",
    "JE_ARROW_MALLOC_CONF": "background_thread:false",
    # The kernel's debugger support (debugpy), imported by the fork server, would otherwise
    # warn on stderr that Python's frozen modules are in use.
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",
}


@dataclass(frozen=True)
class Page:
    notebook: Path

    @property
    def name(self) -> str:
        return self.notebook.stem

    @property
    def html_name(self) -> str:
        return f"{self.name}.html"


def discover(notebooks_dir: Path) -> list[Page]:
    """Notebooks named NN-topic.py, in data-flow order."""
    return [Page(p) for p in sorted(notebooks_dir.glob("[0-9][0-9]-*.py"))]


class NotebookFailed(Exception):
    def __init__(self, page: Page, message: str):
        self.page = page
        super().__init__(message)


def is_parameters(cell: nbformat.NotebookNode) -> bool:
    return PARAMETERS_TAG in cell.get("metadata", {}).get("tags", [])


def load_notebook(page: Page, lang: str = i18n.SOURCE_LANGUAGE) -> nbformat.NotebookNode:
    """The notebook with fixed cell ids and its markdown in ``lang``; messages the catalogue
    lacks stay in English and are listed in ``nb.metadata["untranslated"]``."""
    import jupytext

    nb = jupytext.read(page.notebook, fmt="py:percent")
    untranslated: list[str] = []
    if lang != i18n.SOURCE_LANGUAGE:
        locale = i18n.get(lang)
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                cell.source, missing = i18n.translate_markdown(cell.source, locale)
                untranslated += missing
    nb.metadata["untranslated"] = untranslated
    # Random cell ids would reach the HTML and break byte-identical rebuilds. The parameters
    # cell is plumbing, not content: it is numbered apart and never reaches the page.
    content = (c for c in nb.cells if not is_parameters(c))
    for i, cell in enumerate(content):
        cell["id"] = f"cell-{i:03d}"
    for cell in nb.cells:
        if is_parameters(cell):
            cell["id"] = PARAMETERS_TAG
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


def kernel_env(root: Path) -> dict[str, str]:
    """A notebook process's environment: the allow-listed variables, fixed hashing, the house
    chart style, the checkout's code, one thread per native pool."""
    env = {k: v for k, v in os.environ.items() if k in ALLOWED or k.startswith(ALLOWED_PREFIXES)}
    env.update(
        THREADS,
        PYTHONHASHSEED="0",
        MATPLOTLIBRC=str(root / "matplotlibrc"),
        MPLBACKEND="agg",
        SOURCE_DATE_EPOCH=str(paths.source_date_epoch()),
        PYTHONPATH=str(root),
        # No history or profile in the user's home.
        IPYTHONDIR=os.environ.get("IPYTHONDIR", str(root / ".ipython")),
    )
    return env


# A build holds a notebook to the tables it declares (``analysis.report.data.DECLARED``).
DECLARE = (
    "if 'TABLES' in globals():\n"
    "    import analysis.report.data as _data\n\n"
    "    _data.DECLARED = tuple(TABLES)"
)


def prepare(
    page: Page, processed: Path, lang: str = i18n.SOURCE_LANGUAGE
) -> tuple[nbformat.NotebookNode, int]:
    """The notebook in ``lang`` with its inputs injected after its parameters cell (every
    notebook has exactly one), and where they are."""
    import nbformat

    nb = load_notebook(page, lang)
    found = [i for i, cell in enumerate(nb.cells) if is_parameters(cell)]
    if len(found) != 1:
        raise NotebookFailed(
            page,
            f"{page.notebook.name}: needs exactly one cell tagged {PARAMETERS_TAG!r} (found "
            f"{len(found)}); the renderer passes the notebook its inputs after that cell",
        )
    inputs = f"PROCESSED = {str(processed)!r}\nLANG = {lang!r}\n{DECLARE}"
    nb.cells.insert(found[0] + 1, nbformat.v4.new_code_cell(inputs, id=INJECTED_ID))
    return nb, found[0] + 1


def untranslated(nb: nbformat.NotebookNode) -> list[str]:
    """Take out the list of messages the catalogue lacked (they were shown in English)."""
    return nb.metadata.pop("untranslated", [])


def cell_number(nb: nbformat.NotebookNode, index: int) -> int | str:
    """A cell's number as in the notebook file: the injected cell does not count."""
    if nb.cells[index].get("id") == INJECTED_ID:
        return "injected with the inputs"
    return sum(1 for cell in nb.cells[:index] if cell.get("id") != INJECTED_ID)


def describe_failure(page: Page, nb: nbformat.NotebookNode, index: int, ename, evalue) -> str:
    """One screen: notebook, cell number and first line, and the error itself."""
    code = nb.cells[index].source.strip().splitlines()
    return (
        f"notebook {page.notebook.name} failed\n"
        f"  in cell {cell_number(nb, index)} (code cell starting: {code[0][:80] if code else ''!r})"
        f"\n  {ename}: {textwrap.shorten(str(evalue), 600)}"
    )


def run_page(page: Page, processed: Path, lang: str, key, nav, footer, progress=None):
    """In a forked child: run the notebook in ``lang`` and export its page. ``(html, None,
    untranslated messages, executed notebook as JSON)`` or ``(None, failure, [], None)``;
    ``progress`` is told the number of each cell before it runs."""
    import nbformat

    from analysis.report import worker
    from analysis.report.pages import export_page

    try:
        nb, at = prepare(page, processed, lang)
    except NotebookFailed as exc:
        return None, str(exc), [], None
    tell = (lambda index: progress(cell_number(nb, index))) if progress else None
    nb, failure = worker.run_notebook(nb, str(page.notebook.parent), tell)
    if failure:
        return None, describe_failure(page, nb, *failure), [], None
    missing = untranslated(nb)
    del nb.cells[at - 1 : at + 1]  # the parameters and the inputs: the page shows content only
    return export_page(nb, page, key, nav, footer, lang), None, missing, nbformat.writes(nb)


def export_stored(page: Page, stored: str, lang: str, key, nav, footer, progress=None):
    """In a forked child: the page from a stored run (JSON) whose code cells are the
    notebook's: its outputs in the notebook as it is now (text, translation, cell ids).
    As ``run_page`` returns it, without the run."""
    import nbformat

    from analysis.report.pages import export_page

    nb = load_notebook(page, lang)
    nb.cells = [cell for cell in nb.cells if not is_parameters(cell)]
    run = nbformat.reads(stored, as_version=4)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    ran = [cell for cell in run.cells if cell.cell_type == "code"]
    if len(code) != len(ran):
        raise ValueError(f"{page.notebook.name}: the stored run has other code cells")
    for cell, done in zip(code, ran, strict=True):
        cell.outputs, cell.execution_count = done.outputs, done.execution_count
    nb.metadata["language_info"] = run.metadata.get("language_info", {})
    missing = untranslated(nb)
    return export_page(nb, page, key, nav, footer, lang), None, missing, None
