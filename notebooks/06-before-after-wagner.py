# %% [markdown]
# # Before and after Wagner
#
# **Question:** after the Wagner Group arrived in December 2021, did operations by Malian forces
# and their allies that harmed civilians, and the civilians reported killed in them, increase,
# drone strikes included? By how much, and how sure can we be, given that reporting changed when
# the UN mission left Mali in 2023?
#
# The record is cut into three periods by two dated context events: before Wagner, Wagner (from
# the first day of December 2021, the month to which reporting dates the deployment, to the day
# before the June 2025 handover) and Africa Corps (from the handover day to the record's
# cut-off, the date of the data release). Each incident belongs to the period in which it
# started. A period's length in months is its number of days divided by 365.25 / 12. Civilians
# reported killed are a range, from the sum of the lowest figures to the sum of the highest, and
# so is the rate per month. The methodology page gives the rules.

# %% tags=["parameters"]
# The notebook's inputs: the folder of validated tables and the language of the edition.
# `make report` passes both in a cell injected after this one; in JupyterLab the defaults apply
# (None: the project's data/processed; "en": English).
PROCESSED = None
LANG = "en"
TABLES = ["incidents", "context_events", "manifest", "published_totals", "sources", "events"]

# %%
import html

from IPython.display import HTML, display

from analysis.report import before_after, charts, data, findings, i18n, metrics, periods
from analysis.report.i18n import _
from analysis.vocab import HEADLINE_GRADES

L = i18n.activate(LANG)
processed = data.load(PROCESSED)
incidents = processed.incidents
grades_text = L.join(HEADLINE_GRADES)


def paragraph(text: str, kind: str = "") -> HTML:
    css = f" class='{kind}'" if kind else ""
    return HTML(f"<p{css}>" + html.escape(text) + "</p>")


# Without the context events that date them, there are no periods: the page says why.
span, unavailable = before_after.draw_periods(processed)
if span:
    table = periods.period_table(incidents, span, HEADLINE_GRADES)
    keys = [p.key for p in span]
else:
    display(paragraph(unavailable, "note"))


# %% [markdown]
# ## What the comparison shows
#
# Each sentence below is computed from the table that follows it: a rate is called higher or
# lower only when the two ranges do not overlap.

# %%
if span:
    latest = incidents["date_start"].max()
    sentences = [
        _("The periods: {parts}.").format(
            parts=L.join(
                f"{before_after.period_name(p.key)} ({before_after.period_dates(p)})" for p in span
            )
        ),
        findings.incidents_comparison(table, keys[0], keys[1]),
        findings.rate_comparison(table, keys[0], keys[1]),
        findings.rate_ratio_sentence(table, keys[0], keys[1]),
        findings.rate_comparison(table, keys[1], keys[2]),
        findings.first_drone_sentence(table),
        findings.coverage_comparison(table, keys),
        _(
            "The latest incident recorded started on {latest}; the months from then to the cut-off "
            "({cutoff}) count in the last period, although reporting of recent events may still "
            "be to come."
        ).format(latest=L.date(latest), cutoff=L.date(span[-1].end)),
    ]
    display(HTML("".join(f"<p>{html.escape(s)}</p>" for s in sentences if s)))

# %% [markdown]
# ## Period by period
#
# Incidents of every grade are counted; the civilians reported killed and the rate per month
# count the incidents of the grades the briefing's headline figures use.

# %%
if span:
    display(HTML(charts.table_html(before_after.summary_table(table, span, HEADLINE_GRADES))))
    missing = table["without_figure"]
    if missing.any():
        display(
            paragraph(
                _(
                    "Incidents of these grades with injured or missing people but no figure for "
                    "deaths are counted as incidents, not as zero deaths: {parts}."
                ).format(
                    parts=L.join(
                        f"{before_after.period_name(k)} {L.number(n)}" for k, n in missing.items()
                    )
                )
            )
        )

# %% [markdown]
# ## Civilians reported killed per month, by period

# %%
if span:
    fig = before_after.rates_chart(
        table,
        span,
        title=findings.rate_title(table, keys[0], keys[1]),
        source=_(
            "Source: project compilation, incidents of evidence grades {grades}, by the date each "
            "started. Solid: sum of the lowest figures reported, per month of the period; hatched: "
            "up to the sum of the highest. Recorded incidents are a floor, not a count of all harm."
        ).format(grades=grades_text),
    )
    display(
        charts.show(
            fig,
            alt=" ".join(
                [
                    findings.rate_comparison(table, keys[0], keys[1]),
                    findings.rate_comparison(table, keys[1], keys[2]),
                ]
            ),
        )
    )

# %% [markdown]
# ## How: operations by type
#
# Incidents of every grade by the type of operation the sources described, in the period in
# which each started.

# %%
if span:
    operations = periods.operations_table(incidents, span)
    display(HTML(charts.table_html(before_after.operations_display(operations, table))))
    display(paragraph(findings.first_drone_sentence(table)))

# %% [markdown]
# ## Who reported: coverage changed
#
# A count of recorded incidents depends on who was there to record them. MINUSMA's human-rights
# division documented abuses until the mission was made to leave in 2023; RFI and France 24 were
# suspended in 2022; Human Rights Watch and Amnesty International have had less access since.
# The share of incidents with a UN or human-rights-organisation source (grade A), the mix of
# grades and the number of sources per incident show how the reporting behind each period
# differs.

# %%
if span:
    display(HTML(charts.table_html(before_after.coverage_table(table))))
    display(paragraph(findings.coverage_comparison(table, keys)))

# %% [markdown]
# ## The UN's quarterly counts
#
# MINUSMA's quarterly notes on human-rights trends and the Secretary-General's quarterly reports
# counted abuses attributed to the Malian defence and security forces. They count different
# things: killings, extrajudicial or summary executions, or "violations" that put executions
# together with torture, arrests and disappearances. Each measure has its own panel and is
# compared only with itself. These counts end with the mission.

# %%
if span:
    series = metrics.un_quarterly_series(processed.published_totals, processed.sources)
    by_measure = periods.un_by_measure(series)
    if by_measure:
        quarters = sorted({q for frame in by_measure.values() for q in frame.index})
        n_figures = sum(len(frame) for frame in by_measure.values())
        fig = before_after.un_chart(
            by_measure,
            span,
            title=_("{n} UN quarterly figures, {first} to {last}, one panel per measure").format(
                n=L.number(n_figures), first=L.quarter(quarters[0]), last=L.quarter(quarters[-1])
            ),
            source=_(
                "Source: UN figures recorded in the project's published totals, as published or as "
                "quoted by the press; Malian defence and security forces. Solid: lowest figure; "
                "hatched: up to the highest. A quarter without a bar has no figure in the record. "
                "Shading: the periods (a quarter counts in the period holding its first day)."
            ),
        )
        means = periods.un_period_means(by_measure, span)
        display(
            charts.show(
                fig,
                alt=_(
                    "UN quarterly figures by measure. Mean per quarter with a figure: {parts}."
                ).format(
                    parts=(L.punct(";") + " ").join(
                        _("{measure}, {period}: {mean} ({n} quarters)").format(
                            measure=L.gettext(periods.UN_MEASURES[r.measure]),
                            period=before_after.period_name(r.period),
                            mean=L.decimal_range(r.mean_min, r.mean_max),
                            n=L.number(r.quarters),
                        )
                        for r in means.itertuples()
                        if r.quarters
                    )
                ),
            )
        )
        display(HTML(charts.table_html(before_after.un_means_display(means))))
    else:
        display(
            HTML(
                "<p class='note'>"
                + html.escape(_("The published totals hold no UN quarterly series to chart."))
                + "</p>"
            )
        )

# %% [markdown]
# ## ACLED and UCDP, where an export is present
#
# With a user's ACLED or UCDP export in the build, its events attributed to Malian forces or
# their partners are counted by period the same way. These are the export's figures, with its
# own rules for civilians and perpetrators, and its months are counted only within the span of
# its own events.

# %%
if span:
    exported = processed.extra.get("events")
    if exported is not None and len(exported):
        display(
            HTML(
                charts.table_html(before_after.export_display(periods.export_table(exported, span)))
            )
        )
    else:
        display(
            HTML(
                "<p class='note'>"
                + html.escape(
                    _(
                        "No ACLED or UCDP export was present when this page was built; the "
                        "cross-source page says how to add one."
                    )
                )
                + "</p>"
            )
        )

# %% [markdown]
# ## What the comparison cannot show
#
# **Recorded incidents are a floor.** A period with more recorded deaths had more deaths
# reported, which is not the same as more deaths: what reached human-rights organisations, the
# UN and the press depends on access, and access changed between the periods.
#
# **Coverage changed.** The UN's human-rights division left with MINUSMA in 2023 and independent
# researchers' access to central and northern Mali shrank: later periods rest more on the press,
# on local associations and on parties to the conflict, and a lower count there may reflect less
# reporting rather than less harm.
#
# **The periods differ in length.** A rate per month puts them on one scale, but in a short
# period a few large incidents weigh heavily.
#
# **Attribution follows the sources.** The periods are defined by when Wagner and then Africa
# Corps were present, not by who is alleged to have taken part in each incident; the operations
# page shows incidents by alleged perpetrator.
