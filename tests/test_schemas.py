"""Each schema rule rejects a crafted bad row with a message naming file, line, column, value."""

from __future__ import annotations

import pytest

from analysis.errors import DataError
from analysis.pipeline.curated import read_curated
from tests.conftest import edit_csv


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


# Codes the bad-input catalogue (tests/test_bad_inputs.py) does not cover; every other rule of
# these tables has an exact-report case there.
INCIDENT_CASES = [
    # (old text, new text, column, expected words in the rule, value)
    (",execution_of_detainees,", ",massacre,", "operation_type", "allowed codes", "massacre"),
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


CLAIM_CASES = [
    ("civilians,injured", "civilians,wounded", "outcome", "allowed codes"),
]


@pytest.mark.parametrize(("old", "new", "column", "rule"), CLAIM_CASES)
def test_claim_rules(raw_dir, old, new, column, rule):
    edit_csv(raw_dir / "casualties.csv", old, new)
    problem = only(problems_for(raw_dir), column)
    assert problem.file.endswith("casualties.csv")
    assert rule in problem.rule


def test_source_kind_enum(raw_dir):
    edit_csv(raw_dir / "sources.csv", ",news_agency,", ",blog,")
    assert only(problems_for(raw_dir), "kind").value == "blog"


def test_region_map_enum(raw_dir, hand_dir):
    edit_csv(hand_dir / "regions.csv", "Bandiagara,region,Mopti", "Bandiagara,region,Atlantis")
    with pytest.raises(DataError) as info:
        read_curated(raw_dir, hand_dir)
    problem = only(info.value.problems, "region")
    assert problem.value == "Atlantis" and problem.file.endswith("hand/regions.csv")


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
