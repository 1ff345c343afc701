"""Guards on the project's own dataset in data/raw (the real, sourced compilation)."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from analysis import paths
from analysis.clean import build_tables
from analysis.pipeline.curated import read_curated


@pytest.fixture(scope="module")
def curated():
    return read_curated(paths.RAW)


@pytest.fixture(scope="module")
def built(curated):
    return build_tables(curated)


def test_dataset_passes_every_rule(curated):
    assert len(curated.incidents) >= 80


def test_every_year_from_2018_is_covered(curated):
    """The record reaches back before Wagner (December 2021) with every year represented."""
    years = set(curated.incidents["date_start"].dt.year)
    latest = max(years)
    assert set(range(2018, latest + 1)) <= years
    assert latest >= 2025


def test_data_readme_counts_incidents_by_year_and_grade_as_the_record_does(built):
    """The table of incidents by year and grade in data/raw/README.md is the processed record's."""
    text = (paths.RAW / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (\d{4}) \| (\d+) \| (\d+) \| (\d+) \| (\d+) \|$", text, re.M)
    written = {int(y): tuple(int(n) for n in counts) for y, *counts in rows}
    incidents = built["incidents"]
    grades = pd.crosstab(incidents["date_start"].dt.year, incidents["evidence_grade"])
    grades = grades.reindex(columns=["A", "B", "C"], fill_value=0)
    actual = {int(y): (*(int(n) for n in r), int(r.sum())) for y, r in grades.iterrows()}
    assert written == actual


def test_ids_are_slugs_matching_their_month(curated):
    inc = curated.incidents
    for incident_id, start in zip(inc["incident_id"], inc["date_start"], strict=True):
        match = re.match(r"^[a-z0-9-]+-(\d{4})-(\d{2})(?:-[a-z])?$", incident_id)
        assert match, incident_id
        assert (int(match.group(1)), int(match.group(2))) == (start.year, start.month), incident_id


def test_every_incident_has_a_claim_and_every_claim_a_source(curated):
    claims = curated.casualties
    assert set(curated.incidents["incident_id"]) <= set(claims["incident_id"])
    assert set(claims["source_id"]) <= set(curated.sources["source_id"])


def test_every_source_has_publisher_and_web_address(curated):
    src = curated.sources
    assert src["url"].str.match(r"^https?://").all()
    assert src["publisher"].str.len().gt(1).all()


def test_children_never_exceed_civilians(built):
    inc = built["incidents"]
    both = inc[inc["children_killed_max"].notna() & inc["civilians_killed_max"].notna()]
    assert (both["children_killed_min"] <= both["civilians_killed_max"]).all()


def test_context_events_and_published_totals(curated):
    assert len(curated.context_events) >= 12
    assert len(curated.published_totals) >= 5


def test_required_seed_incidents_are_present(built):
    inc = built["incidents"].set_index("incident_id")
    moura = inc.loc["moura-2022-03"]
    assert moura["civilians_killed_min"] <= 300 <= moura["civilians_killed_max"]
    assert moura["civilians_killed_max"] >= 500
    assert inc.loc["welingara-2024-01", "civilians_killed_min"] == 25
    assert inc.loc["konokassi-2024-02", "operation_type"] == "drone_strike"


def test_no_party_claim_stands_alone_behind_grade_a_or_b(built):
    inc = built["incidents"]
    assert not inc.loc[inc["party_claims_only"], "evidence_grade"].isin(["A", "B"]).any()


def test_wording_is_recorded_for_every_claim(curated):
    assert curated.casualties["source_wording"].str.len().gt(0).all()


def test_claims_are_non_negative_integers(curated):
    for column in ("count_min", "count_max"):
        values = curated.casualties[column]
        assert pd.api.types.is_integer_dtype(values) and (values >= 0).all()


def test_every_incident_perpetrator_is_derived_from_its_sources(built):
    # allegations.csv is present, so every perpetrator follows from per-source allegations
    assert set(built["incidents"]["perpetrator_rule"]) <= {"independent", "party_only"}
    per_source = built["claims"].drop_duplicates(["incident_id", "source_id"])
    assert per_source["allegation"].notna().all()
    # a party-only perpetrator only ever sits behind a grade C incident
    party_only = built["incidents"][built["incidents"]["perpetrator_rule"] == "party_only"]
    assert set(party_only["evidence_grade"]) <= {"C"}
