"""Execute one notebook and export it as a page: the contract between the pipeline and notebooks.

A notebook receives its inputs in one way only: the renderer injects a cell right after the
notebook's ``parameters`` cell (papermill's convention) that sets ``PROCESSED``, the folder of
validated tables it reads, and ``LANG``, the language of the edition being built (``en`` or
``fr``). Markdown cells are translated here, before execution: each heading and paragraph is a
message looked up in the gettext catalogue (``analysis.report.i18n``), so one notebook per topic
serves both editions and no code is written twice. Both injected cells are removed before
export: they are plumbing, and a page must not depend on where a build ran. In JupyterLab
nothing is injected and the parameters cell's defaults (the project's data/processed, English)
apply. The kernel's environment is built here and
passed to the kernel explicitly; the renderer's own environment is never changed.
"""

from __future__ import annotations

import os
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path

import jinja2
import jupytext
import nbformat
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbconvert import HTMLExporter

from analysis import paths
from analysis.report import i18n

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
    nb = jupytext.read(page.notebook, fmt="py:percent")
    locale = i18n.get(lang)
    untranslated: list[str] = []
    for cell in nb.cells:
        if cell.cell_type == "markdown" and lang != i18n.SOURCE_LANGUAGE:
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


def execute(
    page: Page, processed: Path, root: Path = paths.ROOT, lang: str = i18n.SOURCE_LANGUAGE
) -> nbformat.NotebookNode:
    """Run a notebook on ``processed`` in a fresh kernel, building the ``lang`` edition; the
    injected cell is removed after."""
    nb = load_notebook(page, lang)
    at = parameters_index(nb, page) + 1
    nb.cells.insert(
        at,
        nbformat.v4.new_code_cell(
            f"PROCESSED = {str(processed)!r}\nLANG = {lang!r}", id=INJECTED_ID
        ),
    )
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
    del nb.cells[at - 1 : at + 1]
    return nb


def describe_failure(page: Page, nb: nbformat.NotebookNode, exc: CellExecutionError) -> str:
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
    return env


def page_title(nb: nbformat.NotebookNode, fallback: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback


def export_page(
    nb: nbformat.NotebookNode,
    page: Page,
    key: str,
    nav: list[dict],
    footer: dict,
    lang: str = i18n.SOURCE_LANGUAGE,
) -> str:
    exporter = HTMLExporter(
        template_name="basic",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": page.name}})
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
