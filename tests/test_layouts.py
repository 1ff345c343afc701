"""Every ACLED and UCDP layout users hold, on faithful fixtures (invented rows, real layouts).

tests/fixtures/layouts/ holds one file per layout with ``<name>.expected.json``: the events,
the civilians-killed range for Malian state forces and the actor strings that must stay
unclassified, computed by hand. Each file is read by its reader, then alone in an export
folder through the data step's reading and table building; one event layout and both aggregated
layouts go together through ``clean.main`` and onto the cross-source page.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from analysis import clean
from analysis.errors import DataError
from analysis.pipeline.exports import read_exports
from analysis.sources.acled import read_acled
from analysis.sources.actors import Actors, load_actor_rules
from analysis.sources.aggregates import read_aggregates
from analysis.sources.exports import xlsx_to_csv
from analysis.sources.inbox import classify
from analysis.sources.ucdp import read_ucdp
from tests.conftest import FIXTURES, ROOT

LAYOUTS = FIXTURES / "layouts"
ACLED_EVENTS = [
    "acled-pre2019-30col.csv",
    "acled-2019-2023-31col.csv",
    "acled-current-31col.csv",
    "acled-current-35col-population.csv",
    "conflict_data_mli.csv",
]
UCDP = [
    "ged-yearly-25.1.csv",
    "GEDEvent_v24_0_7.csv",
    "GEDEvent_v24_0_1-noheader.csv",
    "ucdp-website-export.csv",
]
AGGREGATES = ["acled-aggregated-weekly-admin1.csv", "acled-hdx-monthly-admin2-mli.xlsx"]


@pytest.fixture(scope="module")
def actors() -> Actors:
    return Actors.load()


def expected(name: str) -> dict:
    stem = name.rsplit(".", 1)[0]
    return json.loads((LAYOUTS / f"{stem}.expected.json").read_text())


def write_xlsx(source: Path, target: Path) -> Path:
    """An .xlsx export of a CSV fixture as Excel holds it: numbers as numbers, ISO dates as
    dates (what ACLED's export tool or a user's 'Save as' writes)."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Sheet1"
    with open(source, encoding="utf-8-sig", newline="") as handle:
        for i, row in enumerate(csv.reader(handle)):
            cells: list[object] = []
            for value in row:
                if i and re.fullmatch(r"-?\d+", value):
                    cells.append(int(value))
                elif i and re.fullmatch(r"-?\d+\.\d+", value):
                    cells.append(float(value))
                elif i and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                    cells.append(dt.datetime.fromisoformat(value))
                else:
                    cells.append(value or None)
            sheet.append(cells)
    book.save(target)
    return target


# --------------------------------------------------------------------------------------------
# Readers, per layout
# --------------------------------------------------------------------------------------------


def _check_events(result, exp: dict) -> None:
    events = result.events.set_index("event_id")
    got = {
        e: (int(r.civilians_killed_min), int(r.civilians_killed_max)) for e, r in events.iterrows()
    }
    want = {e["id"]: (e["min"], e["max"]) for e in exp["state_events"]}
    assert got == want
    lo, hi = exp["state_civilians_killed"]
    assert (sum(v[0] for v in got.values()), sum(v[1] for v in got.values())) == (lo, hi)
    assert result.provenance["rows_read"] == exp["events"]
    assert sorted(set(result.unclassified["actor"])) == sorted(exp["unclassified_actor_strings"])


@pytest.mark.parametrize("name", ACLED_EVENTS)
def test_acled_layout(name, actors):
    result = read_acled(LAYOUTS / name, actors)
    _check_events(result, expected(name))


@pytest.mark.parametrize("name", UCDP)
def test_ucdp_layout(name, actors):
    result = read_ucdp(LAYOUTS / name, actors)
    _check_events(result, expected(name))
    # Russia beside Mali is the state with Russian forces (before June 2025: Wagner).
    assert result.events.set_index("event_id").loc["880002", "perpetrator"] == (
        "malian_forces_wagner"
    )


def test_layouts_are_named(actors):
    layouts = {
        n: read_acled(LAYOUTS / n, actors).provenance["columns_layout"] for n in ACLED_EVENTS
    }
    assert layouts == {
        "acled-pre2019-30col.csv": "acled-pre2019",
        "acled-2019-2023-31col.csv": "acled-2019-2023",
        "acled-current-31col.csv": "acled-2023+",
        "acled-current-35col-population.csv": "acled-2023+-population",
        "conflict_data_mli.csv": "acled-2019-2023+hxl",
    }
    assert (
        read_ucdp(LAYOUTS / "ucdp-website-export.csv", actors).provenance["columns_layout"]
        == "ucdp-website-export"
    )


def test_hxl_row_is_skipped_and_lines_stay_the_files(actors, tmp_path):
    path = tmp_path / "conflict_data_mli.csv"
    text = (LAYOUTS / "conflict_data_mli.csv").read_text()
    path.write_text(text.replace("2022-05-03,2022", "2022-05-33,2022"))
    result = read_acled(path, actors)
    (row,) = result.rejected.itertuples()
    assert (row.event_id, row.line) == ("MLI94007", 9)  # header, HXL row, 6 events before


def test_pre2019_operation_types(actors):
    events = read_acled(LAYOUTS / "acled-pre2019-30col.csv", actors).events.set_index("event_id")
    assert events.loc["MLI90003", "operation_type"] == "drone_strike"  # Remote violence, drone
    assert events.loc["MLI90011", "operation_type"] == "airstrike"  # Remote violence, air strike
    assert events.loc["MLI90001", "operation_type"] == "ground_raid"  # VAC


def test_acled_xlsx_export(actors, tmp_path):
    book = write_xlsx(LAYOUTS / "acled-current-31col.csv", tmp_path / "acled-current.xlsx")
    found = classify(book, "acled")
    assert (found.kind, found.sheet) == ("acled", "Sheet1")
    data = xlsx_to_csv(book, "Sheet1", tmp_path / "sheet.csv")
    result = read_acled(data, actors, origin=book)
    assert result.provenance["columns_layout"] == "acled-2023+-xlsx".replace("-xlsx", "+xlsx")
    _check_events(result, expected("acled-current-31col.csv"))


def test_weekly_aggregates():
    result = read_aggregates(LAYOUTS / "acled-aggregated-weekly-admin1.csv")
    agg = result.events
    exp = expected("acled-aggregated-weekly-admin1.csv")
    assert (len(agg), int(agg["events"].sum()), int(agg["fatalities"].sum())) == (
        exp["events"],
        exp["events_total_in_cells"],
        exp["fatalities_total"],
    )
    vac = agg[agg["scope"] == "violence_against_civilians"]
    assert int(vac["fatalities"].sum()) == 11 + 0


def test_hdx_xlsx_aggregates(tmp_path):
    book = LAYOUTS / "acled-hdx-monthly-admin2-mli.xlsx"
    found = classify(book, "acled")
    assert (found.kind, found.sheet) == ("acled-aggregates", "Data")  # the TOU sheet is skipped
    data = xlsx_to_csv(book, "Data", tmp_path / "data.csv")
    agg = read_aggregates(data, origin=book).events
    exp = expected(book.name)
    assert (len(agg), int(agg["events"].sum()), int(agg["fatalities"].sum())) == (8, 37, 95)
    assert exp["fatalities_total"] == 95
    assert set(agg["scope"]) == {"not_stated"}  # the file does not say which events
    assert agg["month"].min() == pd.Timestamp("2024-01-01")


# --------------------------------------------------------------------------------------------
# Actor rules
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "role"),
    [
        ("Military Forces of Mali (2020-)", "malian_forces"),
        ("Police Forces of Mali (2020-)", "malian_forces"),
        ("Government of Mali (2020-2021)", "malian_forces"),
        ("Military Forces of Mali (2020-) Special Forces", "malian_forces"),
        ("Military Forces of Mali (2020-) Operational Coordination Mechanism", "malian_forces"),
        ("Police Forces of Mali (2020-) Gendarmerie", "malian_forces"),
        ("Police Forces of Mali (2013-) Prison Guards", "malian_forces"),
        ("Police Forces of Mali (2013-) Customs Agents", "malian_forces"),
        ("Military Forces of Mali (2026-)", "malian_forces"),  # a regime period not yet seen
        ("Former Government of Mali (2013-)", "excluded"),
        ("Private Security Forces (Mali)", "excluded"),
        ("Mutiny of Military Forces of Mali (2020-)", "excluded"),
        ("Wagner Group", "wagner"),
        ("Military Forces of Russia (2000-) Wagner Group", "wagner"),
        ("Military Forces of Russia (2000-) Africa Corps", "africa_corps"),
        ("Africa Corps", "africa_corps"),
        ("Unidentified Military Forces (Mali)", "review"),
        ("Civilians (Mali)", None),
        ("JNIM: Group for Support of Islam and Muslims", None),
    ],
)
def test_acled_actor_rules(actors, actor, role):
    assert actors.classify([actor], "acled").get(actor) == role


def test_contradictory_rules_stop_the_build(tmp_path):
    path = tmp_path / "actor_rules.csv"
    path.write_text(
        "dataset,pattern,role,example,note\n"
        "acled,.*Forces of Mali.*,excluded,Military Forces of Mali (2021-),x\n"
        "acled,Military Forces of Mali \\(.*\\),malian_forces,Military Forces of Mali (2021-),x\n"
    )
    with pytest.raises(DataError) as info:
        load_actor_rules(path)
    (problem,) = info.value.problems
    assert problem.row == 3 and "contradictory rules: line 2" in problem.rule


def test_rule_must_match_its_example(tmp_path):
    path = tmp_path / "actor_rules.csv"
    path.write_text("dataset,pattern,role,example,note\nacled,Wagner,wagner,Wagner Group,x\n")
    with pytest.raises(DataError, match="does not match its example"):
        load_actor_rules(path)


# --------------------------------------------------------------------------------------------
# The export folder: unread files named, latest edit wins
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fixture_record():
    """The fixture's curated record, read once: its region map and incidents."""
    from analysis.pipeline.curated import read_curated

    return read_curated(FIXTURES / "curated")


@pytest.fixture
def regions(fixture_record) -> pd.DataFrame:
    return fixture_record.regions


def test_unread_files_are_named_with_a_reason(tmp_path, regions):
    folder = tmp_path / "acled"
    folder.mkdir()
    shutil.copy(LAYOUTS / "acled-current-31col.csv", folder)
    (folder / "acled-2025-01-02.csv").write_text("<!DOCTYPE html><html>Access denied</html>")
    (folder / "response.json").write_text('{"status": 200, "data": []}')
    (folder / "notes.csv").write_text("a,b\n1,2\n")
    exports = read_exports(tmp_path, regions)
    reasons = {s["file"]: s["reason"] for s in exports.skipped}
    assert set(reasons) == {"acled/acled-2025-01-02.csv", "acled/response.json", "acled/notes.csv"}
    assert "HTML page" in reasons["acled/acled-2025-01-02.csv"]
    assert "JSON" in reasons["acled/response.json"]
    assert "not a recognised" in reasons["acled/notes.csv"]
    assert len(exports.events) == 7


def test_latest_timestamp_wins_and_revisions_are_listed(tmp_path, regions):
    folder = tmp_path / "acled"
    folder.mkdir()
    text = (LAYOUTS / "acled-current-31col.csv").read_text()
    # The file whose name sorts last is the OLDER download: the timestamp decides, not the name.
    newer = text.replace(
        'killed 12 men, per invented sources.",12,,1751990400',
        'killed 12 men, per invented sources.",14,,1751999999',
    )
    (folder / "a-newer.csv").write_text(newer)
    (folder / "z-older.csv").write_text(text)
    exports = read_exports(tmp_path, regions)
    kept = exports.events.set_index("event_id").loc["MLI92002"]
    assert (kept["fatalities_best"], kept["source_file"]) == (14, "a-newer.csv")
    rev = exports.revisions
    assert list(rev["event_id"].unique()) == ["MLI92002"]
    assert dict(zip(rev["file"], rev["fatalities_best"], strict=True)) == {
        "a-newer.csv": 14,
        "z-older.csv": 12,
    }


def test_later_ucdp_release_wins(tmp_path, regions):
    folder = tmp_path / "ucdp"
    folder.mkdir()
    text = (LAYOUTS / "GEDEvent_v24_0_7.csv").read_text()
    shutil.copy(LAYOUTS / "GEDEvent_v24_0_7.csv", folder / "GEDEvent_v24_0_9.csv")
    (folder / "GEDEvent_v24_0_10.csv").write_text(
        text.replace("0,0,6,0,6,8,5,432,", "0,0,7,0,7,9,6,432,")
    )
    exports = read_exports(tmp_path, regions)
    kept = exports.events.set_index("event_id").loc["880001"]
    assert kept["source_file"] == "GEDEvent_v24_0_10.csv"  # 24.0.10 is later than 24.0.9
    assert (kept["civilians_killed_min"], kept["civilians_killed_max"]) == (6, 9)


# --------------------------------------------------------------------------------------------
# Each layout through the data step: read, counted (here, on the tables the data step builds,
# with the fixture's small record); shown on the cross-source page once for an event layout and
# both aggregated layouts (the page draws from those tables, whatever layout they came from);
# the whole `make report` with an export is tested once, in tests/test_make.py
# --------------------------------------------------------------------------------------------

# (file, folder, events kept, civilians killed by Malian state forces [min, max]), summed by
# hand from the fixture rows (see each .expected.json for the row-by-row reasoning).
E2E = [
    # VAC 7 + 12 (with Wagner) + 4 (Special Forces) + 1 (police); strikes 0..9, 0..3
    ("acled-pre2019-30col.csv", "acled", 6, (7 + 12 + 4 + 1, 7 + 12 + 4 + 1 + 9 + 3)),
    ("acled-2019-2023-31col.csv", "acled", 6, (7 + 12 + 4 + 1, 7 + 12 + 4 + 1 + 9 + 3)),
    ("conflict_data_mli.csv", "acled", 6, (7 + 12 + 4 + 1, 7 + 12 + 4 + 1 + 9 + 3)),
    # ... plus 6 by Africa Corps with Malian forces (2025)
    ("acled-current-31col.csv", "acled", 7, (7 + 12 + 4 + 1 + 6, 7 + 12 + 4 + 1 + 6 + 9 + 3)),
    (
        "acled-current-35col-population.csv",
        "acled",
        7,
        (7 + 12 + 4 + 1 + 6, 7 + 12 + 4 + 1 + 6 + 9 + 3),
    ),
    ("acled-current-31col.xlsx", "acled", 7, (7 + 12 + 4 + 1 + 6, 7 + 12 + 4 + 1 + 6 + 9 + 3)),
    # one-sided low..high: 5..8, 10..20 (with Russia), 1..1; battle 880003: 0..2+0+(11-9)
    ("ged-yearly-25.1.csv", "ucdp", 4, (5 + 10 + 1 + 0, 8 + 20 + 1 + 4)),
    ("GEDEvent_v24_0_7.csv", "ucdp", 4, (5 + 10 + 1 + 0, 8 + 20 + 1 + 4)),
    ("GEDEvent_v24_0_1-noheader.csv", "ucdp", 4, (5 + 10 + 1 + 0, 8 + 20 + 1 + 4)),
    ("ucdp-website-export.csv", "ucdp", 4, (5 + 10 + 1 + 0, 8 + 20 + 1 + 4)),
    ("acled-aggregated-weekly-admin1.csv", "acled", 0, None),
    ("acled-hdx-monthly-admin2-mli.xlsx", "acled", 0, None),
]

# What each aggregated file adds up to, as the page states it: {series: (deaths, events)}.
AGGREGATE_TOTALS = {
    # weekly: Battles 6 + Explosions 9 + VAC 11 + 0 deaths; VAC alone 11 in 3 + 2 events
    "acled-aggregated-weekly-admin1.csv": {
        "all political violence": (6 + 9 + 11 + 0, 2 + 1 + 3 + 2),
        "violence against civilians": (11 + 0, 3 + 2),
    },
    # HDX monthly: 14 + 0 + 31 + 7 + 9 + 12 + 0 + 22 deaths in 6+3+9+4+2+5+1+7 events
    "acled-hdx-monthly-admin2-mli.xlsx": {
        "event types not stated in the file": (
            14 + 0 + 31 + 7 + 9 + 12 + 0 + 22,
            6 + 3 + 9 + 4 + 2 + 5 + 1 + 7,
        ),
    },
}


def drop_export(raw: Path, name: str, folder: str) -> None:
    """Put one layout's file in the export folder ``raw/folder`` (an .xlsx made from its CSV
    where the layout's fixture is a CSV)."""
    (raw / folder).mkdir(parents=True, exist_ok=True)
    if name.endswith(".xlsx") and not (LAYOUTS / name).exists():
        write_xlsx(LAYOUTS / name.replace(".xlsx", ".csv"), raw / folder / name)
    else:
        shutil.copy(LAYOUTS / name, raw / folder / name)


@pytest.mark.parametrize(("name", "folder", "n_events", "killed"), E2E, ids=[r[0] for r in E2E])
def test_each_layout_is_read_and_counted_by_the_data_step(
    fixture_record, tmp_path, name, folder, n_events, killed
):
    """The export folder as the data step reads it: the file is found and read with its
    layout, and the tables the data step builds hold its events and ranges, its unclassified
    actor strings, or (aggregated files) its monthly totals."""
    from analysis.report import compare

    drop_export(tmp_path, name, folder)
    exports = read_exports(tmp_path, fixture_record.regions)
    assert exports.skipped == []
    report = "\n".join(clean.export_report(exports))
    assert f"| {folder}/{name} | " in report and "read as" in report
    tables = clean.build_tables(fixture_record, exports)
    events = tables["events"]
    assert len(events) == n_events
    if killed is None:
        # Aggregates: context only, never events caused by state forces.
        series = compare.aggregate_series(tables["aggregates"])
        got = {
            label: (int(frame["fatalities"].sum()), int(frame["events"].sum()))
            for label, frame in series.items()
        }
        want = {
            f"ACLED aggregated, {scope} ({name})": totals
            for scope, totals in AGGREGATE_TOTALS[name].items()
        }
        assert got == want
        return
    assert set(events["dataset"]) == {folder}
    assert (
        int(events["civilians_killed_min"].sum()),
        int(events["civilians_killed_max"].sum()),
    ) == killed
    # The unclassified actor is listed for the data-quality page, not counted.
    assert "Unidentified Military Forces (Mali)" in set(tables["unclassified_actors"]["actor"])


# The end-to-end case: one event layout (UCDP's file without a header row) and both aggregated
# layouts (one of them an .xlsx with a terms-of-use sheet) in one export folder, through
# `clean.main` on the project's own records, then the cross-source page (English).
SHOWN_EVENTS = "GEDEvent_v24_0_1-noheader.csv"
SHOWN = [row for row in E2E if row[0] == SHOWN_EVENTS or row[3] is None]


@pytest.mark.slow
def test_layouts_are_shown_on_the_cross_source_page(tmp_path):
    from analysis import render

    raw = tmp_path / "raw"
    shutil.copytree(ROOT / "data" / "raw", raw, ignore=shutil.ignore_patterns("acled", "ucdp"))
    for name, folder, _, _ in SHOWN:
        drop_export(raw, name, folder)
    processed = tmp_path / "processed"
    assert clean.main(["--raw", str(raw), "--out", str(processed)]) == 0
    report = (processed / "validation_report.md").read_text()
    for name, folder, _, _ in SHOWN:
        assert f"{folder}/{name} | " in report, name
    reports = tmp_path / "reports"
    assert render.render(ROOT, processed, reports, {"05-cross-source"}, languages=("en",)) == 0
    page = (reports / "05-cross-source.html").read_text()
    (_, folder, n_events, (lo, hi)) = next(row for row in SHOWN if row[0] == SHOWN_EVENTS)
    events = pd.read_parquet(processed / "events.parquet")
    assert len(events) == n_events
    shown = rf"<td>{folder.upper()}</td>\s*<td>{n_events}</td>\s*<td>{lo}–{hi}</td>"
    assert re.search(shown, page), f"{n_events} events, {lo}–{hi} not on page 05"
    # Every event is either linked to an incident or listed as a lead; no artefact on the page.
    leads = n_events - len(pd.read_parquet(processed / "links.parquet"))
    assert re.search(rf"{leads} export events? (?:is|are) not explained", page), leads
    assert "<NA>" not in page and "dataset_higher" not in page
    # Aggregates: shown as context, never as deaths caused by state forces.
    assert "ACLED aggregated" in page and "not attributable" in page
    for name, series in AGGREGATE_TOTALS.items():
        for scope, (deaths, n) in series.items():
            text = f"{scope} ({name}): {deaths} deaths in {n} events"
            assert text in page, text
