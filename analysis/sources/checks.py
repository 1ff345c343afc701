"""The rules a row must follow, each named and defined once.

The pandera models (``analysis.pipeline.schemas``) build their row checks from this registry and
name each check after its rule; the validation report (``analysis.pipeline.validation``) looks a
failed check up here by that name to find its wording and the columns to show; the readers of
third-party exports (``analysis.sources``) quarantine rows with the same tests. A rule's test
returns True on the rows that break it; a missing value never breaks a rule (whether a cell may
be empty is the schema's business).

The registry sits with the readers, the first stage, so that both stages can import it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from analysis.vocab import MALI_BBOX, NAMING_ALLEGATIONS, TOTAL_MEASURE_OUTCOMES, today

Test = Callable[[pd.DataFrame], pd.Series]


@dataclass(frozen=True)
class RowCheck:
    """One rule over the columns of a row."""

    name: str
    message: str  # what the report says when a row breaks it
    columns: tuple[str, ...]  # the columns it reads, shown with their values in the report
    test: Test  # True where a row breaks the rule

    def broken(self, frame: pd.DataFrame) -> pd.Series:
        """True on the rows of ``frame`` that break the rule (never on missing values, nor when
        an optional column is absent: whether it may be is the schema's business)."""
        if not set(self.columns) <= set(frame.columns):
            return pd.Series(False, index=frame.index)
        return self.test(frame[list(self.columns)]).fillna(False).astype(bool)

    def holds(self, frame: pd.DataFrame) -> pd.Series:
        return ~self.broken(frame)


def inside_mali(lat: pd.Series, lon: pd.Series) -> pd.Series:
    """True where a point falls inside Mali's bounding box (``vocab.MALI_BBOX``)."""
    box = MALI_BBOX
    return lat.between(box["lat_min"], box["lat_max"]) & lon.between(box["lon_min"], box["lon_max"])


def _outside_mali(df: pd.DataFrame) -> pd.Series:
    lat, lon = df["latitude"], df["longitude"]
    return lat.notna() & lon.notna() & ~inside_mali(lat, lon)


def _swapped(df: pd.DataFrame) -> pd.Series:
    lat, lon = df["latitude"], df["longitude"]
    return _outside_mali(df) & inside_mali(lon, lat)


def _not_together(df: pd.DataFrame) -> pd.Series:
    present = df.notna()
    return present.any(axis=1) & ~present.all(axis=1)


def _after(first: str, then: str) -> Test:
    """Broken where ``first`` is later than ``then`` (both present)."""
    return lambda df: df[first] > df[then]


def _allegation_code(df: pd.DataFrame) -> pd.Series:
    named = df["allegation"].isin([*NAMING_ALLEGATIONS, "denies"])
    present = df["perpetrator"].notna() & df["perpetrator_reported"].notna()
    return ~((named & present) | (~named & df["perpetrator"].isna()))


def _measure_against_outcome(df: pd.DataFrame) -> pd.Series:
    # An unknown measure is reported by the column's own check, not here.
    allowed = df["measure"].map(TOTAL_MEASURE_OUTCOMES)
    return pd.Series(
        [
            isinstance(ok, tuple) and outcome not in ok
            for ok, outcome in zip(allowed, df["outcome"], strict=True)
        ],
        index=df.index,
    )


def _registry(*checks: RowCheck) -> dict[str, RowCheck]:
    return {check.name: check for check in checks}


CHECKS: dict[str, RowCheck] = _registry(
    RowCheck(
        "count_range",
        "count_min is greater than count_max",
        ("count_min", "count_max"),
        _after("count_min", "count_max"),
    ),
    RowCheck(
        "civilians_killed_range",
        "civilians_killed_min is greater than civilians_killed_max",
        ("civilians_killed_min", "civilians_killed_max"),
        _after("civilians_killed_min", "civilians_killed_max"),
    ),
    RowCheck(
        "date_order",
        "date_end is before date_start",
        ("date_start", "date_end"),
        _after("date_start", "date_end"),
    ),
    RowCheck(
        "period_order",
        "period_end is before period_start",
        ("period_start", "period_end"),
        _after("period_start", "period_end"),
    ),
    RowCheck(
        "coordinates_together",
        "latitude, longitude, coord_precision and coord_source must be given together",
        ("latitude", "longitude", "coord_precision", "coord_source"),
        _not_together,
    ),
    RowCheck(
        "inside_mali",
        "coordinates are outside Mali",
        ("latitude", "longitude"),
        _outside_mali,
    ),
    RowCheck(
        "coordinates_swapped",
        "latitude and longitude look swapped: they fall in Mali the other way round",
        ("latitude", "longitude"),
        _swapped,
    ),
    RowCheck(
        "allegation_code",
        "perpetrator (code) and perpetrator_reported (the source's words) are required when the "
        "source alleges, relays or denies, and must be empty when it names no force or was not "
        "reached",
        ("allegation", "perpetrator", "perpetrator_reported"),
        _allegation_code,
    ),
    RowCheck(
        "unknown_when_not_reached",
        "allegation 'unknown' goes with perpetrator_basis 'not_reached', and only with it",
        ("allegation", "perpetrator_basis"),
        lambda df: df["allegation"].eq("unknown") != df["perpetrator_basis"].eq("not_reached"),
    ),
    RowCheck(
        "date_note_given",
        "date_note is required when date_reported is given",
        ("date_reported", "date_note"),
        lambda df: df["date_reported"].notna() & df["date_note"].isna(),
    ),
    RowCheck(
        "date_note_fr_given",
        "date_note_fr is given exactly when date_note is",
        ("date_note", "date_note_fr"),
        lambda df: df["date_note"].isna() != df["date_note_fr"].isna(),
    ),
    RowCheck(
        "locality_note_fr_given",
        "locality_note_fr is given exactly when locality_note is",
        ("locality_note", "locality_note_fr"),
        lambda df: df["locality_note"].isna() != df["locality_note_fr"].isna(),
    ),
    RowCheck(
        "measure_outcome",
        "measure does not go with outcome: killings, executions and violations are recorded as "
        "killed; injured_or_missing as injured or missing",
        ("measure", "outcome"),
        _measure_against_outcome,
    ),
    RowCheck(
        "month_of_period",
        "month is not the first day of period_start's month",
        ("period_start", "month"),
        lambda df: df["month"] != df["period_start"].dt.to_period("M").dt.start_time,
    ),
)

# A single column's rule: dates no later than today. Its wording names the column in the
# quarantine of exports ("event_date is in the future"); curated tables say "date".
IN_FUTURE = "is in the future"


def in_future(dates: pd.Series) -> pd.Series:
    """True where a date is later than today (missing dates are not)."""
    return (dates > today()).fillna(False).astype(bool)
