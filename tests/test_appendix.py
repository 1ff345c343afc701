"""The searchable appendix: claims and corrections per incident, a strict Content-Security-Policy
that allows only the page's own script (by hash), and filters, search and sort in Chromium."""

from __future__ import annotations

import re
from pathlib import Path

import markupsafe
import pandas as pd
import pytest

from analysis import clean, render
from analysis.report import briefing, data, pages, pagescript
from tests.conftest import ROOT

CHANGELOG = (
    "date,incident_id,action,field,old_value,new_value,reason,reason_fr,source_id\n"
    "2024-01-05,{incident},edited,casualties,9..9,12..15,A later report gave a higher toll.,"
    "Un rapport ultérieur a donné un bilan plus élevé.,\n"
)


def appendix_html(processed: Path) -> str:
    env = pages.environment()
    nav = [{"href": "index.html", "title": "Briefing"}]
    return briefing.render_appendix(env, processed, nav, render.footer_context(processed))


@pytest.fixture
def fixture_page(raw_dir, tmp_path) -> tuple[str, data.Processed]:
    incident = pd.read_csv(raw_dir / "incidents.csv")["incident_id"].iloc[0]
    (raw_dir / "changelog.csv").write_text(CHANGELOG.format(incident=incident))
    out = tmp_path / "processed"
    clean.run(raw_dir, out)
    return appendix_html(out), data.load(out)


def test_only_the_pages_own_script_may_run(fixture_page):
    html, _ = fixture_page
    scripts = re.findall(r"<script>(.*?)</script>", html, re.S)
    assert scripts == [pagescript.script()]
    assert html.count("<script") == 1
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1)
    assert policy == (
        "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
        f"script-src {pagescript.csp_hash(scripts[0])}"
    )
    # Any other script text would need another hash: the policy names this script only.
    assert pagescript.csp_hash(scripts[0] + " ") not in policy


def test_each_incident_shows_its_claims_and_corrections(fixture_page):
    html, processed = fixture_page
    for claim in processed.claims.itertuples(index=False):
        assert f"<q>{markupsafe.escape(claim.source_wording)}</q>" in html
    incident = processed.extra["changelog"]["incident_id"].iloc[0]
    row = re.search(rf'<tr id="{incident}".*?</tr>', html, re.S).group(0)
    assert "Corrected 5 January 2024" in row
    assert "A later report gave a higher toll." in row and "After: 12..15." in row
    assert html.count('class="correction"') == 1
    # The controls are hidden until the script shows them: without JavaScript, a plain table.
    assert re.search(r'<form id="filters" class="filters" hidden', html)


def test_places_show_their_note_in_the_pages_language(raw_dir, tmp_path):
    from analysis.report import export, i18n
    from tests.test_schemas import with_locality_notes

    with_locality_notes(raw_dir, {2: "near Bravo,près de Bravo"})
    out = tmp_path / "processed"
    clean.run(raw_dir, out)
    nav = [{"href": "index.html", "title": "Briefing"}]
    footer = render.footer_context(out)
    for lang, note in (("en", "near Bravo"), ("fr", "près de Bravo")):
        with i18n.using(lang):
            html = briefing.render_appendix(pages.environment(lang), out, nav, footer)
            table = export.incidents_table(data.load(out)).set_index("incident_id")
        row = re.search(r'<tr id="alpha-2022-03".*?</tr>', html, re.S).group(0)
        assert f"<td>Alpha ({note}), Djenné<br>" in row, row[:400]
        assert table.loc["alpha-2022-03", "locality"] == "Alpha"
        assert table.loc["alpha-2022-03", "locality_note"] == note


def visible(page) -> list[str]:
    return page.eval_on_selector_all(
        "#incidents tbody tr", "rows => rows.filter(r => !r.hidden).map(r => r.id)"
    )


@pytest.fixture(scope="module")
def real_page(real_processed, tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    folder = tmp_path_factory.mktemp("appendix")
    processed = real_processed
    page = folder / "appendix.html"
    page.write_text(appendix_html(processed), encoding="utf-8")
    return page, data.load(processed).incidents


def test_filters_search_and_sort_in_the_browser(real_page, browser):
    from playwright.sync_api import expect

    path, inc = real_page
    context = browser.new_context(viewport={"width": 1280, "height": 900}, offline=True)
    errors: list[str] = []
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(path.as_uri(), wait_until="load")
        assert page.is_visible("#filters")
        assert len(visible(page)) == len(inc)
        page.select_option("select[name=year]", "2022")
        assert sorted(visible(page)) == sorted(inc.loc[inc["year"] == 2022, "incident_id"])
        page.select_option("select[name=grade]", "A")
        chosen = inc[(inc["year"] == 2022) & (inc["evidence_grade"] == "A")]
        assert sorted(visible(page)) == sorted(chosen["incident_id"])
        assert page.inner_text("#filter-status") == (
            f"{len(chosen)} incidents shown out of {len(inc)}."
        )
        page.click("button[type=reset]")
        # The form applies a reset after the event (setTimeout): wait for every row to show.
        # A locator, not wait_for_function: the page's CSP forbids eval, which a string
        # predicate polled in the page needs.
        expect(page.locator("#incidents tbody tr[hidden]")).to_have_count(0)
        page.select_option("select[name=perpetrator]", "malian_forces_wagner")
        page.select_option("select[name=operation]", "drone_strike")
        chosen = inc[
            (inc["perpetrator"] == "malian_forces_wagner")
            & (inc["operation_type"] == "drone_strike")
        ]
        assert sorted(visible(page)) == sorted(chosen["incident_id"])
        page.click("button[type=reset]")
        page.fill("input[name=q]", "segou")  # accents do not matter: matches Ségou
        assert sorted(visible(page)) and all(
            r in set(inc.loc[inc["region"] == "Ségou", "incident_id"])
            or "gou" in page.inner_text(f"[id='{r}']").lower()
            for r in visible(page)
        )
        page.fill("input[name=q]", "")
        page.select_option("select[name=sort]", "max-desc")
        top = visible(page)[0]
        assert inc.set_index("incident_id").loc[top, "civilians_killed_max"] == (
            inc["civilians_killed_max"].max()
        )
        page.select_option("select[name=sort]", "date-desc")
        assert (
            visible(page)[0]
            == inc.sort_values(["date_start", "incident_id"])["incident_id"].iloc[-1]
        )
        # The view the screenshot shows: 2024, Mopti region, sorted by highest figure.
        page.select_option("select[name=sort]", "max-desc")
        page.select_option("select[name=year]", "2024")
        page.select_option("select[name=region]", "Mopti")
        page.locator("#incidents tbody tr:not([hidden]) details.claims").first.evaluate(
            "d => d.open = true"
        )
        page.set_viewport_size({"width": 1280, "height": 1300})
        page.locator("#filters").evaluate("f => window.scrollTo(0, f.offsetTop - 8)")
        shots = ROOT / "reports" / "screenshots"
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shots / "appendix-filtered.png"), full_page=False)
        assert errors == []  # a script blocked by the policy would log an error here
    finally:
        context.close()


def test_without_javascript_the_full_table_shows(real_page, browser):
    path, inc = real_page
    context = browser.new_context(java_script_enabled=False, offline=True)
    page = context.new_page()
    try:
        page.goto(path.as_uri(), wait_until="load")
        assert not page.is_visible("#filters")
        assert len(visible(page)) == len(inc)
    finally:
        context.close()


def test_an_allegation_read_only_in_a_translation_says_so():
    claims = pd.DataFrame(
        {
            "incident_id": ["x-2023-09", "x-2023-09"],
            "source_id": ["copy-20230923", "page-20230924"],
            "publisher": ["Aggregator", "Agency"],
            "is_party_claim": [False, False],
            "allegation": ["alleges", "alleges"],
            "perpetrator": ["wagner", "malian_forces"],
            "perpetrator_reported": ["a group of Wagner", "the army"],
            "perpetrator_basis": ["translated_copy", "page"],
        }
    )
    sources = pd.DataFrame(
        {
            "source_id": ["copy-20230923", "page-20230924"],
            "url": ["https://a.example", "https://b.example"],
        }
    )
    entries = {e["publisher"]: e for e in briefing.who_alleged_what(claims, sources)["x-2023-09"]}
    assert entries["Aggregator"]["from_translation"] and not entries["Agency"]["from_translation"]
    assert not entries["Aggregator"]["from_record"]


def test_counts_of_one_take_the_singular_in_both_editions(raw_dir, tmp_path):
    from analysis.report import i18n

    out = tmp_path / "processed"
    clean.run(raw_dir, out)
    grades = data.load(out).incidents["evidence_grade"].value_counts()
    assert (grades == 1).any()  # the fixture has a grade with one incident
    nav = [{"href": "index.html", "title": "Briefing"}]
    footer = render.footer_context(out)
    for lang, one, wrong in (
        ("en", "(1 incident)", "1 incidents"),
        ("fr", "(1 incident)", "1 incidents"),
    ):
        with i18n.using(lang):
            html = briefing.render_index(pages.environment(lang), out, nav, footer, [])
        text = re.sub(r"<[^>]+>", "", html)
        assert one in text and wrong not in text, lang
