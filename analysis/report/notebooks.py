"""One notebook's run in a forked child: what a notebook gets and gives back.

A notebook gets its inputs at the end of its ``parameters`` cell: ``PROCESSED`` (the folder of
validated tables) and ``LANG`` (the edition). Its markdown is translated through the catalogue
before it runs; the parameters cell never reaches the page. Its process gets an allow-listed
environment (``kernel_env``), never the user's whole one. ``analysis.render`` calls ``run_page``
(or ``export_stored``) in a child of the fork server (``analysis.report.pool``). The cells run
in ipykernel's own in-process kernel, a new one in each child, and nbclient makes the cells'
outputs from its messages: docs/architecture.md ("Running notebooks") says how, and what differs
from a kernel in a process of its own.
"""

from __future__ import annotations

import asyncio
import contextvars
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
    """A notebook the build cannot run; the message says where and why, on one screen."""


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
    numbers = iter(range(len(nb.cells)))
    for cell in nb.cells:
        cell["id"] = PARAMETERS_TAG if is_parameters(cell) else f"cell-{next(numbers):03d}"
    nb.metadata["kernelspec"] = dict(name="python3", display_name="Python 3", language="python")
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


def prepare(page: Page, processed: Path, lang: str = i18n.SOURCE_LANGUAGE) -> nbformat.NotebookNode:
    """The notebook in ``lang``, its inputs appended to the code of its parameters cell (every
    notebook has exactly one)."""
    nb = load_notebook(page, lang)
    found = [cell for cell in nb.cells if is_parameters(cell)]
    if len(found) != 1:
        raise NotebookFailed(
            f"needs exactly one cell tagged {PARAMETERS_TAG!r} (found {len(found)}); the "
            "renderer passes the notebook its inputs in that cell"
        )
    found[0].source += f"\nPROCESSED = {str(processed)!r}\nLANG = {lang!r}\n{DECLARE}"
    return nb


def execute(nb: nbformat.NotebookNode, cwd: str, progress=None) -> tuple[int, str, str] | None:
    """Run every code cell of ``nb`` in a new in-process kernel, in ``cwd``, as nbclient would:
    outputs go into ``nb``; it stops at the first failing cell (nbclient's default) and returns
    ``(its index, ename, evalue)``. ``progress`` is told each cell's index before it runs."""
    from ipykernel.inprocess.manager import InProcessKernelManager
    from jupyter_core.utils import ensure_event_loop
    from nbclient import NotebookClient
    from traitlets.config import Config

    os.chdir(cwd)
    # A kernel runs every cell in one context, so a context variable set by a cell (the
    # edition's language, analysis.report.i18n) holds in the next; the in-process kernel runs
    # each cell in a new task of this loop, which would get a copy: each gets this one.
    context = contextvars.copy_context()
    ensure_event_loop().set_task_factory(
        lambda loop, coro, **_: asyncio.Task(coro, loop=loop, context=context)
    )
    # No history database: it would start a writer thread and write a file.
    manager = InProcessKernelManager(config=Config(HistoryManager={"enabled": False}))
    manager.start_kernel()
    kernel = manager.client()
    kernel.start_channels()
    kernel.kernel_info()  # what nbclient records from the kernel's reply
    nb.metadata["language_info"] = kernel.get_shell_msg()["content"]["language_info"]
    client = NotebookClient(nb, record_timing=False)
    client.reset_execution_trackers()
    for index, cell in enumerate(nb.cells):
        skip = client.skip_cells_with_tag in cell.metadata.get("tags", [])
        if cell.cell_type != "code" or not cell.source.strip() or skip:
            continue
        if progress:
            progress(index)
        cell.outputs, client.clear_before_next_output = [], False
        request = kernel.execute(cell.source)  # returns once the cell has run
        reply = kernel.get_shell_msg()["content"]
        while True:  # its messages, up to the kernel's "idle" for this request
            msg = kernel.get_iopub_msg()
            idle = msg["content"].get("execution_state") == "idle"
            if idle and msg["parent_header"].get("msg_id") == request:
                break
            if msg["msg_type"] != "status":
                client.process_message(msg, cell, index)
        if reply["status"] != "ok":
            return index, reply["ename"], reply["evalue"]
    return None


def run_page(page: Page, processed: Path, lang: str, key, nav, footer, progress=None):
    """In a forked child: run the notebook in ``lang`` and export its page: ``(html,
    untranslated messages, executed notebook as JSON)``. A failing cell raises
    ``NotebookFailed``, naming it and the error on one screen."""
    import nbformat

    from analysis.report.pages import export_page

    nb = prepare(page, processed, lang)
    failure = execute(nb, str(page.notebook.parent), progress)
    if failure:
        index, ename, evalue = failure
        code = nb.cells[index].source.strip().splitlines() or [""]
        raise NotebookFailed(
            f"in cell {index} (code cell starting: {code[0][:80]!r})\n"
            f"  {ename}: {textwrap.shorten(str(evalue), 600)}"
        )
    missing = nb.metadata.pop("untranslated")  # build metadata, not content
    nb.cells = [cell for cell in nb.cells if not is_parameters(cell)]  # content only
    return export_page(nb, page, key, nav, footer, lang), missing, nbformat.writes(nb)


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
    for cell, done in zip(code, ran, strict=True):  # the same code cells: the run key says so
        cell.outputs, cell.execution_count = done.outputs, done.execution_count
    nb.metadata["language_info"] = run.metadata.get("language_info", {})
    missing = nb.metadata.pop("untranslated")
    return export_page(nb, page, key, nav, footer, lang), missing, None
