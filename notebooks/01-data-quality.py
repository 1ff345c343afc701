# %% [markdown]
# # Data quality and coverage
#
# **Question:** what does the dataset hold, how well is each record supported, and how much of
# the totals that human-rights organisations and the UN published does it cover?
#
# Every table below comes from `data/processed/`, which the cleaning pipeline writes only after
# every raw table has passed its schema (types, allowed codes, ranges, Mali's extent, dates from
# 2012 to today, minimum not above maximum) and the rules that span tables (every claim cites an
# existing incident and source, children never exceed civilians in one claim, no unmarked
# duplicates). A build that fails any rule writes nothing.

# %% tags=["parameters"]
# The notebook's one input: the folder of validated tables. `make report` passes it in a cell
# injected after this one; in JupyterLab the default (None) means the project's data/processed.
PROCESSED = None

# %%
import pandas as pd
from IPython.display import HTML

from analysis.report import charts, data, metrics
from analysis.vocab import EVIDENCE_GRADES, SOURCE_KINDS, TOTAL_SCOPE_KINDS

processed = data.load(PROCESSED)
incidents, claims, sources = processed.incidents, processed.claims, processed.sources
rows = processed.manifest["rows"]
HTML(
    f"<p>The build validated <strong>{rows['incidents']}</strong> incidents, "
    f"<strong>{rows['claims']}</strong> casualty claims and <strong>{rows['sources']}</strong> "
    f"published sources, with {rows['context_events']} context events and "
    f"{rows['published_totals']} published period totals.</p>"
)

# %% [markdown]
# ## How well supported is each incident?
#
# Each incident gets an evidence grade from the kinds of sources behind it:
# **A** when a human-rights organisation or a UN body documented it (directly or as restated by
# wire media), **B** when a news agency, international media or a research organisation reported
# it (or two independent national outlets did), **C** otherwise: a single national or other
# source, or only a party to the conflict. Headline figures use grades A and B.

# %%
by_year_grade = pd.crosstab(incidents["year"], incidents["evidence_grade"]).reindex(
    columns=list(EVIDENCE_GRADES), fill_value=0
)
by_year_grade.index = pd.to_datetime(by_year_grade.index.astype(str) + "-01-01")
fig = charts.stacked_counts_chart(
    by_year_grade,
    labels={g: f"Grade {g}" for g in EVIDENCE_GRADES},
    title="Most incidents rest on human-rights, UN or wire reporting",
    ylabel="Incidents per year",
    source="Source: project compilation; grade from the kinds of sources cited per incident "
    "(A: human-rights organisation or UN body; B: wire, international media or research "
    "organisation; C: single national source or a party to the conflict).",
    xlabel="Year in which the incident started",
    bar_width=250,
)
best_year = by_year_grade.sum(axis=1).idxmax().year
charts.show(
    fig,
    alt=f"Incidents per year by evidence grade; {best_year} holds the most incidents. "
    f"Grades: A {int(by_year_grade['A'].sum())}, B {int(by_year_grade['B'].sum())}, "
    f"C {int(by_year_grade['C'].sum())}.",
)

# %%
flags = pd.DataFrame(
    {
        "Incidents": [
            len(incidents),
            int(incidents["single_source"].sum()),
            int(incidents["party_claims_only"].sum()),
            int(incidents["civilians_killed_min"].isna().sum()),
            int((incidents["date_precision"] != "day").sum()),
            int(incidents["latitude"].isna().sum()),
        ]
    },
    index=[
        "All incidents",
        "Backed by one publisher only",
        "Only a party to the conflict gave a figure",
        "No figure for civilians killed (injured or missing only)",
        "Date known only to the week or month",
        "Without coordinates",
    ],
)
HTML(charts.table_html(flags.reset_index().rename(columns={"index": "Check"})))

# %% [markdown]
# ## Who reported it?
#
# Sources by kind, and how many incidents each kind supports. A claim by a party to the conflict
# (the Malian army, a rebel coalition) is kept as a claim but never stands alone behind a headline
# figure.

# %%
kinds = (
    claims.drop_duplicates(["incident_id", "source_id"])
    .groupby("source_kind")
    .agg(incidents=("incident_id", "nunique"), sources=("source_id", "nunique"))
    .sort_values("incidents", ascending=False)
)
kinds.index = [SOURCE_KINDS[k] for k in kinds.index]
HTML(charts.table_html(kinds.reset_index().rename(columns={"index": "Kind of source"})))

# %% [markdown]
# ## How much of the published totals does the dataset cover?
#
# Human Rights Watch, the UN and ACLED published totals. Each is compared only with the
# dataset's incidents inside the same scope: a report's own cases with the incidents that cite
# that report; a body's period total (all of Mali) with the incidents that started in the period,
# with Russian forces where the total is limited to them. Incidents a total says it leaves out
# (Moura in the UN's first-quarter 2022 count) are taken out. Where the scopes cannot be matched
# no share is shown, and a share above 100% comes with its explanation.

# %%
coverage = metrics.coverage_of_published(incidents, processed.published_totals, processed.claims)
publisher = sources.set_index("source_id")["publisher"]


def _dataset_cell(row) -> str:
    if not row["compared"]:
        return "–"
    return (
        f"{charts.fmt_range(row['dataset_min'], row['dataset_max'])} ({row['dataset_incidents']})"
    )


table = pd.DataFrame(
    {
        "Published by": coverage["source_id"].map(publisher),
        "Period": coverage["period_start"].dt.strftime("%Y-%m-%d")
        + " to "
        + coverage["period_end"].dt.strftime("%Y-%m-%d"),
        "What the total covers": coverage["scope_kind"].map(TOTAL_SCOPE_KINDS)
        + "; "
        + coverage["perpetrator_scope"]
        + "; "
        + coverage["area"],
        "Measure": coverage["measure"],
        "Published figure": [
            charts.fmt_range(a, b)
            for a, b in zip(coverage["published_min"], coverage["published_max"], strict=True)
        ],
        "Wording": coverage["source_wording"],
        "Compared with": coverage["comparison"],
        "Dataset (incidents)": coverage.apply(_dataset_cell, axis=1),
        "Dataset minimum as share of published": coverage["share_of_published_min"].map(
            lambda v: "–" if pd.isna(v) else f"{v:.0%}"
        )
        + coverage["share_note"].map(lambda n: f" ({n})" if n else ""),
    }
)
HTML(charts.table_html(table))

# %% [markdown]
# ## Gaps
#
# Months in which the dataset holds no incident are not months without harm: reporting depends
# on access, and access narrowed after the UN mission left at the end of 2023.

# %%
monthly = metrics.monthly_range(incidents)
empty = monthly.index[monthly["incidents"] == 0]
HTML(
    f"<p>{len(empty)} of {len(monthly)} months between {monthly.index.min():%B %Y} and "
    f"{monthly.index.max():%B %Y} hold no incident in the dataset.</p>"
)
