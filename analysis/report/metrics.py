"""Aggregations behind every figure in the reports.

Counts are ranges throughout: a total is [sum of minimums, sum of maximums] over the incidents
that carry a figure. Incidents without a figure for the measure are counted apart
(``n_without_figure``), never as zero casualties.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pandas as pd

from analysis.report.i18n import N_, _, active
from analysis.vocab import PERPETRATOR_FORCES, TOTAL_MEASURE_OUTCOMES, TOTAL_MEASURES


def month_index(start: pd.Timestamp, end: pd.Timestamp) -> pd.DatetimeIndex:
    """Every month from ``start``'s to ``end``'s, as month-start timestamps."""
    return pd.date_range(
        pd.Timestamp(start).to_period("M").to_timestamp(),
        pd.Timestamp(end).to_period("M").to_timestamp(),
        freq="MS",
        name="month",
    )


def filter_grades(incidents: pd.DataFrame, grades: Iterable[str]) -> pd.DataFrame:
    return incidents[incidents["evidence_grade"].isin(list(grades))]


def range_total(incidents: pd.DataFrame, stem: str = "civilians_killed") -> dict[str, int]:
    """[sum of mins, sum of maxes] for a measure, with how many incidents carry it."""
    lo, hi = incidents[f"{stem}_min"], incidents[f"{stem}_max"]
    with_figure = lo.notna()
    return {
        "min": int(lo[with_figure].sum()),
        "max": int(hi[with_figure].sum()),
        "n_incidents": int(with_figure.sum()),
        "n_without_figure": int((~with_figure).sum()),
    }


def monthly_range(
    incidents: pd.DataFrame,
    stem: str = "civilians_killed",
    months: pd.DatetimeIndex | None = None,
) -> pd.DataFrame:
    """Per month: the range of a measure (min, max) and the number of incidents.

    Months with no incident are present with zeros, so a gap in the chart is a month the
    dataset holds nothing for, not a missing row.
    """
    if months is None:
        months = month_index(incidents["month"].min(), incidents["month"].max())
    grouped = incidents.groupby("month")
    out = pd.DataFrame(
        {
            "min": grouped[f"{stem}_min"].sum(min_count=1),
            "max": grouped[f"{stem}_max"].sum(min_count=1),
            "incidents": grouped.size(),
        }
    )
    out = out.reindex(months).fillna(0).astype("int64")
    out.index.name = "month"
    return out


def cumulative_range(monthly: pd.DataFrame) -> pd.DataFrame:
    return monthly[["min", "max"]].cumsum()


def monthly_counts(
    incidents: pd.DataFrame,
    by: str,
    categories: Iterable[str],
    months: pd.DatetimeIndex | None = None,
) -> pd.DataFrame:
    """Incidents per month and category (columns in the order of ``categories``)."""
    if months is None:
        months = month_index(incidents["month"].min(), incidents["month"].max())
    table = pd.crosstab(incidents["month"], incidents[by])
    table = table.reindex(index=months, columns=list(categories), fill_value=0)
    table.index.name = "month"
    return table.astype("int64")


def range_by(incidents: pd.DataFrame, by: str, stem: str = "civilians_killed") -> pd.DataFrame:
    """Incidents and the range of a measure per category, largest maximum first."""
    grouped = incidents.groupby(by, observed=True)
    out = pd.DataFrame(
        {
            "incidents": grouped.size(),
            "min": grouped[f"{stem}_min"].sum(),
            "max": grouped[f"{stem}_max"].sum(),
        }
    ).astype("int64")
    return out.sort_values(["max", "min"], ascending=False)


def peak_month(monthly: pd.DataFrame) -> tuple[pd.Timestamp, int, int]:
    """The month with the highest minimum (ties: highest maximum, then earliest)."""
    ranked = monthly.reset_index().sort_values(
        ["min", "max", "month"], ascending=[False, False, True]
    )
    top = ranked.iloc[0]
    return pd.Timestamp(top["month"]), int(top["min"]), int(top["max"])


RUSSIAN_CODES = tuple(c for c, f in PERPETRATOR_FORCES.items() if f & {"W", "AC"})


# Why a published figure is not set beside the dataset's ranges (which count every person
# killed, injured or missing), in the page's language.
COUNTS_OF_PEOPLE_NOT: dict[str, Callable[[], str]] = {
    "executions": lambda: _(
        "not compared: the total counts executions only, the dataset every killing"
    ),
    "violations": lambda: _(
        "not compared: the total counts violations (executions, torture, arrests, "
        "disappearances), not people"
    ),
}


def _cited(incidents: pd.DataFrame, source_ids: set[str]) -> pd.Series:
    """Incidents that cite any of ``source_ids``."""
    cited = incidents["source_ids"].fillna("").str.split(";").explode().isin(source_ids)
    return cited.groupby(level=0).any().reindex(incidents.index, fill_value=False)


def coverage_of_published(
    incidents: pd.DataFrame, totals: pd.DataFrame, claims: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Set each published total beside the dataset's incidents inside the same scope.

    - A total of the cases one report documents (``report_cases``) is compared with the
      incidents that cite that report (its ``source_id`` or a copy listed in
      ``report_sources``), whatever their dates.
    - A period total of every case a body documented (``period_all_cases``) is compared with
      the incidents that started in its period, restricted to operations with Russian forces
      when the total is, and only when it covers all of Mali.
    - Incidents the body says its total leaves out (``excluded_incidents``, e.g. Moura in the
      UN's first-quarter 2022 count) are taken out of the comparison.
    - Otherwise no comparison is drawn (``compared`` is False, the dataset columns are empty,
      ``comparison`` says why).

    ``share_of_published_min`` is the dataset's sum of lowest figures over the published
    minimum; above 1 it comes with an explanation. With ``claims``, ``report_own_min`` is the
    sum of the report's own figures for the matched incidents.
    """
    rows = []
    for total in totals.itertuples(index=False):
        stem = f"{total.victim_group}_{total.outcome}"
        report_ids = {total.source_id} | set(
            str(total.report_sources).split(";") if isinstance(total.report_sources, str) else []
        )
        own = None
        excluded = (
            set(total.excluded_incidents.split(";"))
            if isinstance(total.excluded_incidents, str)
            else set()
        )
        # The explanations are words of the page, in the language being built.
        measure = getattr(total, "measure", None)
        # A report's executions are compared with the incidents citing that report; a period
        # count of executions or of violations is never set beside every killing of the period.
        if measure == "violations" or (
            measure == "executions" and total.scope_kind == "period_all_cases"
        ):
            inside = incidents.iloc[0:0]
            matched = ""
            reason = COUNTS_OF_PEOPLE_NOT[measure]()
        elif total.scope_kind == "report_cases":
            inside = incidents[_cited(incidents, report_ids)]
            matched = _("compared with incidents citing this report")
            reason = None if len(inside) else _("not compared: no incident in the dataset cites it")
        else:
            inside = incidents[
                (incidents["date_start"] >= total.period_start)
                & (incidents["date_start"] <= total.period_end)
            ]
            if total.perpetrator_match == "with_russian_forces":
                inside = inside[inside["perpetrator"].isin(RUSSIAN_CODES)]
                matched = _("compared with incidents started in the period, with Russian forces")
            else:
                matched = _("compared with incidents started in the period")
            reason = (
                None
                if total.area.strip().casefold() == "mali"
                else _("not compared: the total covers only part of Mali")
            )
        n_excluded = int(inside["incident_id"].isin(excluded).sum())
        inside = inside[~inside["incident_id"].isin(excluded)]
        if total.scope_kind == "report_cases" and claims is not None and len(inside):
            mine = claims[
                claims["source_id"].isin(report_ids)
                & claims["incident_id"].isin(inside["incident_id"])
                & (claims["victim_group"] == total.victim_group)
                & (claims["outcome"] == total.outcome)
            ]
            own = int(mine.groupby("incident_id")["count_min"].min().sum())
        compared = reason is None
        if compared and f"{stem}_min" in incidents:
            rng = range_total(inside, stem)
        else:
            rng = {"min": None, "max": None, "n_incidents": None}
        share = (
            rng["min"] / total.count_min
            if compared and rng["min"] is not None and total.count_min
            else float("nan")
        )
        rows.append(
            {
                "total_id": total.total_id,
                "source_id": total.source_id,
                "period_start": total.period_start,
                "period_end": total.period_end,
                "perpetrator_scope": total.perpetrator_scope,
                "scope_kind": total.scope_kind,
                "area": total.area,
                "perpetrator_scope_fr": getattr(
                    total, "perpetrator_scope_fr", total.perpetrator_scope
                ),
                "area_fr": getattr(total, "area_fr", total.area),
                "measure": measure,
                "victim_group": total.victim_group,
                "outcome": total.outcome,
                "published_min": int(total.count_min),
                "published_max": int(total.count_max),
                "source_wording": total.source_wording,
                "compared": compared,
                "comparison": reason
                or matched
                + (
                    _(", less {n} incident(s) the total leaves out").format(
                        n=active().number(n_excluded)
                    )
                    if n_excluded
                    else ""
                ),
                "dataset_min": rng["min"],
                "dataset_max": rng["max"],
                "dataset_incidents": rng["n_incidents"],
                "report_own_min": own,
                "share_of_published_min": share,
                "share_note": _share_note(total.scope_kind, share, own, int(total.count_min)),
            }
        )
    out = pd.DataFrame(rows)
    for column in ("dataset_min", "dataset_max", "dataset_incidents", "report_own_min"):
        out[column] = out[column].astype("Int64")
    return out


def _share_note(scope_kind: str, share: float, own: int | None, published: int) -> str:
    """Why a share is above 100%, in words a reader can check."""
    if not share > 1:
        return ""
    if scope_kind == "report_cases":
        if own is not None and own > published:
            return _(
                "The report's own figures for these incidents add up to {own}, more than its "
                "headline total: the total leaves out cases the report counts separately."
            ).format(own=active().number(own))
        return _(
            "The incidents citing the report carry other sources' figures too, and some of "
            "their victims are not in the report's count."
        )
    return _(
        "The dataset holds more than the body counted for the period: it includes incidents "
        "or figures from other sources that the body did not count or classed differently."
    )


def quarter_index(start: pd.Timestamp, end: pd.Timestamp) -> pd.DatetimeIndex:
    """Every quarter from ``start``'s to ``end``'s, as quarter-start timestamps."""
    return pd.date_range(
        pd.Timestamp(start).to_period("Q").to_timestamp(),
        pd.Timestamp(end).to_period("Q").to_timestamp(),
        freq="QS",
        name="month",
    )


def quarterly_counts(incidents: pd.DataFrame, by: str, categories: Iterable[str]) -> pd.DataFrame:
    """Incidents per quarter (in which each started) and category, every quarter present."""
    quarters = incidents.assign(month=incidents["date_start"].dt.to_period("Q").dt.to_timestamp())
    index = quarter_index(quarters["month"].min(), quarters["month"].max())
    return monthly_counts(quarters, by, categories, months=index)


def yearly_counts(incidents: pd.DataFrame, by: str, categories: Iterable[str]) -> pd.DataFrame:
    """Incidents per year (in which each started) and category, as year-start timestamps."""
    table = pd.crosstab(incidents["year"], incidents[by]).reindex(
        columns=list(categories), fill_value=0
    )
    years = range(int(incidents["year"].min()), int(incidents["year"].max()) + 1)
    table = table.reindex(list(years), fill_value=0)
    table.index = pd.to_datetime([f"{y}-01-01" for y in table.index])
    table.index.name = "month"
    return table.astype("int64")


def yearly_range(incidents: pd.DataFrame) -> pd.DataFrame:
    """Per year: incidents and the ranges of civilians and of children reported killed."""
    grouped = incidents.groupby("year")
    return pd.DataFrame(
        {
            "incidents": grouped.size(),
            "killed_min": grouped["civilians_killed_min"].sum(),
            "killed_max": grouped["civilians_killed_max"].sum(),
            "children_min": grouped["children_killed_min"].sum(),
            "children_max": grouped["children_killed_max"].sum(),
        }
    ).astype("int64")


# Data-quality checks shown on the data-quality page: label -> which incidents it flags.
# Labels are messages of the catalogue (N_): the page shows them translated.
QUALITY_FLAGS: dict[str, Callable[[pd.DataFrame], pd.Series]] = {
    N_("All incidents"): lambda t: pd.Series(True, index=t.index),
    N_("Backed by one publisher only"): lambda t: t["single_source"].astype(bool),
    N_("Only a party to the conflict gave a figure"): lambda t: t["party_claims_only"].astype(bool),
    N_("No figure for civilians killed (injured or missing only)"): lambda t: t[
        "civilians_killed_min"
    ].isna(),
    N_("Date known only to the week or month"): lambda t: t["date_precision"].ne("day"),
    N_("Without coordinates"): lambda t: t["latitude"].isna(),
}


def quality_flags(incidents: pd.DataFrame) -> pd.Series:
    """Number of incidents each data-quality check flags, in the order of QUALITY_FLAGS."""
    return pd.Series(
        {label: int(flag(incidents).sum()) for label, flag in QUALITY_FLAGS.items()},
        name="Incidents",
    )


def widest_disagreement(incidents: pd.DataFrame, claims: pd.DataFrame):
    """The incident whose civilians-killed range is widest, with its civilians-killed claims.

    Ties go to the earliest incident. Returns (incident row, claims) or None without figures.
    """
    spread = incidents["civilians_killed_max"] - incidents["civilians_killed_min"]
    if spread.notna().sum() == 0:
        return None
    ranked = incidents.assign(_spread=spread).dropna(subset=["_spread"])
    widest = ranked.sort_values(
        ["_spread", "date_start", "incident_id"], ascending=[False, True, True]
    ).iloc[0]
    own = claims[
        (claims["incident_id"] == widest["incident_id"])
        & (claims["victim_group"] == "civilians")
        & (claims["outcome"] == "killed")
    ]
    return widest.drop(labels="_spread"), own


def empty_months(monthly: pd.DataFrame) -> pd.DatetimeIndex:
    """Months in the series that hold no incident."""
    return monthly.index[monthly["incidents"] == 0]


# The measures of the UN series: figures about lives (the outcome "killed"); a count of people
# injured or missing is not part of it.
UN_SERIES_MEASURES = tuple(
    m for m, outcomes in TOTAL_MEASURE_OUTCOMES.items() if "killed" in outcomes
)


def un_quarterly_series(
    totals: pd.DataFrame, sources: pd.DataFrame, measure: str | None = None
) -> pd.DataFrame:
    """The UN's quarterly figures for the Malian forces: one row per quarter and measure.

    Keeps the published totals whose source is a UN body (``sources.kind == "un_body"``:
    MINUSMA's quarterly human-rights notes, the Secretary-General's reports, the Independent
    Expert), for all civilians, whose period is exactly one calendar quarter; totals over other
    periods (a year, a Secretary-General report's reporting period) are left out, as they cannot
    be set beside a quarter. Measures are never mixed: killings, executions and violations stay
    separate rows, and ``measure`` (one of ``UN_SERIES_MEASURES``) keeps a single one. Where
    several UN publications give a figure for the same quarter and measure (a note and the
    Secretary-General's report quoting it), they are one row whose range spans them.

    Returns, sorted by quarter then measure:

    - ``quarter``: pandas Period (freq Q);
    - ``measure``: killings, executions or violations (``analysis.vocab.TOTAL_MEASURES``);
    - ``count_min``, ``count_max``: lowest and highest figure the publications gave (Int64);
    - ``publisher``: the publishing bodies, ``"; "``-separated;
    - ``total_id``: the published totals behind the row, ``";"``-separated;
    - ``period_start``, ``period_end``: the quarter's first and last day (Timestamps);
    - ``perpetrator_scope``: the forces counted, in the sources' words, ``" / "``-separated.

    Raises ValueError when a total has no known measure or ``measure`` is not a series
    measure, rather than counting unlike figures together.
    """
    if measure is not None and measure not in UN_SERIES_MEASURES:
        raise ValueError(
            f"measure {measure!r} is not one of the UN series' measures {UN_SERIES_MEASURES}"
        )
    columns = [
        "quarter",
        "measure",
        "count_min",
        "count_max",
        "publisher",
        "total_id",
        "period_start",
        "period_end",
        "perpetrator_scope",
    ]
    if "measure" not in totals:
        raise ValueError("published totals without a 'measure' column cannot form a series")
    unknown = totals[~totals["measure"].isin(list(TOTAL_MEASURES))]
    if len(unknown):
        raise ValueError(
            "published totals with no known measure: "
            + ", ".join(
                f"{t} ({m!r})" for t, m in zip(unknown["total_id"], unknown["measure"], strict=True)
            )
        )
    by_id = sources.set_index("source_id")
    un = totals[totals["source_id"].map(by_id["kind"]).eq("un_body")]
    quarter = un["period_start"].dt.to_period("Q")
    whole_quarter = un["period_start"].eq(quarter.dt.start_time) & un["period_end"].eq(
        quarter.dt.end_time.dt.normalize()
    )
    un = un[
        whole_quarter
        & un["victim_group"].eq("civilians")
        & un["measure"].isin(UN_SERIES_MEASURES if measure is None else (measure,))
    ].assign(quarter=quarter, publisher=lambda f: f["source_id"].map(by_id["publisher"]))
    if un.empty:
        return pd.DataFrame(columns=columns)

    def _joined(values: pd.Series, sep: str) -> str:
        return sep.join(dict.fromkeys(values))

    series = (
        un.sort_values("total_id")
        .groupby(["quarter", "measure"], sort=True)
        .agg(
            count_min=("count_min", "min"),
            count_max=("count_max", "max"),
            publisher=("publisher", lambda v: _joined(v, "; ")),
            total_id=("total_id", lambda v: _joined(v, ";")),
            perpetrator_scope=("perpetrator_scope", lambda v: _joined(v, " / ")),
        )
        .reset_index()
    )
    series["period_start"] = series["quarter"].dt.start_time
    series["period_end"] = series["quarter"].dt.end_time.dt.normalize()
    for column in ("count_min", "count_max"):
        series[column] = series[column].astype("Int64")
    return series[columns]
