"""Reuse and citation: charts downloadable as PNG and SVG (byte-reproducible, with title, source
line and alt text), tables as CSV, and the dataset version on every page footer."""

from __future__ import annotations

import base64
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis import clean, paths, render
from analysis.pipeline import release
from analysis.report import briefing, charts
from analysis.report import pages as page_export
from tests.conftest import ROOT
from tests.test_browser import browser  # noqa: F401  (the shared Chromium fixture)

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


def test_chart_html_offers_png_and_svg_downloads():
    monthly = pd.DataFrame({"min": [1], "max": [2]}, index=pd.to_datetime(["2023-05-01"]))
    fig = charts.monthly_range_chart(monthly, title="One month", ylabel="n", source="Source: x")
    chart = charts.show(fig, "Alt: one month with 1 to 2.")
    files = downloads(chart._repr_html_())
    assert set(files) == {"one-month.png", "one-month.svg"}
    assert files["one-month.png"] == chart.png and files["one-month.png"].startswith(b"\x89PNG")
    assert b"tEXtTitle\x00One month" in chart.png
    assert b"tEXtDescription\x00Alt: one month with 1 to 2." in chart.png
    assert b"<dc:title>One month</dc:title>" in files["one-month.svg"]


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
def pages(tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("pages")
    processed = folder / "processed"
    clean.run(paths.RAW, processed)
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


def test_the_timeline_downloads_as_svg_in_the_browser(pages, browser):  # noqa: F811
    context = browser.new_context(accept_downloads=True, offline=True)
    page = context.new_page()
    try:
        page.goto((Path(pages["folder"]) / "index.html").as_uri(), wait_until="load")
        link = page.locator('figure.chart a[download$=".svg"]').first
        with page.expect_download() as info:
            link.click()
        download = info.value
        assert download.suggested_filename.startswith("reported-civilian-deaths-peaked-in")
        saved = Path(download.path()).read_bytes()
        assert saved.startswith(b"<?xml") and b"<dc:title>Reported civilian deaths" in saved
    finally:
        context.close()


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
