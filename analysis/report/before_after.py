"""The "Before and after Wagner" page: its tables and charts, worded in the active language.

The figures come from ``analysis.report.periods``; this module only lays them out. Sentences
that state a finding are in ``analysis.report.findings``.
"""

from __future__ import annotations

import textwrap

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from analysis.report import charts, i18n, periods
from analysis.report.i18n import _
from analysis.vocab import EVIDENCE_GRADES, OPERATION_TYPES

PAGE = "06-before-after-wagner.html"
# Shading of each period on the time charts (light, and told apart by hatching too).
QUARTER_BAR_DAYS = 80
TITLE_WRAP = 70  # characters per line of a chart title, so it stays within the plot's width
PERIOD_SHADES = {"before_wagner": "#f2f2f2", "wagner": "#fbeede", "africa_corps": "#e3f0f7"}


def draw_periods(processed) -> tuple[list[periods.Period], str | None]:
    """The record's periods, or none and a note saying why they cannot be drawn (context events
    are an optional table: a project without them still builds its pages)."""
    try:
        span = periods.define(
            processed.context_events,
            periods.record_start(processed.incidents),
            periods.cutoff(processed.manifest),
        )
    except periods.PeriodError as error:
        return [], unavailable_note(error)
    return span, None


def unavailable_note(error: periods.PeriodError) -> str:
    if error.kind == "missing_event":
        return _(
            "The context event that dates the periods ({event}) is not in the data "
            "(data/raw/context_events.csv): no period can be drawn."
        ).format(event=error.event_id)
    if error.kind == "order":
        return _(
            "The record does not start before Wagner's arrival, or the handover is after its "
            "cut-off: there are no periods to compare."
        )
    return _(
        "The processed data do not say when the record ends: run make data again to draw the "
        "periods."
    )


def period_name(key: str) -> str:
    return _(periods.PERIOD_LABELS[key])


def period_dates(period: periods.Period) -> str:
    """'1 January 2021 to 30 November 2021' in the page's language."""
    locale = i18n.active()
    return _("{start} to {end}").format(
        start=locale.date(period.start), end=locale.date(period.end)
    )


def summary_table(table: pd.DataFrame, span: list[periods.Period], grades) -> pd.DataFrame:
    """The per-period table as the page shows it (one row per period)."""
    locale = i18n.active()
    by_key = {p.key: p for p in span}
    grade_text = locale.join(grades)
    return pd.DataFrame(
        {
            _("Period"): [period_name(k) for k in table.index],
            _("Dates (incident start)"): [period_dates(by_key[k]) for k in table.index],
            _("Months"): [locale.decimal(m) for m in table["months"]],
            _("Incidents (all grades)"): [locale.number(n) for n in table["incidents"]],
            _("Incidents of grades {grades}").format(grades=grade_text): [
                locale.number(n) for n in table["incidents_headline"]
            ],
            _("Civilians reported killed (grades {grades})").format(grades=grade_text): [
                charts.fmt_range(a, b)
                for a, b in zip(table["killed_min"], table["killed_max"], strict=True)
            ],
            _("Per month"): [
                locale.decimal_range(a, b)
                for a, b in zip(table["rate_min"], table["rate_max"], strict=True)
            ],
        }
    )


def coverage_table(table: pd.DataFrame) -> pd.DataFrame:
    """Grades, sources per incident and the share with a UN or human-rights source."""
    locale = i18n.active()
    out = pd.DataFrame({_("Period"): [period_name(k) for k in table.index]})
    for grade in EVIDENCE_GRADES:
        out[_("Grade {grade}").format(grade=grade)] = [
            locale.number(n) for n in table[f"grade_{grade}"]
        ]
    out[_("Sources per incident (mean)")] = [
        "–" if pd.isna(v) else locale.decimal(v) for v in table["sources_per_incident"]
    ]
    out[_("With a UN or human-rights-organisation source")] = [
        "–" if not n else f"{locale.number(d)} ({locale.percent(c)})"
        for d, c, n in zip(table["documented"], table["coverage"], table["incidents"], strict=True)
    ]
    return out


def operations_display(operations: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """Incidents per period and type of operation, with the first drone strike's date."""
    locale = i18n.active()
    shown = [c for c in operations.columns if operations[c].sum() > 0]
    out = pd.DataFrame({_("Period"): [period_name(k) for k in operations.index]})
    for code in shown:
        out[locale.label(OPERATION_TYPES, code)] = [locale.number(n) for n in operations[code]]
    out[_("First drone strike")] = [
        "–" if pd.isna(d) else locale.date(d) for d in table["first_drone"]
    ]
    return out


def rates_chart(table: pd.DataFrame, span: list[periods.Period], title: str, source: str) -> Figure:
    """One bar per period: solid up to the lowest per-month rate, hatched up to the highest."""
    locale = i18n.active()
    fig, ax = plt.subplots(figsize=(charts.WIDTH, 4.2))
    names = [
        f"{period_name(p.key)}\n{locale.month_short(p.start)} – {locale.month_short(p.end)}"
        for p in span
    ]
    lows, highs = table["rate_min"].to_numpy(), table["rate_max"].to_numpy()
    ax.bar(names, lows, width=0.55, color=charts.RANGE_COLOUR, label=_("Lowest figures"))
    ax.bar(
        names,
        highs - lows,
        bottom=lows,
        width=0.55,
        color="white",
        edgecolor=charts.RANGE_COLOUR,
        hatch="////",
        linewidth=0.6,
        label=_("Up to the highest figures"),
    )
    for x, (lo, hi) in enumerate(zip(lows, highs, strict=True)):
        ax.text(x, hi, locale.decimal_range(lo, hi), ha="center", va="bottom", fontsize=9)
    ax.set_ylim(0, max(1.0, float(highs.max())) * 1.2)
    ax.set_ylabel(_("Civilians reported killed per month"))
    ax.set_title("\n".join(textwrap.wrap(title, TITLE_WRAP)))
    ax.legend(loc="upper left", bbox_to_anchor=(0, -0.2), ncol=2)
    return charts._finish(fig, source)


def shade_periods(ax: plt.Axes, span: list[periods.Period], label: bool = True) -> None:
    """Each period as a light band on a time axis, named at the top."""
    for i, period in enumerate(span):
        ax.axvspan(
            period.start,
            period.end + pd.Timedelta(days=1),
            color=PERIOD_SHADES.get(period.key, "#f2f2f2"),
            zorder=0,
            linewidth=0,
        )
        if i:
            ax.axvline(period.start, color="#555555", linestyle="--", linewidth=0.9, zorder=1)
        if label:
            ax.annotate(
                period_name(period.key),
                xy=(period.start, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(3, -3),
                textcoords="offset points",
                ha="left",
                va="top",
                fontsize=8,
                fontweight="bold",
                color="#333333",
            )


def un_chart(
    by_measure: dict[str, pd.DataFrame], span: list[periods.Period], title: str, source: str
) -> Figure:
    """The UN's quarterly figures, one panel per measure (never two measures on one axis),
    each quarter a bar from the lowest to the highest figure, periods shaded."""
    locale = i18n.active()
    rows = len(by_measure)
    fig, axes = plt.subplots(
        rows, 1, figsize=(charts.WIDTH, 2.3 * rows + 1.0), sharex=True, squeeze=False
    )
    for ax, (measure, frame) in zip(axes[:, 0], by_measure.items(), strict=True):
        shade_periods(ax, span)
        # Each bar covers its quarter, from the quarter's first day.
        ax.bar(
            frame.index,
            frame["min"],
            width=QUARTER_BAR_DAYS,
            align="edge",
            color=charts.RANGE_COLOUR,
            zorder=2,
        )
        ax.bar(
            frame.index,
            frame["max"] - frame["min"],
            bottom=frame["min"],
            width=QUARTER_BAR_DAYS,
            align="edge",
            color="white",
            edgecolor=charts.RANGE_COLOUR,
            hatch="////",
            linewidth=0.6,
            zorder=2,
        )
        ax.set_ylim(0, max(1, int(frame["max"].max())) * 1.3)
        ax.set_ylabel(_("per quarter"))
        ax.set_title(locale.gettext(periods.UN_MEASURES[measure]), fontsize=10)
        ax.yaxis.get_major_locator().set_params(integer=True)
    last = axes[-1, 0]
    last.set_xlim(span[0].start, span[-1].end)
    last.xaxis.set_major_locator(mdates.YearLocator())
    last.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    last.set_xlabel(_("Quarter covered by the figure"))
    fig.suptitle(title, x=0.0, ha="left", fontsize=12, fontweight="bold")
    return charts._finish(fig, source)


def un_means_display(means: pd.DataFrame) -> pd.DataFrame:
    """Per measure and period: quarters published and the mean per quarter (range)."""
    locale = i18n.active()
    return pd.DataFrame(
        {
            _("What the UN counted"): [
                locale.gettext(periods.UN_MEASURES[m]) for m in means["measure"]
            ],
            _("Period"): [period_name(k) for k in means["period"]],
            _("Quarters with a figure"): [locale.number(n) for n in means["quarters"]],
            _("Mean per quarter"): [
                "–" if not n else locale.decimal_range(a, b)
                for a, b, n in zip(
                    means["mean_min"], means["mean_max"], means["quarters"], strict=True
                )
            ],
        }
    )


def export_display(exports: pd.DataFrame) -> pd.DataFrame:
    """The exports' per-period rates, each labelled as the export's own; a period outside an
    export's span shows dashes, not zeros (the export says nothing about it)."""
    locale = i18n.active()
    covered = exports["months_covered"] > 0
    dash = lambda text, ok: text if ok else "–"  # noqa: E731
    return pd.DataFrame(
        {
            _("Export"): [d.upper() for d in exports["dataset"]],
            _("Period"): [period_name(k) for k in exports["period"]],
            _("Months covered by the export"): [
                locale.decimal(m) for m in exports["months_covered"]
            ],
            _("Events attributed to Malian forces or partners"): [
                dash(locale.number(n), ok) for n, ok in zip(exports["events"], covered, strict=True)
            ],
            _("Civilians killed (the export's range)"): [
                dash(charts.fmt_range(a, b), ok)
                for a, b, ok in zip(
                    exports["killed_min"], exports["killed_max"], covered, strict=True
                )
            ],
            _("Per month (the export's)"): [
                dash(locale.decimal_range(a, b), ok)
                for a, b, ok in zip(exports["rate_min"], exports["rate_max"], covered, strict=True)
            ],
        }
    )
