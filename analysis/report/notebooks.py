"""Execute one notebook and export it as a page: the contract between the pipeline and notebooks.

A notebook receives its inputs in one way only: the renderer injects a cell right after the
notebook's ``parameters`` cell (papermill's convention) that sets ``PROCESSED``, the folder of
validated tables it reads, and ``LANG``, the language of the edition being built (``en`` or
``fr``). Markdown cells are translated here, before execution: each heading and paragraph is a
message looked up in the gettext catalogue (``analysis.report.i18n``), so one notebook per topic
serves both editions and no code is written twice. Both cells are removed before export: they
are plumbing, and a page must not depend on where a build ran. In JupyterLab nothing is
injected and the parameters cell's defaults (the project's data/processed, English) apply. The
kernel's environment is built here and passed to the kernel explicitly; the renderer's own
environment is never changed.

Two engines run a notebook, with the same result byte for byte (``tests/test_render.py``):

- ``zygote`` (the default): a child forked from a warm process (``analysis.report.zygote``)
  runs the cells in ipykernel's shell (``analysis.report.worker``) and exports the page;
- ``nbclient``: a fresh kernel per notebook driven by nbclient, the reference.

Each edition of a page is its own job: the same notebook run with another ``LANG``.

The heavy modules (nbclient, nbconvert) are imported where they are used, so the renderer, which
only orchestrates, starts fast.
"""

from __future__ import annotations

import os
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2

from analysis import paths
from analysis.report import i18n, pagescript

if TYPE_CHECKING:
    import nbformat

TEMPLATES = Path(__file__).parent / "templates"
CELL_TIMEOUT = 600
PARAMETERS_TAG = "parameters"
INJECTED_ID = "injected-inputs"


@dataclass(frozen=True)
class Page:
    notebook: Path

    @property
    def name(self) -> str:
        return self.notebook.stem

    @property
    def html_name(self) -> str:
        return f"{self.name}.html"


def edition_href(from_lang: str, to_lang: str, name: str) -> str:
    """The link from a page of one edition to page ``name`` of another (reports/, reports/fr/)."""
    if from_lang == to_lang:
        return name
    up = "../" if i18n.FOLDERS[from_lang] else ""
    folder = i18n.FOLDERS[to_lang]
    return f"{up}{folder}/{name}" if folder else f"{up}{name}"


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


def parameters_index(nb: nbformat.NotebookNode, page: Page) -> int:
    """Position of the cell tagged ``parameters``; every notebook must have exactly one."""
    found = [i for i, cell in enumerate(nb.cells) if is_parameters(cell)]
    if len(found) != 1:
        raise NotebookFailed(
            page,
            f"{page.notebook.name}: needs exactly one cell tagged {PARAMETERS_TAG!r} (found "
            f"{len(found)}); the renderer passes the notebook its inputs after that cell",
        )
    return found[0]


def kernel_env(root: Path) -> dict[str, str]:
    """The kernel's environment: fixed hashing, the house chart style, the checkout's code."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALI_")}
    env.update(
        PYTHONHASHSEED="0",
        MATPLOTLIBRC=str(root / "matplotlibrc"),
        MPLBACKEND="agg",
        SOURCE_DATE_EPOCH=str(paths.source_date_epoch()),
        PYTHONPATH=str(root),
        # No history or profile in the user's home.
        IPYTHONDIR=env.get("IPYTHONDIR", str(root / ".ipython")),
    )
    return env


ENGINES = ("zygote", "nbclient")


class CellFailed(Exception):
    """A cell raised: the exception's type name and message, as a kernel reports them."""

    def __init__(self, ename: str, evalue: str):
        self.ename = ename
        self.evalue = evalue
        super().__init__(f"{ename}: {evalue}")


def prepare(
    page: Page, processed: Path, lang: str = i18n.SOURCE_LANGUAGE
) -> tuple[nbformat.NotebookNode, int]:
    """The notebook in ``lang`` with its inputs injected after its parameters cell, and where
    they are."""
    import nbformat

    nb = load_notebook(page, lang)
    at = parameters_index(nb, page) + 1
    nb.cells.insert(
        at,
        nbformat.v4.new_code_cell(
            f"PROCESSED = {str(processed)!r}\nLANG = {lang!r}", id=INJECTED_ID
        ),
    )
    return nb, at


def untranslated(nb: nbformat.NotebookNode) -> list[str]:
    """Take out the list of messages the catalogue lacked (they were shown in English)."""
    return nb.metadata.pop("untranslated", [])


def strip_inputs(nb: nbformat.NotebookNode, at: int) -> nbformat.NotebookNode:
    """Remove the parameters and injected cells: the page shows content only."""
    del nb.cells[at - 1 : at + 1]
    return nb


def cell_number(nb: nbformat.NotebookNode, index: int) -> int | str:
    """A cell's number as in the notebook file: the injected cell does not count."""
    if nb.cells[index].get("id") == INJECTED_ID:
        return "injected with the inputs"
    return sum(1 for cell in nb.cells[:index] if cell.get("id") != INJECTED_ID)


def execute(
    page: Page,
    processed: Path,
    root: Path = paths.ROOT,
    zygote=None,
    lang: str = i18n.SOURCE_LANGUAGE,
) -> nbformat.NotebookNode:
    """Run a notebook on ``processed`` in a fresh process, building the ``lang`` edition; the
    injected cell is removed after.

    With ``zygote`` (an ``analysis.report.zygote.Zygote``) the notebook runs in a child forked
    from it; without, in a fresh kernel started by nbclient.
    """
    if zygote is None:
        return execute_kernel(page, processed, root, lang)
    nb, failure = run_in_zygote(
        zygote, page, "analysis.report.notebooks:execute_job", processed, lang
    )
    if failure:
        raise NotebookFailed(page, failure)
    return nb


def _run(page: Page, processed: Path, lang: str, progress=None):
    """In a zygote's child: run the notebook's cells. Returns the notebook, where its inputs
    were injected, and the failure message (or None)."""
    from analysis.report import worker

    try:
        nb, at = prepare(page, processed, lang)
    except NotebookFailed as exc:
        return None, 0, str(exc)

    def tell(index: int) -> None:
        if progress:
            progress(cell_number(nb, index))

    nb, failure = worker.run_notebook(nb, str(page.notebook.parent), tell)
    if failure:
        return nb, at, describe_failure(page, nb, CellFailed(*failure))
    return nb, at, None


def execute_job(page: Page, processed: Path, lang: str = i18n.SOURCE_LANGUAGE, progress=None):
    """In a zygote's child: ``(notebook without its inputs, None)`` or ``(None, failure)``."""
    nb, at, failure = _run(page, processed, lang, progress)
    return (None, failure) if failure else (strip_inputs(nb, at), None)


def page_job(
    page: Page,
    processed: Path,
    lang: str,
    key: str,
    nav: list[dict],
    footer: dict,
    progress=None,
):
    """In a zygote's child: run the notebook in ``lang`` and export its page. ``(html, None,
    untranslated messages, run)`` or ``(None, failure, [], None)``; ``run`` is the executed
    notebook (JSON) and the processed files it read, for the renderer to store."""
    import nbformat

    from analysis.report import data

    data.forget_reads()
    nb, at, failure = _run(page, processed, lang, progress)
    if failure:
        return None, failure, [], None
    missing = untranslated(nb)
    nb = strip_inputs(nb, at)
    run = (nbformat.writes(nb), data.reads())
    return export_page(nb, page, key, nav, footer, lang), None, missing, run


def export_job(
    page: Page,
    stored: Path,
    lang: str,
    key: str,
    nav: list[dict],
    footer: dict,
    progress=None,
):
    """In a zygote's child: export the page from a stored run of its notebook (see
    ``analysis.render``): the same result as ``page_job``, without running a cell."""
    import nbformat

    nb = nbformat.reads(stored.read_text(encoding="utf-8"), as_version=4)
    return export_page(nb, page, key, nav, footer, lang)


def titles(pages: list[Page], languages: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """Every page's title (its first level-1 heading) in every language: ``{lang: {name:
    title}}``."""
    return {
        lang: {p.name: page_title(load_notebook(p, lang), p.name) for p in pages}
        for lang in languages
    }


def titles_job(pages: list[Page], languages: tuple[str, ...], progress=None):
    """``titles`` in a zygote's child."""
    return titles(pages, languages)


def run_in_zygote(zygote, page: Page, job: str, *args):
    """Run ``job(page, *args)`` in a child of ``zygote``; process failures name the page."""
    from analysis.report.zygote import RemoteError, WorkerDied

    try:
        return zygote.call(job, page, *args)
    except WorkerDied as exc:
        where = "" if exc.last_progress is None else f" in cell {exc.last_progress}"
        raise NotebookFailed(
            page, f"notebook {page.notebook.name} failed{where}\n  DeadKernelError: {exc}"
        ) from None
    except RemoteError as exc:
        raise NotebookFailed(
            page, f"{page.notebook.name}: {exc.ename}: {exc}\n{exc.remote_traceback}"
        ) from None


def execute_kernel(
    page: Page, processed: Path, root: Path = paths.ROOT, lang: str = i18n.SOURCE_LANGUAGE
) -> nbformat.NotebookNode:
    """Run a notebook on ``processed`` in a fresh kernel (nbclient), building the ``lang``
    edition: the reference engine. ``nb.metadata["untranslated"]`` lists the messages the
    catalogue lacked."""
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb, at = prepare(page, processed, lang)
    # Kernels talk to this process over Unix sockets in a private folder, not TCP: several
    # kernels started at once could otherwise pick the same free port ("Address already in
    # use"), and no port is opened at all.
    with tempfile.TemporaryDirectory(prefix="mali-kernel-") as sockets:
        km = KernelManager(kernel_name="python3", transport="ipc", ip=str(Path(sockets) / "k"))
        client = NotebookClient(
            nb,
            km=km,
            kernel_name="python3",
            timeout=CELL_TIMEOUT,
            resources={"metadata": {"path": str(page.notebook.parent)}},
            allow_errors=False,
            # Kernel warnings (e.g. on shutdown) would be noise in every build log; errors
            # still print.
            extra_arguments=["--IPKernelApp.log_level=ERROR"],
        )
        try:
            client.execute(env=kernel_env(root))
        except CellExecutionError as exc:
            raise NotebookFailed(page, describe_failure(page, nb, exc)) from None
        except Exception as exc:  # kernel died, timeout, ...
            raise NotebookFailed(
                page, f"{page.notebook.name}: {type(exc).__name__}: {exc}"
            ) from None
    # The page shows content only: the same bytes whatever folder the inputs came from.
    return strip_inputs(nb, at)


def describe_failure(page: Page, nb: nbformat.NotebookNode, exc: Exception) -> str:
    """One screen: notebook, cell number and first lines, and the error itself."""
    failed = None
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                failed = cell
    lines = [f"notebook {page.notebook.name} failed"]
    if failed is not None:
        # Numbered as in the notebook file: the injected cell does not count.
        number = [c for c in nb.cells if c.get("id") != INJECTED_ID].index(failed)
        code = failed.source.strip().splitlines()
        lines.append(f"  in cell {number} (code cell starting: {code[0][:80] if code else ''!r})")
    ename = getattr(exc, "ename", "Error")
    evalue = getattr(exc, "evalue", str(exc))
    lines.append(f"  {ename}: {textwrap.shorten(str(evalue), 600)}")
    return "\n".join(lines)


def environment(lang: str = i18n.SOURCE_LANGUAGE) -> jinja2.Environment:
    """Templates in ``lang``: ``{% trans %}`` and ``_()`` read the catalogue, ``L`` formats
    numbers and dates (``L.range``, ``L.date``, ``L.month``)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
    )
    # Whitespace inside {% trans %} blocks is the template's layout, not the message's.
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_translations(i18n.translations(lang), newstyle=True)
    env.globals.update(
        css=(TEMPLATES / "style.css").read_text(encoding="utf-8"),
        L=i18n.get(lang),
        lang=lang,
        languages=[(code, i18n.NATIVE_NAMES[code]) for code in i18n.LANGUAGES],
        edition_href=lambda to_lang, name: edition_href(lang, to_lang, name),
    )
    env.globals.update(pagescript.template_globals())
    return env


def page_title(nb: nbformat.NotebookNode, fallback: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback


_EXPORTER = None


def exporter():
    """The HTML exporter, made once per process. nbconvert loads its templates per exporter and
    its Markdown renderer and highlighter on first use: a zygote warms one up (``warm_up``) and
    every child it forks converts with that one."""
    global _EXPORTER
    if _EXPORTER is None:
        from nbconvert import HTMLExporter

        _EXPORTER = HTMLExporter(
            template_name="basic",
            exclude_input=True,
            exclude_input_prompt=True,
            exclude_output_prompt=True,
        )
    return _EXPORTER


# One tiny notebook in the project's own format, with each kind of content the pages hold.
_WARM_UP = """\
# %% [markdown]
# # Warm-up
#
# | a | b |
# |---|---|
# | *1* | [2](https://example.org) |

# %%
print("x")
"""
_PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5E"
    "rkJggg=="
)


def warm_up() -> None:
    """Read and convert a tiny notebook once, so that a zygote's children find jupytext, the
    exporter's templates, the Markdown renderer and the highlighter ready (about 0.8 s each
    otherwise). Nothing of it reaches a page: the exporter keeps no state between conversions
    (the engines' byte-identity test would show it)."""
    import jupytext
    import nbformat

    nb = jupytext.reads(_WARM_UP, fmt="py:percent")
    nb.cells[1].outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="x\n"),
        nbformat.v4.new_output(
            "display_data",
            data={"image/png": _PNG, "text/html": "<b>x</b>", "text/plain": "x"},
        ),
    ]
    exporter().from_notebook_node(nb, resources={"metadata": {"name": "warm-up"}})


def export_page(
    nb: nbformat.NotebookNode,
    page: Page,
    key: str,
    nav: list[dict],
    footer: dict,
    lang: str = i18n.SOURCE_LANGUAGE,
) -> str:
    untranslated(nb)  # build metadata, not content
    body, _ = exporter().from_notebook_node(nb, resources={"metadata": {"name": page.name}})
    return (
        environment(lang)
        .get_template("page.html.j2")
        .render(
            title=page_title(nb, page.name),
            body=body,
            key=key,
            nav=nav,
            current=page.html_name,
            footer=footer,
        )
    )
