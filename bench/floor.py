"""The floor for rendering the notebooks: their code run one after another in one process.

Run by bench/bench_build.py in a fresh process with the kernel's environment, in the notebooks
folder: ``python bench/floor.py <processed folder>``. The notebooks are parsed first (not timed);
then the modules the notebooks use are imported once (timed as ``imports_s``), and each notebook's
code cells run in a fresh namespace, once per edition (``LANG``), charts included, each cell's
last expression formatted as a kernel would show it (its HTML), without any page export (timed
per notebook, both editions). Prints JSON.
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
import sys
import time
from pathlib import Path

import jupytext


def cells(notebook: Path) -> list[tuple[str, bool]]:
    """Each code cell's source, and whether it is the parameters cell."""
    nb = jupytext.read(notebook, fmt="py:percent")
    return [
        (c.source, "parameters" in c.metadata.get("tags", []))
        for c in nb.cells
        if c.cell_type == "code"
    ]


def run_cell(source: str, namespace: dict) -> None:
    tree = ast.parse(source)
    last = tree.body[-1] if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    if last is not None:
        tree.body = tree.body[:-1]
    exec(compile(tree, "<cell>", "exec"), namespace)
    if last is not None:
        value = eval(compile(ast.Expression(last.value), "<cell>", "eval"), namespace)
        for method in ("_repr_html_", "__repr__"):
            if hasattr(value, method):
                getattr(value, method)()
                break


def main() -> int:
    processed = sys.argv[1]
    notebooks = sorted(Path.cwd().glob("[0-9][0-9]-*.py"))
    parsed = {nb.stem: cells(nb) for nb in notebooks}
    start = time.perf_counter()
    import matplotlib.pyplot  # noqa: F401
    import pandas  # noqa: F401

    from analysis.report import charts, compare, data, geo, i18n, metrics  # noqa: F401

    imports = time.perf_counter() - start
    # display() outside a kernel prints: keep stdout for the result.
    with contextlib.redirect_stdout(io.StringIO()):
        timings = run_all(parsed, processed, i18n.LANGUAGES)
    print(json.dumps({"imports_s": imports, "notebooks_s": timings}))
    return 0


def run_all(parsed: dict, processed: str, languages: tuple[str, ...]) -> dict[str, float]:
    """Each notebook's run time, summed over the editions (a page per language)."""
    timings = {}
    for name, code in parsed.items():
        timings[name] = 0.0
        for lang in languages:
            namespace: dict = {"__name__": "__main__"}
            start = time.perf_counter()
            for source, parameters in code:
                if source.strip():
                    run_cell(source, namespace)
                if parameters:
                    namespace["PROCESSED"] = processed
                    namespace["LANG"] = lang
            timings[name] += time.perf_counter() - start
    return timings


if __name__ == "__main__":
    sys.exit(main())
