"""pandera models (one per raw input table and one per canonical table) and the cross-table rules.

Raw models check what a contributor typed, after the strict CSV reader (``csvio``) has returned
every cell as text; ``coerce=True`` turns the text into typed columns and a cell that does not
parse is reported with its line and value. Canonical models check what the pipeline writes, so a
bug in the derivation cannot reach a chart either.
"""

from __future__ import annotations

import re

import pandas as pd
import pandera.pandas as pa
from pandera.typing.pandas import Series

from analysis.errors import Problem
from analysis.pipeline.derive import derive_perpetrators, resolve_regions
from analysis.sources.aggregates import SCOPES as AGGREGATE_SCOPES
from analysis.sources.checks import CHECKS, IN_FUTURE, in_future
from analysis.sources.exports import (
    DATASETS,
    EARLIEST_EXPORT_DATE,
    GEO_PRECISIONS,
)
from analysis.sources.exports import (
    DATE_PRECISIONS as EXPORT_DATE_PRECISIONS,
)
from analysis.vocab import (
    ALLEGATIONS,
    CIVILIAN_SUBGROUPS,
    DATE_PRECISIONS,
    EARLIEST_DATE,
    EVIDENCE_GRADES,
    FIRST_YEAR,
    MALI_BBOX,
    OPERATION_TYPES,
    OUTCOMES,
    PERPETRATOR_BASES,
    PERPETRATOR_GROUPS,
    PERPETRATORS,
    REGIONS,
    SOURCE_KINDS,
    TOTAL_MEASURES,
    TOTAL_PERPETRATOR_MATCHES,
    TOTAL_SCOPE_KINDS,
    VICTIM_GROUPS,
)

SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
SLUG_LIST = r"^[a-z0-9]+(?:-[a-z0-9]+)*(?:;[a-z0-9]+(?:-[a-z0-9]+)*)*$"
URL = r"^https?://[^\s<>\"']+$"
PARTIAL_DATE = r"^(?:19|20)\d\d-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12]\d|3[01]))?$"
LANGUAGES = ["en", "fr", "ar", "bm", "ff", "ru", "other"]


def _date_field(**kwargs) -> object:
    return pa.Field(
        ge=pd.Timestamp(EARLIEST_DATE),
        **kwargs,
    )


def not_in_future(series: pd.Series) -> pd.Series:
    return ~in_future(series)


def _row_check(name: str):
    """A model's check across columns, taken from the rule registry and named after the rule
    (the validation report finds its wording and columns by that name)."""
    rule = CHECKS[name]

    def check(cls, df: pd.DataFrame) -> pd.Series:
        return rule.holds(df)

    check.__name__ = f"_{name}"
    return pa.dataframe_check(name=rule.name, error=rule.message)(check)


def _future_check(*columns: str):
    """Dates no later than today, on the given date columns."""

    def check(cls, series: pd.Series) -> pd.Series:
        return not_in_future(series)

    return pa.check(*columns, name="not_in_future", error=f"date {IN_FUTURE}")(check)


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
    # The same summary in French, for the French edition: written by a person, same rules.
    description_fr: Series[str] = pa.Field(str_length={"min_value": 10, "max_value": 700})
    distinct_from: Series[str] = pa.Field(nullable=True, str_matches=SLUG)
    note: Series[str] = pa.Field(nullable=True)
    # Where the place needs words besides its name ("near Dioura", "locality not given"): the
    # note in each edition's language, so `locality` holds proper names only. The last columns
    # of the file, and optional, so rows written before they existed still read.
    locality_note: Series[str] = pa.Field(
        nullable=True, required=False, str_length={"min_value": 2, "max_value": 200}
    )
    locality_note_fr: Series[str] = pa.Field(
        nullable=True, required=False, str_length={"min_value": 2, "max_value": 250}
    )

    _locality_note_fr = _row_check("locality_note_fr_given")
    _not_future = _future_check("date_start", "date_end")
    _end_after_start = _row_check("date_order")
    _coords_together = _row_check("coordinates_together")


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

    _min_le_max = _row_check("count_range")


DATE_OR_RANGE = r"^\d{4}-\d\d(?:-\d\d)?(?:/\d{4}-\d\d(?:-\d\d)?)?$"


class AllegationsRaw(_Base):
    """data/raw/allegations.csv: what each source alleged about one incident's perpetrator.

    One row per incident x source that has a claim in casualties.csv. ``perpetrator`` is the
    force(s) this source named, as a code; the incident's perpetrator is derived from these rows
    (``derive.derive_perpetrators``). ``date_reported`` is set only where this source dated the
    incident differently from the incident's window start (``YYYY-MM-DD``, ``YYYY-MM`` or
    ``start/end``); the incident's window must cover it.
    """

    incident_id: Series[str] = pa.Field(str_matches=SLUG)
    source_id: Series[str] = pa.Field(str_matches=SLUG)
    allegation: Series[str] = pa.Field(**_isin(ALLEGATIONS))
    perpetrator_reported: Series[str] = pa.Field(
        nullable=True, str_length={"min_value": 2, "max_value": 200}
    )
    perpetrator: Series[str] = pa.Field(nullable=True, **_isin(PERPETRATORS))
    perpetrator_basis: Series[str] = pa.Field(**_isin(PERPETRATOR_BASES))
    date_reported: Series[str] = pa.Field(nullable=True, str_matches=DATE_OR_RANGE)
    date_note: Series[str] = pa.Field(nullable=True, str_length={"max_value": 400})
    # The same note in French, for the French edition's appendix.
    date_note_fr: Series[str] = pa.Field(nullable=True, str_length={"max_value": 450})
    note: Series[str] = pa.Field(nullable=True)

    class Config:
        unique = ["incident_id", "source_id"]

    _code_when_named = _row_check("allegation_code")
    _unknown_iff_not_reached = _row_check("unknown_when_not_reached")
    _date_note = _row_check("date_note_given")
    _date_note_fr = _row_check("date_note_fr_given")


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
    label_fr: Series[str] = pa.Field(str_length={"min_value": 2, "max_value": 40})
    description: Series[str] = pa.Field(str_length={"min_value": 5, "max_value": 400})
    description_fr: Series[str] = pa.Field(str_length={"min_value": 5, "max_value": 450})
    source_id: Series[str] = pa.Field(str_matches=SLUG)

    _not_future = _future_check("date")


class PublishedTotalsRaw(_Base):
    """data/raw/published_totals.csv: period totals published by HRW, the UN, ACLED, ..."""

    total_id: Series[str] = pa.Field(unique=True, str_matches=SLUG)
    source_id: Series[str] = pa.Field(str_matches=SLUG)
    period_start: Series[pa.DateTime] = _date_field()
    period_end: Series[pa.DateTime] = _date_field()
    perpetrator_scope: Series[str] = pa.Field(str_length={"min_value": 2, "max_value": 200})
    # The scope and area in French, for the French edition (source_wording stays the source's).
    perpetrator_scope_fr: Series[str] = pa.Field(str_length={"min_value": 2, "max_value": 220})
    perpetrator_match: Series[str] = pa.Field(**_isin(TOTAL_PERPETRATOR_MATCHES))
    scope_kind: Series[str] = pa.Field(**_isin(TOTAL_SCOPE_KINDS))
    area: Series[str] = pa.Field(str_length={"min_value": 2, "max_value": 200})
    area_fr: Series[str] = pa.Field(str_length={"min_value": 2, "max_value": 220})
    report_sources: Series[str] = pa.Field(nullable=True, str_matches=SLUG_LIST)
    excluded_incidents: Series[str] = pa.Field(nullable=True, str_matches=SLUG_LIST)
    victim_group: Series[str] = pa.Field(**_isin(VICTIM_GROUPS))
    outcome: Series[str] = pa.Field(**_isin(OUTCOMES))
    # What the figure counts: people killed, executions, or violations mixing several abuses.
    measure: Series[str] = pa.Field(**_isin(TOTAL_MEASURES))
    count_min: Series[pd.Int64Dtype] = pa.Field(ge=0, le=1_000_000)
    count_max: Series[pd.Int64Dtype] = pa.Field(ge=0, le=1_000_000)
    source_wording: Series[str] = pa.Field(str_length={"min_value": 1, "max_value": 200})
    note: Series[str] = pa.Field(nullable=True)

    _min_le_max = _row_check("count_range")
    _end_after_start = _row_check("period_order")
    _measure_fits_outcome = _row_check("measure_outcome")


class OutOfScopeRaw(_Base):
    """data/raw/out_of_scope.csv: events met in the reporting and left out of the record, each
    with the reason (METHODOLOGY.md, "What is recorded") and the source that reported it."""

    event_id: Series[str] = pa.Field(unique=True, str_matches=SLUG)
    date: Series[pa.DateTime] = _date_field()
    place: Series[str] = pa.Field(str_length={"min_value": 2, "max_value": 120})
    what: Series[str] = pa.Field(str_length={"min_value": 5, "max_value": 400})
    what_fr: Series[str] = pa.Field(str_length={"min_value": 5, "max_value": 450})
    reason: Series[str] = pa.Field(str_length={"min_value": 5, "max_value": 400})
    reason_fr: Series[str] = pa.Field(str_length={"min_value": 5, "max_value": 450})
    source_id: Series[str] = pa.Field(str_matches=SLUG)

    _not_future = _future_check("date")


class RegionsRaw(_Base):
    """data/hand/regions.csv: place names as sources give them -> normalised 2016 regions.

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
    # The same reason in French, for the French edition's appendix.
    reason_fr: Series[str] = pa.Field(str_length={"min_value": 5, "max_value": 700})
    source_id: Series[str] = pa.Field(nullable=True, str_matches=SLUG)

    _not_future = _future_check("date")


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
    year: Series[pd.Int64Dtype] = pa.Field(ge=FIRST_YEAR)
    region_reported: Series[str] = pa.Field(nullable=True)
    region: Series[str] = pa.Field(**_isin(REGIONS))
    cercle: Series[str] = pa.Field(nullable=True)
    locality: Series[str] = pa.Field(nullable=True)
    locality_note: Series[str] = pa.Field(nullable=True)
    locality_note_fr: Series[str] = pa.Field(nullable=True)
    latitude: Series[float] = pa.Field(nullable=True)
    longitude: Series[float] = pa.Field(nullable=True)
    coord_precision: Series[pd.Int64Dtype] = pa.Field(nullable=True)
    perpetrator_reported: Series[str]
    perpetrator: Series[str] = pa.Field(**_isin(PERPETRATORS))
    perpetrator_group: Series[str] = pa.Field(isin=sorted(set(PERPETRATOR_GROUPS.values())))
    perpetrator_rule: Series[str] = pa.Field(isin=["independent", "party_only", "as_recorded"])
    operation_type: Series[str] = pa.Field(**_isin(OPERATION_TYPES))
    description: Series[str]
    description_fr: Series[str]
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
    counts_towards_range: Series[bool]
    victim_group: Series[str] = pa.Field(**_isin(VICTIM_GROUPS))
    outcome: Series[str] = pa.Field(**_isin(OUTCOMES))
    count_min: Series[pd.Int64Dtype] = pa.Field(ge=0)
    count_max: Series[pd.Int64Dtype] = pa.Field(ge=0)
    source_wording: Series[str]
    allegation: Series[pd.StringDtype] = pa.Field(nullable=True, **_isin(ALLEGATIONS))
    perpetrator_reported: Series[pd.StringDtype] = pa.Field(nullable=True)
    perpetrator: Series[pd.StringDtype] = pa.Field(nullable=True, **_isin(PERPETRATORS))
    perpetrator_basis: Series[pd.StringDtype] = pa.Field(nullable=True, **_isin(PERPETRATOR_BASES))
    date_reported: Series[pd.StringDtype] = pa.Field(nullable=True)
    date_note: Series[pd.StringDtype] = pa.Field(nullable=True)
    date_note_fr: Series[pd.StringDtype] = pa.Field(nullable=True)

    _min_le_max = _row_check("count_range")


# --------------------------------------------------------------------------------------------
# Rules that span the curated tables (run once every table passed its own model)
# --------------------------------------------------------------------------------------------


def _dangling(
    frame: pd.DataFrame, column: str, valid: pd.Series, file: str, target: str
) -> list[Problem]:
    missing = frame[column].notna() & ~frame[column].isin(set(valid))
    return [
        Problem(file, int(line), column, str(value), f"refers to an id not found in {target}")
        for line, value in frame.loc[missing, column].items()
    ]


def cross_table_problems(frames: dict[str, pd.DataFrame], names: dict[str, str]) -> list[Problem]:
    """Rules that span tables: references, coverage, subsets and duplicates."""
    inc, cas, src = frames["incidents"], frames["casualties"], frames["sources"]
    problems: list[Problem] = []
    problems += _dangling(cas, "incident_id", inc["incident_id"], names["casualties"], "incidents")
    problems += _dangling(cas, "source_id", src["source_id"], names["casualties"], "sources")
    live = frames["changelog"][~frames["changelog"]["action"].isin(["removed", "merged"])]
    problems += _dangling(live, "incident_id", inc["incident_id"], names["changelog"], "incidents")
    for table in ("context_events", "published_totals", "changelog", "out_of_scope"):
        problems += _dangling(frames[table], "source_id", src["source_id"], names[table], "sources")
    problems += _dangling(inc, "distinct_from", inc["incident_id"], names["incidents"], "incidents")
    # An event is either in the record or listed as left out of it, never both.
    out = frames["out_of_scope"]
    for line, value in out.loc[out["event_id"].isin(set(inc["incident_id"])), "event_id"].items():
        problems.append(
            Problem(
                names["out_of_scope"],
                int(line),
                "event_id",
                value,
                "also recorded as an incident in incidents.csv: an event is either in the record "
                "or left out of it",
            )
        )
    totals = frames["published_totals"]
    listed = totals["report_sources"].dropna().str.split(";").explode().to_frame()
    problems += _dangling(
        listed, "report_sources", src["source_id"], names["published_totals"], "sources"
    )
    left_out = totals["excluded_incidents"].dropna().str.split(";").explode().to_frame()
    problems += _dangling(
        left_out, "excluded_incidents", inc["incident_id"], names["published_totals"], "incidents"
    )
    unplaced = resolve_regions(inc, frames["regions"]).isna()
    for line, row in inc[unplaced].iterrows():
        problems.append(
            Problem(
                names["incidents"],
                int(line),
                "region_reported/cercle/locality",
                " / ".join(
                    "" if pd.isna(row[c]) else str(row[c])
                    for c in ("region_reported", "cercle", "locality")
                ),
                "no normalised region: add the region, cercle or locality name to "
                "data/hand/regions.csv",
            )
        )

    without_claims = ~inc["incident_id"].isin(set(cas["incident_id"]))
    for line, value in inc.loc[without_claims, "incident_id"].items():
        problems.append(
            Problem(
                names["incidents"],
                int(line),
                "incident_id",
                value,
                "incident has no casualty claim in casualties.csv",
            )
        )

    # A subgroup (children, women, men) can never exceed the same source's civilian figure.
    key = ["incident_id", "source_id", "outcome"]
    civ = cas[cas["victim_group"] == "civilians"][[*key, "count_min", "count_max"]]
    sub = cas[cas["victim_group"].isin(CIVILIAN_SUBGROUPS)].reset_index()
    joined = sub.merge(civ, on=key, how="inner", suffixes=("", "_civ"))
    over = (joined["count_min"] > joined["count_min_civ"]) | (
        joined["count_max"] > joined["count_max_civ"]
    )
    for row in joined[over].itertuples(index=False):
        problems.append(
            Problem(
                names["casualties"],
                int(row.line),
                "count_min/count_max",
                f"{row.victim_group} {row.count_min}-{row.count_max} > civilians "
                f"{row.count_min_civ}-{row.count_max_civ}",
                f"{row.victim_group} exceed civilians in the same source's claim",
            )
        )

    if len(frames.get("allegations", ())):
        problems += allegation_problems(frames, names)

    # Two incidents at one place and date are the same event unless marked as distinct.
    located = inc[inc["locality"].notna()].reset_index()
    located["place"] = located["locality"].str.casefold()
    for _, group in located.groupby(["place", "date_start"]):
        if len(group) < 2:
            continue
        ids = set(group["incident_id"])
        marked = set(group["distinct_from"].dropna())
        if not (marked & ids):
            for row in group.itertuples(index=False):
                problems.append(
                    Problem(
                        names["incidents"],
                        int(row.line),
                        "locality/date_start",
                        f"{row.locality} {row.date_start:%Y-%m-%d} ({row.incident_id})",
                        "another incident has the same locality and date: merge them, or set "
                        "distinct_from if they are different events",
                    )
                )
    return problems


def _date_bounds(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """First and last day covered by 'YYYY-MM-DD', 'YYYY-MM' or 'a/b' values."""
    text = text.astype("string")
    first = text.str.split("/").str[0]
    last = text.str.split("/").str[-1]
    start = pd.to_datetime(first.str.pad(10, "right", "-").str.replace(r"-+$", "-01", regex=True))
    end_month = last.str.len().eq(7)
    end = pd.to_datetime(last.where(~end_month, last + "-01"))
    end = end.where(~end_month, end + pd.offsets.MonthEnd(0))
    return start, end


def allegation_problems(frames: dict[str, pd.DataFrame], names: dict[str, str]) -> list[Problem]:
    """allegations.csv against the other tables: one row per claim's source, at least one
    allegation naming a force per incident, the incident's perpetrator equal to the one the
    allegations give by the written rule, and every source's date inside the incident window."""
    inc, cas, src = frames["incidents"], frames["casualties"], frames["sources"]
    alg = frames["allegations"]
    file = names["allegations"]
    problems = _dangling(alg, "incident_id", inc["incident_id"], file, "incidents")
    problems += _dangling(alg, "source_id", src["source_id"], file, "sources")
    key = ["incident_id", "source_id"]
    # Claims whose incident or source is unknown, and incidents without claims, are reported
    # by the other rules; they are left out here so one mistake gives one message.
    known = cas["incident_id"].isin(set(inc["incident_id"])) & cas["source_id"].isin(
        set(src["source_id"])
    )
    pairs = cas[known].reset_index().drop_duplicates(key)
    joined = pairs.merge(alg[key].assign(_alg=True), on=key, how="left")
    for row in joined[joined["_alg"].isna()].itertuples(index=False):
        problems.append(
            Problem(
                names["casualties"],
                int(row.line),
                "incident_id/source_id",
                f"{row.incident_id} / {row.source_id}",
                "this source's claim has no row in allegations.csv saying what it alleged about "
                "the perpetrator",
            )
        )
    claimed = set(zip(cas["incident_id"], cas["source_id"], strict=True))
    with_claims = set(cas["incident_id"])
    for line, row in alg.iterrows():
        if row["incident_id"] not in with_claims:
            continue
        if (row["incident_id"], row["source_id"]) not in claimed:
            problems.append(
                Problem(
                    file,
                    int(line),
                    "incident_id/source_id",
                    f"{row['incident_id']} / {row['source_id']}",
                    "no claim in casualties.csv for this incident and source",
                )
            )

    derived = derive_perpetrators(alg, src).set_index("incident_id")
    for line, row in inc.iterrows():
        iid = row["incident_id"]
        if iid not in with_claims:
            continue
        if iid not in derived.index:
            problems.append(
                Problem(
                    names["incidents"],
                    int(line),
                    "perpetrator",
                    iid,
                    "no source in allegations.csv names a force for this incident",
                )
            )
            continue
        expected = derived.at[iid, "perpetrator"]
        if row["perpetrator"] != expected:
            problems.append(
                Problem(
                    names["incidents"],
                    int(line),
                    "perpetrator",
                    f"{row['perpetrator']} ({iid})",
                    f"the sources' allegations give '{expected}' by the perpetrator rule "
                    f"({derived.at[iid, 'perpetrator_rule']} sources; METHODOLOGY.md): correct "
                    "the code or allegations.csv",
                )
            )

    dated = alg[alg["date_reported"].notna()]
    if len(dated):
        start, end = _date_bounds(dated["date_reported"])
        window = inc.set_index("incident_id")[["date_start", "date_end"]]
        w_start = dated["incident_id"].map(window["date_start"])
        w_end = dated["incident_id"].map(window["date_end"])
        outside = w_start.notna() & ((start < w_start) | (end > w_end))
        for line, row in dated[outside].iterrows():
            problems.append(
                Problem(
                    file,
                    int(line),
                    "date_reported",
                    str(row["date_reported"]),
                    "outside the incident's date window: widen date_start/date_end to cover "
                    "every date its sources gave",
                )
            )
    return problems


# Words of an editorial note rather than of a place's name (English, or a French phrase the
# record used inside an English text).
LOCALITY_NOTE_WORDS = re.compile(
    r"\b(near|nearby|about|between|along|area|surroundings|outskirts|km|north|south|east|west"
    r"|not given|name not|town|village|villages|camp|camps|well|market|fair|road|commune"
    r"|communes|cercle|region|and|of|the|incl)\b",
    re.IGNORECASE,
)


def cross_table_warnings(frames: dict[str, pd.DataFrame]) -> list[str]:
    used = (
        set(frames["casualties"]["source_id"])
        | set(frames["published_totals"]["report_sources"].dropna().str.split(";").explode())
        | set(frames["context_events"]["source_id"])
        | set(frames["published_totals"]["source_id"])
        | set(frames["out_of_scope"]["source_id"])
    )
    unused = sorted(set(frames["sources"]["source_id"]) - used)
    warnings = [f"source '{s}' is listed in sources.csv but cited by no row" for s in unused]
    warnings += [
        f"incidents.csv: {row.incident_id}: locality '{row.locality}' holds words of a note "
        "(distance, direction, 'near', 'commune', 'not given', ...): keep the proper name there "
        "and put the rest in locality_note and locality_note_fr"
        for row in frames["incidents"].itertuples()
        if isinstance(row.locality, str) and LOCALITY_NOTE_WORDS.search(row.locality)
    ]
    if not len(frames.get("allegations", ())):
        warnings.append(
            "allegations.csv is absent or empty: incident perpetrators are taken as recorded, "
            "not derived from each source's allegation"
        )
    return warnings


# --------------------------------------------------------------------------------------------
# Third-party exports (ACLED, UCDP GED) after their reader
# --------------------------------------------------------------------------------------------


class ExportEvents(pa.DataFrameModel):
    """Canonical events taken from a third-party export (ACLED or UCDP GED)."""

    dataset: Series[str] = pa.Field(isin=list(DATASETS))
    event_id: Series[str] = pa.Field(str_length={"min_value": 1})
    date_start: Series[pa.DateTime] = pa.Field(ge=pd.Timestamp(EARLIEST_EXPORT_DATE))
    date_end: Series[pa.DateTime]
    month: Series[pa.DateTime]
    date_precision_native: Series[str]
    date_precision: Series[str] = pa.Field(isin=list(EXPORT_DATE_PRECISIONS))
    admin1: Series[str] = pa.Field(nullable=True)
    admin2: Series[str] = pa.Field(nullable=True)
    admin3: Series[str] = pa.Field(nullable=True)
    location: Series[str] = pa.Field(nullable=True)
    latitude: Series[float] = pa.Field(
        nullable=True, ge=MALI_BBOX["lat_min"], le=MALI_BBOX["lat_max"]
    )
    longitude: Series[float] = pa.Field(
        nullable=True, ge=MALI_BBOX["lon_min"], le=MALI_BBOX["lon_max"]
    )
    geo_precision_native: Series[str]
    geo_precision: Series[str] = pa.Field(isin=list(GEO_PRECISIONS))
    actor1_raw: Series[str]
    notes: Series[str] = pa.Field(nullable=True)
    perpetrator: Series[str] = pa.Field(isin=list(PERPETRATORS))
    operation_type: Series[str] = pa.Field(isin=list(OPERATION_TYPES))
    civilians_killed_min: Series[pd.Int64Dtype] = pa.Field(ge=0)
    civilians_killed_max: Series[pd.Int64Dtype] = pa.Field(ge=0)
    fatalities_best: Series[pd.Int64Dtype] = pa.Field(ge=0)
    # The file the row came from, and (ACLED) its last edit: several downloads of a living
    # dataset may hold the same event, and the latest edit wins.
    source_file: Series[str] = pa.Field(str_length={"min_value": 1})
    updated: Series[pa.DateTime] = pa.Field(nullable=True)

    class Config:
        coerce = True
        strict = True
        ordered = True
        unique = ("dataset", "event_id")

    _dates_ordered = _row_check("date_order")
    _range_ordered = _row_check("civilians_killed_range")


# --------------------------------------------------------------------------------------------
# Geography (data/raw/geo: extracted reference files; data/hand/region_capitals.csv)
# --------------------------------------------------------------------------------------------


# The outline is low resolution (Natural Earth 1:110m): its vertices may stray a few km past
# the bounding box used for incidents, so it gets a wider margin.
_OUTLINE_MARGIN = 0.5


class OutlineRaw(_Base):
    """data/raw/geo/mali_outline.csv: Mali's boundary as rings of lon/lat vertices."""

    ring: Series[pd.Int64Dtype] = pa.Field(ge=0)
    lon: Series[float] = pa.Field(
        ge=MALI_BBOX["lon_min"] - _OUTLINE_MARGIN, le=MALI_BBOX["lon_max"] + _OUTLINE_MARGIN
    )
    lat: Series[float] = pa.Field(
        ge=MALI_BBOX["lat_min"] - _OUTLINE_MARGIN, le=MALI_BBOX["lat_max"] + _OUTLINE_MARGIN
    )


class GazetteerRaw(_Base):
    """data/raw/geo/gazetteer_geonames.csv: Malian places from GeoNames."""

    geonameid: Series[pd.Int64Dtype] = pa.Field(unique=True, ge=1)
    name: Series[str] = pa.Field(str_length={"min_value": 1})
    latitude: Series[float] = pa.Field(ge=MALI_BBOX["lat_min"], le=MALI_BBOX["lat_max"])
    longitude: Series[float] = pa.Field(ge=MALI_BBOX["lon_min"], le=MALI_BBOX["lon_max"])
    population: Series[pd.Int64Dtype] = pa.Field(ge=0)


class RegionCapitalsRaw(_Base):
    """data/hand/region_capitals.csv: where a map marks each normalised region."""

    region: Series[str] = pa.Field(unique=True, isin=[r for r in REGIONS if r != "Not stated"])
    capital: Series[str] = pa.Field(str_length={"min_value": 1})
    note: Series[str] = pa.Field(nullable=True)


class RegionPoints(pa.DataFrameModel):
    """Canonical: one map point per normalised region, at its capital."""

    region: Series[str] = pa.Field(unique=True, isin=list(REGIONS))
    lon: Series[float] = pa.Field(ge=MALI_BBOX["lon_min"], le=MALI_BBOX["lon_max"])
    lat: Series[float] = pa.Field(ge=MALI_BBOX["lat_min"], le=MALI_BBOX["lat_max"])

    class Config:
        strict = True
        ordered = True


def capital_problems(
    capitals: pd.DataFrame, gazetteer: pd.DataFrame, capitals_file: str
) -> list[Problem]:
    """Every region capital must be a place of the gazetteer."""
    missing = ~capitals["capital"].isin(set(gazetteer["name"]))
    return [
        Problem(
            capitals_file,
            int(line),
            "capital",
            str(value),
            "not a place name in data/raw/geo/gazetteer_geonames.csv",
        )
        for line, value in capitals.loc[missing, "capital"].items()
    ]


class ExportAggregates(pa.DataFrameModel):
    """ACLED aggregated counts (weekly or monthly, by region): no perpetrator, context only."""

    dataset: Series[str] = pa.Field(isin=["acled"])
    source_file: Series[str] = pa.Field(str_length={"min_value": 1})
    period: Series[str] = pa.Field(isin=["week", "month"])
    period_start: Series[pa.DateTime] = pa.Field(ge=pd.Timestamp(EARLIEST_EXPORT_DATE))
    month: Series[pa.DateTime]
    country: Series[str] = pa.Field(isin=["Mali"])
    admin1: Series[str] = pa.Field(nullable=True)
    admin2: Series[str] = pa.Field(nullable=True)
    event_type: Series[str] = pa.Field(nullable=True)
    scope: Series[str] = pa.Field(isin=list(AGGREGATE_SCOPES))
    events: Series[pd.Int64Dtype] = pa.Field(ge=0)
    fatalities: Series[pd.Int64Dtype] = pa.Field(ge=0)

    class Config:
        coerce = True
        strict = True
        ordered = True

    _month_of_period = _row_check("month_of_period")


class UnclassifiedActors(pa.DataFrameModel):
    """Actor strings that look like the Malian state but that no reviewed rule classifies."""

    dataset: Series[str] = pa.Field(isin=list(DATASETS))
    file: Series[str]
    column: Series[str]
    actor: Series[str] = pa.Field(str_length={"min_value": 1})
    events: Series[int] = pa.Field(ge=1)
    fatalities: Series[int] = pa.Field(ge=0)

    class Config:
        coerce = True
        strict = True
        ordered = True
        unique = ("dataset", "file", "column", "actor")


_PLACE_BASES = ["distance", "locality", "notes", "spelling", "cercle", "region", "none"]


class Links(pa.DataFrameModel):
    """Export events assigned to curated incidents: each event to at most one incident."""

    incident_id: Series[str] = pa.Field(str_length={"min_value": 1})
    dataset: Series[str] = pa.Field(isin=list(DATASETS))
    event_id: Series[str] = pa.Field(str_length={"min_value": 1})
    why: Series[str] = pa.Field(str_length={"min_value": 1})
    place_basis: Series[str] = pa.Field(isin=_PLACE_BASES)
    day_gap: Series[int] = pa.Field(ge=0)
    km: Series[float] = pa.Field(nullable=True, ge=0)
    score: Series[float]

    class Config:
        coerce = True
        strict = True
        ordered = True
        unique = ("dataset", "event_id")


class LinkCandidates(pa.DataFrameModel):
    """Near misses: incident x event pairs considered and not linked, with the reason."""

    incident_id: Series[str] = pa.Field(str_length={"min_value": 1})
    dataset: Series[str] = pa.Field(isin=list(DATASETS))
    event_id: Series[str] = pa.Field(str_length={"min_value": 1})
    why_not: Series[str] = pa.Field(str_length={"min_value": 1})
    place_basis: Series[str] = pa.Field(isin=_PLACE_BASES)
    day_gap: Series[int] = pa.Field(ge=0)
    km: Series[float] = pa.Field(nullable=True, ge=0)
    score: Series[float]

    class Config:
        coerce = True
        strict = True
        ordered = True
        unique = ("incident_id", "dataset", "event_id")
