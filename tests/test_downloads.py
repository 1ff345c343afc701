"""Reuse and citation: charts downloadable as PNG and SVG (the SVG byte-reproducible; both with
title, source line and alt text), tables as CSV, the dataset version on every page footer, and
pages light enough for a phone's data plan."""

from __future__ import annotations

import base64
import io
import os
import re
import subprocess
import sys
import urllib.parse
from html import unescape
from pathlib import Path

import pandas as pd
import pytest

from analysis import paths, render
from analysis.pipeline import release
from analysis.report import briefing, charts
from analysis.report import pages as page_export
from tests.conftest import ROOT

SCRIPT = """
import sys
import pandas as pd
from analysis.report import charts
monthly = pd.DataFrame({"min": [3, 5], "max": [4, 9]},
                       index=pd.to_datetime(["2022-01-01", "2022-02-01"]))
fig = charts.monthly_range_chart(monthly, title="Deaths peaked in February 2022",
                                 ylabel="Civilians", source="Source: a test line")
sys.stdout.buffer.write(charts.figure_svg(fig, "Alt text: February is highest."))
"""


def svg_in_a_fresh_process() -> bytes:
    env = {**os.environ, "MATPLOTLIBRC": str(paths.MATPLOTLIBRC), "PYTHONPATH": str(ROOT)}
    env.pop("PYTHONHASHSEED", None)  # ids must not depend on the hash seed
    return subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, check=True
    ).stdout


def test_svg_is_byte_reproducible_and_carries_title_source_and_alt():
    one, two = svg_in_a_fresh_process(), svg_in_a_fresh_process()
    assert one == two
    text = one.decode("utf-8")
    assert "<dc:date>" not in text
    assert "<dc:title>Deaths peaked in February 2022</dc:title>" in text
    assert "Alt text: February is highest." in text
    assert "Source: a test line" in text  # text stays text (svg.fonttype: none)


def downloads(html: str) -> dict[str, bytes]:
    return {
        name: base64.b64decode(data)
        for name, data in re.findall(
            r'<a download="([^"]+)" href="data:[^;]+;base64,([^"]+)"', html
        )
    }


def shown_svg(html: str) -> bytes:
    """The bytes of the first chart's displayed image (an SVG data: URL)."""
    src = re.search(r'<img [^>]*src="data:image/svg\+xml,([^"]*)"', html).group(1)
    return urllib.parse.unquote_to_bytes(src)


def test_chart_shows_its_svg_once_and_offers_png_and_svg_downloads():
    monthly = pd.DataFrame({"min": [1], "max": [2]}, index=pd.to_datetime(["2023-05-01"]))
    fig = charts.monthly_range_chart(monthly, title="One month", ylabel="n", source="Source: x")
    chart = charts.show(fig, "Alt: one month & <1 to 2> #1 100%.")
    html = chart._repr_html_()
    # The displayed image is the SVG file, byte for byte, whatever characters it holds.
    assert shown_svg(html) == chart.svg
    assert "url(" not in html  # the SVG's clip-path references do not read as CSS url()
    assert b"<dc:title>One month</dc:title>" in chart.svg
    assert b"Alt: one month &amp; &lt;1 to 2&gt; #1 100%." in chart.svg
    # Only once: the links carry no copy, the page's script fills them from the image.
    assert html.count("data:") == 1
    links = re.findall(r'<a download="([^"]+)" data-format="(\w+)">', html)
    assert links == [("one-month.png", "png"), ("one-month.svg", "svg")]
    assert '<span class="downloads" hidden>' in html  # shown by the script only
    # The PNG is drawn at the house resolution: the SVG's size in points at savefig.dpi.
    width, height = charts.png_size(chart.svg)
    points = re.search(rb'width="([0-9.]+)pt" height="([0-9.]+)pt"', chart.svg).groups()
    assert (width, height) == tuple(round(float(p) * 110 / 72) for p in points)
    assert f'data-png-width="{width}" data-png-height="{height}"' in html


def test_svg_names_a_fallback_font_family():
    monthly = pd.DataFrame({"min": [1], "max": [2]}, index=pd.to_datetime(["2023-05-01"]))
    fig = charts.monthly_range_chart(monthly, title="One month", ylabel="n", source="Source: x")
    svg = charts.figure_svg(fig, "Alt").decode()
    families = set(re.findall(r"font-family: ([^;\"]+)", svg))
    assert families and all(f.startswith("'DejaVu Sans'") for f in families), families
    assert all(f.endswith("sans-serif") for f in families), families


def test_table_html_offers_a_spreadsheet_safe_csv():
    frame = pd.DataFrame({"Region": ["Mopti", "=HYPERLINK(1)"], "Incidents": [3, 4]})
    files = downloads(charts.table_html(frame))
    assert list(files) == ["region-incidents.csv"]
    assert files["region-incidents.csv"].decode("utf-8-sig").splitlines() == [
        "Region,Incidents",
        "Mopti,3",
        "'=HYPERLINK(1),4",
    ]


@pytest.fixture(scope="module")
def pages(real_processed, tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("pages")
    processed = real_processed
    env = page_export.environment()
    nav = [{"href": "index.html", "title": "Briefing"}]
    footer = render.footer_context(processed)
    found = {
        "index.html": briefing.render_index(env, processed, nav, footer, []),
        "appendix.html": briefing.render_appendix(env, processed, nav, footer),
        "methodology.html": briefing.render_methodology(env, processed, nav, footer),
    }
    for name, html in found.items():
        (folder / name).write_text(html, encoding="utf-8")
    found["folder"] = str(folder)
    return found


def test_every_page_footer_names_the_dataset_version(pages):
    version = release.latest().version
    for name in ("index.html", "appendix.html", "methodology.html"):
        footer = pages[name].split('<footer class="site">')[1]
        assert f"Dataset version <strong>{version}</strong>" in footer, name


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """A PNG's chunks as (type, data), checking the signature and every CRC."""
    import zlib

    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    chunks, at = [], 8
    while at < len(data):
        size = int.from_bytes(data[at : at + 4], "big")
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + size]
        crc = int.from_bytes(data[at + 8 + size : at + 12 + size], "big")
        assert zlib.crc32(kind + body) == crc, kind
        chunks.append((kind, body))
        at += 12 + size
    return chunks


def test_the_timeline_downloads_as_svg_and_png_in_the_browser(pages, browser):
    context = browser.new_context(accept_downloads=True, offline=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto((Path(pages["folder"]) / "index.html").as_uri(), wait_until="load")
        saved = {}
        for kind in ("svg", "png"):
            with page.expect_download() as info:
                page.locator(f'figure.chart a[download$=".{kind}"]').first.click()
            download = info.value
            assert download.suggested_filename.startswith("reported-civilian-deaths-peaked-in")
            assert download.suggested_filename.endswith(f".{kind}")
            saved[kind] = Path(download.path()).read_bytes()
        assert saved["svg"] == shown_svg(pages["index.html"])
        assert b"<dc:title>Reported civilian deaths" in saved["svg"]
        chunks = png_chunks(saved["png"])
        assert chunks[0][0] == b"IHDR" and chunks[-1][0] == b"IEND"
        size = (int.from_bytes(chunks[0][1][:4], "big"), int.from_bytes(chunks[0][1][4:8], "big"))
        assert size == charts.png_size(saved["svg"])
        texts = dict(body.split(b"\x00" * 5, 1) for kind, body in chunks if kind == b"iTXt")
        alt = re.search(r'<img alt="([^"]+)"', pages["index.html"]).group(1)
        assert texts[b"Title"].decode().startswith("Reported civilian deaths peaked in")
        assert texts[b"Description"].decode() == unescape(alt)
        assert errors == []
    finally:
        context.close()


# What a reader on a phone's data plan downloads: the briefing is opened most, and alone.
BRIEFING_LIMIT = 200_000
PAGE_LIMIT = 500_000


@pytest.mark.slow
def test_pages_stay_light(built_repo):
    reports = built_repo / "reports"
    sizes = {str(p.relative_to(reports)): p.stat().st_size for p in reports.rglob("*.html")}
    assert {"index.html", "fr/index.html", "appendix.html"} <= set(sizes)
    heavy = {name: size for name, size in sizes.items() if size > PAGE_LIMIT}
    assert not heavy, f"pages over {PAGE_LIMIT} bytes: {heavy}"
    for name in ("index.html", "fr/index.html"):
        assert sizes[name] <= BRIEFING_LIMIT, (name, sizes[name])


def test_briefing_tables_download_as_csv(pages):
    files = downloads(pages["index.html"])
    tables = {
        name: pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
        for name, data in files.items()
        if name.endswith(".csv")
    }
    assert set(tables) == {
        "civilians-killed-by-perpetrator.csv",
        "civilians-killed-by-operation.csv",
        "civilians-killed-by-year.csv",
    }
    by_year = tables["civilians-killed-by-year.csv"]
    assert list(by_year.columns) == [
        "year",
        "incidents",
        "civilians_killed_min",
        "civilians_killed_max",
    ]
    # Each table splits the same incidents: the totals agree across the three.
    totals = {name: tuple(t.iloc[:, 1:].sum()) for name, t in tables.items()}
    assert len(set(totals.values())) == 1, totals
