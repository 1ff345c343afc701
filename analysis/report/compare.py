"""Charts that set several sources side by side (curated record, ACLED, UCDP)."""

from __future__ import annotations

import html

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from analysis.pipeline import linkage
from analysis.report import charts, i18n
from analysis.report.i18n import N_, _
from analysis.vocab import PERPETRATORS


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


def small_multiples(
    series: dict[str, pd.DataFrame], title: str, ylabel: str, source: str
) -> Figure:
    """One panel per source (band from minimum to maximum, line at the minimum) on a shared
    monthly axis, each with its own vertical scale: one source's largest month (a massacre of
    hundreds) never flattens another's into the baseline. Panels are titled, so the chart
    reads without colour."""
    n = max(1, len(series))
    fig, axes = plt.subplots(n, 1, figsize=(charts.WIDTH, 1.2 + 1.9 * n), sharex=True)
    axes = [axes] if n == 1 else list(axes)
    for i, (ax, (name, monthly)) in enumerate(zip(axes, series.items(), strict=True)):
        range_band(ax, monthly, charts.PALETTE[i % len(charts.PALETTE)], name)
        top = max(1, int(monthly["max"].max()) if len(monthly) else 1)
        ax.set_ylim(0, top * 1.15)
        ax.set_title(
            _("{name}, scale up to {top}").format(name=name, top=i18n.active().number(top)),
            loc="left",
            fontsize=9,
        )
        ax.set_ylabel(ylabel if i == n // 2 else "")
    fig.suptitle(title, x=0.0, ha="left")
    months = max((len(m) for m in series.values()), default=0)
    if months > 36:
        charts._month_axis(axes[-1])
    else:
        # A short period: a tick every quarter (or month), named in the page's language.
        step = 1 if months <= 12 else 3
        axes[-1].xaxis.set_major_locator(mdates.MonthLocator(interval=step))
        axes[-1].xaxis.set_major_formatter(
            FuncFormatter(lambda x, _pos: i18n.active().month_short(mdates.num2date(x)))
        )
    return charts._finish(fig, _("Line: minimum; band: up to the maximum.") + " " + source)


def period_table(
    curated: pd.DataFrame, events: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp
) -> pd.DataFrame:
    """Per year of the exports' period: the curated record's incidents and civilian range beside
    each dataset's events and range (columns labelled for the page)."""
    L = i18n.active()
    inside = curated[(curated["date_start"] >= start) & (curated["date_start"] <= end)]
    rows = []
    for year in range(start.year, end.year + 1):
        part = inside[inside["date_start"].dt.year == year]
        killed = part.dropna(subset=["civilians_killed_min"])
        row = {
            _("Year"): str(year),
            _("Curated: incidents"): L.number(len(part)),
            _("Curated: civilians killed"): charts.fmt_range(
                int(killed["civilians_killed_min"].sum()),
                int(killed["civilians_killed_max"].sum()),
            ),
        }
        for name, ev in events.groupby("dataset", sort=True):
            ev_year = ev[ev["date_start"].dt.year == year]
            row[_("{source}: events").format(source=name.upper())] = L.number(len(ev_year))
            row[_("{source}: civilians killed").format(source=name.upper())] = charts.fmt_range(
                int(ev_year["civilians_killed_min"].sum()),
                int(ev_year["civilians_killed_max"].sum()),
            )
        rows.append(row)
    return pd.DataFrame(rows)


AGREEMENT_LABELS = {
    "overlap": N_("Ranges agree"),
    "dataset_higher": N_("Curated record higher"),
    "export_higher": N_("Export higher"),
    "no_figure": N_("No figure on one side"),
}
PLACE_LABELS = {
    "distance": N_("within a few km"),
    "locality": N_("same locality"),
    "notes": N_("place named in the export's notes"),
    "spelling": N_("same place, another spelling"),
    "cercle": N_("same cercle"),
    "region": N_("same region"),
    "none": N_("no place in common"),
}


def _place(event: pd.Series) -> str:
    seen: list[str] = []
    for part in (event.get("location"), event.get("admin2"), event.get("region")):
        if isinstance(part, str) and part and part != "Not stated" and part not in seen:
            seen.append(part)
    return ", ".join(seen) or "–"


def _days(gap: int) -> str:
    if gap == 0:
        return _("same dates")
    return i18n.ngettext("{n} day apart", "{n} days apart", int(gap)).format(n=gap)


def reconciliation_table(
    incidents: pd.DataFrame,
    events: pd.DataFrame,
    links: pd.DataFrame,
    candidates: pd.DataFrame,
) -> pd.DataFrame:
    """Every curated incident inside an export's period: linked (how many events, on what
    basis, the incident's range beside the sum of its events) or not in the export (with its
    nearest candidates). Labelled for the page."""
    L = i18n.active()
    status = linkage.coverage(incidents, events, links, candidates)
    compared = linkage.compare_ranges(incidents, events, links).set_index(
        ["incident_id", "dataset"]
    )
    ev = events.set_index(["dataset", "event_id"])
    inc = incidents.set_index("incident_id")
    # An incident as a reader names it: its place in this language and its month.
    places = L.places(inc)
    rows = []
    for row in status.itertuples(index=False):
        incident = inc.loc[row.incident_id]
        region = incident["region"] if incident["region"] != "Not stated" else None
        place = places.loc[row.incident_id] or region
        month = L.month(incident["date_start"])
        name = f"{place}, {month}" if place else month
        lo, hi = incident["civilians_killed_min"], incident["civilians_killed_max"]
        curated_range = "–" if pd.isna(lo) else charts.fmt_range(int(lo), int(hi))
        if row.status == "linked":
            mine = links[
                (links["incident_id"] == row.incident_id) & (links["dataset"] == row.dataset)
            ]
            c = compared.loc[(row.incident_id, row.dataset)]
            export_range = charts.fmt_range(
                int(c["export_civilians_killed_min"]), int(c["export_civilians_killed_max"])
            )
            bases = sorted(set(mine["place_basis"]), key=list(PLACE_LABELS).index)
            basis = (
                L.join(L.label(PLACE_LABELS, b) for b in bases)
                + ", "
                + _days(int(mine["day_gap"].min()))
            )
            found = i18n.ngettext(
                "Linked: {n} event", "Linked: {n} events", row.events_linked
            ).format(n=L.number(row.events_linked))
            agreement = L.label(AGREEMENT_LABELS, c["agreement"])
            events_text = " ".join(mine["event_id"])
        else:
            export_range, agreement, events_text = "–", "–", "–"
            found = _("Not in this export")
            near = [e for e in row.nearest.split() if e]
            basis = (
                _("Nearest: {events}").format(
                    events=L.join(
                        f"{e} ({L.iso(ev.loc[(row.dataset, e), 'date_start'])}, "
                        f"{_place(ev.loc[(row.dataset, e)])})"
                        for e in near
                    )
                )
                if near
                else _("no event nearby in time and place")
            )
        rows.append(
            {
                _("Incident"): name,
                _("Export"): row.dataset.upper(),
                _("Found"): found if events_text == "–" else f"{found} ({events_text})",
                _("Why, or nearest"): basis,
                _("Civilians killed: curated / export (sum of its events)"): (
                    f"{curated_range} / {export_range}"
                ),
                _("Agreement"): agreement,
            }
        )
    return pd.DataFrame(rows)


def leads_table(leads: pd.DataFrame) -> pd.DataFrame:
    """Export events no curated incident explains, labelled for the page (the export's own
    notes as the provider wrote them)."""
    L = i18n.active()
    return pd.DataFrame(
        {
            _("Event"): leads["dataset"].str.upper() + " " + leads["event_id"],
            _("Date"): [L.iso(d) for d in leads["date_start"]],
            _("Place"): [_place(r) for _i, r in leads.iterrows()],
            _("Alleged perpetrator (export)"): [
                L.label(PERPETRATORS, p) for p in leads["perpetrator"]
            ],
            _("Civilians killed"): [
                charts.fmt_range(int(a), int(b))
                for a, b in zip(
                    leads["civilians_killed_min"], leads["civilians_killed_max"], strict=True
                )
            ],
            _("The export's notes"): leads["notes"].fillna("–"),
        }
    )


def leads_html(leads: pd.DataFrame, filename: str = "leads.csv") -> str:
    """The leads as a list that reads on a phone: one item per event, its facts on one line and
    the export's notes below (marked as English, the provider's language), with the same rows
    as a CSV download."""
    table = leads_table(leads)
    columns = list(table.columns)
    notes_column = columns[-1]
    items = []
    for row in table.itertuples(index=False):
        values = dict(zip(columns, row, strict=True))
        facts = " · ".join(html.escape(str(values[c])) for c in columns[:-1])
        notes = values[notes_column]
        notes_html = f'<br><span lang="en">{html.escape(str(notes))}</span>' if notes != "–" else ""
        items.append(f"<li><strong>{facts}</strong>{notes_html}</li>")
    header = " · ".join(html.escape(c) for c in columns[:-1])
    label = html.escape(_("Download the list:"))
    return (
        f"<p class='note'>{html.escape(_('Each lead:'))} {header}{i18n.active().punct(';')} "
        f"{html.escape(_('then the export’s notes, in its own words (English).'))}</p>"
        f"<ol class='leads'>{''.join(items)}</ol>"
        f"<p class='downloads'>{label} {charts.csv_link(table, filename)}</p>"
    )


def crosscheck_counts(processed) -> list[dict]:
    """Per export dataset: curated incidents in its period, how many it holds, how many it
    lacks, and its events no incident explains (leads). Empty without an export."""
    events = processed.extra.get("events")
    links = processed.extra.get("links")
    candidates = processed.extra.get("link_candidates")
    if events is None or links is None or candidates is None or events.empty:
        return []
    status = linkage.coverage(processed.incidents, events, links, candidates)
    found = linkage.leads(events, links)
    out = []
    for dataset in sorted(events["dataset"].unique()):
        mine = status[status["dataset"] == dataset]
        theirs = found["dataset"] == dataset
        out.append(
            {
                "dataset": dataset.upper(),
                "in_period": len(mine),
                "linked": int((mine["status"] == "linked").sum()),
                "missing": int((mine["status"] == "not_in_export").sum()),
                "leads": int(theirs.sum()),
                "leads_with_deaths": int((theirs & (found["civilians_killed_max"] > 0)).sum()),
            }
        )
    return out


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
