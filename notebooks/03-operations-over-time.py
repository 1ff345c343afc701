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
# The notebook's one input: the folder of validated tables. `make report` passes it in a cell
# injected after this one; in JupyterLab the default (None) means the project's data/processed.
PROCESSED = None

# %%
from IPython.display import display

from analysis.report import charts, data, findings, metrics
from analysis.vocab import OPERATION_TYPES, PERPETRATOR_GROUPS

processed = data.load(PROCESSED)
incidents, events = processed.incidents, processed.context_events

# %%
by_type = metrics.quarterly_counts(incidents, "operation_type", OPERATION_TYPES)
fig = charts.stacked_counts_chart(
    by_type,
    labels=OPERATION_TYPES,
    title=findings.operations_title(by_type, incidents),
    ylabel="Incidents per quarter",
    source="Source: project compilation, all evidence grades. Each incident counts once, in the "
    "quarter in which it started.",
    events=events,
    xlabel="Quarter in which the incident started",
)
charts.show(fig, alt=findings.operations_alt(by_type))

# %%
group_order = list(dict.fromkeys(PERPETRATOR_GROUPS.values()))
by_group = metrics.quarterly_counts(incidents, "perpetrator_group", group_order)
fig = charts.stacked_counts_chart(
    by_group,
    labels={g: g for g in group_order},
    title=findings.perpetrators_title(incidents),
    ylabel="Incidents per quarter",
    source="Source: project compilation, all evidence grades. Alleged perpetrator as reported by "
    "the sources; the Malian authorities have denied many of these allegations.",
    events=events,
    xlabel="Quarter in which the incident started",
)
charts.show(fig, alt=findings.perpetrators_alt(incidents))

# %% [markdown]
# ## Civilians reported killed by type of operation and alleged perpetrator (grades A and B)

# %%
graded = metrics.filter_grades(incidents, ["A", "B"])
for column, labels in (("operation_type", OPERATION_TYPES), ("perpetrator_group", None)):
    table = metrics.range_by(graded, column)
    top = table.index[0]
    name = labels.get(top, top) if labels else top
    top_range = charts.fmt_range(int(table["min"].iloc[0]), int(table["max"].iloc[0]))
    what = "type of operation" if column == "operation_type" else "alleged perpetrator"
    share = table["min"].iloc[0] / max(1, table["min"].sum())
    fig = charts.range_bars_chart(
        table,
        title=f"{name}: {top_range} civilians reported killed, the most of any {what}",
        xlabel="Civilians reported killed (people; lowest figure solid, up to highest hatched)",
        source="Source: project compilation, evidence grades A and B. Labels: range of civilians "
        "reported killed and number of incidents.",
        labels=labels,
    )
    display(
        charts.show(
            fig,
            alt=f"By {what}, {name} accounts for the most civilians reported killed: "
            f"{top_range}, {share:.0%} of the lowest total.",
        )
    )
