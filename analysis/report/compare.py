"""Charts that set several sources side by side (curated record, ACLED, UCDP)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from analysis.pipeline.linkage import BASIS_ORDER
from analysis.report import charts
from analysis.report.i18n import _


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
        colour = charts.PALETTE[i % len(charts.PALETTE)]
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
            linestyle=styles[i % len(styles)],
            linewidth=1.4,
            label=_("{name} (minimum; band up to maximum)").format(name=name),
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
