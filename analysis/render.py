"""Execute the notebooks and export them, with the index page, as self-contained HTML.

Run as ``python -m analysis.render`` (``make report`` does). All notebooks run from this one
process, each in its own kernel, in parallel: that avoids paying ``jupyter nbconvert``'s start-up
cost once per notebook. The build is incremental and reproducible:

- each page carries a build key (a hash of its notebook, the processed data, the package code,
  the templates, the chart style and the lock file) in a ``<meta>`` tag; a page whose key matches
  is not executed again;
- cell ids are fixed, the kernel gets ``PYTHONHASHSEED=0`` and the house ``matplotlibrc``, charts
  are PNGs without timestamps, and nothing in a page depends on the clock, so two builds from the
  same inputs give the same bytes;
- pages are written atomically; a notebook that fails leaves its previous page in place, the
  index is not rewritten, and the exit status is non-zero with the notebook and cell named.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import os
import re
import sys
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

from analysis import atomic, export, manifest, paths

TEMPLATES = Path(__file__).parent / "templates"
KEY_META = re.compile(r'<meta name="build-key" content="([0-9a-f]{64})">')
CELL_TIMEOUT = 600


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


def _hash_tree(digest: hashlib._Hash, files: list[Path], root: Path) -> None:
    for path in sorted(files):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")


def shared_key(root: Path, processed: Path) -> str:
    """Hash of everything every page depends on besides its own notebook."""
    digest = hashlib.sha256()
    package = [
        p for p in (root / "analysis").rglob("*") if p.is_file() and "__pycache__" not in p.parts
    ]
    _hash_tree(digest, package, root)
    for extra in (root / "matplotlibrc", root / "uv.lock"):
        if extra.exists():
            _hash_tree(digest, [extra], root)
    digest.update((processed / "manifest.json").read_bytes())
    return digest.hexdigest()


def page_key(page: Page, shared: str) -> str:
    digest = hashlib.sha256(shared.encode())
    digest.update(page.notebook.read_bytes())
    return digest.hexdigest()


def existing_key(path: Path) -> str | None:
    if not path.exists():
        return None
    match = KEY_META.search(path.read_text(encoding="utf-8", errors="replace")[:4096])
    return match.group(1) if match else None


def kernel_environment(root: Path, processed: Path) -> None:
    """Environment inherited by every kernel: fixed hashing, chart style, import path, data."""
    os.environ["MALI_PROCESSED"] = str(processed)
    os.environ["PYTHONHASHSEED"] = "0"
    os.environ["MATPLOTLIBRC"] = str(root / "matplotlibrc")
    os.environ["MPLBACKEND"] = "agg"
    os.environ["SOURCE_DATE_EPOCH"] = os.environ.get("SOURCE_DATE_EPOCH", "1700000000")
    os.environ["MALI_ROOT"] = str(root)
    existing = os.environ.get("PYTHONPATH", "")
    parts = [str(root), *[p for p in existing.split(os.pathsep) if p and p != str(root)]]
    os.environ["PYTHONPATH"] = os.pathsep.join(parts)
    # Kernels must not try to reach the network or write history in the user's home.
    os.environ.setdefault("IPYTHONDIR", str(root / ".ipython"))


class NotebookFailed(Exception):
    def __init__(self, page: Page, message: str):
        self.page = page
        super().__init__(message)


def load_notebook(page: Page) -> nbformat.NotebookNode:
    nb = jupytext.read(page.notebook, fmt="py:percent")
    # Random cell ids would reach the HTML and break byte-identical rebuilds.
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:03d}"
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


def execute(page: Page) -> nbformat.NotebookNode:
    nb = load_notebook(page)
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
            client.execute()
        except CellExecutionError as exc:
            raise NotebookFailed(page, describe_failure(page, nb, exc)) from None
        except Exception as exc:  # kernel died, timeout, ...
            raise NotebookFailed(
                page, f"{page.notebook.name}: {type(exc).__name__}: {exc}"
            ) from None
    return nb


def describe_failure(page: Page, nb: nbformat.NotebookNode, exc: CellExecutionError) -> str:
    """One screen: notebook, cell number and first lines, and the error itself."""
    failed = None
    for i, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                failed = (i, cell)
    lines = [f"notebook {page.notebook.name} failed"]
    if failed:
        i, cell = failed
        code = cell.source.strip().splitlines()
        lines.append(f"  in cell {i} (code cell starting: {code[0][:80] if code else ''!r})")
    ename = getattr(exc, "ename", "Error")
    evalue = getattr(exc, "evalue", str(exc))
    lines.append(f"  {ename}: {textwrap.shorten(str(evalue), 600)}")
    return "\n".join(lines)


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.globals["css"] = (TEMPLATES / "style.css").read_text(encoding="utf-8")
    return env


def page_title(nb: nbformat.NotebookNode, fallback: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback


def export_page(
    nb: nbformat.NotebookNode, page: Page, key: str, nav: list[dict], footer: dict
) -> str:
    exporter = HTMLExporter(
        template_name="basic",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": page.name}})
    return (
        environment()
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


def footer_context(processed: Path) -> dict:
    record = manifest.load(processed / "manifest.json")
    package = processed / paths.DATAPACKAGE
    version = manifest.load(package)["version"] if package.exists() else None
    return {
        "dataset_version": version,
        "inputs": record["inputs"],
        "versions": record["versions"],
        "exports": record.get("exports", {}),
    }


def render(
    root: Path,
    processed: Path,
    reports: Path,
    only: set[str] | None = None,
    workers: int | None = None,
) -> int:
    """Build stale pages and the index. Returns the number of failed notebooks."""
    from analysis import briefing

    kernel_environment(root, processed)
    pages = discover(root / "notebooks")
    shared = shared_key(root, processed)
    keys = {p.name: page_key(p, shared) for p in pages}
    stale = [
        p
        for p in pages
        if (only is None or p.name in only) and existing_key(reports / p.html_name) != keys[p.name]
    ]
    titles = {p.name: page_title(load_notebook(p), p.name) for p in pages}
    nav = [
        {"href": "index.html", "title": "Briefing"},
        *({"href": p.html_name, "title": titles[p.name]} for p in pages),
        {"href": "appendix.html", "title": "Incident appendix"},
        {"href": "methodology.html", "title": "Methodology"},
    ]
    footer = footer_context(processed)
    failures: list[str] = []
    # Kernels spend part of their time starting up and waiting on I/O, so running every stale
    # notebook at once (up to twice the cores) beats running them one core at a time.
    workers = workers or min(len(stale), 2 * (os.cpu_count() or 1)) or 1
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(execute, p): p for p in stale}
        for future in concurrent.futures.as_completed(futures):
            page = futures[future]
            try:
                nb = future.result()
            except NotebookFailed as exc:
                failures.append(str(exc))
                continue
            html = export_page(nb, page, keys[page.name], nav, footer)
            atomic.fault_point(f"render: writing {page.html_name}")
            atomic.write_text(reports / page.html_name, html)
            print(f"reports/{page.html_name}: built", flush=True)
    if failures:
        print("\n" + "\n\n".join(sorted(failures)), file=sys.stderr)
        print(
            f"\n{len(failures)} notebook(s) failed; their previous pages and the index were "
            "left as they were.",
            file=sys.stderr,
        )
        return len(failures)
    env = environment()
    extra = {
        "appendix.html": briefing.render_appendix(env, processed, nav, footer),
        "methodology.html": briefing.render_methodology(env, processed, nav, footer, root),
        # The index last: make treats it as the target, so it must be the final write.
        "index.html": briefing.render_index(
            env, processed, nav, footer, [(p.html_name, titles[p.name]) for p in pages]
        ),
    }
    # The incident table for spreadsheet users, with formula-like cells neutralised.
    export.write_incidents_csv(processed, reports)
    print("reports/incidents.csv: built", flush=True)
    for name, text in extra.items():
        atomic.fault_point(f"render: writing {name}")
        atomic.write_text(reports / name, text)
        print(f"reports/{name}: built", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Execute notebooks and build HTML reports.")
    parser.add_argument("--root", type=Path, default=paths.ROOT)
    parser.add_argument("--processed", type=Path, default=None)
    parser.add_argument("--reports", type=Path, default=None)
    parser.add_argument("--only", nargs="*", help="notebook names to consider (default: all)")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    processed = args.processed or root / "data" / "processed"
    reports = args.reports or root / "reports"
    if not (processed / "manifest.json").exists():
        print(f"{processed}/manifest.json not found: run `make data` first", file=sys.stderr)
        return 2
    try:
        # Before: never build pages from stale data. After: a build only reads data/raw, so a
        # difference means it was edited while the pages were being built.
        manifest.verify_inputs(processed, root)
        with atomic.build_lock(reports):
            failed = render(root, processed, reports, set(args.only) if args.only else None)
        manifest.verify_inputs(processed, root)
    except manifest.InputsChangedError as exc:
        print(f"make report: {exc}", file=sys.stderr)
        return 2
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
