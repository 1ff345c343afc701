"""Each schema rule rejects a crafted bad row with a message naming file, line, column, value."""

from __future__ import annotations

import pytest

from analysis.errors import DataError
from analysis.pipeline.curated import read_curated
from tests.conftest import append_row, edit_csv


def problems_for(raw_dir):
    with pytest.raises(DataError) as info:
        read_curated(raw_dir)
    return info.value.problems


def only(found, column):
    matching = [p for p in found if p.column == column]
    assert matching, f"no problem on column {column}: {found}"
    return matching[0]


def test_fixture_is_valid(raw_dir):
    curated = read_curated(raw_dir)
    assert len(curated.incidents) == 4
    assert len(curated.casualties) == 10


INCIDENT_CASES = [
    # (old text, new text, column, expected words in the rule, value)
    (
        "malian_forces_wagner,execution",
        "wagner_and_friends,execution",
        "perpetrator",
        "allowed codes",
        "wagner_and_friends",
    ),
    (",execution_of_detainees,", ",massacre,", "operation_type", "allowed codes", "massacre"),
    (
        "2022-03-27,2022-03-31",
        "2022-03-27,2022-03-20",
        "date_start/date_end",
        "date_end is before date_start",
        None,
    ),
    ("2022-03-27,2022-03-31", "2011-03-27,2011-03-31", "date_start", "below the minimum", None),
    ("2022-03-27,2022-03-31", "2099-03-27,2099-03-31", "date_start", "in the future", None),
    ("2022-03-27,2022-03-31", "27/03/2022,2022-03-31", "date_start", "YYYY-MM-DD", "27/03/2022"),
    ("14.1,-4.9", "34.1,-4.9", "latitude", "above the maximum", "34.1"),
    ("14.1,-4.9", "-4.9,14.1", "latitude", "below the minimum", "-4.9"),
    (
        "14.1,-4.9,1,fictional",
        "14.1,,1,fictional",
        "latitude/longitude/coord_precision/coord_source",
        "given together",
        None,
    ),
    ("alpha-2022-03,2022", "Alpha 2022,2022", "incident_id", "required form", "Alpha 2022"),
    (",day,Mopti", ",daily,Mopti", "date_precision", "allowed codes", "daily"),
]


@pytest.mark.parametrize(("old", "new", "column", "rule", "value"), INCIDENT_CASES)
def test_incident_rules(raw_dir, old, new, column, rule, value):
    edit_csv(raw_dir / "incidents.csv", old, new)
    problem = only(problems_for(raw_dir), column)
    assert problem.file.endswith("incidents.csv")
    assert problem.row == 2
    assert rule in problem.rule
    if value is not None:
        assert problem.value == value


def test_duplicate_incident_id(raw_dir):
    edit_csv(raw_dir / "incidents.csv", "bravo-2022-03,", "alpha-2022-03,")
    problem = only(problems_for(raw_dir), "incident_id")
    assert "unique" in problem.rule
    assert problem.value == "alpha-2022-03"


CLAIM_CASES = [
    ("12,15,12 to 15", "15,12,12 to 15", "count_min/count_max", "count_min is greater"),
    ("12,15,12 to 15", "-1,15,12 to 15", "count_min", "below the minimum 0"),
    ("12,15,12 to 15", "12.5,15,12 to 15", "count_min", "not a whole number"),
    ("12,15,12 to 15", "twelve,15,12 to 15", "count_min", "not a whole number"),
    ("civilians,injured", "civilians,wounded", "outcome", "allowed codes"),
    ("civilians,injured", "kids,injured", "victim_group", "allowed codes"),
]


@pytest.mark.parametrize(("old", "new", "column", "rule"), CLAIM_CASES)
def test_claim_rules(raw_dir, old, new, column, rule):
    edit_csv(raw_dir / "casualties.csv", old, new)
    problem = only(problems_for(raw_dir), column)
    assert problem.file.endswith("casualties.csv")
    assert rule in problem.rule


def test_missing_required_value(raw_dir):
    edit_csv(raw_dir / "casualties.csv", "12,15,12 to 15", "12,15,")
    problem = only(problems_for(raw_dir), "source_wording")
    assert "required" in problem.rule


def test_duplicate_claim(raw_dir):
    line = append_row(
        raw_dir / "casualties.csv", "bravo-2022-03,agency-20220306,civilians,killed,10,10,ten,"
    )
    found = [p for p in problems_for(raw_dir) if "duplicate" in p.rule]
    assert {p.row for p in found} >= {line}


def test_source_url_must_be_http(raw_dir):
    edit_csv(raw_dir / "sources.csv", "https://example.org/army/1", "javascript:alert(1)")
    problem = only(problems_for(raw_dir), "url")
    assert "required form" in problem.rule


def test_source_kind_enum(raw_dir):
    edit_csv(raw_dir / "sources.csv", ",news_agency,", ",blog,")
    assert only(problems_for(raw_dir), "kind").value == "blog"


def test_region_map_enum(raw_dir):
    edit_csv(raw_dir / "regions.csv", "Bandiagara,region,Mopti", "Bandiagara,region,Atlantis")
    assert only(problems_for(raw_dir), "region").value == "Atlantis"


def test_published_total_rules(raw_dir):
    edit_csv(raw_dir / "published_totals.csv", "2022-01-01,2022-03-31", "2022-04-01,2022-03-31")
    assert only(problems_for(raw_dir), "period_start/period_end").row == 2


def test_report_text_groups_by_file_and_rule(raw_dir):
    edit_csv(raw_dir / "casualties.csv", "12,15,12 to 15", "15,12,12 to 15")
    edit_csv(
        raw_dir / "incidents.csv",
        ",ground_raid,Fictional test incident: a news",
        ",raid,Fictional test incident: a news",
    )
    with pytest.raises(DataError) as info:
        read_curated(raw_dir)
    text = str(info.value)
    assert "casualties.csv" in text and "incidents.csv" in text
    assert "line 6" in text  # the min>max claim
    assert "'raid'" in text
