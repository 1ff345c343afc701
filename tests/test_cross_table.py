"""Rules that span tables: references, coverage, subsets, duplicates, places."""

from __future__ import annotations

import pytest

from analysis.errors import DataError
from analysis.pipeline.curated import read_curated
from tests.conftest import append_row, edit_csv


def rules(raw_dir) -> list:
    with pytest.raises(DataError) as info:
        read_curated(raw_dir)
    return info.value.problems


def test_claim_citing_unknown_source(raw_dir):
    line = append_row(
        raw_dir / "casualties.csv",
        "bravo-2022-03,ghost-20220101,civilians,missing,1,1,one missing,",
    )
    found = rules(raw_dir)
    assert any(
        p.row == line and p.value == "ghost-20220101" and "not found in sources" in p.rule
        for p in found
    )


def test_claim_for_unknown_incident(raw_dir):
    append_row(raw_dir / "casualties.csv", "zulu-2022-01,agency-20220306,civilians,killed,1,1,one,")
    assert any(p.value == "zulu-2022-01" and "incidents" in p.rule for p in rules(raw_dir))


def test_incident_without_claims(raw_dir):
    append_row(
        raw_dir / "incidents.csv",
        "echo-2023-01,2023-01-02,2023-01-02,day,Mopti,,Echo,,,,,army,malian_forces,"
        "ground_raid,Fictional incident without any claim.,Incident fictif sans affirmation.,,",
    )
    assert any(p.value == "echo-2023-01" and "no casualty claim" in p.rule for p in rules(raw_dir))


def test_children_above_civilians_in_one_claim(raw_dir):
    edit_csv(
        raw_dir / "casualties.csv",
        "children,killed,4,4,four children",
        "children,killed,40,40,forty children",
    )
    found = [p for p in rules(raw_dir) if "exceed civilians" in p.rule]
    assert found and found[0].row == 9


def test_same_place_and_date_needs_distinct_from(raw_dir):
    row = (
        "alpha-2022-03-b,2022-03-27,2022-03-27,day,Mopti,,Alpha,,,,,army,malian_forces,"
        "ground_raid,Fictional second event at the same place and date.,"
        "Second événement fictif au même lieu et à la même date.,{distinct},"
    )
    line = append_row(raw_dir / "incidents.csv", row.format(distinct=""))
    append_row(
        raw_dir / "casualties.csv", "alpha-2022-03-b,agency-20220306,civilians,killed,1,1,one,"
    )
    assert any(p.row == line and "same locality and date" in p.rule for p in rules(raw_dir))

    text = (
        (raw_dir / "incidents.csv")
        .read_text()
        .replace(row.format(distinct=""), row.format(distinct="alpha-2022-03"))
    )
    (raw_dir / "incidents.csv").write_text(text)
    assert len(read_curated(raw_dir).incidents) == 5


def test_unplaceable_incident(raw_dir):
    edit_csv(raw_dir / "incidents.csv", "Ségou,,Bravo", "Atlantis,,Bravo")
    found = [p for p in rules(raw_dir) if "no normalised region" in p.rule]
    assert found[0].row == 3 and "Atlantis" in found[0].value


def test_dangling_distinct_from(raw_dir):
    edit_csv(
        raw_dir / "incidents.csv",
        "a fait état d'un raid sur un marché.,,",
        "a fait état d'un raid sur un marché.,nowhere-2020-01,",
    )
    assert any(p.column == "distinct_from" for p in rules(raw_dir))


def test_context_event_source_must_exist(raw_dir):
    edit_csv(raw_dir / "context_events.csv", ",agency-20220306", ",missing-20220306")
    assert any(p.file.endswith("context_events.csv") for p in rules(raw_dir))


def test_unused_source_is_a_warning_not_an_error(raw_dir):
    append_row(
        raw_dir / "sources.csv",
        "spare-20220101,Example,Unused,https://example.org/spare,2022-01-01,other,en,",
    )
    curated = read_curated(raw_dir)
    assert any("spare-20220101" in w for w in curated.warnings)
