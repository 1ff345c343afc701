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


def with_locality_notes(raw_dir, notes: dict[int, str]) -> None:
    """Add the optional note columns to the fixture's incidents.csv; the rows not in ``notes``
    (line number -> the two cells) end before them, as rows written before the columns did."""
    path = raw_dir / "incidents.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[0] += ",locality_note,locality_note_fr"
    for line, cells in notes.items():
        lines[line - 1] += "," + cells
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_locality_notes_are_optional_and_read_per_language(raw_dir):
    with_locality_notes(raw_dir, {2: "near Bravo,près de Bravo"})
    incidents = read_curated(raw_dir).incidents.set_index("incident_id")
    assert incidents.loc["alpha-2022-03", "locality_note"] == "near Bravo"
    assert incidents.loc["alpha-2022-03", "locality_note_fr"] == "près de Bravo"
    assert incidents["locality_note"].isna().sum() == len(incidents) - 1


def test_a_locality_note_needs_its_french(raw_dir):
    with_locality_notes(raw_dir, {2: "near Bravo,"})
    problem = next(p for p in problems_for(raw_dir) if "locality_note_fr" in p.rule)
    assert problem.file.endswith("incidents.csv") and problem.row == 2
    assert problem.rule == "locality_note_fr is given exactly when locality_note is"


def test_note_words_in_a_locality_are_named_in_a_warning(raw_dir):
    edit_csv(raw_dir / "incidents.csv", ",Alpha,", ",about 6 km from Alpha,")
    warnings = read_curated(raw_dir).warnings
    assert any("alpha-2022-03" in w and "locality_note" in w for w in warnings), warnings
