"""`python -m analysis.report.pdf`: headless Chromium prints a page to PDF, offline, atomically."""

from __future__ import annotations

import os
import subprocess
import sys

from analysis.report import pdf
from tests.conftest import ROOT

PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Briefing</title><style>body { font-family: sans-serif; }</style></head>
<body><h1>Civilians reported killed: 10–12</h1><p>A test page.</p>
<img src="https://example.invalid/tracker.png" alt="must not load"></body></html>
"""


def run(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("MALI_", "PYTEST"))}
    environment.update(PYTHONPATH=str(ROOT), **env)
    return subprocess.run(
        [sys.executable, "-m", "analysis.report.pdf", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_command_keeps_the_browser_offline(tmp_path):
    cmd = pdf.command("/usr/bin/chromium", tmp_path / "index.html", tmp_path / "b.pdf", tmp_path)
    for flag in (
        "--headless",
        "--no-pdf-header-footer",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
    ):
        assert flag in cmd
    assert f"--user-data-dir={tmp_path}" in cmd
    assert cmd[-1].startswith("file://")


def test_missing_browser_says_how_to_install_it(tmp_path):
    page = tmp_path / "index.html"
    page.write_text(PAGE, encoding="utf-8")
    result = run("--page", str(page), "--out", str(tmp_path / "b.pdf"), CHROMIUM="no-such-browser")
    assert result.returncode == 3
    assert "ensure-chromium" in result.stderr and "apt-get install -y chromium" in result.stderr
    assert not (tmp_path / "b.pdf").exists()


def test_missing_page_is_reported(tmp_path):
    result = run("--page", str(tmp_path / "absent.html"), "--out", str(tmp_path / "b.pdf"))
    assert result.returncode != 0
    assert "make report" in result.stderr


def test_without_arguments_each_edition_s_briefing_is_printed(tmp_path, monkeypatch):
    """`make pdf` (no arguments) prints reports/index.html and reports/fr/index.html, each to
    briefing.pdf beside it. The printing itself is tested once with the real browser, on a
    built briefing, in tests/test_browser.py."""
    printed = []

    def record(page, out, browser):
        printed.append((page, out))
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(b"%PDF")
        return out

    monkeypatch.setattr(pdf, "print_pdf", record)
    assert pdf.main(["--reports", str(tmp_path)]) == 0
    assert sorted(printed) == [
        (tmp_path / "fr" / "index.html", tmp_path / "fr" / "briefing.pdf"),
        (tmp_path / "index.html", tmp_path / "briefing.pdf"),
    ]
