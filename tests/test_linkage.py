"""Incident-level reconciliation of curated incidents with export events.

The incidents and events are invented rows in the canonical layouts (derive.build_incidents,
ExportEvents); the situations reproduce links a naive matcher got wrong or missed on a real
export: neighbouring incidents on consecutive days, an arrest without deaths and a later strike
in the same cercle, a prison killing days after a raid at the same town, an incident coded as
several events, a village in a neighbouring region, another lead actor.
"""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.pipeline.linkage import (
    CANDIDATE_COLUMNS,
    LINK_COLUMNS,
    compare_ranges,
    coverage,
    haversine_km,
    leads,
    normalise_place,
    place_names,
    reconcile,
    same_name,
)


def _incidents(rows: list[dict]) -> pd.DataFrame:
    base = {
        "date_precision": "day",
        "region": "Mopti",
        "cercle": None,
        "locality": None,
        "latitude": None,
        "longitude": None,
        "perpetrator": "malian_forces",
        "operation_type": "ground_raid",
        "civilians_killed_min": 5,
        "civilians_killed_max": 5,
    }
    frame = pd.DataFrame([{**base, **r} for r in rows])
    for column in ("date_start", "date_end"):
        frame[column] = pd.to_datetime(frame[column])
    return frame.astype(
        {
            "civilians_killed_min": "Int64",
            "civilians_killed_max": "Int64",
            "latitude": "float64",
            "longitude": "float64",
        }
    )


def _events(rows: list[dict]) -> pd.DataFrame:
    base = {
        "dataset": "acled",
        "region": "Mopti",
        "admin1": "Mopti",
        "admin2": None,
        "admin3": None,
        "location": None,
        "latitude": None,
        "longitude": None,
        "geo_precision": "locality",
        "actor1_raw": "Military Forces of Mali (2021-)",
        "notes": "",
        "perpetrator": "malian_forces",
        "operation_type": "ground_raid",
        "civilians_killed_min": 3,
        "civilians_killed_max": 3,
    }
    frame = pd.DataFrame([{**base, **r} for r in rows])
    frame["date_end"] = frame.get("date_end", frame["date_start"]).fillna(frame["date_start"])
    for column in ("date_start", "date_end"):
        frame[column] = pd.to_datetime(frame[column])
    return frame.astype(
        {
            "civilians_killed_min": "Int64",
            "civilians_killed_max": "Int64",
            "latitude": "float64",
            "longitude": "float64",
        }
    )


def _pairs(frame: pd.DataFrame) -> set[tuple[str, str]]:
    return set(zip(frame["incident_id"], frame["event_id"], strict=True))


def test_place_names_drop_editorial_words():
    assert place_names("Gouni (commune de Tomnri)") == ("gouni", "tomnri")
    assert place_names("about 6 km from Nani") == ("nani",)
    assert place_names("Nara and Banamba communes") == ("nara", "banamba")
    assert place_names("Bandiagara region (locality not given)") == ("bandiagara",)
    assert place_names(None) == ()


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("birga", "birga peulh", "exact"),
        ("gouni", "goumi habe", "spelling"),
        ("seguela", "sagala", "spelling"),
        ("guelledje", "gueledie", "spelling"),
        ("birga", "derou", ""),
        ("nia ouro", "nia moussa", ""),
        ("kita", "kati", ""),
    ],
)
def test_same_name(a, b, expected):
    assert same_name(a, b) == expected


def test_consecutive_incidents_in_one_cercle_keep_their_own_events():
    # A mass killing in two communes on 31 December and a raid on a village of the same cercle
    # three days later: each event goes to its own incident, never across.
    incidents = _incidents(
        [
            {
                "incident_id": "nara-2021-12",
                "date_start": "2021-12-31",
                "date_end": "2021-12-31",
                "region": "Koulikoro",
                "cercle": "Nara",
                "locality": "Nara and Banamba communes",
                "operation_type": "execution_of_detainees",
                "civilians_killed_min": 18,
                "civilians_killed_max": 23,
            },
            {
                "incident_id": "guire-2022-01",
                "date_start": "2022-01-03",
                "date_end": "2022-01-03",
                "region": "Koulikoro",
                "cercle": "Nara",
                "locality": "Guiré",
                "civilians_killed_min": 2,
                "civilians_killed_max": 2,
            },
        ]
    )
    events = _events(
        [
            {"event_id": "E-nara", "date_start": "2021-12-31", "region": "Koulikoro",
             "admin2": "Nara", "location": "Nara", "civilians_killed_min": 12,
             "civilians_killed_max": 12},
            {"event_id": "E-banamba", "date_start": "2021-12-31", "region": "Koulikoro",
             "admin2": "Banamba", "location": "Toukoroba", "notes": "Soldiers killed eight "
             "herders arrested at the market in Banamba commune.", "civilians_killed_min": 8,
             "civilians_killed_max": 8},
            {"event_id": "E-guire", "date_start": "2022-01-03", "region": "Koulikoro",
             "admin2": "Nara", "location": "Guire", "civilians_killed_min": 2,
             "civilians_killed_max": 2},
        ]
    )  # fmt: skip
    links = reconcile(incidents, events).links
    assert list(links.columns) == LINK_COLUMNS
    assert _pairs(links) == {
        ("nara-2021-12", "E-nara"),
        ("nara-2021-12", "E-banamba"),
        ("guire-2022-01", "E-guire"),
    }


def test_arrest_without_deaths_and_later_air_strike_are_not_the_raid():
    incidents = _incidents(
        [
            {
                "incident_id": "gouni-2022-09",
                "date_start": "2022-09-18",
                "date_end": "2022-09-18",
                "cercle": "Bandiagara",
                "locality": "Gouni (commune de Tomnri)",
                "perpetrator": "malian_forces_wagner",
                "civilians_killed_min": 35,
                "civilians_killed_max": 43,
            }
        ]
    )
    events = _events(
        [
            {"event_id": "village-1", "date_start": "2022-09-16", "date_end": "2022-09-19",
             "admin2": "Bandiagara", "admin3": "Timiri", "location": "Goumi-Dogon",
             "perpetrator": "malian_forces_wagner", "civilians_killed_min": 40,
             "civilians_killed_max": 40},
            {"event_id": "village-2", "date_start": "2022-09-17", "admin2": "Bandiagara",
             "admin3": "Timiri", "location": "Goumi-Peul", "perpetrator": "malian_forces_wagner",
             "civilians_killed_min": 9, "civilians_killed_max": 9},
            {"event_id": "arrests", "date_start": "2022-09-14", "admin2": "Bandiagara",
             "location": "Somewhere", "operation_type": "other", "civilians_killed_min": 0,
             "civilians_killed_max": 0},
            {"event_id": "strike", "date_start": "2022-09-23", "admin2": "Bandiagara",
             "location": "Elsewhere", "operation_type": "airstrike", "civilians_killed_min": 1,
             "civilians_killed_max": 1},
        ]
    )  # fmt: skip
    result = reconcile(incidents, events)
    assert _pairs(result.links) == {("gouni-2022-09", "village-1"), ("gouni-2022-09", "village-2")}
    assert list(result.candidates.columns) == CANDIDATE_COLUMNS
    why = result.candidates.set_index("event_id")["why_not"]
    assert why["arrests"].startswith("no death in the export event")
    assert "strike" not in set(result.links["event_id"])
    # The incident is judged on the sum of its events: 49 lies inside 35..43? No: above it.
    compared = compare_ranges(incidents, events, result.links).iloc[0]
    assert compared["events_linked"] == 2
    assert (compared["export_civilians_killed_min"], compared["export_civilians_killed_max"]) == (
        49,
        49,
    )
    assert compared["agreement"] == "export_higher"


def test_prison_killing_days_later_goes_to_its_own_incident():
    incidents = _incidents(
        [
            {
                "incident_id": "hombori-2022-04",
                "date_start": "2022-04-19",
                "date_end": "2022-04-19",
                "cercle": "Douentza",
                "locality": "Hombori",
                "perpetrator": "malian_forces_wagner",
                "civilians_killed_min": 50,
                "civilians_killed_max": 50,
            },
            {
                "incident_id": "hombori-2022-04-b",
                "date_start": "2022-04-24",
                "date_end": "2022-04-24",
                "locality": "Hombori (FAMa camp)",
                "operation_type": "execution_of_detainees",
                "civilians_killed_min": 20,
                "civilians_killed_max": 20,
            },
        ]
    )
    events = _events(
        [
            # The raid, led by the gendarmerie in the export: still "Malian forces".
            {"event_id": "raid", "date_start": "2022-04-19", "admin2": "Douentza",
             "location": "Hombori", "actor1_raw": "Police Forces of Mali (2021-) Gendarmerie",
             "civilians_killed_min": 30, "civilians_killed_max": 30},
            {"event_id": "prison", "date_start": "2022-04-24", "admin2": "Douentza",
             "location": "Hombori", "operation_type": "execution_of_detainees",
             "civilians_killed_min": 20, "civilians_killed_max": 20},
        ]
    )  # fmt: skip
    links = reconcile(incidents, events).links
    assert _pairs(links) == {("hombori-2022-04", "raid"), ("hombori-2022-04-b", "prison")}


def test_one_event_never_links_to_two_incidents():
    incidents = _incidents(
        [
            {"incident_id": "a", "date_start": "2023-01-05", "date_end": "2023-01-05",
             "locality": "Dioura"},
            {"incident_id": "b", "date_start": "2023-01-06", "date_end": "2023-01-06",
             "locality": "Dioura"},
        ]
    )  # fmt: skip
    events = _events([{"event_id": "e", "date_start": "2023-01-06", "location": "Dioura"}])
    result = reconcile(incidents, events)
    assert _pairs(result.links) == {("b", "e")}
    assert (
        result.candidates.set_index("incident_id")
        .loc["a", "why_not"]
        .startswith("linked to b instead")
    )


def test_split_incident_agrees_on_the_sum_of_its_events():
    incidents = _incidents(
        [
            {
                "incident_id": "moura-2022-03",
                "date_start": "2022-03-27",
                "date_end": "2022-03-31",
                "cercle": "Djenné",
                "locality": "Moura",
                "perpetrator": "malian_forces_wagner",
                "civilians_killed_min": 200,
                "civilians_killed_max": 600,
            }
        ]
    )
    events = _events(
        [
            {"event_id": f"m{i}", "date_start": f"2022-03-{27 + i}", "admin2": "Djenne",
             "location": "Moura", "perpetrator": "malian_forces_wagner",
             "civilians_killed_min": n, "civilians_killed_max": n}
            for i, n in enumerate([130, 129, 129])
        ]
    )  # fmt: skip
    links = reconcile(incidents, events).links
    assert len(links) == 3
    compared = compare_ranges(incidents, events, links).iloc[0]
    assert compared["export_civilians_killed_max"] == 388
    assert compared["agreement"] == "overlap"


@pytest.mark.parametrize(
    ("incident", "event"),
    [
        # A village the export codes in the neighbouring region.
        ({"region": "Ségou", "locality": "Robinet El Ataye (El Ataye / Bir El Atay)"},
         {"region": "Koulikoro", "location": "El Ataye"}),
        # Another commune named for the same village.
        ({"locality": "Kita (commune de Dioura)"}, {"admin3": "Kareri", "location": "Kita"}),
        # Wagner alone in the export, Wagner alone in the record, no region in the record.
        ({"region": "Not stated", "locality": "about 6 km from Nani", "perpetrator": "wagner"},
         {"location": "Nani", "perpetrator": "wagner", "actor1_raw": "Wagner Group"}),
        # Special forces with Wagner: the Malian forces with Wagner.
        ({"locality": "Soumouni", "perpetrator": "malian_forces_wagner"},
         {"location": "Soumouni", "perpetrator": "malian_forces_wagner",
          "actor1_raw": "Military Forces of Mali (2021-) Special Forces"}),
        # The place only in the export's notes, spelt another way.
        ({"region": "Not stated", "locality": "Séguéla",
          "operation_type": "execution_of_detainees"},
         {"location": "Doura", "operation_type": "execution_of_detainees",
          "notes": "Men arrested at the market of Sagala were executed near Doura."}),
    ],
)  # fmt: skip
def test_links_across_region_commune_actor_and_spelling(incident, event):
    incidents = _incidents(
        [{"incident_id": "i", "date_start": "2022-03-05", "date_end": "2022-03-05", **incident}]
    )
    events = _events([{"event_id": "e", "date_start": "2022-03-05", **event}])
    assert _pairs(reconcile(incidents, events).links) == {("i", "e")}


@pytest.mark.parametrize(
    "event",
    [
        {"region": "Kayes", "admin1": "Kayes", "location": "Kita"},  # the town, far away
        {"location": "Kita", "date_start": "2022-03-20"},  # outside the window
        {"location": "Kita", "civilians_killed_min": 0, "civilians_killed_max": 0},  # no death
        {"location": "Birga", "admin2": "Koro"},  # another village, nothing else in common
    ],
)
def test_not_linked(event):
    incidents = _incidents(
        [{"incident_id": "i", "date_start": "2022-03-05", "date_end": "2022-03-05",
          "locality": "Kita (commune de Dioura)", "cercle": "Koro"}]
    )  # fmt: skip
    events = _events([{"event_id": "e", "date_start": "2022-03-05", **event}])
    assert reconcile(incidents, events).links.empty


def test_distance_links_and_far_coordinates_rule_out():
    incidents = _incidents(
        [{"incident_id": "i", "date_start": "2024-02-10", "date_end": "2024-02-10",
          "latitude": 14.69, "longitude": -6.02, "locality": "Diabaly"}]
    )  # fmt: skip
    events = _events(
        [
            {"event_id": "near", "date_start": "2024-02-10", "latitude": 14.70, "longitude": -6.0,
             "location": "Somewhere"},
            {"event_id": "far", "date_start": "2024-02-10", "latitude": 15.5, "longitude": -6.0,
             "location": "Diabaly"},
        ]
    )  # fmt: skip
    result = reconcile(incidents, events)
    assert _pairs(result.links) == {("i", "near")}
    assert result.links["place_basis"].tolist() == ["distance"]


def test_coverage_and_leads():
    incidents = _incidents(
        [
            {"incident_id": "kept", "date_start": "2023-01-05", "date_end": "2023-01-05",
             "locality": "Boni"},
            {"incident_id": "missing", "date_start": "2023-01-20", "date_end": "2023-01-20",
             "locality": "Gassel", "cercle": "Douentza"},
            {"incident_id": "outside", "date_start": "2024-06-01", "date_end": "2024-06-01",
             "locality": "Boni"},
        ]
    )  # fmt: skip
    events = _events(
        [
            {"event_id": "boni", "date_start": "2023-01-05", "location": "Boni"},
            {"event_id": "big", "date_start": "2023-01-22", "location": "Douna",
             "admin2": "Douentza", "civilians_killed_min": 0, "civilians_killed_max": 20},
            {"event_id": "small", "date_start": "2023-02-01", "location": "Sari",
             "civilians_killed_min": 1, "civilians_killed_max": 1},
        ]
    )  # fmt: skip
    result = reconcile(incidents, events)
    table = coverage(incidents, events, result.links, result.candidates).set_index("incident_id")
    assert "outside" not in table.index
    assert table.loc["kept", "status"] == "linked"
    assert table.loc["missing", "status"] == "not_in_export"
    assert table.loc["missing", "nearest"] == "big"
    found = leads(events, result.links)
    assert found["event_id"].tolist() == ["big", "small"]


def test_normalise_place():
    names = pd.Series(["Ségou", "SEGOU région", "Djenné cercle", None])
    assert normalise_place(names).tolist()[:3] == ["segou", "segou", "djenne"]


@settings(max_examples=50, deadline=None)
@given(st.floats(10.5, 24.5), st.floats(-12, 4), st.floats(10.5, 24.5), st.floats(-12, 4))
def test_haversine_symmetric_and_bounded(lat1, lon1, lat2, lon2):
    d1 = haversine_km(lat1, lon1, lat2, lon2)
    d2 = haversine_km(lat2, lon2, lat1, lon1)
    assert abs(d1 - d2) < 1e-6
    assert 0 <= d1 < 2500  # Mali's diagonal is under 2,500 km
