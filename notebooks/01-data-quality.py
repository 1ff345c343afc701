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

from analysis.report import charts, data, findings, metrics
from analysis.vocab import EVIDENCE_GRADES, SOURCE_KINDS

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
by_year_grade = metrics.yearly_counts(incidents, "evidence_grade", EVIDENCE_GRADES)
fig = charts.stacked_counts_chart(
    by_year_grade,
    labels={g: f"Grade {g}" for g in EVIDENCE_GRADES},
    title=findings.grades_title(by_year_grade.sum()),
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
flags = metrics.quality_flags(incidents)
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
# Human Rights Watch, the UN and ACLED published totals for periods. Each is set beside the
# dataset's own range for incidents that started in the same period, for the same victim group
# and outcome. The scopes differ (some totals cover one region or one type of abuse), so read the
# share as "how much of that documented total the dataset's incidents account for", not as an
# error rate.

# %%
coverage = metrics.coverage_of_published(incidents, processed.published_totals)
publisher = sources.set_index("source_id")["publisher"]
table = pd.DataFrame(
    {
        "Published by": coverage["source_id"].map(publisher),
        "Period": coverage["period_start"].dt.strftime("%Y-%m-%d")
        + " to "
        + coverage["period_end"].dt.strftime("%Y-%m-%d"),
        "Scope as published": coverage["perpetrator_scope"],
        "Measure": coverage["measure"],
        "Published figure": [
            charts.fmt_range(a, b)
            for a, b in zip(coverage["published_min"], coverage["published_max"], strict=True)
        ],
        "Wording": coverage["source_wording"],
        "Dataset (incidents)": [
            f"{charts.fmt_range(a, b)} ({n})"
            for a, b, n in zip(
                coverage["dataset_min"],
                coverage["dataset_max"],
                coverage["dataset_incidents"],
                strict=True,
            )
        ],
        "Dataset minimum as share of published": coverage["share_of_published_min"].map(
            lambda v: "–" if pd.isna(v) else f"{v:.0%}"
        ),
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
empty = metrics.empty_months(monthly)
HTML(
    f"<p>{len(empty)} of {len(monthly)} months between {monthly.index.min():%B %Y} and "
    f"{monthly.index.max():%B %Y} hold no incident in the dataset.</p>"
)
