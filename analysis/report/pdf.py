"""Print the briefing of each edition to PDF with headless Chromium: reports/index.html to
reports/briefing.pdf and reports/fr/index.html to reports/fr/briefing.pdf.

Run as ``python -m analysis.report.pdf`` (``make pdf`` does, after ``make report``); with
``--page`` and ``--out`` it prints that one page. The
browser runs with a throw-away profile and with every background service that could reach the
network turned off; the page itself cannot load anything either (its Content-Security-Policy
blocks external loads). The PDF is written atomically: a reader never sees half of one.

Chromium is looked for as $CHROMIUM, then ``chromium``, ``chromium-browser``, ``google-chrome``
and ``google-chrome-stable`` on PATH. ``tools/ensure-chromium`` installs it from the system
package manager when it is missing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from analysis import atomic, paths
from analysis.report import i18n

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
OFFLINE_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-pdf-header-footer",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
    "--metrics-recording-only",
    "--disable-breakpad",
)
TIMEOUT = 180
INSTALL_HINT = (
    "headless Chromium is needed to print the briefing. Install it with "
    "`tools/ensure-chromium` (as root: apt-get install -y chromium), or set CHROMIUM to the "
    "browser's path."
)


class BrowserMissing(RuntimeError):
    pass


def find_browser() -> str:
    """The path of a Chromium-family browser, or BrowserMissing with how to install one."""
    override = os.environ.get("CHROMIUM")
    if override:
        found = shutil.which(override)
        if found:
            return found
        raise BrowserMissing(f"CHROMIUM={override!r} is not an executable. {INSTALL_HINT}")
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise BrowserMissing(f"no Chromium found on PATH. {INSTALL_HINT}")


def command(browser: str, page: Path, out: Path, profile: Path) -> list[str]:
    return [
        browser,
        *OFFLINE_FLAGS,
        f"--user-data-dir={profile}",
        f"--print-to-pdf={out}",
        page.resolve().as_uri(),
    ]


def print_pdf(page: Path, out: Path, browser: str | None = None) -> Path:
    """Print ``page`` to ``out`` (atomically) and return ``out``."""
    if not page.is_file():
        raise FileNotFoundError(f"{page} not found: run `make report` first")
    browser = browser or find_browser()
    with tempfile.TemporaryDirectory(prefix="mali-pdf-") as tmp:
        tmp_dir = Path(tmp)
        draft = tmp_dir / "briefing.pdf"
        env = {**os.environ, "HOME": str(tmp_dir)}  # no profile or cache in the user's home
        result = subprocess.run(
            command(browser, page, draft, tmp_dir / "profile"),
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            env=env,
            stdin=subprocess.DEVNULL,
        )
        data = draft.read_bytes() if draft.exists() else b""
        if result.returncode != 0 or not data.startswith(b"%PDF"):
            tail = "\n".join((result.stderr or "").strip().splitlines()[-15:])
            raise RuntimeError(
                f"{browser} did not print {page} (exit status {result.returncode}):\n{tail}"
            )
    atomic.write_bytes(out, data)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Print each edition's briefing to PDF.")
    parser.add_argument("--page", type=Path, default=None, help="one page to print")
    parser.add_argument("--out", type=Path, default=None, help="where to write that page's PDF")
    parser.add_argument("--reports", type=Path, default=paths.REPORTS)
    parser.add_argument("--browser", default=None, help="path of chromium (default: search)")
    args = parser.parse_args(argv)
    if args.page or args.out:
        jobs = [
            (args.page or args.reports / "index.html", args.out or args.reports / "briefing.pdf")
        ]
    else:
        jobs = [
            (folder / "index.html", folder / "briefing.pdf")
            for folder in (args.reports / i18n.FOLDERS[lang] for lang in i18n.LANGUAGES)
        ]
    for page, target in jobs:
        try:
            out = print_pdf(page, target, args.browser)
        except BrowserMissing as exc:
            print(f"make pdf: {exc}", file=sys.stderr)
            return 3
        except (FileNotFoundError, RuntimeError, subprocess.TimeoutExpired) as exc:
            print(f"make pdf: {exc}", file=sys.stderr)
            return 1
        print(f"{out}: {out.stat().st_size:,} bytes", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
