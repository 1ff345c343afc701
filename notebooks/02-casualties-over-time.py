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
# The notebook's one input: the folder of validated tables. `make report` passes it in a cell
# injected after this one; in JupyterLab the default (None) means the project's data/processed.
PROCESSED = None

# %%
import html

import pandas as pd
from IPython.display import HTML

from analysis.report import charts, data, metrics

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
    title=f"Reported civilian deaths peaked in {peak:%B %Y}",
    ylabel="Civilians reported killed per month",
    source="Source: project compilation of Human Rights Watch, Amnesty International, UN and media "
    "reporting (evidence grades A and B). Solid: sum of the lowest figures reported; hatched: up "
    "to the sum of the highest. Diamonds: children, lowest figure.",
    events=events,
    subset=children,
)
charts.show(
    fig,
    alt=f"Reported civilian deaths peaked in {peak:%B %Y} with "
    f"{charts.fmt_range(peak_min, peak_max)} civilians reported killed that month; over the whole "
    f"period sources reported {charts.fmt_range(total['min'], total['max'])}. Monthly ranges "
    "with numbered context events.",
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
    title=f"Reported civilian deaths add up to {end_range}",
    ylabel="Civilians reported killed, cumulative",
    source="Source: project compilation (grades A and B). Band: running sums of minimums and "
    "maximums.",
    events=events,
)
charts.show(
    fig,
    alt=f"Reported civilian deaths add up to {end_range} between {monthly.index.min():%B %Y} "
    f"and {monthly.index.max():%B %Y}; the band is widest after the step of {peak:%B %Y}.",
)

# %%
widest, claims = metrics.widest_disagreement(incidents, processed.claims)
claim_table = pd.DataFrame(
    {
        "Source": claims["publisher"],
        "Their words": claims["source_wording"],
        "Recorded as": [
            charts.fmt_range(int(a), int(b))
            for a, b in zip(claims["count_min"], claims["count_max"], strict=True)
        ],
        # The range rule: a party's claim counts only where no independent source gave one.
        "Counts towards the range": claims["counts_towards_range"].map(
            {True: "yes", False: "no: a party to the conflict, and independent figures exist"}
        ),
    }
)
widest_range = charts.fmt_range(
    int(widest["civilians_killed_min"]), int(widest["civilians_killed_max"])
)
place = widest["locality"] if pd.notna(widest["locality"]) else widest["incident_id"]
HTML(
    f"<p>{html.escape(str(place))}, {widest['date_start']:%B %Y}: the incident range is "
    f"{widest_range} civilians killed.</p>" + charts.table_html(claim_table)
)

# %% [markdown]
# ## Year by year

# %%
yearly = metrics.yearly_range(incidents)
table = yearly.reset_index().assign(
    **{
        "Civilians reported killed": lambda t: [
            charts.fmt_range(int(a), int(b))
            for a, b in zip(t["killed_min"], t["killed_max"], strict=True)
        ],
        "of whom children (where stated)": lambda t: [
            charts.fmt_range(int(a), int(b))
            for a, b in zip(t["children_min"], t["children_max"], strict=True)
        ],
    }
)[["year", "incidents", "Civilians reported killed", "of whom children (where stated)"]]
HTML(charts.table_html(table.rename(columns={"year": "Year", "incidents": "Incidents"})))

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
numbered["number"] = numbered["number"].map(lambda n: "–" if pd.isna(n) else str(int(n)))
HTML(
    charts.table_html(
        numbered.assign(date=numbered["date"].dt.strftime("%Y-%m-%d"))[
            ["number", "date", "label", "description"]
        ].rename(
            columns={
                "number": "No.",
                "date": "Date",
                "label": "Event",
                "description": "What happened",
            }
        )
    )
)
