# %% [markdown]
# # Civilian casualties over time
#
# **Question:** how many civilians did sources report killed in operations by Malian forces and
# their allies, month by month, and how did that change as Wagner arrived, France and the UN left,
# and Africa Corps took over?
#
# Each month's bar runs from the sum of the lowest figures any independent source gave for each
# incident (solid) to the sum of the highest (hatched). Incidents of grades A and B only; the
# methodology page explains the range rule and the grades.

# %% tags=["parameters"]
# The notebook's inputs: the folder of validated tables and the language of the edition.
# `make report` passes both in a cell injected after this one; in JupyterLab the defaults apply
# (None: the project's data/processed; "en": English).
PROCESSED = None
LANG = "en"
TABLES = ["incidents", "claims", "context_events"]

# %%
import html

import pandas as pd
from IPython.display import HTML

from analysis.report import charts, data, i18n, metrics
from analysis.report.i18n import _

L = i18n.activate(LANG)
processed = data.load(PROCESSED)
events = processed.context_events
incidents = metrics.filter_grades(processed.incidents, ["A", "B"])
monthly = metrics.monthly_range(incidents, "civilians_killed")
children = metrics.monthly_range(incidents, "children_killed", months=monthly.index)
peak, peak_min, peak_max = metrics.peak_month(monthly)
total = metrics.range_total(incidents)

# %%
fig = charts.monthly_range_chart(
    monthly,
    title=_("Reported civilian deaths peaked in {month}").format(month=L.month(peak)),
    ylabel=_("Civilians reported killed per month"),
    source=_(
        "Source: project compilation of Human Rights Watch, Amnesty International, UN and media "
        "reporting (evidence grades A and B). Solid: sum of the lowest figures reported; hatched: "
        "up to the sum of the highest. Diamonds: children, lowest figure."
    ),
    events=events,
    subset=children,
)
charts.show(
    fig,
    alt=_(
        "Reported civilian deaths peaked in {month} with {peak} civilians reported killed that "
        "month; over the whole period sources reported {total}. Monthly ranges with numbered "
        "context events."
    ).format(
        month=L.month(peak),
        peak=charts.fmt_range(peak_min, peak_max),
        total=charts.fmt_range(total["min"], total["max"]),
    ),
)

# %% [markdown]
# ## Cumulative toll
#
# The band widens where sources disagree. The table under the chart lists, for the incident whose
# sources disagree most, what each source claimed and whether it counts towards the range.

# %%
cumulative = metrics.cumulative_range(monthly)
end = cumulative.iloc[-1]
end_range = charts.fmt_range(int(end["min"]), int(end["max"]))
fig = charts.cumulative_band_chart(
    cumulative,
    title=_("Reported civilian deaths add up to {range}").format(range=end_range),
    ylabel=_("Civilians reported killed, cumulative"),
    source=_(
        "Source: project compilation (grades A and B). Band: running sums of minimums and maximums."
    ),
    events=events,
)
charts.show(
    fig,
    alt=_(
        "Reported civilian deaths add up to {range} between {first} and {last}; the band is "
        "widest after the step of {peak}."
    ).format(
        range=end_range,
        first=L.month(monthly.index.min()),
        last=L.month(monthly.index.max()),
        peak=L.month(peak),
    ),
)

# %%
widest, claims = metrics.widest_disagreement(incidents, processed.claims)
claim_table = pd.DataFrame(
    {
        _("Source"): claims["publisher"],
        _("Their words"): claims["source_wording"],
        _("Recorded as"): [
            charts.fmt_range(int(a), int(b))
            for a, b in zip(claims["count_min"], claims["count_max"], strict=True)
        ],
        # The range rule: a party's claim counts only where no independent source gave one.
        _("Counts towards the range"): claims["counts_towards_range"].map(
            {
                True: _("yes"),
                False: _("no: a party to the conflict, and independent figures exist"),
            }
        ),
    }
)
widest_range = charts.fmt_range(
    int(widest["civilians_killed_min"]), int(widest["civilians_killed_max"])
)
place = widest["locality"] if pd.notna(widest["locality"]) else widest["incident_id"]
HTML(
    "<p>"
    + _("{place}, {month}: the incident range is {range} civilians killed.").format(
        place=html.escape(str(place)), month=L.month(widest["date_start"]), range=widest_range
    )
    + "</p>"
    + charts.table_html(claim_table)
)

# %% [markdown]
# ## Year by year

# %%
yearly = metrics.yearly_range(incidents)
table = pd.DataFrame(
    {
        _("Year"): yearly.index,
        _("Incidents"): [L.number(n) for n in yearly["incidents"]],
        _("Civilians reported killed"): [
            charts.fmt_range(a, b)
            for a, b in zip(yearly["killed_min"], yearly["killed_max"], strict=True)
        ],
        _("of whom children (where stated)"): [
            charts.fmt_range(a, b)
            for a, b in zip(yearly["children_min"], yearly["children_max"], strict=True)
        ],
    }
)
HTML(charts.table_html(table))

# %% [markdown]
# ## Context events on the charts
#
# The numbers match the numbered dotted lines on every time chart in these reports (events before
# the first incident recorded are listed without a number). Each dated event comes with a source
# in `data/raw/context_events.csv`.

# %%
numbered = events.merge(
    charts.number_events(events, monthly.index.min())[["event_id", "number"]],
    on="event_id",
    how="left",
).sort_values("date")
HTML(
    charts.table_html(
        pd.DataFrame(
            {
                _("No."): numbered["number"].map(lambda n: "–" if pd.isna(n) else str(int(n))),
                _("Date"): numbered["date"].map(L.iso),
                _("Event"): L.column(numbered, "label"),
                _("What happened"): L.column(numbered, "description"),
            }
        )
    )
)
