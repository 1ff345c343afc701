# %% [markdown]
# # Cross-source comparison: the curated record beside ACLED and UCDP
#
# **Question:** where a user holds an ACLED or UCDP GED export, how do its counts of civilian
# deaths and operations compare with the project's curated record, and which curated incidents
# does it also hold?
#
# The two event datasets count differently. ACLED's `fatalities` is its most conservative figure
# for all victims together; where civilians appear only as an associated actor of a strike, the
# civilian count is known only to lie between 0 and that figure. UCDP gives civilian deaths with
# low and high estimates. Each is shown as its own range, never merged into one number.

# %% tags=["parameters"]
# The notebook's inputs: the folder of validated tables and the language of the edition.
# `make report` passes both in a cell injected after this one; in JupyterLab the defaults apply
# (None: the project's data/processed; "en": English).
PROCESSED = None
LANG = "en"
TABLES = ["incidents", "manifest", "events", "links", "aggregates"]

# %%
import pandas as pd
from IPython.display import HTML, display

from analysis.report import charts, compare, data, i18n, metrics
from analysis.report.i18n import _
from analysis.vocab import OPERATION_TYPES

L = i18n.activate(LANG)
processed = data.load(PROCESSED)
events = processed.extra.get("events")
links = processed.extra.get("links")
exports = processed.manifest.get("exports", {})
if events is None:
    display(
        HTML(
            "<p class='note'>"
            + _(
                "No ACLED or UCDP export was present when this report was built, so there is "
                "nothing to compare. To add one, save a Mali (or Africa-wide) export as CSV in "
                "<code>data/raw/acled/</code> or <code>data/raw/ucdp/</code> (see "
                "<code>data/raw/README-exports.md</code>; <code>make fetch-acled</code> and "
                "<code>make fetch-ucdp</code> download one with your own credentials) and run "
                "<code>make report</code> again."
            )
            + "</p>"
        )
    )

# %% [markdown]
# ## Civilians killed by Malian state forces, by source
#
# Events each export attributes to Malian state forces (alone, or with Wagner, Africa Corps or
# allied militias) in which civilians were killed, with the civilian range the project derives
# (`data/raw/README-exports.md` gives the rules). Aggregated ACLED files name no perpetrator and
# are not part of this table.

# %%
has_events = events is not None and len(events) > 0
aggregates = processed.extra.get("aggregates")
has_aggregates = aggregates is not None and len(aggregates) > 0
if events is not None and not has_events:
    display(
        HTML(
            "<p class='note'>"
            + _(
                "The exports present hold no event-level data on civilian harm by Malian state "
                "forces (aggregated files only, or no such event)."
            )
            + "</p>"
        )
    )
if has_events:
    summary_rows = []
    for name, part in events.groupby("dataset"):
        lo = int(part["civilians_killed_min"].sum())
        hi = int(part["civilians_killed_max"].sum())
        summary_rows.append(
            {
                _("Source"): name.upper(),
                _("Events"): L.number(len(part)),
                _("Civilians killed (range)"): charts.fmt_range(lo, hi),
                _("First event"): L.iso(part["date_start"].min()),
                _("Last event"): L.iso(part["date_end"].max()),
            }
        )
    display(HTML(charts.table_html(pd.DataFrame(summary_rows))))

# %% [markdown]
# ## Monthly civilian deaths by source

# %%
if has_events:
    curated = metrics.filter_grades(processed.incidents, ["A", "B"])
    start = min(curated["month"].min(), events["month"].min())
    end = max(curated["month"].max(), events["month"].max())
    months = metrics.month_index(start, end)
    series = {_("Curated record (grades A and B)"): metrics.monthly_range(curated, months=months)}
    for name, part in events.groupby("dataset"):
        series[name.upper()] = metrics.monthly_range(part, months=months)
    fig = compare.multi_range_chart(
        series,
        title=_("Civilian deaths by source, as ranges"),
        ylabel=_("Civilians reported killed per month"),
        # The exports' attributions are their licence terms, quoted as the providers word them.
        source=_("Sources: project compilation")
        + L.punct(";")
        + " "
        + "; ".join(meta["attribution"] for meta in exports.values()),
    )
    totals = {k: (int(v["min"].sum()), int(v["max"].sum())) for k, v in series.items()}
    display(
        charts.show(
            fig,
            alt=_("Monthly civilian deaths by source as ranges: {totals}.").format(
                totals=(L.punct(";") + " ").join(
                    f"{k} {charts.fmt_range(*v)}" for k, v in totals.items()
                )
            ),
        )
    )

# %% [markdown]
# ## Operations by source
#
# Incidents (curated) and events (exports) by type of operation.

# %%
if has_events:
    table = pd.concat(
        {
            _("Curated"): processed.incidents["operation_type"].value_counts(),
            **{
                name.upper(): part["operation_type"].value_counts()
                for name, part in events.groupby("dataset")
            },
        },
        axis=1,
    ).fillna(0)
    table.index = [L.label(OPERATION_TYPES, code) for code in table.index]
    display(HTML(charts.table_html(table.astype(int).reset_index(names=_("Operation type")))))

# %% [markdown]
# ## Which curated incidents the exports also hold
#
# A link is a candidate: an export event within a week of the incident, at the same place (within
# 25 km where both have precise coordinates, otherwise the same locality, cercle or region), with
# both ranges side by side. "overlap" means the ranges agree; "dataset_higher" means the curated
# minimum is above the export's maximum.

# %%
if has_events:
    linked = compare.best_links(links)
    summary = pd.crosstab(linked["dataset"], linked["agreement"])
    summary.columns.name = None
    display(HTML(charts.table_html(summary.reset_index(names=_("Export")))))
    n_linked = linked["incident_id"].nunique()
    display(
        HTML(
            "<p>"
            + _(
                "{linked} of {total} curated incidents ({share}) have at least one candidate "
                "event in the exports."
            ).format(
                linked=L.number(n_linked),
                total=L.number(len(processed.incidents)),
                share=L.percent(n_linked / len(processed.incidents)),
            )
            + "</p>"
        )
    )
    # Every candidate, with the linkage table's own column names (identifiers, not prose).
    display(HTML(charts.table_html(links)))

# %% [markdown]
# ## ACLED aggregated totals beside the curated record
#
# ACLED's aggregated files (weekly or monthly counts by region, from ACLED's site or HDX) give
# events and fatalities of **every actor**: they cannot say who killed whom. They are shown as
# context beside the curated record's monthly range of civilians killed by state forces,
# labelled as the file says ("all political violence" or "violence against civilians"), and are
# never presented as deaths caused by Malian forces.

# %%
if has_aggregates:
    agg = compare.aggregate_series(aggregates)
    curated_ab = metrics.filter_grades(processed.incidents, ["A", "B"])
    agg_months = pd.concat([m.index.to_series() for m in agg.values()])
    months = metrics.month_index(
        min(curated_ab["month"].min(), agg_months.min()),
        max(curated_ab["month"].max(), agg_months.max()),
    )
    curated_monthly = metrics.monthly_range(curated_ab, months=months)
    agg_sources = sorted(
        {exports[key]["attribution"] for key in exports if exports[key].get("aggregate")}
    )
    fig = compare.context_chart(
        curated_monthly,
        agg,
        title=_("Curated civilian deaths beside ACLED aggregated fatalities (all actors)"),
        # The exports' attributions are their licence terms, quoted as the providers word them.
        source=_("Sources: project compilation") + L.punct(";") + " " + "; ".join(agg_sources),
    )
    display(
        charts.show(
            fig,
            alt=_(
                "Monthly civilian deaths in the curated record as a range, beside ACLED "
                "aggregated fatalities of every actor (not attributable to state forces): "
                "{totals}."
            ).format(
                totals=(L.punct(";") + " ").join(
                    _("{name}: {deaths} deaths in {events} events").format(
                        name=k,
                        deaths=L.number(v["fatalities"].sum()),
                        events=L.number(v["events"].sum()),
                    )
                    for k, v in agg.items()
                )
            ),
        )
    )
    shown = [m for m in months if any(m in v.index for v in agg.values())]
    table = pd.DataFrame({_("Month"): [L.month(m) for m in shown]})
    table[_("Curated: civilians killed by state forces")] = [
        charts.fmt_range(int(curated_monthly.loc[m, "min"]), int(curated_monthly.loc[m, "max"]))
        for m in shown
    ]
    for name, monthly in agg.items():
        table[_("{name}: events / deaths (all actors, not attributable)").format(name=name)] = [
            f"{L.number(monthly.loc[m, 'events'])} / {L.number(monthly.loc[m, 'fatalities'])}"
            if m in monthly.index
            else "–"
            for m in shown
        ]
    display(HTML(charts.table_html(table)))
elif events is not None:
    display(HTML("<p class='note'>" + _("No ACLED aggregated file was present.") + "</p>"))
