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
from IPython.display import HTML

from analysis.report import charts, data, findings, i18n, metrics, tables
from analysis.report.i18n import _
from analysis.vocab import HEADLINE_GRADES

L = i18n.activate(LANG)
processed = data.load(PROCESSED)
events = processed.context_events
incidents = metrics.filter_grades(processed.incidents, HEADLINE_GRADES)
monthly = metrics.monthly_range(incidents, "civilians_killed")
children = metrics.monthly_range(incidents, "children_killed", months=monthly.index)

# %%
title, alt = findings.monthly_peak(monthly, metrics.range_total(incidents))
fig = charts.monthly_range_chart(
    monthly,
    title=title,
    ylabel=_("Civilians reported killed per month"),
    source=_(
        "Source: project compilation of Human Rights Watch, Amnesty International, UN and media "
        "reporting (evidence grades A and B). Solid: sum of the lowest figures reported; hatched: "
        "up to the sum of the highest. Diamonds: children, lowest figure."
    ),
    events=events,
    subset=children,
)
charts.show(fig, alt=alt)

# %% [markdown]
# ## Cumulative toll
#
# The band widens where sources disagree. The table under the chart lists, for the incident whose
# sources disagree most, what each source claimed and whether it counts towards the range.

# %%
cumulative = metrics.cumulative_range(monthly)
title, alt = findings.cumulative_total(monthly, cumulative)
fig = charts.cumulative_band_chart(
    cumulative,
    title=title,
    ylabel=_("Civilians reported killed, cumulative"),
    source=_(
        "Source: project compilation (grades A and B). Band: running sums of minimums and maximums."
    ),
    events=events,
)
charts.show(fig, alt=alt)

# %%
HTML(tables.widest_disagreement(incidents, processed.claims))

# %% [markdown]
# ## Year by year

# %%
HTML(charts.table_html(tables.yearly_ranges(incidents)))

# %% [markdown]
# ## Context events on the charts
#
# The numbers match the numbered dotted lines on every time chart in these reports (events before
# the first incident recorded are listed without a number). Each dated event comes with a source
# in `data/raw/context_events.csv`.

# %%
HTML(charts.table_html(tables.context_events(events, monthly.index.min())))
