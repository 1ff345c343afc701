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
TABLES = ["incidents", "manifest", "events", "links", "link_candidates", "aggregates"]

# %%
import pandas as pd
from IPython.display import HTML, display

from analysis.report import charts, compare, data, i18n, metrics
from analysis.report.i18n import _
from analysis.vocab import HEADLINE_GRADES, OPERATION_TYPES

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
# ## Year by year, side by side
#
# For each year of the exports' period, the curated incidents (every grade) and their range of
# civilians killed beside each export's events and range. The exports count events, the record
# counts incidents: one incident may be several events (see the reconciliation below).

# %%
if has_events:
    period_start = events["date_start"].min()
    period_end = events["date_end"].max()
    display(
        HTML(
            charts.table_html(
                compare.period_table(processed.incidents, events, period_start, period_end),
                name="by-year.csv",
            )
        )
    )

# %% [markdown]
# ## Monthly civilian deaths by source
#
# One panel per source, each with its own scale, on the same months: a single large massacre in
# one source does not hide the other sources' months.

# %%
if has_events:
    curated = metrics.filter_grades(processed.incidents, HEADLINE_GRADES)
    months = metrics.month_index(period_start.to_period("M").start_time, period_end)
    in_period = curated[
        (curated["date_start"] >= period_start) & (curated["date_start"] <= period_end)
    ]
    series = {_("Curated record (grades A and B)"): metrics.monthly_range(in_period, months=months)}
    for name, part in events.groupby("dataset"):
        series[name.upper()] = metrics.monthly_range(part, months=months)
    fig = compare.small_multiples(
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
# Incidents (curated, in the exports' period) and events (exports) by type of operation.

# %%
if has_events:
    table = pd.concat(
        {
            _("Curated"): processed.incidents.loc[
                (processed.incidents["date_start"] >= period_start)
                & (processed.incidents["date_start"] <= period_end),
                "operation_type",
            ].value_counts(),
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
# ## Incident by incident: what the exports hold
#
# Each export event is assigned to at most one curated incident; an incident may hold several
# events (days, villages). A link needs the dates within a week and a place in common (within
# 25 km, the same locality or commune, the place named in the export's notes, the same name
# spelt another way, or the same cercle when neither names another village), a force in common,
# and deaths in the export event when the incident has any; an event goes to the incident it
# fits best. The incident's range is then compared with the **sum** of its events. An incident
# the export does not hold is named, with the nearest events that were considered.
# The data package's link tables hold every link and every near miss with its reasons.

# %%
if has_events:
    candidates = processed.extra.get("link_candidates")
    reconciled = compare.reconciliation_table(processed.incidents, events, links, candidates)
    if len(reconciled):
        counts = compare.crosscheck_counts(processed)
        display(
            HTML(
                "<p>"
                + (L.punct(";") + " ").join(
                    _(
                        "{source}: of the {n} curated incidents in its period, linked: "
                        "{linked}; not in the export: {missing}"
                    ).format(
                        source=c["dataset"],
                        linked=L.number(c["linked"]),
                        n=L.number(c["in_period"]),
                        missing=L.number(c["missing"]),
                    )
                    for c in counts
                )
                + ".</p>"
            )
        )
        display(HTML(charts.table_html(reconciled, name="reconciliation.csv")))
    else:
        display(
            HTML(
                "<p class='note'>"
                + _("No curated incident falls inside the exports' period.")
                + "</p>"
            )
        )

# %% [markdown]
# ## Leads: export events no curated incident explains
#
# Events the exports attribute to Malian state forces (or their partners) that no curated
# incident explains, most deaths first, with the export's own notes. Each is a lead for the
# record: it needs independent published sources before it can become an incident.

# %%
if has_events:
    from analysis.pipeline import linkage

    # The page lists the deadliest leads, so that it stays light with a national export of
    # many years; the full list is a file of its own.
    LEADS_SHOWN = 100
    found = linkage.leads(events, links)
    with_deaths = int((found["civilians_killed_max"] > 0).sum())
    display(
        HTML(
            "<p>"
            + i18n.ngettext(
                "{n} export event is not explained by any curated incident",
                "{n} export events are not explained by any curated incident",
                len(found),
            ).format(n=L.number(len(found)))
            + L.punct(";")
            + " "
            + i18n.ngettext(
                "{n} of them reports deaths.", "{n} of them report deaths.", with_deaths
            ).format(n=L.number(with_deaths))
            + "</p>"
        )
    )
    if len(found):
        shown = found.head(LEADS_SHOWN)
        display(HTML(compare.leads_html(shown, "leads.csv")))
    if len(found) > LEADS_SHOWN:
        display(
            HTML(
                "<p class='note'>"
                + _(
                    "The table shows the {shown} leads with the most deaths; all {n} are in "
                    "<code>data/processed/export_leads.csv</code>, written by "
                    "<code>make data</code> (for your own use: the export's notes are its "
                    "provider's and are not redistributed)."
                ).format(shown=L.number(LEADS_SHOWN), n=L.number(len(found)))
                + "</p>"
            )
        )

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
    curated_ab = metrics.filter_grades(processed.incidents, HEADLINE_GRADES)
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
