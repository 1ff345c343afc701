"""UCDP GED reader: header detection, time parts, identities, Mali filter, civilian range."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis.errors import DataError
from analysis.sources.actors import load_actor_map
from analysis.sources.exports import EVENT_COLUMNS
from analysis.sources.ucdp import read_ucdp

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "tests" / "fixtures" / "ucdp"


@pytest.fixture(scope="module")
def actor_map() -> pd.DataFrame:
    return load_actor_map(ROOT / "data" / "hand" / "actor_map.csv")


@pytest.fixture(scope="module")
def ged(actor_map):
    return read_ucdp(FIX / "ged-25.1-mali.csv", actor_map)


def _event(result, event_id: str) -> pd.Series:
    rows = result.events[result.events["event_id"] == event_id]
    assert len(rows) == 1
    return rows.iloc[0]


def test_kept_events_and_columns(ged):
    assert list(ged.events.columns) == EVENT_COLUMNS
    # 990003: battle without civilian deaths; 990004: JNIM one-sided -> out of scope.
    assert set(ged.events["event_id"]) == {"990001", "990002", "990009"}
    assert ged.provenance["rows_out_of_scope"] == 2
    assert ged.provenance["columns_layout"] == "ucdp-ged"
    assert ged.provenance["version"] == "25.1"  # from the file name


def test_one_sided_range_is_low_to_high_and_time_part_is_dropped(ged):
    ev = _event(ged, "990001")
    assert (ev["civilians_killed_min"], ev["civilians_killed_max"]) == (18, 25)
    assert ev["fatalities_best"] == 20
    assert ev["date_start"] == pd.Timestamp("2022-03-27")
    assert ev["date_end"] == pd.Timestamp("2022-03-31")
    assert ev["date_precision_native"] == "2" and ev["date_precision"] == "week"


def test_battle_with_civilian_deaths_gives_zero_to_upper_bound(ged):
    ev = _event(ged, "990002")
    assert ev["perpetrator"] == "malian_forces_wagner"  # "Government of Mali, Wagner"
    # 0 .. deaths_civilians 3 + deaths_unknown 0 + (high 18 - best 15)
    assert (ev["civilians_killed_min"], ev["civilians_killed_max"]) == (0, 6)
    assert ev["operation_type"] == "drone_strike"  # headline mentions a drone


def test_where_prec_harmonised_but_native_kept(ged):
    ev = _event(ged, "990009")
    assert ev["geo_precision_native"] == "4" and ev["geo_precision"] == "region"
    assert ev["date_precision"] == "month"


def test_identities_and_bad_rows_are_rejected(ged):
    rej = ged.rejected.set_index("event_id")["reason"]
    assert "low <= best <= high" in rej["990005"]
    assert "!= best" in rej["990006"]
    assert "outside Mali" in rej["990008"]
    assert "date_start" in rej["990010"]  # 14:30 is not a midnight time part
    lines = ged.rejected.set_index("event_id")["line"]
    assert lines["990005"] == 6  # header is line 1, 990005 is the fifth record
    assert ged.provenance["rows_rejected"] == 4


def test_out_of_country_rows_are_counted(ged):
    assert ged.provenance["rows_other_country"] == 1
    assert "990007" not in set(ged.events["event_id"]) | set(ged.rejected["event_id"])


def test_headerless_candidate_file_gets_the_header(actor_map):
    result = read_ucdp(FIX / "GEDEvent_v24_0_3.csv", actor_map)
    prov = result.provenance
    assert prov["columns_layout"] == "ucdp-ged-candidate-no-header"
    assert prov["version"] == "24.0.3"
    assert prov["rows_read"] == 4  # the first record is data, not a header
    assert list(result.events["event_id"]) == ["995001"]
    assert _event(result, "995001")["date_start"] == pd.Timestamp("2024-02-16")
    rej = result.rejected.iloc[0]
    assert (rej["event_id"], rej["line"]) == ("995004", 4)  # no header: line = record number
    assert "before date_start" in rej["reason"]


def test_side_a_parts_are_classified_by_rule(actor_map):
    # "Wagner Group" is not in the exact map; the Wagner rule classifies it.
    result = read_ucdp(FIX / "ged-unmapped.csv", actor_map)
    assert _event(result, "996002")["perpetrator"] == "malian_forces_wagner"
    assert result.unclassified.empty


def test_wrong_field_count_without_header_is_refused(tmp_path, actor_map):
    path = tmp_path / "ged.csv"
    path.write_text("1,2,3\n")
    with pytest.raises(DataError, match="not a UCDP GED file"):
        read_ucdp(path, actor_map)


def test_ged_variant_from_another_tool(tmp_path):
    # Invented rows in the layout of a GED file exported through another tool: estimates named
    # best_est/high_est/low_est, no gwnoa/gwnob, US-style dates with a time, a trailing empty
    # field on every row and newlines inside quoted cells.
    from analysis.pipeline.exports import read_exports
    from analysis.sources.actors import load_actor_map
    from analysis.sources.inbox import survey

    path = ROOT / "tests" / "fixtures" / "ucdp" / "ged-tool-export-us-dates.csv"
    result = read_ucdp(path, load_actor_map(ROOT / "data" / "hand" / "actor_map.csv"))
    events = result.events.set_index("event_id")
    assert list(events.index) == ["990001", "990002"]  # the Burkina Faso row is another country
    assert events.loc["990001", "date_start"] == pd.Timestamp("2016-05-26")
    assert events.loc["990002", "date_end"] == pd.Timestamp("2022-03-16")
    assert events.loc["990002", "perpetrator"] == "malian_forces_wagner"
    # One-sided violence by the state: low..high, the minimum never above deaths_civilians.
    assert (
        events.loc["990002", "civilians_killed_min"],
        events.loc["990002", "civilians_killed_max"],
    ) == (7, 12)
    assert "\n" not in events.loc["990002", "notes"]  # a quoted newline is one cell
    assert result.rejected.empty
    assert result.provenance["columns_layout"] == "ucdp-ged-variant"
    assert "no gwnoa/gwnob" in result.provenance["layout_label"]
    assert "US-style dates" in result.provenance["layout_label"]
    # The export folder recognises it (not "not a recognised layout").
    folder = tmp_path / "ucdp"
    folder.mkdir()
    (folder / path.name).write_bytes(path.read_bytes())
    assert [f.kind for f in survey(tmp_path)] == ["ucdp"]
    regions = pd.read_csv(ROOT / "data" / "hand" / "regions.csv")
    assert len(read_exports(tmp_path, regions).events) == 2
