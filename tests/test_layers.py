"""The package's stages import only from earlier stages: sources -> pipeline -> report.

The shared modules (paths, vocab, errors, atomic) import from no stage; the two commands
(clean, render) sit on top and may import anything. Notebooks read their data one way only,
``data.load(PROCESSED)``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "analysis"
ORDER = ["shared", "sources", "pipeline", "report", "commands"]
COMMANDS = {"clean", "render"}


def layer(module: str) -> str:
    """'analysis.pipeline.schemas' -> 'pipeline'; shared modules and commands by name."""
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in ("sources", "pipeline", "report"):
        return parts[1]
    if len(parts) > 1 and parts[1] in COMMANDS:
        return "commands"
    return "shared"


def imports(path: Path) -> set[str]:
    """Every analysis.* module a file imports, at any depth (also inside functions)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("analysis"):
            if node.module == "analysis":
                found |= {f"analysis.{alias.name}" for alias in node.names}
            else:
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("analysis")}
    return found


def modules() -> list[tuple[str, Path]]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        out.append((".".join(rel.parts).removesuffix(".__init__"), path))
    return out


@pytest.mark.parametrize(("name", "path"), modules(), ids=[m for m, _ in modules()])
def test_no_import_from_a_later_stage(name, path):
    own = ORDER.index(layer(name))
    later = sorted(m for m in imports(path) if ORDER.index(layer(m)) > own)
    assert not later, f"{name} ({layer(name)}) imports from a later stage: {later}"


def test_the_rule_catches_a_backward_import(tmp_path):
    module = tmp_path / "bad.py"
    module.write_text("from analysis.report import charts\n", encoding="utf-8")
    assert ORDER.index(layer("analysis.report.charts")) > ORDER.index(
        layer("analysis.sources.acled")
    )
    assert imports(module) == {"analysis.report"}


# --------------------------------------------------------------------------------------------
# Notebooks read their inputs one way: data.load(PROCESSED), which holds them to the tables
# they declare (TABLES), the tables their run key covers; a file opened any other way would
# escape the key.
# --------------------------------------------------------------------------------------------

NOTEBOOKS = PACKAGE.parent / "notebooks"
FILE_READERS = {
    "open",
    "read_parquet",
    "read_csv",
    "read_excel",
    "read_json",
    "read_table",
    "read_text",
    "read_bytes",
    "load",
}


def _is_data_load(node: ast.AST) -> bool:
    """``data.load(PROCESSED)`` and nothing else."""
    return (
        isinstance(node, ast.Call)
        and ast.unparse(node.func) == "data.load"
        and [ast.unparse(a) for a in node.args] == ["PROCESSED"]
        and not node.keywords
    )


def other_reads(source: str) -> list[str]:
    """Calls in a notebook that read a file, and uses of PROCESSED, other than
    ``data.load(PROCESSED)``."""
    tree = ast.parse(source)
    loads = [node for node in ast.walk(tree) if _is_data_load(node)]
    allowed = {id(load.args[0]) for load in loads}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and not _is_data_load(node):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in FILE_READERS:
                found.append(f"line {node.lineno}: {ast.unparse(node)[:60]}")
        elif (
            isinstance(node, ast.Name)
            and node.id == "PROCESSED"
            and isinstance(node.ctx, ast.Load)
            and id(node) not in allowed
        ):
            found.append(f"line {node.lineno}: PROCESSED outside data.load")
    return found


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("[0-9][0-9]-*.py")), ids=lambda p: p.name)
def test_notebooks_read_data_only_through_data_load(path):
    assert other_reads(path.read_text(encoding="utf-8")) == []


def test_the_notebook_rule_catches_another_read():
    good = "PROCESSED = None\nprocessed = data.load(PROCESSED)\n"
    assert other_reads(good) == []
    assert other_reads(good + "pd.read_parquet(PROCESSED + '/x.parquet')\n")
    assert other_reads(good + "text = open('data/processed/manifest.json').read()\n")
    assert other_reads(good + "again = data.load(PROCESSED, extra=True)\n")
    assert other_reads(good + "folder = PROCESSED\n")
