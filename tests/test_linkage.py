"""Candidate links between curated incidents and export events."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.pipeline.linkage import OUTPUT_COLUMNS, haversine_km, link_incidents, normalise_place


def _incidents(**overrides) -> pd.DataFrame:
    row = {
        "incident_id": "sofara-2024-02",
        "date_start": pd.Timestamp("2024-02-10"),
        "date_end": pd.Timestamp("2024-02-10"),
        "region": "Ségou",
        "cercle": "Niono",
        "locality": "Diabaly",
        "latitude": 14.69,
        "longitude": -6.02,
        "perpetrator": "malian_forces_wagner",
        "civilians_killed_min": 10,
        "civilians_killed_max": 14,
    }
    row.update(overrides)
    frame = pd.DataFrame([row])
    return frame.astype({"civilians_killed_min": "Int64", "civilians_killed_max": "Int64"})


def _events(rows: list[dict]) -> pd.DataFrame:
    base = {
        "dataset": "acled",
        "date_start": pd.Timestamp("2024-02-12"),
        "date_end": pd.Timestamp("2024-02-12"),
        "admin1": "Segou",
        "admin2": "Niono",
        "location": "Diabaly",
        "latitude": 14.70,
        "longitude": -6.00,
        "geo_precision": "locality",
        "perpetrator": "malian_forces",
        "civilians_killed_min": 12,
        "civilians_killed_max": 12,
    }
    frame = pd.DataFrame([{**base, **r} for r in rows])
    return frame.astype({"civilians_killed_min": "Int64", "civilians_killed_max": "Int64"})


def test_distance_match_with_gap_and_agreement():
    out = link_incidents(_incidents(), _events([{"event_id": "A1"}]))
    assert list(out.columns) == OUTPUT_COLUMNS
    (row,) = out.itertuples(index=False)
    assert row.match_basis == "distance"
    assert row.day_gap == 2
    assert 0 < row.km < 3
    assert row.agreement == "overlap"


def test_outside_window_or_radius_is_not_a_candidate():
    events = _events(
        [
            {
                "event_id": "late",
                "date_start": pd.Timestamp("2024-02-18"),
                "date_end": pd.Timestamp("2024-02-18"),
            },
            {"event_id": "far", "latitude": 15.5, "longitude": -6.0},
        ]
    )
    out = link_incidents(_incidents(), events, window_days=7, max_km=25.0)
    assert out.empty
    wider = link_incidents(_incidents(), events, window_days=8, max_km=25.0)
    assert list(wider["event_id"]) == ["late"]


def test_region_precision_coordinates_fall_back_to_names_accent_insensitive():
    # The export's coordinates are a region centroid: names decide, "Ségou" == "Segou".
    events = _events(
        [
            {"event_id": "loc", "geo_precision": "region", "latitude": 13.5, "longitude": -6.5},
            {"event_id": "reg", "geo_precision": "region", "location": None, "admin2": None},
        ]
    )
    out = link_incidents(_incidents(), events).set_index("event_id")
    assert out.loc["loc", "match_basis"] == "locality"
    assert out.loc["reg", "match_basis"] == "region"
    assert pd.isna(out.loc["reg", "km"])


def test_cercle_match_when_incident_has_no_coordinates():
    inc = _incidents(latitude=None, longitude=None, locality=None, cercle="Niono Cercle")
    out = link_incidents(inc, _events([{"event_id": "c1", "location": "Other place"}]))
    assert list(out["match_basis"]) == ["cercle"]


def test_different_names_do_not_fall_back_to_region():
    inc = _incidents(latitude=None, longitude=None, cercle=None)
    out = link_incidents(inc, _events([{"event_id": "x", "location": "Nara"}]))
    assert out.empty


@pytest.mark.parametrize(
    ("emin", "emax", "expected"),
    [
        (0, 9, "dataset_higher"),
        (20, 30, "export_higher"),
        (14, 20, "overlap"),
        (None, None, "no_figure"),
    ],
)
def test_agreement_classes(emin, emax, expected):
    events = _events(
        [{"event_id": "e", "civilians_killed_min": emin, "civilians_killed_max": emax}]
    )
    out = link_incidents(_incidents(), events)
    assert out["agreement"].tolist() == [expected]


def test_rows_sorted_best_basis_first():
    events = _events(
        [
            {"event_id": "region", "geo_precision": "region", "location": None, "admin2": None},
            {"event_id": "dist", "dataset": "ucdp"},
        ]
    )
    out = link_incidents(_incidents(), events)
    assert out["event_id"].tolist() == ["dist", "region"]


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
