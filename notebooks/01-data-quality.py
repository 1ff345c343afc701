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
# The notebook's inputs: the folder of validated tables and the language of the edition.
# `make report` passes both in a cell injected after this one; in JupyterLab the defaults apply
# (None: the project's data/processed; "en": English).
PROCESSED = None
LANG = "en"
TABLES = ["incidents", "claims", "sources", "published_totals", "manifest", "unclassified_actors"]

# %%
from IPython.display import HTML

from analysis.report import charts, data, findings, i18n, metrics, tables
from analysis.report.i18n import _
from analysis.vocab import EVIDENCE_GRADES

L = i18n.activate(LANG)
processed = data.load(PROCESSED)
incidents, claims, sources = processed.incidents, processed.claims, processed.sources
HTML(tables.validated_counts(processed.manifest))

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
    labels={g: _("Grade {grade}").format(grade=g) for g in EVIDENCE_GRADES},
    title=findings.grades_title(by_year_grade.sum()),
    ylabel=_("Incidents per year"),
    source=_(
        "Source: project compilation; grade from the kinds of sources cited per incident "
        "(A: human-rights organisation or UN body; B: wire, international media or research "
        "organisation; C: single national source or a party to the conflict)."
    ),
    xlabel=_("Year in which the incident started"),
    bar_width=250,
)
charts.show(fig, alt=findings.grades_alt(by_year_grade))

# %%
HTML(charts.table_html(tables.quality_checks(incidents)))

# %% [markdown]
# ## Who reported it?
#
# Sources by kind, and how many incidents each kind supports. A claim by a party to the conflict
# (the Malian army, a rebel coalition) is kept as a claim but never stands alone behind a headline
# figure.

# %%
HTML(charts.table_html(tables.source_kinds(claims)))

# %% [markdown]
# ## How much of the published totals does the dataset cover?
#
# Human Rights Watch, the UN and ACLED published totals. Each is compared only with the
# dataset's incidents inside the same scope: a report's own cases with the incidents that cite
# that report; a body's period total (all of Mali) with the incidents that started in the period,
# with Russian forces where the total is limited to them. Incidents a total says it leaves out
# (Moura in the UN's first-quarter 2022 count) are taken out. Where the scopes cannot be matched
# no share is shown, and a share above 100% comes with its explanation.
#
# Each total also says what it counts: people killed, executions, or violations that mix
# executions with torture, arrests and disappearances. A count of violations, or a period count
# of executions, is never set beside the dataset's ranges of people killed.

# %%
coverage = tables.coverage_of_published(incidents, processed.published_totals, claims, sources)
HTML(charts.table_html(coverage))

# %% [markdown]
# ## Gaps
#
# Months in which the dataset holds no incident are not months without harm: reporting depends
# on access, and access narrowed after the UN mission left at the end of 2023.

# %%
HTML(tables.empty_months(incidents))

# %% [markdown]
# ## Third-party exports: what was read, and what needs a reviewer
#
# When ACLED or UCDP files are in `data/raw/acled/` or `data/raw/ucdp/`, each is listed with the
# layout it was read as. Files that were not read are named with the reason. Actor strings that
# look like the Malian state but that no reviewed rule classifies are **not counted**: they are
# listed here with the events and deaths that name them, so that a reviewer can add a rule to
# `data/hand/actor_rules.csv` (or an exact string to `data/hand/actor_map.csv`).

# %%
from IPython.display import display

for block in tables.export_files(processed.manifest, processed.extra.get("unclassified_actors")):
    display(HTML(block))
