"""The maintainers' pages that are generated stay equal to what generates them, and the README
names only make targets that exist."""

from __future__ import annotations

import importlib.util
import re
import subprocess

from tests.conftest import ROOT

_spec = importlib.util.spec_from_file_location(
    "troubleshooting", ROOT / "tools" / "troubleshooting.py"
)
troubleshooting = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(troubleshooting)


def test_troubleshooting_page_is_the_generated_one():
    committed = (ROOT / "docs" / "troubleshooting.md").read_text(encoding="utf-8")
    assert committed == troubleshooting.page(), (
        "run: .venv/bin/python tools/troubleshooting.py --write"
    )


def test_troubleshooting_page_shows_every_catalogue_rule():
    from tests import test_bad_inputs as catalogue

    text = troubleshooting.page()
    for case in catalogue.CASES:
        assert f"`{case.id}`" in text
        for _file, _line, _column, _value, rule in case.expected:
            assert rule.replace("|", "\\|") in text, (case.id, rule)


def test_the_check_option_fails_on_a_stale_page(tmp_path, monkeypatch):
    stale = tmp_path / "troubleshooting.md"
    stale.write_text("old\n", encoding="utf-8")
    monkeypatch.setattr(troubleshooting, "PAGE", stale)
    monkeypatch.setattr(troubleshooting, "ROOT", tmp_path)
    assert troubleshooting.main(["--check"]) == 1
    assert troubleshooting.main(["--write"]) == 0
    assert troubleshooting.main(["--check"]) == 0


def make_targets() -> set[str]:
    out = subprocess.run(
        ["make", "-pnq", "-f", "Makefile", "help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return set(re.findall(r"^([a-z][a-z-]*):", out, flags=re.MULTILINE))


def test_every_make_command_in_the_docs_is_a_target():
    targets = make_targets()
    docs = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    for path in docs:
        named = set(re.findall(r"`make ([a-z][a-z-]*)", path.read_text(encoding="utf-8")))
        assert named <= targets, (path.name, sorted(named - targets))
