"""ACLED reader: layouts, date styles, actor mapping, civilian ranges, rejections."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from analysis.errors import DataError
from analysis.pipeline.schemas import ExportEvents
from analysis.sources.acled import read_acled
from analysis.sources.actors import load_actor_map
from analysis.sources.exports import EVENT_COLUMNS

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "tests" / "fixtures" / "acled"
ACTOR_MAP = ROOT / "data" / "hand" / "actor_map.csv"


@pytest.fixture(scope="module")
def actor_map() -> pd.DataFrame:
    return load_actor_map(ACTOR_MAP)


@pytest.fixture(scope="module")
def current(actor_map):
    return read_acled(FIX / "acled-2025-06-01.csv", actor_map)


def _line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


def _event(result, event_id: str) -> pd.Series:
    rows = result.events[result.events["event_id"] == event_id]
    assert len(rows) == 1, f"{event_id} not kept exactly once"
    return rows.iloc[0]


def test_events_match_the_canonical_schema(current):
    assert list(current.events.columns) == EVENT_COLUMNS
    ExportEvents.validate(current.events)
    assert set(current.events["dataset"]) == {"acled"}


def test_only_state_perpetrated_civilian_harm_is_kept(current):
    kept = set(current.events["event_id"])
    assert kept == {"MLI90001", "MLI90002", "MLI90003", "MLI90004", "MLI90011"}
    # JNIM attack, Dozo militia alone, clash without civilians: valid but out of scope.
    assert current.provenance["rows_out_of_scope"] == 3
    assert current.provenance["rows_militia_only"] == 1


def test_wagner_in_assoc_actor_1_combines_with_malian_forces(current):
    ev = _event(current, "MLI90001")
    assert ev["perpetrator"] == "malian_forces_wagner"
    assert ev["actor1_raw"] == "Military Forces of Mali (2021-)"
    assert ev["operation_type"] == "ground_raid"
    assert (ev["civilians_killed_min"], ev["civilians_killed_max"]) == (12, 12)


def test_civilians_only_in_assoc_actor_2_give_zero_to_fatalities(current):
    drone = _event(current, "MLI90002")
    assert drone["operation_type"] == "drone_strike"
    assert (drone["civilians_killed_min"], drone["civilians_killed_max"]) == (0, 9)
    air = _event(current, "MLI90003")
    assert air["operation_type"] == "airstrike"  # notes name aircraft, not a drone
    assert (air["civilians_killed_min"], air["civilians_killed_max"]) == (0, 5)
    assert air["fatalities_best"] == 5


def test_execution_of_detainees_and_wagner_alone(current):
    ev = _event(current, "MLI90004")
    assert ev["perpetrator"] == "wagner"
    assert ev["operation_type"] == "execution_of_detainees"


def test_precision_native_kept_beside_harmonised(current):
    week = _event(current, "MLI90003")
    assert week["date_precision_native"] == "2" and week["date_precision"] == "week"
    assert week["date_start"] == pd.Timestamp("2024-03-17")
    assert week["date_end"] == pd.Timestamp("2024-03-23")
    month = _event(current, "MLI90011")
    assert month["date_precision"] == "month"
    assert (month["date_start"], month["date_end"]) == (
        pd.Timestamp("2024-05-01"),
        pd.Timestamp("2024-05-31"),
    )
    assert month["month"] == pd.Timestamp("2024-05-01")
    assert month["geo_precision_native"] == "2" and month["geo_precision"] == "near_locality"
    assert month["perpetrator"] == "malian_forces_dozo"


def test_bad_rows_are_rejected_with_their_csv_line(current):
    path = FIX / "acled-2025-06-01.csv"
    rej = current.rejected.set_index("event_id")
    assert set(rej.index) == {"MLI90008", "MLI90009", "MLI90010", "MLI90014"}
    assert "not a date" in rej.loc["MLI90008", "reason"]
    assert "negative" in rej.loc["MLI90009", "reason"]
    assert "outside Mali" in rej.loc["MLI90010", "reason"]
    assert "time_precision" in rej.loc["MLI90014", "reason"]
    # A quoted note with a newline sits above these rows: lines must still be the file's own.
    for event_id, line in rej["line"].items():
        assert line == _line_of(path, event_id)
    assert current.provenance["rows_rejected"] == 4


def test_other_countries_are_counted_not_checked(current):
    # The Niger row names an unmapped Malian regime string: ignored, since it is not Mali.
    prov = current.provenance
    assert prov["rows_other_country"] == 2
    assert prov["rows_read"] == 14
    total = prov["rows_other_country"] + prov["rows_kept"] + prov["rows_rejected"]
    assert total + prov["rows_out_of_scope"] == prov["rows_read"]


def test_provenance_layout_and_dated_name(current):
    prov = current.provenance
    assert prov["columns_layout"] == "acled-2023+"
    assert prov["access_date"] == "2025-06-01"  # from the file name
    assert prov["version"] == "unknown"
    assert "ACLED" in prov["attribution"] and "2025-06-01" in prov["attribution"]


def test_export_tool_dates_and_population_layout(actor_map):
    result = read_acled(FIX / "acled-export-tool.csv", actor_map)
    assert result.provenance["columns_layout"] == "acled-2023+-population"
    ev = _event(result, "MLI91001")
    assert ev["date_start"] == pd.Timestamp("2025-05-16")
    assert ev["perpetrator"] == "malian_forces_africa_corps"
    assert _event(result, "MLI91003")["date_start"] == pd.Timestamp("2025-06-21")  # "21 Jun"
    assert list(result.rejected["event_id"]) == ["MLI91004"]  # 31 June does not exist


def test_legacy_layout_with_numeric_inter_codes(actor_map):
    result = read_acled(FIX / "acled-legacy-2019.csv", actor_map)
    assert result.provenance["columns_layout"] == "acled-2019-2023"
    assert set(result.events["event_id"]) == {"MLI92001", "MLI92002"}
    first = _event(result, "MLI92001")  # inter2 == 7, no civilian_targeting column
    assert first["perpetrator"] == "malian_forces"
    assert (first["civilians_killed_min"], first["civilians_killed_max"]) == (10, 10)
    clash = _event(result, "MLI92002")
    assert (clash["civilians_killed_min"], clash["civilians_killed_max"]) == (0, 6)
    assert result.provenance["rows_other_country"] == 1


def test_unclassified_actors_are_listed_not_fatal(actor_map):
    result = read_acled(FIX / "acled-unmapped.csv", actor_map)
    listed = {(r.column, r.actor, r.events) for r in result.unclassified.itertuples()}
    assert ("assoc_actor_1", "Malian Armed Forces Special Unit", 1) in listed
    # "Wagner Group Convoy Unit" names Wagner: the Wagner rule classifies it.
    assert _event(result, "MLI93003")["perpetrator"] == "wagner"
    assert _event(result, "MLI93002")["perpetrator"] == "malian_forces"


def test_adding_the_actor_to_the_map_unblocks(actor_map):
    extra = pd.DataFrame(
        {
            "dataset": ["acled", "acled"],
            "actor": ["Malian Armed Forces Special Unit", "Wagner Group Convoy Unit"],
            "role": ["malian_forces", "wagner"],
            "note": ["test", "test"],
        }
    )
    result = read_acled(FIX / "acled-unmapped.csv", pd.concat([actor_map, extra]))
    assert _event(result, "MLI93003")["perpetrator"] == "wagner"


def test_sidecar_meta_gives_version_and_access_date(tmp_path, actor_map):
    path = tmp_path / "my-export.csv"
    shutil.copy(FIX / "acled-legacy-2019.csv", path)
    meta = {"version": "2019 export tool", "accessed": "2019-07-01"}
    (tmp_path / "my-export.csv.meta.json").write_text(json.dumps(meta))
    prov = read_acled(path, actor_map).provenance
    assert prov["version"] == "2019 export tool"
    assert prov["access_date"] == "2019-07-01"


def test_not_an_acled_file_is_refused(tmp_path, actor_map):
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(DataError, match="required columns are missing"):
        read_acled(path, actor_map)


def test_actor_map_rejects_unknown_roles(tmp_path):
    path = tmp_path / "actor_map.csv"
    path.write_text("dataset,actor,role,note\nacled,Wagner Group,mercenary,x\n")
    with pytest.raises(DataError, match="role must be one of"):
        load_actor_map(path)


def test_committed_actor_map_notes_its_evidence(actor_map):
    assert actor_map["note"].notna().all()
    acled = set(actor_map.loc[actor_map["dataset"] == "acled", "actor"])
    assert {"Wagner Group", "Military Forces of Mali (2013-2020)"} <= acled


def test_militia_led_with_malian_forces_kept_and_foreign_led_listed(actor_map):
    # Invented rows in the 2023 layout: GATIA and Dan Na Ambassagou leading with a Malian
    # state force associated, GATIA alone, and a French-led strike with the Malian army.
    result = read_acled(FIX / "acled-militia-partners.csv", actor_map)
    kept = result.events.set_index("event_id")["perpetrator"].to_dict()
    assert kept == {"MLI95001": "malian_forces_militia", "MLI95004": "malian_forces_militia"}
    assert result.provenance["rows_militia_only"] == 1
    assert result.provenance["rows_foreign_led"] == 1
    (listed,) = result.provenance["foreign_led"]
    assert listed["event_id"] == "MLI95002"
    assert listed["actor1"] == "Military Forces of France (2017-2022)"
    assert listed["fatalities"] == 3
    assert result.events.set_index("event_id").loc["MLI95004", "admin3"] == "Sokoura"
