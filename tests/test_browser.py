"""Every report page in a real browser (headless Chromium through Playwright), offline.

The reports come from the session's built copy of the repository (``built_repo``: one cold
`make report`, both editions). Each page of both editions (English in reports/, French in
reports/fr/) is opened once, at a desktop width (1280 px), with every request that is not a
local file aborted and recorded. On that page: images, headings, the language switch, console
errors, no sideways scrolling, and axe-core (WCAG 2.2 AA). The same page is then narrowed to a
phone's width (375 px, a small phone) and must not scroll sideways there either.
Nothing in the pages' script depends on the window's width (only the stylesheet does, through
``@media``), so narrowing a loaded page lays it out as loading it at that width would.

axe-core runs again at phone width, and a full-page screenshot is saved, on one page of each
kind (the pages share one template and stylesheet; what differs is their content):
``PHONE`` below names them and why. Screenshots go to reports/screenshots/ of the copy and to
this checkout's reports/screenshots/ for review.

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

from analysis.report import pdf
from tests.conftest import NOT_RUN, ROOT, chromium_path, clone_built

pytestmark = pytest.mark.slow

DESKTOP, PHONE_WIDTH = 1280, 375
PAGES = [
    "index.html",
    *(f"{p.stem}.html" for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.py"))),
    "appendix.html",
    "methodology.html",
]
EDITIONS = {"en": "", "fr": "fr/"}
ALL_PAGES = [f"{prefix}{name}" for prefix in EDITIONS.values() for name in PAGES]
# axe and a screenshot at phone width, on a page of each kind: the briefing (the page most
# opened, often on a phone: summary figures, timeline, tables), a notebook page of charts and
# tables in the French edition (the longer words), the map page (the widest figure), and the
# appendix (the widest table, the filter form, the claims in <details>; its French edition has
# the same markup, and its table's scrolling at phone width is checked in both editions).
PHONE = ["index.html", "fr/02-casualties-over-time.html", "04-geography.html", "appendix.html"]


@pytest.fixture(scope="module")
def site(built_repo, tmp_path_factory) -> Path:
    """A temporary copy of the repository with both editions built by `make report`."""
    return clone_built(built_repo, tmp_path_factory.mktemp("browser") / "repo")


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


AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_RUN = """tags => axe.run(document, {runOnly: {type: 'tag', values: tags},
    resultTypes: ['violations']}).then(r => r.violations.map(v => ({id: v.id, impact: v.impact,
    help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ': '
    + n.failureSummary.replace(/\\s+/g, ' ').slice(0, 200))})))"""


@pytest.fixture(scope="module")
def axe_script() -> str:
    """axe-core, the copy axe-playwright-python ships (nothing is fetched)."""
    try:
        import axe_playwright_python
    except ImportError as exc:  # pragma: no cover - the dev environment has it
        pytest.skip(f"{NOT_RUN}axe-playwright-python is not installed ({exc})")
    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")


def axe_violations(page, axe_script: str) -> list[dict]:
    # Injected through the browser's debugging protocol: the page's CSP stays in force.
    page.evaluate(axe_script)
    return page.evaluate(AXE_RUN, AXE_TAGS)


def check_layout(page, name: str, width: int) -> None:
    """No sideways scrolling; one h1 first, and no heading level skipped."""
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= width + 1, f"{name} scrolls sideways at {width}px ({overflow}px)"
    levels = page.evaluate(HEADINGS_JS)
    assert levels and levels[0][0] == 1, (name, width, levels[:3])
    assert [lvl for lvl, _ in levels].count(1) == 1, (name, width, "more than one h1")
    for (before, _), (level, text) in itertools.pairwise(levels):
        assert level <= before + 1, f"{name} at {width}px: h{before}, then h{level} ({text!r})"


BRIEF_TERMS = {
    "": ("How many", "By whom", "How", "When it peaked", "civilians killed"),
    "fr/": ("Combien", "Par qui", "Comment", "Le pic", "civils tués"),
}
DATE_TERMS = {
    "": ("Latest incident recorded", "Build date"),
    "fr/": ("Dernier incident recensé", "Date de production"),
}


def check_index(page, edition: str) -> None:
    """The briefing answers how many, by whom, how and when, as ranges, dated, with a link to
    every other page."""
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


def check_appendix(page, site: Path) -> None:
    """Every incident of data/raw has its row, with its cells and (nearly always) its sources."""
    import pandas as pd

    incidents = pd.read_csv(site / "data" / "raw" / "incidents.csv", usecols=["incident_id"])
    rows = page.eval_on_selector_all(
        "table.appendix tbody tr",
        "rows => rows.map(r => [r.id, r.cells.length, r.cells[7].querySelectorAll('a').length])",
    )
    assert {r[0] for r in rows} == set(incidents["incident_id"])
    assert all(cells == 8 for _, cells, _ in rows)
    assert sum(1 for *_, links in rows if links) >= 0.9 * len(rows)


@pytest.mark.parametrize("name", ALL_PAGES)
def test_page_in_browser(site, browser, axe_script, name):
    edition, _, base = name.rpartition("/")
    edition = f"{edition}/" if edition else ""
    page, context, blocked, errors = open_page(browser, site, name, DESKTOP)
    try:
        images = page.evaluate(IMAGES_JS)
        for image in images:
            assert image["complete"] and image["width"] > 0, (name, image["src"])
            assert (image["alt"] or "").strip(), (name, "an image has no alt text")
        check_layout(page, name, DESKTOP)
        assert not blocked, f"{name} tried to load {blocked[:5]}"
        assert not errors, f"{name} console errors: {errors[:5]}"
        # The language switch leads to the same page in the other edition, which exists.
        lang = "fr" if edition else "en"
        assert page.evaluate("document.documentElement.lang") == lang
        other = page.eval_on_selector("ul.languages a", "a => [a.getAttribute('hreflang'), a.href]")
        assert other[0] == ("en" if lang == "fr" else "fr")
        assert other[1].startswith("file://") and Path(other[1][7:]).is_file(), other
        assert Path(other[1][7:]).name == base
        if base == "index.html":
            check_index(page, edition)
        if base == "appendix.html":
            check_appendix(page, site)
        violations = axe_violations(page, axe_script)
        assert violations == [], f"{name} at {DESKTOP}px: {violations}"

        page.set_viewport_size({"width": PHONE_WIDTH, "height": 900})
        check_layout(page, name, PHONE_WIDTH)
        if base == "appendix.html":
            # The wide table scrolls inside its wrapper at phone width, not the page.
            wrap = page.eval_on_selector(".table-wrap", "e => [e.scrollWidth, e.clientWidth]")
            assert wrap[0] > wrap[1]
        if name in PHONE:
            shots = site / "reports" / "screenshots"
            shots.mkdir(parents=True, exist_ok=True)
            shot = shots / f"{name.removesuffix('.html').replace('/', '-')}-{PHONE_WIDTH}.png"
            page.screenshot(path=str(shot), full_page=True)
            review = ROOT / "reports" / "screenshots"
            review.mkdir(parents=True, exist_ok=True)
            shutil.copy2(shot, review / shot.name)
            violations = axe_violations(page, axe_script)
            assert violations == [], f"{name} at {PHONE_WIDTH}px: {violations}"
        assert not errors, f"{name} console errors at {PHONE_WIDTH}px: {errors[:5]}"
    finally:
        context.close()


def test_pdf_of_the_briefing(site, tmp_path):
    """`python -m analysis.report.pdf --page ... --out ...` prints a built briefing (the French
    one) with the real browser, atomically. That the command without arguments prints both
    editions' briefings is tested in tests/test_pdf.py, without a browser."""
    if chromium_path() is None:
        pytest.skip(f"{NOT_RUN}no Chromium for `python -m analysis.report.pdf`")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MALI_", "PYTEST"))}
    env["PYTHONPATH"] = str(site)
    out = site / "reports" / "fr" / "briefing.pdf"
    page = site / "reports" / "fr" / "index.html"
    result = subprocess.run(
        [sys.executable, "-m", "analysis.report.pdf", "--page", str(page), "--out", str(out)],
        cwd=site,
        env=env,
        capture_output=True,
        text=True,
        timeout=pdf.TIMEOUT + 60,
    )
    assert result.returncode == 0, result.stderr
    data = out.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 10_000
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".briefing.pdf")]
