"""Rules that span tables, beyond the bad-input catalogue (tests/test_bad_inputs.py), which
asserts the exact report for every rejected case: here, what is accepted once fixed, the
dangling ``distinct_from`` and warnings that do not stop the build."""

from __future__ import annotations

import pytest

from analysis.errors import DataError
from analysis.pipeline.curated import read_curated
from tests.conftest import append_row, edit_csv


def rules(raw_dir) -> list:
    with pytest.raises(DataError) as info:
        read_curated(raw_dir)
    return info.value.problems


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
    append_row(
        raw_dir / "allegations.csv",
        "alpha-2022-03-b,agency-20220306,alleges,army,malian_forces,page,,,,",
    )
    assert any(p.row == line and "same locality and date" in p.rule for p in rules(raw_dir))

    text = (
        (raw_dir / "incidents.csv")
        .read_text()
        .replace(row.format(distinct=""), row.format(distinct="alpha-2022-03"))
    )
    (raw_dir / "incidents.csv").write_text(text)
    assert len(read_curated(raw_dir).incidents) == 5


def test_dangling_distinct_from(raw_dir):
    edit_csv(
        raw_dir / "incidents.csv",
        "a fait état d'un raid sur un marché.,,",
        "a fait état d'un raid sur un marché.,nowhere-2020-01,",
    )
    assert any(p.column == "distinct_from" for p in rules(raw_dir))


def test_unused_source_is_a_warning_not_an_error(raw_dir):
    append_row(
        raw_dir / "sources.csv",
        "spare-20220101,Example,Unused,https://example.org/spare,2022-01-01,other,en,",
    )
    curated = read_curated(raw_dir)
    assert any("spare-20220101" in w for w in curated.warnings)


def test_recorded_perpetrator_must_follow_from_the_allegations(raw_dir):
    # the UN is the only source alleging foreign personnel at alpha: without it, the army alone
    edit_csv(
        raw_dir / "allegations.csv",
        "alleges,Malian forces and foreign military personnel,malian_forces_wagner",
        "alleges,Malian forces,malian_forces",
    )
    found = rules(raw_dir)
    assert any(
        p.column == "perpetrator" and "give 'malian_forces'" in p.rule and "alpha" in p.value
        for p in found
    )


def test_every_claim_source_needs_an_allegation_row(raw_dir):
    append_row(
        raw_dir / "casualties.csv", "bravo-2022-03,radio-20240220,civilians,killed,3,3,three,"
    )
    found = rules(raw_dir)
    assert any("no row in allegations.csv" in p.rule for p in found)


def test_a_source_date_outside_the_window_is_an_error(raw_dir):
    edit_csv(raw_dir / "allegations.csv", "2022-03-27/2022-03-31", "2022-02")
    found = rules(raw_dir)
    assert any(p.column == "date_reported" and p.value == "2022-02" for p in found)


OUT_OF_SCOPE_HEADER = "event_id,date,place,what,what_fr,reason,reason_fr,source_id"


def test_an_event_is_either_recorded_or_left_out(raw_dir):
    """out_of_scope.csv lists events left out; one that is also an incident is refused, and a
    distinct event left out is accepted."""
    path = raw_dir / "out_of_scope.csv"
    left_out = (
        "{id},2022-03-27,Alpha,A fictional event.,Un événement fictif.,Not an operation.,"
        "Pas une opération.,agency-20220306"
    )
    path.write_text(OUT_OF_SCOPE_HEADER + "\n" + left_out.format(id="alpha-2022-03") + "\n")
    problems = [p for p in rules(raw_dir) if p.file.endswith("out_of_scope.csv")]
    assert [(p.row, p.column, p.value) for p in problems] == [(2, "event_id", "alpha-2022-03")]
    path.write_text(OUT_OF_SCOPE_HEADER + "\n" + left_out.format(id="gamma-2020-07") + "\n")
    assert read_curated(raw_dir).out_of_scope["event_id"].tolist() == ["gamma-2020-07"]
