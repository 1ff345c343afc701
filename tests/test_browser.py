"""Every report page in a real browser (headless Chromium through Playwright), offline.

The reports are built once by ``make report`` in a temporary copy of the repository (the
session's ``site`` fixture), then each page of both editions (English in reports/, French in
reports/fr/) is opened at a phone width (375 px) and a desktop width (1280 px)
with every request that is not a local file aborted and recorded. Full-page screenshots are
saved under reports/screenshots/ of the copy and copied to this checkout's reports/screenshots/
for review.

Without a browser these tests skip with a message saying they did NOT run; they never pass
silently.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, clone_built

pytestmark = pytest.mark.slow

WIDTHS = (375, 1280)
BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PAGES = [
    "index.html",
    *(f"{p.stem}.html" for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.py"))),
    "appendix.html",
    "methodology.html",
]
EDITIONS = {"en": "", "fr": "fr/"}
ALL_PAGES = [f"{prefix}{name}" for prefix in EDITIONS.values() for name in PAGES]
# Every page at desktop width; at phone width, a page of each kind (the layout is shared).
PHONE = ["index.html", "fr/02-casualties-over-time.html", "04-geography.html", "appendix.html"]
VIEWS = [(name, WIDTHS[1]) for name in ALL_PAGES] + [(name, WIDTHS[0]) for name in PHONE]
NOT_RUN = "browser tests did NOT run: "


def chromium_path() -> str | None:
    """The system Chromium; tools/ensure-chromium installs it when missing (as root)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    script = ROOT / "tools" / "ensure-chromium"
    if script.exists():
        result = subprocess.run(
            [str(script)], capture_output=True, text=True, timeout=900, check=False
        )
        path = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
        if result.returncode == 0 and path:
            return path
    return None


@pytest.fixture(scope="module")
def site(built_repo, tmp_path_factory) -> Path:
    """A temporary copy of the repository with both editions built by `make report`."""
    return clone_built(built_repo, tmp_path_factory.mktemp("browser") / "repo")


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - the dev environment has playwright
        pytest.skip(f"{NOT_RUN}playwright is not installed ({exc})")
    executable = chromium_path()
    if executable is None:
        pytest.skip(
            f"{NOT_RUN}no Chromium found and tools/ensure-chromium could not install one "
            "(needs root and apt-get); install chromium and run them again"
        )
    with sync_playwright() as playwright:
        try:
            instance = playwright.chromium.launch(executable_path=executable, args=BROWSER_ARGS)
        except Exception as exc:
            pytest.skip(f"{NOT_RUN}{executable} failed to start: {exc}")
        yield instance
        instance.close()


HEADINGS_JS = """() => [...document.querySelectorAll('h1,h2,h3,h4,h5,h6')]
    .filter(h => h.getClientRects().length > 0 || h.closest('details'))
    .map(h => [Number(h.tagName[1]), h.textContent.trim().slice(0, 60)])"""
IMAGES_JS = """() => [...document.images].map(i => ({
    src: i.currentSrc.slice(0, 40), alt: i.getAttribute('alt'),
    complete: i.complete, width: i.naturalWidth}))"""


def open_page(browser, site: Path, name: str, width: int):
    """Open one page offline; returns (page, context, blocked requests, console errors)."""
    context = browser.new_context(
        viewport={"width": width, "height": 900}, java_script_enabled=True, offline=True
    )
    blocked: list[str] = []
    errors: list[str] = []

    def route(route):
        url = route.request.url
        if url.startswith(("file://", "data:")):
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "requestfailed",
        lambda r: None if r.url.startswith(("file://", "data:")) else blocked.append(r.url),
    )
    page.goto((site / "reports" / name).as_uri(), wait_until="load")
    page.evaluate("() => Promise.all([...document.images].map(i => i.decode().catch(() => 0)))")
    return page, context, blocked, errors


@pytest.mark.parametrize(("name", "width"), VIEWS, ids=[f"{n}-{w}" for n, w in VIEWS])
def test_page_in_browser(site, browser, name, width):
    page, context, blocked, errors = open_page(browser, site, name, width)
    try:
        images = page.evaluate(IMAGES_JS)
        for image in images:
            assert image["complete"] and image["width"] > 0, (name, image["src"])
            assert (image["alt"] or "").strip(), (name, "an image has no alt text")
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= width + 1, f"{name} scrolls sideways at {width}px ({overflow}px)"
        levels = page.evaluate(HEADINGS_JS)
        assert levels and levels[0][0] == 1, (name, levels[:3])
        assert [lvl for lvl, _ in levels].count(1) == 1, (name, "more than one h1")
        for (before, _), (level, text) in itertools.pairwise(levels):
            assert level <= before + 1, f"{name}: h{before} followed by h{level} ({text!r})"
        shots = site / "reports" / "screenshots"
        shots.mkdir(parents=True, exist_ok=True)
        shot = shots / f"{name.removesuffix('.html').replace('/', '-')}-{width}.png"
        page.screenshot(path=str(shot), full_page=True)
        review = ROOT / "reports" / "screenshots"
        review.mkdir(parents=True, exist_ok=True)
        shutil.copy2(shot, review / shot.name)
        assert not blocked, f"{name} tried to load {blocked[:5]}"
        assert not errors, f"{name} console errors: {errors[:5]}"
        # The language switch leads to the same page in the other edition, which exists.
        lang = "fr" if name.startswith("fr/") else "en"
        assert page.evaluate("document.documentElement.lang") == lang
        other = page.eval_on_selector("ul.languages a", "a => [a.getAttribute('hreflang'), a.href]")
        assert other[0] == ("en" if lang == "fr" else "fr")
        assert other[1].startswith("file://") and Path(other[1][7:]).is_file(), other
        assert Path(other[1][7:]).name == Path(name).name
    finally:
        context.close()


# axe-core (the copy axe-playwright-python ships) checks each page against WCAG 2.2 AA at a phone
# and a desktop width.
AXE_WIDTHS = (390, 1280)
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_RUN = """tags => axe.run(document, {runOnly: {type: 'tag', values: tags},
    resultTypes: ['violations']}).then(r => r.violations.map(v => ({id: v.id, impact: v.impact,
    help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ': '
    + n.failureSummary.replace(/\\s+/g, ' ').slice(0, 200))})))"""


@pytest.fixture(scope="module")
def axe_script() -> str:
    try:
        import axe_playwright_python
    except ImportError as exc:  # pragma: no cover - the dev environment has it
        pytest.skip(f"{NOT_RUN}axe-playwright-python is not installed ({exc})")
    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")


@pytest.mark.parametrize("width", AXE_WIDTHS)
@pytest.mark.parametrize("name", ALL_PAGES)
def test_page_passes_axe(site, browser, axe_script, name, width):
    page, context, _, _ = open_page(browser, site, name, width)
    try:
        page.evaluate(axe_script)  # through the browser's debugging protocol: the CSP stays
        violations = page.evaluate(AXE_RUN, AXE_TAGS)
        assert violations == [], f"{name} at {width}px: {violations}"
    finally:
        context.close()


BRIEF_TERMS = {
    "": ("How many", "By whom", "How", "When it peaked", "civilians killed"),
    "fr/": ("Combien", "Par qui", "Comment", "Le pic", "civils tués"),
}
DATE_TERMS = {
    "": ("Latest incident recorded", "Build date"),
    "fr/": ("Dernier incident recensé", "Date de production"),
}


@pytest.mark.parametrize("edition", EDITIONS.values())
def test_index_answers_how_many_by_whom_how_and_when(site, browser, edition):
    page, context, blocked, errors = open_page(browser, site, f"{edition}index.html", 1280)
    try:
        brief = page.inner_text("section.summary")
        for term in BRIEF_TERMS[edition]:
            assert term in brief, term
        assert "–" in brief  # figures are ranges
        text = page.inner_text("main")
        for term in DATE_TERMS[edition]:
            assert term in text, term
        links = page.eval_on_selector_all("main a", "els => els.map(e => e.getAttribute('href'))")
        for target in ("appendix.html", "methodology.html", *PAGES[1:-2]):
            assert target in links, target
        assert not blocked and not errors
    finally:
        context.close()


@pytest.mark.parametrize("edition", EDITIONS.values())
def test_appendix_lists_every_incident_with_sources(site, browser, edition):
    import pandas as pd

    incidents = pd.read_csv(site / "data" / "raw" / "incidents.csv", usecols=["incident_id"])
    page, context, _, _ = open_page(browser, site, f"{edition}appendix.html", 1280)
    try:
        rows = page.eval_on_selector_all(
            "table.appendix tbody tr",
            "rows => rows.map(r => [r.id, r.cells.length, "
            "r.cells[7].querySelectorAll('a').length])",
        )
        assert {r[0] for r in rows} == set(incidents["incident_id"])
        assert all(cells == 8 for _, cells, _ in rows)
        assert sum(1 for *_, links in rows if links) >= 0.9 * len(rows)
        # The wide table scrolls inside its wrapper at phone width, not the page.
        context.close()
        page, context, _, _ = open_page(browser, site, f"{edition}appendix.html", 375)
        wrap = page.eval_on_selector(".table-wrap", "e => [e.scrollWidth, e.clientWidth]")
        assert wrap[0] > wrap[1]
    finally:
        context.close()


def test_pdf_of_the_briefing(site):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MALI_", "PYTEST"))}
    env["PYTHONPATH"] = str(site)
    if chromium_path() is None:
        pytest.skip(f"{NOT_RUN}no Chromium for `python -m analysis.report.pdf`")
    result = subprocess.run(
        [sys.executable, "-m", "analysis.report.pdf"],
        cwd=site,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    for folder in EDITIONS.values():
        pdf = site / "reports" / folder / "briefing.pdf"
        data = pdf.read_bytes()
        assert data.startswith(b"%PDF") and len(data) > 10_000
        assert not [p for p in pdf.parent.iterdir() if p.name.startswith(".briefing.pdf")]
