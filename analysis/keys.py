"""Build keys: hashes of what each output depends on (docs/architecture.md, "Keys").

Reads files, never imports the code it hashes, and stays cheap: a build with nothing to do
computes every key in a fraction of a second. ``analysis.plan`` compares the keys with what is
stored.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from functools import lru_cache
from pathlib import Path

from analysis import paths

# Files read at run time by a module, besides its code: the message catalogues.
PACKAGE_DATA = {"analysis/report/i18n.py": ("analysis/report/locale",)}
# What shapes a page's file but not a notebook's run.
TEMPLATES = "analysis/report/templates"
# The modules that run a notebook (a change to them runs every notebook again).
RUNNERS = "from analysis.report import notebooks, warm"
# The code that builds an edition's index, appendix, methodology and incident table.
EXTRAS_CODE = "from analysis.report import briefing, export, pages, data"
DATA_CODE = "import analysis.clean"
# The data step's inputs (anything a user drops into acled/ or ucdp/ counts).
DATA_INPUTS = (
    "data/raw/*.csv",
    "data/raw/geo/*.csv",
    "data/hand/*.csv",
    "data/raw/acled/*",
    "data/raw/ucdp/*",
    "data/RELEASES.md",
)
TOOLCHAIN = ("uv.lock", "matplotlibrc")
_CELL = re.compile(r"^(?=# %%)", re.MULTILINE)  # where each cell starts
_IMPORT = re.compile(
    r"^[ \t]*(?:from[ \t]+([\w.]+)[ \t]+import[ \t]+(\([^)]*\)|[^\n]*)|import[ \t]+([^\n]+))",
    re.MULTILINE,
)
_TITLE = re.compile(r"^# # (.*)$", re.MULTILINE)  # a page's title: its first level-1 heading
_TABLES = re.compile(r"^TABLES\s*=\s*(\[.*\])\s*(?:#.*)?$", re.MULTILINE)


def digest(*parts: object) -> str:
    """One hash of JSON-able parts."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def file_sha(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def files_sha(root: Path, names) -> dict[str, str | None]:
    return {name: file_sha(root / name) for name in sorted({str(n) for n in names})}


def split_cells(text: str) -> tuple[str, str]:
    """A jupytext percent notebook's code cells and its other cells (markdown, raw), each
    joined with their headers. Parsed here rather than with jupytext, whose import alone
    costs more than a whole build with nothing to do."""
    code, other = [], []
    for cell in _CELL.split(text)[1:]:  # what precedes the first cell is none of them
        header = cell.partition("\n")[0]
        (other if "[markdown]" in header or "[raw]" in header else code).append(cell)
    return "".join(code), "".join(other)


def declared_tables(code: str) -> tuple[str, ...] | None:
    """The processed tables a notebook reads, from ``TABLES = [...]`` in its parameters cell
    (file stems: ``incidents``, ``manifest``); None when it declares none (then every table
    counts)."""
    match = _TABLES.search(code)
    return None if match is None else tuple(ast.literal_eval(match.group(1)))


@lru_cache(maxsize=4096)  # by content: an edited file is parsed again
def _imports(source: str) -> frozenset[str]:
    """Module names a source may import, anywhere in it. A pattern rather than a parse: it is
    many times faster, and a false match (an import-like line in a string) only adds a file
    to a key."""
    found = set()
    for module, names, plain in _IMPORT.findall(source):
        listed = re.sub(r"#.*", "", names or plain).strip("()").split(",")
        parts = [part.split()[0] for part in listed if part.strip()]
        found.update(parts if plain else [module, *(f"{module}.{part}" for part in parts)])
    return frozenset(found)


@lru_cache(maxsize=4096)  # a build asks the same names many times
def _module_file(root: Path, name: str) -> Path | None:
    base = root.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def reachable(root: Path, source: str) -> list[str]:
    """The project's files a source can reach through imports (transitively, parent packages
    included), and the data files those modules read (``PACKAGE_DATA``); paths under root."""
    seen: set[Path] = set()
    todo = [source]
    while todo:
        for name in _imports(todo.pop()):
            if not name.startswith("analysis"):
                continue
            parts = name.split(".")
            for i in range(1, len(parts) + 1):
                path = _module_file(root, ".".join(parts[:i]))
                if path is not None and path not in seen:
                    seen.add(path)
                    todo.append(path.read_text(encoding="utf-8"))
    names = {str(p.relative_to(root)) for p in seen}
    for module in sorted(names):
        for folder in PACKAGE_DATA.get(module, ()):
            names.update(str(p.relative_to(root)) for p in (root / folder).rglob("*.po*"))
    return sorted(names)


def data_key(root: Path) -> str:
    """What every file of data/processed depends on: the data step's code, every input and the
    lock file."""
    inputs = [p.relative_to(root) for pattern in DATA_INPUTS for p in root.glob(pattern)]
    code = reachable(root, DATA_CODE)
    return digest("data", files_sha(root, [*code, *inputs, "uv.lock"]))


def table_hashes(processed: Path) -> dict[str, str]:
    """Every processed table's hash by stem (``incidents``), from the manifest, and the
    manifest's own (``manifest``)."""
    raw = (processed / "manifest.json").read_bytes()
    outputs = json.loads(raw)["outputs"]
    hashes = {name.rsplit(".", 1)[0]: meta["sha256"] for name, meta in outputs.items()}
    return {**hashes, "manifest": hashlib.sha256(raw).hexdigest()}


class Notebook:
    """One notebook's parts as the keys see them."""

    def __init__(self, root: Path, path: Path):
        self.name = path.stem
        self.code, self.markdown = split_cells(path.read_text(encoding="utf-8"))
        self.tables = declared_tables(self.code)
        title = _TITLE.search(self.markdown)
        self.title = title.group(1) if title else None
        self.reaches = reachable(root, self.code)


def run_key(root: Path, nb: Notebook, lang: str, tables: dict[str, str]) -> str:
    """A notebook's run: its code cells, the language, the code it reaches and the code that
    runs it, the lock file and chart style, and the tables it declares (all when none)."""
    read = sorted(tables) if nb.tables is None else nb.tables
    code = [*nb.reaches, *reachable(root, RUNNERS), *TOOLCHAIN]
    return digest(
        "run", nb.code, lang, files_sha(root, code), {name: tables.get(name) for name in read}
    )


def shared_export(root: Path, notebooks: list[Notebook], footer: dict) -> str:
    """What every page of an edition shows besides its own notebook: the templates, the
    navigation (every notebook's name and title, the catalogue) and the footer."""
    nav = [(nb.name, nb.title) for nb in notebooks]
    templates = [p.relative_to(root) for p in (root / TEMPLATES).rglob("*") if p.is_file()]
    code = [*templates, *reachable(root, "import analysis.report.pages")]
    return digest("shared", files_sha(root, code), nav, footer)


def export_key(run: str, nb: Notebook, shared: str) -> str:
    return digest("export", run, nb.markdown, shared)


def extras_key(root: Path, lang: str, shared: str, tables: dict[str, str]) -> str:
    """An edition's index, appendix, methodology and incident table: their code, the
    methodology texts, every table, the build date and what the pages share."""
    code = [*reachable(root, EXTRAS_CODE), *(p.name for p in root.glob("METHODOLOGY*.md"))]
    return digest("extras", lang, shared, files_sha(root, code), tables, paths.source_date_epoch())
