"""The tables and sentences the pages show (analysis.report.tables, findings.range_leader,
geo.region_circles), on small hand-made frames whose figures are known."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.report import findings, geo, i18n, metrics, tables
from tests.test_report_logic import incident


@pytest.fixture(autouse=True)
def english():
    with i18n.using("en"):
        yield


@pytest.fixture
def incidents() -> pd.DataFrame:
    frame = pd.DataFrame(
        [
            incident(
                1, "2022-01-10", civilians_killed_min=5, civilians_killed_max=9, region="Mopti"
            ),
            incident(2, "2022-03-20", region="Ségou", locality="Place <b>", latitude=None),
            incident(
                3,
                "2024-05-01",
                civilians_killed_min=1200,
                civilians_killed_max=1500,
                children_killed_min=2,
                children_killed_max=3,
                region="Mopti",
                locality=None,
            ),
            incident(4, "2024-06-01", region="Not stated", evidence_grade="C"),
        ]
    )
    for c in ("civilians_killed_min", "civilians_killed_max"):
        frame[c] = frame[c].astype("Int64")
    for c in ("children_killed_min", "children_killed_max"):
        frame[c] = frame[c].astype("Int64")
    frame["month"] = frame["date_start"].dt.to_period("M").dt.start_time
    return frame


def test_yearly_ranges_format_each_year_as_ranges(incidents):
    table = tables.yearly_ranges(incidents)
    assert table.columns.tolist() == [
        "Year",
        "Incidents",
        "Civilians reported killed",
        "of whom children (where stated)",
    ]
    assert table.to_numpy().tolist() == [
        [2022, "2", "6–10", "0"],
        [2024, "2", "1,201–1,501", "2–3"],
    ]


def test_yearly_ranges_in_french_use_french_digits(incidents):
    with i18n.using("fr"):
        table = tables.yearly_ranges(incidents)
    assert table.iloc[1, 2] == "1\u202f201–1\u202f501"


def test_source_kinds_count_incidents_once_per_source_and_sort_by_incidents():
    claims = pd.DataFrame(
        {
            "incident_id": ["a", "a", "b", "c", "c"],
            "source_id": ["hrw", "hrw", "hrw", "afp", "rfi"],
            "source_kind": [
                "human_rights_org",
                "human_rights_org",
                "human_rights_org",
                "news_agency",
                "international_media",
            ],
        }
    )
    table = tables.source_kinds(claims)
    assert table.iloc[0].tolist() == ["Human-rights organisation", "2", "1"]
    assert set(table["Kind of source"][1:]) == {"News agency", "International media"}


def test_quality_checks_translate_the_labels(incidents):
    with i18n.using("fr"):
        table = tables.quality_checks(incidents)
    english = metrics.quality_flags(incidents)
    assert len(table) == len(english)
    assert table.iloc[:, 1].tolist() == [str(n) for n in english]
    assert table.iloc[0, 0] != "All incidents"


def test_widest_disagreement_escapes_the_place_and_lists_whether_claims_count(incidents):
    claims = pd.DataFrame(
        {
            "incident_id": ["i2", "i2"],
            "victim_group": ["civilians", "civilians"],
            "outcome": ["killed", "killed"],
            "publisher": ["Army", "HRW"],
            "source_wording": ["none", "dozens"],
            "count_min": [0, 9],
            "count_max": [0, 30],
            "counts_towards_range": [False, True],
        }
    )
    wide = incidents.assign(civilians_killed_max=incidents["civilians_killed_max"])
    wide.loc[1, ["civilians_killed_min", "civilians_killed_max"]] = [9, 2000]
    text = tables.widest_disagreement(wide, claims)
    assert text.startswith("<p>Place &lt;b&gt;, March 2022: the incident range is 9–2,000")
    assert "no: a party to the conflict" in text and "<td>yes</td>" in text


def test_context_events_number_only_events_on_the_charts():
    events = pd.DataFrame(
        {
            "event_id": ["late", "early"],
            "date": pd.to_datetime(["2023-06-01", "2020-01-01"]),
            "date_precision": ["day", "day"],
            "label": ["Later", "Earlier"],
            "label_fr": ["Plus tard", "Plus tôt"],
            "description": ["Second.", "First."],
            "description_fr": ["Deuxième.", "Premier."],
        }
    )
    table = tables.context_events(events, pd.Timestamp("2022-01-01"))
    assert table["No."].tolist() == ["–", "1"]
    assert table["Event"].tolist() == ["Earlier", "Later"]


def test_incidents_by_region_and_year_have_totals_and_translate_not_stated(incidents):
    with i18n.using("fr"):
        table = tables.incidents_by_region_and_year(incidents)
    region, *years, total = table.columns
    assert years == [2022, 2024] and total != "All"  # the total's heading is translated
    by_region = table.set_index(region)
    assert by_region.iloc[-1].tolist() == [2, 2, 4]
    assert by_region.loc["Mopti"].tolist() == [1, 1, 2]
    assert "Not stated" not in by_region.index and len(by_region) == 4


def test_export_files_without_exports_says_so():
    (block,) = tables.export_files({}, None)
    assert (
        block == "<p class='note'>No ACLED or UCDP file was present when this report was built.</p>"
    )


def test_export_files_list_files_skipped_and_unclassified():
    manifest = {
        "exports": {
            "acled/a.csv": {
                "columns_layout": "acled-2023+",
                "rows_read": 1200,
                "rows_kept": 1100,
                "rows_rejected": 100,
            }
        },
        "exports_skipped": [{"file": "acled/notes.txt", "reason": "not a CSV"}],
    }
    unclassified = pd.DataFrame({"actor": ["Militia X", "Militia X"], "dataset": ["acled"] * 2})
    blocks = tables.export_files(manifest, unclassified)
    assert "<td>1,200</td>" in blocks[0] and "<td>acled-2023+</td>" in blocks[0]
    assert "not a CSV" in blocks[2]
    assert "1 actor string(s) no rule classifies" in blocks[3]
    assert len(blocks) == 5  # no revisions


def test_export_files_name_militia_alone_and_foreign_led_events():
    manifest = {
        "exports": {
            "acled/a.csv": {
                "columns_layout": "acled-2023+",
                "rows_read": 10,
                "rows_kept": 6,
                "rows_rejected": 0,
                "rows_militia_only": 3,
                "foreign_led": [
                    {
                        "event_id": "MLI1",
                        "date": "2019-04-20",
                        "actor1": "Military Forces of France (2017-2022)",
                        "assoc_actor_1": "Military Forces of Mali (2013-2020)",
                        "fatalities": 1200,
                    }
                ],
            }
        }
    }
    blocks = tables.export_files(manifest, None)
    text = " ".join(blocks)
    assert "3 events harming civilians were led by a militia" in text
    assert "1 event led by foreign forces with the Malian army associated" in text
    assert "<td>MLI1</td>" in text and "<td>1,200</td>" in text


def test_range_leader_names_the_top_group_with_its_share(incidents):
    table = metrics.range_by(incidents, "operation_type")
    title, alt = findings.range_leader(table, "operation_type", {"ground_raid": "Ground raid"})
    assert (
        title
        == "Ground raid: 1,207–1,511 civilians reported killed, the most of any type of operation"
    )
    assert alt.endswith("1,207–1,511, 100% of the lowest total.")


def test_region_circles_keep_regions_with_a_point_and_label_their_range(incidents):
    ranges = metrics.range_by(incidents, "region").drop(index="Not stated")
    points = pd.DataFrame(
        {"region": ["Mopti", "Ségou", "Kidal"], "lon": [-4.2, -6.3, 1.4], "lat": [14.5, 13.4, 18.4]}
    )

    class Processed:
        region_points = points

    circles = geo.region_circles(Processed(), ranges)
    assert circles.set_index("region")["label"].to_dict() == {"Mopti": "1,205–1,509", "Ségou": "1"}
    assert circles["name"].tolist() == circles["region"].tolist()


def test_grades_alt_names_the_busiest_year_and_each_grade(incidents):
    by_year = metrics.yearly_counts(incidents, "evidence_grade", ["A", "B", "C"])
    assert findings.grades_alt(by_year).endswith(
        "2022 holds the most incidents. Grades: A 3, B 0, C 1."
    )


def test_monthly_peak_and_cumulative_total_follow_the_data(incidents):
    monthly = metrics.monthly_range(incidents)
    title, alt = findings.monthly_peak(monthly, metrics.range_total(incidents))
    assert title == "Reported civilian deaths peaked in May 2024"
    assert "with 1,200–1,500 civilians reported killed that month" in alt
    assert "sources reported 1,207–1,511" in alt
    title, alt = findings.cumulative_total(monthly, metrics.cumulative_range(monthly))
    assert title == "Reported civilian deaths add up to 1,207–1,511"
    assert "between January 2022 and June 2024" in alt and alt.endswith("step of May 2024.")


def test_region_titles_name_the_first_and_second_regions(incidents):
    placed = metrics.range_by(incidents, "region").drop(index="Not stated")
    title, alt = findings.region_map(placed)
    assert title == "Most civilians were reported killed in Mopti region"
    assert "with 1,205–1,509 civilians" in alt
    title, alt = findings.region_ranking(placed)
    assert title == "Mopti leads, ahead of Ségou"
    with i18n.using("fr"):
        assert findings.region_ranking(placed)[0] != title
