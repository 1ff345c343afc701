"""Logic the notebooks call: period counts, yearly ranges, quality flags, the widest
disagreement, the best export link, the range rule's counted claims and computed titles."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.pipeline import linkage
from analysis.pipeline.derive import counts_towards_range
from analysis.report import compare, findings, metrics


def incident(i: int, date: str, **kw) -> dict:
    row = {
        "incident_id": f"i{i}",
        "date_start": pd.Timestamp(date),
        "year": pd.Timestamp(date).year,
        "operation_type": "ground_raid",
        "perpetrator_group": "Malian forces alone",
        "evidence_grade": "A",
        "civilians_killed_min": 1,
        "civilians_killed_max": 1,
        "children_killed_min": pd.NA,
        "children_killed_max": pd.NA,
        "single_source": False,
        "party_claims_only": False,
        "date_precision": "day",
        "latitude": 14.0,
    }
    row.update(kw)
    return row


@pytest.fixture
def incidents() -> pd.DataFrame:
    frame = pd.DataFrame(
        [
            incident(1, "2022-01-10", civilians_killed_min=5, civilians_killed_max=9),
            incident(2, "2022-02-20", operation_type="drone_strike", latitude=None),
            incident(3, "2022-11-02", evidence_grade="C", single_source=True),
            incident(
                4,
                "2024-05-01",
                civilians_killed_min=10,
                civilians_killed_max=40,
                children_killed_min=2,
                children_killed_max=3,
                date_precision="month",
                perpetrator_group="With Russian forces (Wagner / Africa Corps)",
            ),
        ]
    )
    for c in ("civilians_killed_min", "civilians_killed_max"):
        frame[c] = frame[c].astype("Int64")
    for c in ("children_killed_min", "children_killed_max"):
        frame[c] = frame[c].astype("Int64")
    return frame


def test_quarterly_counts_cover_every_quarter_even_empty_ones(incidents):
    table = metrics.quarterly_counts(incidents, "operation_type", ["ground_raid", "drone_strike"])
    assert table.index[0] == pd.Timestamp("2022-01-01")
    assert table.index[-1] == pd.Timestamp("2024-04-01")
    assert len(table) == 10  # 2022Q1 .. 2024Q2
    assert table.loc["2022-01-01"].tolist() == [1, 1]
    assert table.loc["2023-04-01"].sum() == 0  # a quarter with nothing is present, as zero
    assert int(table.to_numpy().sum()) == len(incidents)


def test_yearly_counts_include_years_without_incidents(incidents):
    table = metrics.yearly_counts(incidents, "evidence_grade", ["A", "B", "C"])
    assert list(table.index.year) == [2022, 2023, 2024]
    assert table.loc["2023-01-01"].tolist() == [0, 0, 0]
    assert table.loc["2022-01-01"].tolist() == [2, 0, 1]


def test_yearly_range_sums_minimums_and_maximums(incidents):
    yearly = metrics.yearly_range(incidents)
    assert yearly.loc[2022].tolist() == [3, 7, 11, 0, 0]
    assert yearly.loc[2024].tolist() == [1, 10, 40, 2, 3]


def test_quality_flags_count_each_check(incidents):
    flags = metrics.quality_flags(incidents)
    assert flags["All incidents"] == 4
    assert flags["Backed by one publisher only"] == 1
    assert flags["Date known only to the week or month"] == 1
    assert flags["Without coordinates"] == 1
    assert flags["No figure for civilians killed (injured or missing only)"] == 0


def test_widest_disagreement_picks_the_widest_range_and_its_claims(incidents):
    claims = pd.DataFrame(
        {
            "incident_id": ["i4", "i4", "i4", "i1"],
            "victim_group": ["civilians", "civilians", "children", "civilians"],
            "outcome": ["killed", "killed", "killed", "killed"],
        }
    )
    widest, own = metrics.widest_disagreement(incidents, claims)
    assert widest["incident_id"] == "i4"
    assert len(own) == 2 and set(own["victim_group"]) == {"civilians"}


def test_a_party_claim_counts_only_without_an_independent_figure():
    claims = pd.DataFrame(
        {
            "incident_id": ["a", "a", "b", "b"],
            "victim_group": ["civilians"] * 4,
            "outcome": ["killed", "killed", "killed", "injured"],
            "is_party_claim": [True, False, True, False],
        }
    )
    counted = counts_towards_range(claims)
    # a: an independent figure exists, so the party's does not count; b: the party's killed
    # figure is the only one for that outcome, so it counts.
    assert counted.tolist() == [False, True, True, True]


def test_reconciliation_and_leads_tables_read_as_prose():
    incidents = pd.DataFrame(
        {
            "incident_id": ["kept-2023-01", "lost-2023-01"],
            "date_start": pd.to_datetime(["2023-01-05", "2023-01-20"]),
            "date_end": pd.to_datetime(["2023-01-05", "2023-01-20"]),
            "region": ["Mopti", "Mopti"],
            "cercle": [None, "Douentza"],
            "locality": ["Boni", "Gassel"],
            "latitude": [None, None],
            "longitude": [None, None],
            "perpetrator": ["malian_forces", "malian_forces_wagner"],
            "operation_type": ["ground_raid", "ground_raid"],
            "civilians_killed_min": pd.array([4, None], dtype="Int64"),
            "civilians_killed_max": pd.array([6, None], dtype="Int64"),
        }
    )
    events = pd.DataFrame(
        {
            "dataset": ["acled"] * 3,
            "event_id": ["E1", "E2", "E3"],
            "date_start": pd.to_datetime(["2023-01-05", "2023-01-05", "2023-01-21"]),
            "date_end": pd.to_datetime(["2023-01-05", "2023-01-06", "2023-01-21"]),
            "region": ["Mopti"] * 3,
            "admin1": ["Mopti"] * 3,
            "admin2": [None, None, "Douentza"],
            "admin3": [None] * 3,
            "location": ["Boni", "Boni", "Douna"],
            "latitude": [None] * 3,
            "longitude": [None] * 3,
            "geo_precision": ["locality"] * 3,
            "actor1_raw": ["Military Forces of Mali (2021-)"] * 3,
            "notes": ["", "", None],
            "perpetrator": ["malian_forces", "malian_forces", "malian_forces_militia"],
            "operation_type": ["ground_raid"] * 3,
            "civilians_killed_min": pd.array([2, 3, 0], dtype="Int64"),
            "civilians_killed_max": pd.array([2, 3, 9], dtype="Int64"),
        }
    )
    result = linkage.reconcile(incidents, events)
    table = compare.reconciliation_table(incidents, events, result.links, result.candidates)
    rows = table.set_index("Incident")
    # An incident is named as a reader would name it (place and month), not by its id.
    assert list(rows.index) == ["Boni, January 2023", "Gassel, January 2023"]
    assert rows.loc["Boni, January 2023", "Found"] == "Linked: 2 events (E1 E2)"
    # Judged on the sum of its two events (2 + 3 = 5 inside 4..6), not event by event.
    assert rows.loc["Boni, January 2023", "Agreement"] == "Ranges agree"
    assert rows.loc["Gassel, January 2023", "Found"] == "Not in this export"
    leads = compare.leads_table(linkage.leads(events, result.links))
    assert leads["Event"].tolist() == ["ACLED E3"]
    assert (
        leads.iloc[0]["Alleged perpetrator (export)"] == "Malian forces with another allied militia"
    )
    listed = compare.leads_html(linkage.leads(events, result.links))
    assert "<li><strong>ACLED E3 · 2023-01-21 · Douna, Douentza, Mopti" in listed
    assert 'download="leads.csv"' in listed or "leads.csv" in listed
    text = " ".join(
        map(str, [*table.columns, *table.to_numpy().ravel(), *leads.to_numpy().ravel()])
    )
    for artefact in ("<NA>", "nan", "None", "malian_forces", "dataset_higher", "_"):
        assert artefact not in text


def test_titles_follow_the_data(incidents):
    by_grade = pd.Series({"A": 3, "B": 0, "C": 1})
    assert findings.grades_title(by_grade).startswith("75% of incidents")
    by_type = metrics.quarterly_counts(incidents, "operation_type", ["ground_raid", "drone_strike"])
    title = findings.operations_title(by_type, incidents)
    assert title.startswith("Most frequent: ground raid (3 of 4)")
    assert title.endswith("first drone strike Feb 2022")
    assert findings.perpetrators_title(incidents) == (
        "75% of incidents are alleged against Malian forces alone"
    )
    changed = incidents.assign(perpetrator_group="With Dozo militia")
    assert "Malian forces with Dozo militia" in findings.perpetrators_title(changed)
