"""Hostile text in the data is shown as text: escaped in HTML, neutralised in spreadsheets.

tests/fixtures/hostile is the curated fixture with <script> tags, event-handler attributes,
javascript: links and spreadsheet formulas in descriptions, places, source titles, publishers
and wording. Such text is valid data (a source may quote it), so the build accepts it; every
output must render it inert.
"""

from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from analysis import clean, render
from analysis.pipeline import manifest, publish
from analysis.report import briefing, charts, export, pages, pagescript
from tests.conftest import FIXTURES

HOSTILE = FIXTURES / "hostile"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class Elements(HTMLParser):
    """Every start tag and its attributes in a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Elements()
    parser.feed(html)
    parser.close()
    return parser.tags


DOWNLOADS = ("data:image/png;base64,", "data:image/svg+xml;base64,", "data:text/csv;base64,")


def assert_inert(html: str, name: str) -> None:
    own = f"<script>{pagescript.script()}</script>"  # a page's own script, and no other
    assert html.count(own) == (1 if name.endswith(".html") else 0), name
    html = html.replace(own, "")
    tags = elements(html)
    names = {tag for tag, _ in tags}
    assert not names & {"script", "iframe", "object", "embed", "b", "i"}, (name, names)
    assert "<script" not in html.lower(), name
    for tag, attrs in tags:
        handlers = [a for a in attrs if a.startswith("on")]
        assert not handlers, (name, tag, handlers)
        href = (attrs.get("href") or "").strip()
        if "download" in attrs and href.startswith(DOWNLOADS):
            continue  # a chart or table offered as a file: downloaded, never opened
        if href:
            scheme = re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*):", href)
            assert scheme is None or scheme.group(1).lower() in ("http", "https"), (name, href)
        if tag == "img":
            assert (attrs.get("src") or "").startswith("data:image/"), name
    assert not re.search(r"href\s*=\s*[\"']?\s*javascript:", html, re.IGNORECASE), name


@pytest.fixture(scope="module")
def processed(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("hostile") / "processed"
    assert clean.main(["--raw", str(HOSTILE), "--out", str(out)]) == 0
    return out


def briefing_pages(processed: Path) -> dict[str, str]:
    env = pages.environment()
    nav = [{"href": "index.html", "title": "Briefing"}]
    footer = render.footer_context(processed)
    return {
        "index.html": briefing.render_index(env, processed, nav, footer, []),
        "appendix.html": briefing.render_appendix(env, processed, nav, footer),
    }


def test_hostile_text_is_valid_data_and_kept_verbatim(processed):
    incidents = pd.read_parquet(processed / "incidents.parquet").set_index("incident_id")
    assert incidents.loc["alpha-2022-03", "description"].startswith("<script>alert(")
    assert incidents.loc["bravo-2022-03", "description"].startswith("=HYPERLINK(")


def test_briefing_and_appendix_escape_hostile_text(processed):
    for name, html in briefing_pages(processed).items():
        assert_inert(html, name)
    appendix = briefing_pages(processed)["appendix.html"]
    assert "&lt;script&gt;alert(&#39;description&#39;)&lt;/script&gt;" in appendix
    assert "&lt;a href=&#34;javascript:alert(1)&#34;&gt;click&lt;/a&gt;" in appendix
    assert "&lt;b onmouseover=alert(3)&gt;Bravo&lt;/b&gt;" in appendix
    # who alleged what: each source's words and date note are text too
    assert "&lt;script&gt;alert(&#39;allegation&#39;)&lt;/script&gt; soldiers" in appendix
    assert "&lt;img src=x onerror=alert(6)&gt; dates differ" in appendix
    # The hostile source title sits in a title attribute: quotes escaped, no new attribute.
    assert 'title="&#34;&gt;&lt;img src=x onerror=alert(5)&gt; wire story"' in appendix
    # An & in a real URL is escaped in the href, and the link still works.
    assert 'href="https://example.org/rights/alpha?a=1&amp;b=2"' in appendix


def test_index_lists_hostile_source_titles_as_text(processed):
    index = briefing_pages(processed)["index.html"]
    assert "&lt;script&gt;document.location=" in index
    assert "=cmd|&#39; /C calc&#39;!A0 Rights" in index


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "  javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "//evil.example/",
        "",
        None,
    ],
)
def test_only_http_links_become_links(url):
    assert briefing.safe_url(url) is None


def test_safe_url_keeps_http_and_https():
    assert briefing.safe_url("https://example.org/a") == "https://example.org/a"
    assert briefing.safe_url("HTTP://example.org/a") == "HTTP://example.org/a"


def processed_with_bad_url(processed: Path, tmp_path: Path) -> Path:
    """A copy of ``processed`` whose first source has a javascript: URL (as if it had bypassed
    validation), with a manifest that matches it."""
    out = tmp_path / "processed"
    record = manifest.load(processed / "manifest.json")
    outputs = {n: (processed / n).read_bytes() for n in record["outputs"]}
    sources = pd.read_parquet(processed / "sources.parquet")
    sources.loc[0, "url"] = "javascript:alert(document.cookie)"
    outputs["sources.parquet"] = clean.parquet_bytes(sources)
    record["outputs"]["sources.parquet"] = {
        "sha256": manifest.sha256_bytes(outputs["sources.parquet"]),
        "bytes": len(outputs["sources.parquet"]),
    }
    publish.publish(out, outputs, manifest.dumps(record).encode())
    return out


def test_a_javascript_url_that_bypassed_validation_is_not_linked(processed, tmp_path):
    """Defence in depth: even a processed table with a javascript: URL renders no such link."""
    for name, html in briefing_pages(processed_with_bad_url(processed, tmp_path)).items():
        assert_inert(html, name)


def test_an_unlinkable_url_is_shown_as_text(processed, tmp_path):
    index = briefing_pages(processed_with_bad_url(processed, tmp_path))["index.html"]
    assert 'href="nan"' not in index
    assert "(javascript:alert(document.cookie))" in index


def test_table_html_escapes_cells():
    frame = pd.DataFrame({"<b>col</b>": ["<script>alert(1)</script>", '"><img onerror=x>']})
    html = charts.table_html(frame)
    assert_inert(html, "table")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;col&lt;/b&gt;" in html


# --------------------------------------------------------------------------------------------
# Spreadsheet export
# --------------------------------------------------------------------------------------------


def read_export(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r", "＝"])
def test_neutralise_quotes_formula_starts(start):
    assert export.neutralise(f"{start}1+1") == f"'{start}1+1"


@pytest.mark.parametrize("text", ["Mopti", "", "1+1", "a=b", "'quoted", " =spaced"])
def test_neutralise_leaves_plain_text(text):
    assert export.neutralise(text) == text


def test_neutralise_missing_is_empty():
    assert export.neutralise(None) == "" and export.neutralise(pd.NA) == ""


def test_incident_csv_neutralises_formulas(processed, tmp_path):
    path = export.write_incidents_csv(processed, tmp_path / "reports")
    assert path == tmp_path / "reports" / "incidents.csv"
    rows = read_export(path)
    assert len(rows) == 4
    numbers = {"latitude", "longitude"} | {c for c in rows[0] if c.endswith(("_min", "_max"))}
    for row in rows:
        for column, cell in row.items():
            if column in numbers:
                assert cell == "" or re.fullmatch(r"-?\d+(\.\d+)?", cell), (column, cell)
            else:
                assert not cell.startswith(FORMULA_STARTS), (column, cell)
    by_id = {r["incident_id"]: r for r in rows}
    assert by_id["bravo-2022-03"]["description"].startswith("'=HYPERLINK(")
    assert by_id["alpha-2022-03"]["cercle"].startswith("'=HYPERLINK(")
    assert by_id["alpha-2022-03"]["longitude"] == "-4.9"  # a number, left as a number
    assert by_id["charlie-2024-02"]["description"].startswith("'-2+3+cmd")
    assert by_id["delta-2024-05"]["description"].startswith("'@SUM(")
    assert "'=cmd|' /C calc'!A0 Rights" not in by_id["alpha-2022-03"]["sources"]  # mid-cell
    assert by_id["alpha-2022-03"]["civilians_killed_min"] == "300"


def test_incident_csv_is_deterministic(processed, tmp_path):
    one = export.write_incidents_csv(processed, tmp_path / "a").read_bytes()
    two = export.write_incidents_csv(processed, tmp_path / "b").read_bytes()
    assert one == two


# --------------------------------------------------------------------------------------------
# Notebook pages (slow: runs every notebook on the hostile data)
# --------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_notebook_pages_escape_hostile_text(processed, tmp_path):
    from tests.test_render import project_copy

    root = project_copy(tmp_path)
    reports = tmp_path / "reports"
    # The English edition: the French one runs the same cells and escapes through the same code.
    assert render.render(root, processed, reports, languages=("en",)) == 0
    pages = sorted(reports.glob("*.html"))
    assert len(pages) >= 8
    for page in pages:
        assert_inert(page.read_text(encoding="utf-8"), page.name)
