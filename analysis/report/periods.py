"""Before and after Wagner: the record cut into periods by the context events, and compared.

The periods and the rules that make them (METHODOLOGY.md, "Comparing periods"):

- **Before Wagner** runs from the record's start to the last day of the month before the
  ``wagner-arrival`` event. Reporting dates the deployment to December 2021 (the event itself is
  the governments' statement of 23 December), so the Wagner period starts on the first day of
  the arrival month.
- **Wagner** runs from there to the day before the ``wagner-exit-africa-corps`` event.
- **Africa Corps** runs from the handover day to the record's cut-off.

The record's start is 1 January of the year of its earliest incident, never before 1 January
2018 (the scope). The cut-off is the date of the data release (``data/RELEASES.md``, carried
into the processed manifest): the last day the compilation looked for reporting.

An incident belongs to the period in which it started (``date_start``). A period's length in
months is its number of days (both ends included) divided by the mean month, 365.25 / 12 days,
so a period that ends mid-month is measured as it is. Per-month rates divide the range
[sum of minimums, sum of maximums] by that length; a rate is a range too.

Nothing here reads files or formats text: the notebook and the briefing word the results.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from analysis.pipeline.derive import DOCUMENTING_BODIES
from analysis.report import metrics
from analysis.report.i18n import N_
from analysis.vocab import EVIDENCE_GRADES, OPERATION_TYPES, TOTAL_MEASURES

SCOPE_START = pd.Timestamp("2018-01-01")
ARRIVAL_EVENT = "wagner-arrival"
HANDOVER_EVENT = "wagner-exit-africa-corps"
DAYS_PER_MONTH = 365.25 / 12
# What the UN quarterly series may count (labels: analysis.vocab.TOTAL_MEASURES); each is
# drawn and compared only with itself.
UN_MEASURES: dict[str, str] = {m: TOTAL_MEASURES[m] for m in metrics.UN_SERIES_MEASURES}

# Period names as headings and as the words of a sentence ("before Wagner's arrival").
PERIOD_LABELS: dict[str, str] = {
    "before_wagner": N_("Before Wagner"),
    "wagner": N_("Wagner"),
    "africa_corps": N_("Africa Corps"),
}
PERIOD_PHRASES: dict[str, str] = {
    "before_wagner": N_("before Wagner's arrival"),
    "wagner": N_("in the Wagner period"),
    "africa_corps": N_("in the Africa Corps period"),
}


class PeriodError(ValueError):
    """The data do not allow the periods to be drawn: ``kind`` is ``missing_event`` (a context
    event that dates them is absent; ``event_id`` names it), ``order`` (the record does not start
    before Wagner's arrival, or the handover is after the cut-off) or ``no_release``."""

    def __init__(self, message: str, kind: str, event_id: str | None = None):
        super().__init__(message)
        self.kind = kind
        self.event_id = event_id


@dataclass(frozen=True)
class Period:
    key: str
    start: pd.Timestamp
    end: pd.Timestamp  # included

    @property
    def days(self) -> int:
        return int((self.end - self.start).days) + 1

    @property
    def months(self) -> float:
        return self.days / DAYS_PER_MONTH

    def holds(self, dates: pd.Series) -> pd.Series:
        return (dates >= self.start) & (dates <= self.end)


def cutoff(manifest: dict) -> pd.Timestamp:
    """The record's cut-off: the release date the processed manifest carries."""
    try:
        return pd.Timestamp(manifest["release"]["date"])
    except (KeyError, TypeError) as error:
        raise PeriodError(
            "data/processed/manifest.json: no 'release' date (the record's cut-off): run "
            "`make data` to rebuild the processed tables",
            "no_release",
        ) from error


def record_start(incidents: pd.DataFrame) -> pd.Timestamp:
    """1 January of the earliest incident's year, not before the scope's start (2018)."""
    first = pd.Timestamp(incidents["date_start"].min())
    return max(SCOPE_START, pd.Timestamp(year=first.year, month=1, day=1))


def _event_date(events: pd.DataFrame, event_id: str) -> pd.Timestamp:
    found = events.loc[events["event_id"] == event_id, "date"]
    if len(found) != 1:
        raise PeriodError(
            f"data/raw/context_events.csv: column 'event_id': expected one row {event_id!r} "
            f"to date the periods, found {len(found)}",
            "missing_event",
            event_id,
        )
    return pd.Timestamp(found.iloc[0])


def define(events: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> list[Period]:
    """The three periods from the context events, between the record's start and cut-off."""
    arrival = _event_date(events, ARRIVAL_EVENT).to_period("M").start_time
    handover = _event_date(events, HANDOVER_EVENT)
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    if not start < arrival < handover <= end:
        raise PeriodError(
            "periods out of order: expected record start < Wagner's arrival month < handover "
            f"<= cut-off, got {start.date()}, {arrival.date()}, {handover.date()}, {end.date()}",
            "order",
        )
    one_day = pd.Timedelta(days=1)
    return [
        Period("before_wagner", start, arrival - one_day),
        Period("wagner", arrival, handover - one_day),
        Period("africa_corps", handover, end),
    ]


def assign(dates: pd.Series, periods: Sequence[Period]) -> pd.Series:
    """The key of the period each date falls in (missing outside every period)."""
    out = pd.Series(None, index=dates.index, dtype="object")
    for period in periods:
        out[period.holds(dates)] = period.key
    return out


def rate(total: int | float, months: float) -> float:
    """Per month: ``total`` spread over ``months``."""
    return total / months if months > 0 else float("nan")


def period_table(
    incidents: pd.DataFrame, periods: Sequence[Period], grades: Iterable[str]
) -> pd.DataFrame:
    """One row per period (indexed by its key).

    Headline figures (civilians reported killed and the per-month rate) count the incidents of
    ``grades``; the counts of incidents, grades, sources and coverage count every incident.
    """
    grades = list(grades)
    period_of = assign(incidents["date_start"], periods)
    documented = (
        incidents["source_kinds"]
        .fillna("")
        .str.split(";")
        .map(lambda kinds: bool(set(kinds) & set(DOCUMENTING_BODIES)))
    )
    rows = []
    for period in periods:
        inside = incidents[period_of == period.key]
        headline = metrics.filter_grades(inside, grades)
        killed = metrics.range_total(headline)
        by_grade = inside["evidence_grade"].value_counts()
        drones = inside.loc[inside["operation_type"] == "drone_strike", "date_start"]
        rows.append(
            {
                "period": period.key,
                "start": period.start,
                "end": period.end,
                "days": period.days,
                "months": period.months,
                "incidents": len(inside),
                "incidents_headline": len(headline),
                "killed_min": killed["min"],
                "killed_max": killed["max"],
                "without_figure": killed["n_without_figure"],
                "rate_min": rate(killed["min"], period.months),
                "rate_max": rate(killed["max"], period.months),
                "incidents_per_month": rate(len(inside), period.months),
                **{f"grade_{g}": int(by_grade.get(g, 0)) for g in EVIDENCE_GRADES},
                "sources_per_incident": float(inside["n_sources"].mean())
                if len(inside)
                else float("nan"),
                "documented": int(documented[inside.index].sum()),
                "coverage": float(documented[inside.index].mean()) if len(inside) else float("nan"),
                "drone_strikes": len(drones),
                "first_drone": drones.min() if len(drones) else pd.NaT,
            }
        )
    return pd.DataFrame(rows).set_index("period")


def operations_table(incidents: pd.DataFrame, periods: Sequence[Period]) -> pd.DataFrame:
    """Incidents per period (rows) and type of operation (columns), every type present."""
    period_of = assign(incidents["date_start"], periods)
    table = pd.crosstab(period_of.rename("period"), incidents["operation_type"])
    return table.reindex(
        index=[p.key for p in periods], columns=list(OPERATION_TYPES), fill_value=0
    ).astype("int64")


def export_table(events: pd.DataFrame, periods: Sequence[Period]) -> pd.DataFrame:
    """Per export dataset and period: the export's events attributed to Malian state forces,
    their civilian range and its per-month rate.

    An export covers only the span of its own events, taken in whole months (from the first
    day of its first event's month to the last day of its last event's month): a period's months
    are counted within that span (``months_covered``), and a period outside it has no rate.
    """
    rows = []
    for dataset, part in events.groupby("dataset", sort=True):
        first = part["date_start"].min().to_period("M").start_time
        last = part["date_start"].max().to_period("M").end_time.normalize()
        period_of = assign(part["date_start"], periods)
        for period in periods:
            start, end = max(period.start, first), min(period.end, last)
            covered = Period(period.key, start, end).months if start <= end else 0.0
            inside = part[period_of == period.key]
            killed = metrics.range_total(inside)
            lo, hi = killed["min"], killed["max"]
            rows.append(
                {
                    "dataset": dataset,
                    "period": period.key,
                    "covered_start": start if start <= end else pd.NaT,
                    "covered_end": end if start <= end else pd.NaT,
                    "months_covered": covered,
                    "events": len(inside),
                    "killed_min": lo,
                    "killed_max": hi,
                    "rate_min": rate(lo, covered),
                    "rate_max": rate(hi, covered),
                }
            )
    return pd.DataFrame(rows)


def change(first: tuple[float, float], second: tuple[float, float]) -> str:
    """How a range moved from ``first`` to ``second``: 'rose' when the second's lowest reading
    is above the first's highest, 'fell' when its highest is below the first's lowest,
    'overlap' otherwise (the ranges cannot tell)."""
    if second[0] > first[1]:
        return "rose"
    if second[1] < first[0]:
        return "fell"
    return "overlap"


def ratio_range(
    first: tuple[float, float], second: tuple[float, float]
) -> tuple[float, float] | None:
    """How many times ``first`` the range ``second`` is, as a range: from the second's lowest
    over the first's highest to the second's highest over the first's lowest. None when the
    first's lowest reading is zero (no ratio can be given)."""
    if first[0] <= 0 or first[1] <= 0:
        return None
    return second[0] / first[1], second[1] / first[0]


def un_by_measure(series: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The UN quarterly series split by what it counts, one frame per measure indexed by the
    quarter's first day: like is compared only with like.

    Refuses a measure outside ``UN_MEASURES`` and two figures for one quarter and measure
    (the series must be one row per quarter and measure).
    """
    if series.empty:
        return {}
    unknown = sorted(set(series["measure"]) - set(UN_MEASURES))
    if unknown:
        raise ValueError(
            f"UN quarterly series: column 'measure': {unknown} not among {sorted(UN_MEASURES)}"
        )
    quarters = series["quarter"].map(lambda q: pd.Period(q, freq="Q").start_time)
    framed = series.assign(quarter_start=quarters)
    doubled = framed.duplicated(["measure", "quarter_start"], keep=False)
    if doubled.any():
        first = framed[doubled].iloc[0]
        raise ValueError(
            "UN quarterly series: two figures for one quarter and measure "
            f"({first['measure']}, {first['quarter_start'].date()}): total_ids "
            f"{sorted(framed.loc[doubled, 'total_id'])}"
        )
    out = {}
    for measure in UN_MEASURES:
        part = framed[framed["measure"] == measure]
        if len(part):
            out[measure] = (
                part.set_index("quarter_start")
                .sort_index()[["count_min", "count_max", "publisher", "total_id"]]
                .rename(columns={"count_min": "min", "count_max": "max"})
                .astype({"min": "int64", "max": "int64"})
            )
    return out


def un_period_means(by_measure: dict[str, pd.DataFrame], periods: Sequence[Period]) -> pd.DataFrame:
    """Per measure and period: the quarters with a figure and their mean per quarter (range).

    A quarter belongs to the period holding its first day. Quarters without a figure are not
    zeros: the mean is over the quarters published.
    """
    rows = []
    for measure, frame in by_measure.items():
        period_of = assign(frame.index.to_series(), periods)
        for period in periods:
            inside = frame[period_of.to_numpy() == period.key]
            rows.append(
                {
                    "measure": measure,
                    "period": period.key,
                    "quarters": len(inside),
                    "mean_min": inside["min"].mean() if len(inside) else float("nan"),
                    "mean_max": inside["max"].mean() if len(inside) else float("nan"),
                }
            )
    return pd.DataFrame(rows)
