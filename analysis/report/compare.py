"""Charts that set several sources side by side (curated record, ACLED, UCDP)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from analysis.pipeline.linkage import BASIS_ORDER
from analysis.report import charts
from analysis.report.i18n import _


def range_band(ax, monthly: pd.DataFrame, colour: str, label: str, style: str = "-") -> None:
    """One source's monthly range: a light band from minimum to maximum, a line at the minimum."""
    ax.fill_between(
        monthly.index,
        monthly["min"],
        monthly["max"],
        step="mid",
        alpha=0.18,
        color=colour,
        linewidth=0,
    )
    ax.step(
        monthly.index,
        monthly["min"],
        where="mid",
        color=colour,
        linestyle=style,
        linewidth=1.4,
        label=label,
    )


def multi_range_chart(
    series: dict[str, pd.DataFrame], title: str, ylabel: str, source: str
) -> Figure:
    """One band (min to max) and one line (min) per source, on a shared monthly axis.

    Each source has its own colour and line style, so the chart survives greyscale printing.
    """
    fig, ax = plt.subplots(figsize=(charts.WIDTH, 4.2))
    styles = ["-", "--", ":", "-."]
    top = 1
    for i, (name, monthly) in enumerate(series.items()):
        range_band(
            ax,
            monthly,
            charts.PALETTE[i % len(charts.PALETTE)],
            _("{name} (minimum; band up to maximum)").format(name=name),
            styles[i % len(styles)],
        )
        top = max(top, int(monthly["max"].max()))
    ax.set_ylim(0, top * 1.15)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    charts._month_axis(ax)
    ax.legend(loc="upper left", bbox_to_anchor=(0, -0.08), ncol=1)
    return charts._finish(fig, source)


def best_links(links: pd.DataFrame) -> pd.DataFrame:
    """The best candidate event per curated incident and export: the strongest place match
    (distance, then locality, cercle, region), then the fewest days apart, then the nearest."""
    ranked = links.assign(_rank=links["match_basis"].map(BASIS_ORDER))
    ranked = ranked.sort_values(["incident_id", "dataset", "_rank", "day_gap", "km", "event_id"])
    return ranked.drop_duplicates(["incident_id", "dataset"]).drop(columns="_rank")


def aggregate_series(aggregates: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Monthly ACLED aggregated counts per file and scope, labelled as the file says.

    A file with event types gives two series: all political violence (Battles, Explosions/
    Remote violence, Violence against civilians) and violence against civilians alone. A file
    without event types gives one series, labelled with the scope it states (or "not stated").
    Each frame has ``events`` and ``fatalities`` per month (weeks fall in the month they start).
    Aggregates name no perpetrator: these are deaths of every actor, never attributed.
    """
    from analysis.sources.aggregates import SCOPES

    out: dict[str, pd.DataFrame] = {}
    for file, part in aggregates.groupby("source_file", sort=True):
        if part["event_type"].notna().any():
            groups = {
                _("all political violence"): part["scope"].isin(
                    ["political_violence", "violence_against_civilians"]
                ),
                _("violence against civilians"): part["scope"].eq("violence_against_civilians"),
            }
        else:
            scope = part["scope"].iloc[0]
            label = {
                "political_violence": _("all political violence"),
                "violence_against_civilians": _("violence against civilians"),
                "not_stated": _("event types not stated in the file"),
            }.get(scope, SCOPES[scope].lower())
            groups = {label: pd.Series(True, index=part.index)}
        for label, mask in groups.items():
            monthly = part[mask].groupby("month")[["events", "fatalities"]].sum()
            name = _("ACLED aggregated, {scope} ({file})").format(scope=label, file=file)
            out[name] = monthly.astype("int64")
    return out


def context_chart(
    curated: pd.DataFrame, series: dict[str, pd.DataFrame], title: str, source: str
) -> Figure:
    """The curated record's monthly civilian-death range beside ACLED aggregated fatalities.

    The aggregates are drawn as plain lines, in the same monthly axis, and labelled as deaths
    of every actor: they are context, not deaths caused by state forces.
    """
    fig, ax = plt.subplots(figsize=(charts.WIDTH, 4.2))
    range_band(
        ax,
        curated,
        charts.PALETTE[0],
        _("Curated record: civilians killed by state forces (minimum; band up to maximum)"),
    )
    styles = ["--", ":", "-."]
    top = max(1, int(curated["max"].max()) if len(curated) else 1)
    for i, (name, monthly) in enumerate(series.items()):
        values = monthly["fatalities"].reindex(curated.index)
        ax.plot(
            values.index,
            values.to_numpy(dtype=float),
            color=charts.PALETTE[(i + 1) % len(charts.PALETTE)],
            linestyle=styles[i % len(styles)],
            marker="o",
            markersize=3,
            linewidth=1.2,
            label=_("{name}: deaths of every actor, not attributable").format(name=name),
        )
        if values.notna().any():
            top = max(top, int(values.max()))
    ax.set_ylim(0, top * 1.15)
    ax.set_ylabel(_("Deaths per month"))
    ax.set_title(title)
    charts._month_axis(ax)
    ax.legend(loc="upper left", bbox_to_anchor=(0, -0.08), ncol=1)
    return charts._finish(fig, source)
