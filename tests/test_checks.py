"""The rule registry: each rule's test, and that the models and the quarantine use it."""

from __future__ import annotations

import inspect

import pandas as pd
import pandera.pandas as pa
import pytest

from analysis import vocab
from analysis.pipeline import schemas
from analysis.pipeline.validation import validate_table
from analysis.sources import checks
from analysis.sources.exports import Rejections

BOX = vocab.MALI_BBOX


def points(*pairs: tuple[float | None, float | None]) -> pd.DataFrame:
    return pd.DataFrame(pairs, columns=["latitude", "longitude"], dtype="float64")


def test_inside_mali_includes_the_edges_and_ignores_missing_points():
    frame = points(
        (BOX["lat_min"], BOX["lon_min"]),
        (BOX["lat_max"], BOX["lon_max"]),
        (BOX["lat_max"] + 0.01, 0.0),
        (14.0, BOX["lon_min"] - 0.01),
        (None, 50.0),
    )
    assert checks.CHECKS["inside_mali"].broken(frame).tolist() == [False, False, True, True, False]


def test_swapped_needs_the_point_to_fit_the_other_way_round():
    frame = points((-4.2, 14.0), (34.0, 1.0), (14.0, -4.2))
    assert checks.CHECKS["coordinates_swapped"].broken(frame).tolist() == [True, False, False]


@pytest.mark.parametrize(
    ("name", "low", "high"),
    [("count_range", "count_min", "count_max"), ("date_order", "date_start", "date_end")],
)
def test_order_rules_break_only_when_both_values_are_present_and_reversed(name, low, high):
    frame = pd.DataFrame({low: [1, 5, None, 3], high: [2, 4, 1, 3]}, dtype="Int64")
    assert checks.CHECKS[name].broken(frame).tolist() == [False, True, False, False]


def test_together_breaks_on_a_partial_set():
    rule = checks.CHECKS["coordinates_together"]
    frame = pd.DataFrame(
        [[14.0, -4.0, 1, "x"], [None] * 4, [14.0, None, None, None]], columns=rule.columns
    )
    assert rule.broken(frame).tolist() == [False, False, True]


def test_in_future_is_false_for_missing_dates():
    tomorrow = vocab.today() + pd.Timedelta(days=1)
    dates = pd.Series([vocab.today(), tomorrow, pd.NaT])
    assert checks.in_future(dates).tolist() == [False, True, False]


def _row_checks(model: type[pa.DataFrameModel]) -> list[str]:
    return [check.name for check in model.to_schema().checks]


MODELS = [
    m
    for _, m in inspect.getmembers(schemas, inspect.isclass)
    if issubclass(m, pa.DataFrameModel) and m.__module__ == schemas.__name__
]


@pytest.mark.parametrize("model", MODELS, ids=[m.__name__ for m in MODELS])
def test_every_rule_across_columns_of_a_raw_model_comes_from_the_registry(model):
    # Canonical models may keep a check on their own derivation; input models may not.
    names = _row_checks(model)
    if model.__name__.endswith("Raw") or model.__name__.startswith("Export"):
        assert set(names) <= set(checks.CHECKS), names
    for name in set(names) & set(checks.CHECKS):
        check = next(c for c in model.to_schema().checks if c.name == name)
        assert check.error == checks.CHECKS[name].message


def test_the_report_takes_a_rules_columns_and_words_from_the_registry(monkeypatch):
    """Rewording a rule in the registry rewords the report: nothing matches the old text."""
    rule = checks.CHECKS["count_range"]
    reworded = checks.RowCheck(rule.name, "reworded", rule.columns, rule.test)
    monkeypatch.setitem(checks.CHECKS, rule.name, reworded)
    raw = pd.DataFrame(
        {
            "incident_id": ["a"],
            "source_id": ["b"],
            "victim_group": ["civilians"],
            "outcome": ["killed"],
            "count_min": ["5"],
            "count_max": ["3"],
            "source_wording": ["five"],
            "note": [None],
        },
        index=pd.Index([2], name="line"),
    )
    _, problems = validate_table(raw, schemas.CasualtiesRaw, "casualties.csv")
    assert [(p.row, p.column, p.value, p.rule) for p in problems] == [
        (2, "count_min/count_max", "count_min=5, count_max=3", "reworded")
    ]


def test_the_quarantine_uses_the_rule_and_its_words():
    lat = pd.Series([14.0, 34.0, None], index=[2, 3, 4])
    lon = pd.Series([-4.0, 1.0, None], index=[2, 3, 4])
    rej = Rejections(lat.index)
    rej.broke(checks.CHECKS["inside_mali"], latitude=lat, longitude=lon)
    assert rej.reasons.to_dict() == {2: "", 3: "coordinates are outside Mali", 4: ""}
