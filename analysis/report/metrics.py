"""Aggregations behind every figure in the reports.

Counts are ranges throughout: a total is [sum of minimums, sum of maximums] over the incidents
that carry a figure. Incidents without a figure for the measure are counted apart
(``n_without_figure``), never as zero casualties.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pandas as pd

from analysis.report.i18n import N_


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


def coverage_of_published(incidents: pd.DataFrame, totals: pd.DataFrame) -> pd.DataFrame:
    """Set the dataset's own range beside each published period total.

    For each total, sum the dataset's incidents that started within its period, for the same
    victim group and outcome. The published scope (perpetrators, definitions) is shown as the
    source worded it; the comparison says how much of a documented total the dataset holds.
    """
    rows = []
    for total in totals.itertuples(index=False):
        stem = f"{total.victim_group}_{total.outcome}"
        inside = incidents[
            (incidents["date_start"] >= total.period_start)
            & (incidents["date_start"] <= total.period_end)
        ]
        if f"{stem}_min" in incidents:
            rng = range_total(inside, stem)
        else:
            rng = {"min": 0, "max": 0, "n_incidents": 0, "n_without_figure": len(inside)}
        rows.append(
            {
                "total_id": total.total_id,
                "source_id": total.source_id,
                "period_start": total.period_start,
                "period_end": total.period_end,
                "perpetrator_scope": total.perpetrator_scope,
                "perpetrator_scope_fr": getattr(
                    total, "perpetrator_scope_fr", total.perpetrator_scope
                ),
                "measure": stem.replace("_", " "),
                "victim_group": total.victim_group,
                "outcome": total.outcome,
                "published_min": int(total.count_min),
                "published_max": int(total.count_max),
                "source_wording": total.source_wording,
                "dataset_min": rng["min"],
                "dataset_max": rng["max"],
                "dataset_incidents": rng["n_incidents"],
                "share_of_published_min": (
                    rng["min"] / total.count_min if total.count_min else float("nan")
                ),
            }
        )
    return pd.DataFrame(rows)


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
