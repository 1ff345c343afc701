# %% [markdown]
# # Operations over time: how, and by whom
#
# **Question:** which kinds of operation (ground raids, executions of detainees, drone and other
# air strikes) harmed civilians, which forces were alleged to have carried them out, and how did
# that change over time?
#
# Each bar counts incidents, not deaths, so a small raid and a massacre weigh the same here;
# the tables give the range of civilians reported killed for each group. All grades are counted
# in the charts; the tables use grades A and B.

# %% tags=["parameters"]
# The notebook's inputs: the folder of validated tables and the language of the edition.
# `make report` passes both in a cell injected after this one; in JupyterLab the defaults apply
# (None: the project's data/processed; "en": English).
PROCESSED = None
LANG = "en"
TABLES = ["incidents", "context_events"]

# %%
from IPython.display import display

from analysis.report import charts, data, findings, i18n, metrics
from analysis.report.i18n import _
from analysis.vocab import HEADLINE_GRADES, OPERATION_TYPES, PERPETRATOR_GROUPS

L = i18n.activate(LANG)
processed = data.load(PROCESSED)
incidents, events = processed.incidents, processed.context_events
operation_labels = {code: L.label(OPERATION_TYPES, code) for code in OPERATION_TYPES}

# %%
by_type = metrics.quarterly_counts(incidents, "operation_type", OPERATION_TYPES)
fig = charts.stacked_counts_chart(
    by_type,
    labels=operation_labels,
    title=findings.operations_title(by_type, incidents),
    ylabel=_("Incidents per quarter"),
    source=_(
        "Source: project compilation, all evidence grades. Each incident counts once, in the "
        "quarter in which it started."
    ),
    events=events,
    xlabel=_("Quarter in which the incident started"),
)
charts.show(fig, alt=findings.operations_alt(by_type))

# %%
group_order = list(dict.fromkeys(PERPETRATOR_GROUPS.values()))
group_labels = {g: _(g) for g in group_order}
by_group = metrics.quarterly_counts(incidents, "perpetrator_group", group_order)
fig = charts.stacked_counts_chart(
    by_group,
    labels=group_labels,
    title=findings.perpetrators_title(incidents),
    ylabel=_("Incidents per quarter"),
    source=_(
        "Source: project compilation, all evidence grades. Alleged perpetrator as reported by "
        "the sources; the Malian authorities have denied many of these allegations."
    ),
    events=events,
    xlabel=_("Quarter in which the incident started"),
)
charts.show(fig, alt=findings.perpetrators_alt(incidents))

# %% [markdown]
# ## Civilians reported killed by type of operation and alleged perpetrator (grades A and B)

# %%
graded = metrics.filter_grades(incidents, HEADLINE_GRADES)
for column, labels in (("operation_type", operation_labels), ("perpetrator_group", group_labels)):
    table = metrics.range_by(graded, column)
    title, alt = findings.range_leader(table, column, labels)
    fig = charts.range_bars_chart(
        table,
        title=title,
        xlabel=_("Civilians reported killed (people; lowest figure solid, up to highest hatched)"),
        source=_(
            "Source: project compilation, evidence grades A and B. Labels: range of civilians "
            "reported killed and number of incidents."
        ),
        labels=labels,
    )
    display(charts.show(fig, alt=alt))
