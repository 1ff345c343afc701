"""pandera models: one per raw input table and one per canonical (processed) table.

Raw models check what a contributor typed, after the strict CSV reader (``csvio``) has returned
every cell as text; ``coerce=True`` turns the text into typed columns and a cell that does not
parse is reported with its line and value. Canonical models check what the pipeline writes, so a
bug in the derivation cannot reach a chart either.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pandera.pandas as pa
from pandera.typing.pandas import Series

from analysis.vocab import (
    DATE_PRECISIONS,
    EARLIEST_DATE,
    EVIDENCE_GRADES,
    MALI_BBOX,
    OPERATION_TYPES,
    OUTCOMES,
    PERPETRATOR_GROUPS,
    PERPETRATORS,
    REGIONS,
    SOURCE_KINDS,
    VICTIM_GROUPS,
)

SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
URL = r"^https?://[^\s<>\"']+$"
PARTIAL_DATE = r"^(?:19|20)\d\d-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12]\d|3[01]))?$"
LANGUAGES = ["en", "fr", "ar", "bm", "ff", "ru", "other"]


def today() -> pd.Timestamp:
    """The latest date any record may carry (no incident can be dated in the future)."""
    return pd.Timestamp(dt.date.today())


def _date_field(**kwargs) -> object:
    return pa.Field(
        ge=pd.Timestamp(EARLIEST_DATE),
        **kwargs,
    )


def not_in_future(series: pd.Series) -> pd.Series:
    return series.isna() | (series <= today())


NOT_FUTURE = pa.Check(not_in_future, element_wise=False, error="date is in the future")


def _isin(values) -> dict:
    return {"isin": list(values)}


class _Base(pa.DataFrameModel):
    class Config:
        coerce = True
        strict = True


# --------------------------------------------------------------------------------------------
# Raw (curated) tables
# --------------------------------------------------------------------------------------------


class IncidentsRaw(_Base):
    """data/raw/incidents.csv: one row per incident."""

    incident_id: Series[str] = pa.Field(unique=True, str_matches=SLUG)
    date_start: Series[pa.DateTime] = _date_field()
    date_end: Series[pa.DateTime] = _date_field()
    date_precision: Series[str] = pa.Field(**_isin(DATE_PRECISIONS))
    region_reported: Series[str] = pa.Field(nullable=True, str_length={"max_value": 80})
    cercle: Series[str] = pa.Field(nullable=True)
    locality: Series[str] = pa.Field(nullable=True)
    latitude: Series[float] = pa.Field(
        nullable=True, ge=MALI_BBOX["lat_min"], le=MALI_BBOX["lat_max"]
    )
    longitude: Series[float] = pa.Field(
        nullable=True, ge=MALI_BBOX["lon_min"], le=MALI_BBOX["lon_max"]
    )
    coord_precision: Series[pd.Int64Dtype] = pa.Field(nullable=True, isin=[1, 2, 3])
    coord_source: Series[str] = pa.Field(nullable=True)
    perpetrator_reported: Series[str] = pa.Field(str_length={"min_value": 2, "max_value": 200})
    perpetrator: Series[str] = pa.Field(**_isin(PERPETRATORS))
    operation_type: Series[str] = pa.Field(**_isin(OPERATION_TYPES))
    description: Series[str] = pa.Field(str_length={"min_value": 10, "max_value": 600})
    distinct_from: Series[str] = pa.Field(nullable=True, str_matches=SLUG)
    note: Series[str] = pa.Field(nullable=True)

    @pa.check("date_start", "date_end", name="not_in_future", error="date is in the future")
    def _not_future(cls, series: pd.Series) -> pd.Series:
        return not_in_future(series)

    @pa.dataframe_check(error="date_end is before date_start")
    def _end_after_start(cls, df: pd.DataFrame) -> pd.Series:
        return df["date_end"] >= df["date_start"]

    @pa.dataframe_check(
        error="latitude, longitude, coord_precision and coord_source must be given together"
    )
    def _coords_together(cls, df: pd.DataFrame) -> pd.Series:
        present = df[["latitude", "longitude", "coord_precision", "coord_source"]].notna()
        return present.all(axis=1) | ~present.any(axis=1)


class CasualtiesRaw(_Base):
    """data/raw/casualties.csv: one claim per incident x source x victim group x outcome."""

    incident_id: Series[str] = pa.Field(str_matches=SLUG)
    source_id: Series[str] = pa.Field(str_matches=SLUG)
    victim_group: Series[str] = pa.Field(**_isin(VICTIM_GROUPS))
    outcome: Series[str] = pa.Field(**_isin(OUTCOMES))
    count_min: Series[pd.Int64Dtype] = pa.Field(ge=0, le=100_000)
    count_max: Series[pd.Int64Dtype] = pa.Field(ge=0, le=100_000)
    source_wording: Series[str] = pa.Field(str_length={"min_value": 1, "max_value": 160})
    note: Series[str] = pa.Field(nullable=True)

    class Config:
        unique = ["incident_id", "source_id", "victim_group", "outcome"]

    @pa.dataframe_check(error="count_min is greater than count_max")
    def _min_le_max(cls, df: pd.DataFrame) -> pd.Series:
        return df["count_min"] <= df["count_max"]


class SourcesRaw(_Base):
    """data/raw/sources.csv: one row per published source."""

    source_id: Series[str] = pa.Field(unique=True, str_matches=SLUG)
    publisher: Series[str] = pa.Field(str_length={"min_value": 2, "max_value": 120})
    title: Series[str] = pa.Field(str_length={"min_value": 2, "max_value": 400})
    url: Series[str] = pa.Field(unique=True, str_matches=URL)
    published: Series[str] = pa.Field(str_matches=PARTIAL_DATE)
    kind: Series[str] = pa.Field(**_isin(SOURCE_KINDS))
    language: Series[str] = pa.Field(**_isin(LANGUAGES))
    note: Series[str] = pa.Field(nullable=True)


class ContextEventsRaw(_Base):
    """data/raw/context_events.csv: dated political and military context, one source each."""

    event_id: Series[str] = pa.Field(unique=True, str_matches=SLUG)
    date: Series[pa.DateTime] = _date_field()
    date_precision: Series[str] = pa.Field(isin=["day", "month"])
    label: Series[str] = pa.Field(str_length={"min_value": 2, "max_value": 40})
    description: Series[str] = pa.Field(str_length={"min_value": 5, "max_value": 400})
    source_id: Series[str] = pa.Field(str_matches=SLUG)

    @pa.check("date", name="not_in_future", error="date is in the future")
    def _not_future(cls, series: pd.Series) -> pd.Series:
        return not_in_future(series)


class PublishedTotalsRaw(_Base):
    """data/raw/published_totals.csv: period totals published by HRW, the UN, ACLED, ..."""

    total_id: Series[str] = pa.Field(unique=True, str_matches=SLUG)
    source_id: Series[str] = pa.Field(str_matches=SLUG)
    period_start: Series[pa.DateTime] = _date_field()
    period_end: Series[pa.DateTime] = _date_field()
    perpetrator_scope: Series[str] = pa.Field(str_length={"min_value": 2, "max_value": 200})
    victim_group: Series[str] = pa.Field(**_isin(VICTIM_GROUPS))
    outcome: Series[str] = pa.Field(**_isin(OUTCOMES))
    count_min: Series[pd.Int64Dtype] = pa.Field(ge=0, le=1_000_000)
    count_max: Series[pd.Int64Dtype] = pa.Field(ge=0, le=1_000_000)
    source_wording: Series[str] = pa.Field(str_length={"min_value": 1, "max_value": 200})
    note: Series[str] = pa.Field(nullable=True)

    @pa.dataframe_check(error="count_min is greater than count_max")
    def _min_le_max(cls, df: pd.DataFrame) -> pd.Series:
        return df["count_min"] <= df["count_max"]

    @pa.dataframe_check(error="period_end is before period_start")
    def _end_after_start(cls, df: pd.DataFrame) -> pd.Series:
        return df["period_end"] >= df["period_start"]


class RegionsRaw(_Base):
    """data/raw/regions.csv: place names as sources give them -> normalised 2016 regions.

    ``level`` says which incident column the name matches: region (region_reported), cercle or
    locality. The most specific match wins, so a vague region ("centre") can be settled by a
    known locality.
    """

    name: Series[str] = pa.Field(str_length={"min_value": 2, "max_value": 120})
    level: Series[str] = pa.Field(isin=["region", "cercle", "locality"])
    region: Series[str] = pa.Field(**_isin(REGIONS))
    note: Series[str] = pa.Field(nullable=True)

    class Config:
        unique = ["name", "level"]


class ChangelogRaw(_Base):
    """data/raw/changelog.csv: every correction to the curated record, as data.

    Corrections are never silent edits: each change to an incident or claim after it was first
    published gets a row saying what changed, why, and on which source.
    """

    date: Series[pa.DateTime] = _date_field()
    incident_id: Series[str] = pa.Field(str_matches=SLUG)
    action: Series[str] = pa.Field(isin=["added", "edited", "removed", "merged", "claim_removed"])
    field: Series[str] = pa.Field(nullable=True)
    old_value: Series[str] = pa.Field(nullable=True)
    new_value: Series[str] = pa.Field(nullable=True)
    reason: Series[str] = pa.Field(str_length={"min_value": 5, "max_value": 600})
    source_id: Series[str] = pa.Field(nullable=True, str_matches=SLUG)

    @pa.check("date", name="not_in_future", error="date is in the future")
    def _not_future(cls, series: pd.Series) -> pd.Series:
        return not_in_future(series)


# --------------------------------------------------------------------------------------------
# Canonical (processed) tables
# --------------------------------------------------------------------------------------------


class Incidents(pa.DataFrameModel):
    """data/processed/incidents.parquet: one row per incident with its derived ranges."""

    incident_id: Series[str] = pa.Field(unique=True)
    date_start: Series[pa.DateTime]
    date_end: Series[pa.DateTime]
    date_precision: Series[str] = pa.Field(**_isin(DATE_PRECISIONS))
    month: Series[pa.DateTime]
    year: Series[pd.Int64Dtype] = pa.Field(ge=2012)
    region_reported: Series[str] = pa.Field(nullable=True)
    region: Series[str] = pa.Field(**_isin(REGIONS))
    cercle: Series[str] = pa.Field(nullable=True)
    locality: Series[str] = pa.Field(nullable=True)
    latitude: Series[float] = pa.Field(nullable=True)
    longitude: Series[float] = pa.Field(nullable=True)
    coord_precision: Series[pd.Int64Dtype] = pa.Field(nullable=True)
    perpetrator_reported: Series[str]
    perpetrator: Series[str] = pa.Field(**_isin(PERPETRATORS))
    perpetrator_group: Series[str] = pa.Field(isin=sorted(set(PERPETRATOR_GROUPS.values())))
    operation_type: Series[str] = pa.Field(**_isin(OPERATION_TYPES))
    description: Series[str]
    civilians_killed_min: Series[pd.Int64Dtype] = pa.Field(ge=0, nullable=True)
    civilians_killed_max: Series[pd.Int64Dtype] = pa.Field(ge=0, nullable=True)
    children_killed_min: Series[pd.Int64Dtype] = pa.Field(ge=0, nullable=True)
    children_killed_max: Series[pd.Int64Dtype] = pa.Field(ge=0, nullable=True)
    women_killed_min: Series[pd.Int64Dtype] = pa.Field(ge=0, nullable=True)
    women_killed_max: Series[pd.Int64Dtype] = pa.Field(ge=0, nullable=True)
    civilians_injured_min: Series[pd.Int64Dtype] = pa.Field(ge=0, nullable=True)
    civilians_injured_max: Series[pd.Int64Dtype] = pa.Field(ge=0, nullable=True)
    civilians_missing_min: Series[pd.Int64Dtype] = pa.Field(ge=0, nullable=True)
    civilians_missing_max: Series[pd.Int64Dtype] = pa.Field(ge=0, nullable=True)
    n_sources: Series[pd.Int64Dtype] = pa.Field(ge=1)
    n_publishers: Series[pd.Int64Dtype] = pa.Field(ge=1)
    source_kinds: Series[str]
    evidence_grade: Series[str] = pa.Field(**_isin(EVIDENCE_GRADES))
    single_source: Series[bool]
    party_claims_only: Series[bool]
    source_ids: Series[str]

    @pa.dataframe_check(error="a derived minimum exceeds its maximum")
    def _ranges_ordered(cls, df: pd.DataFrame) -> pd.Series:
        ok = pd.Series(True, index=df.index)
        for stem in (
            "civilians_killed",
            "children_killed",
            "women_killed",
            "civilians_injured",
            "civilians_missing",
        ):
            lo, hi = df[f"{stem}_min"], df[f"{stem}_max"]
            ok &= (lo.isna() & hi.isna()) | (lo <= hi).fillna(False)
        return ok


class Claims(pa.DataFrameModel):
    """data/processed/claims.parquet: every casualty claim with its source's kind."""

    incident_id: Series[str]
    source_id: Series[str]
    publisher: Series[str]
    source_kind: Series[str] = pa.Field(**_isin(SOURCE_KINDS))
    is_party_claim: Series[bool]
    victim_group: Series[str] = pa.Field(**_isin(VICTIM_GROUPS))
    outcome: Series[str] = pa.Field(**_isin(OUTCOMES))
    count_min: Series[pd.Int64Dtype] = pa.Field(ge=0)
    count_max: Series[pd.Int64Dtype] = pa.Field(ge=0)
    source_wording: Series[str]

    @pa.dataframe_check(error="count_min is greater than count_max")
    def _min_le_max(cls, df: pd.DataFrame) -> pd.Series:
        return df["count_min"] <= df["count_max"]
