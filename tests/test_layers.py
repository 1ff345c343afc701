"""The package's stages import only from earlier stages: sources -> pipeline -> report.

The shared modules (paths, vocab, errors, atomic) import from no stage; the two commands
(clean, render) sit on top and may import anything.
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
