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

# %%
import pandas as pd
from IPython.display import HTML

from analysis.report import charts, data, findings, i18n, metrics
from analysis.report.i18n import _
from analysis.vocab import (
    EVIDENCE_GRADES,
    OUTCOMES,
    SOURCE_KINDS,
    TOTAL_MEASURES,
    TOTAL_SCOPE_KINDS,
    VICTIM_GROUPS,
)

L = i18n.activate(LANG)
processed = data.load(PROCESSED)
incidents, claims, sources = processed.incidents, processed.claims, processed.sources
rows = {name: L.number(n) for name, n in processed.manifest["rows"].items()}
HTML(
    "<p>"
    + _(
        "The build validated <strong>{incidents}</strong> incidents, <strong>{claims}</strong> "
        "casualty claims and <strong>{sources}</strong> published sources, with {events} context "
        "events and {totals} published period totals."
    ).format(
        incidents=rows["incidents"],
        claims=rows["claims"],
        sources=rows["sources"],
        events=rows["context_events"],
        totals=rows["published_totals"],
    )
    + "</p>"
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
best_year = by_year_grade.sum(axis=1).idxmax().year
charts.show(
    fig,
    alt=_(
        "Incidents per year by evidence grade; {year} holds the most incidents. "
        "Grades: A {a}, B {b}, C {c}."
    ).format(
        year=best_year,
        a=L.number(by_year_grade["A"].sum()),
        b=L.number(by_year_grade["B"].sum()),
        c=L.number(by_year_grade["C"].sum()),
    ),
)

# %%
flags = metrics.quality_flags(incidents)
flags.index = [_(label) for label in flags.index]
HTML(
    charts.table_html(
        pd.DataFrame(
            {_("Check"): flags.index, _("Incidents"): [L.number(n) for n in flags.to_numpy()]}
        )
    )
)

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
HTML(
    charts.table_html(
        pd.DataFrame(
            {
                _("Kind of source"): [L.label(SOURCE_KINDS, k) for k in kinds.index],
                _("Incidents"): [L.number(n) for n in kinds["incidents"]],
                _("Sources"): [L.number(n) for n in kinds["sources"]],
            }
        )
    )
)

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
coverage = metrics.coverage_of_published(incidents, processed.published_totals, processed.claims)
publisher = sources.set_index("source_id")["publisher"]


def _dataset_cell(row) -> str:
    if not row["compared"]:
        return "–"
    dataset_range = charts.fmt_range(row["dataset_min"], row["dataset_max"])
    return f"{dataset_range} ({L.number(row['dataset_incidents'])})"


table = pd.DataFrame(
    {
        _("Published by"): coverage["source_id"].map(publisher),
        _("Period"): [
            _("{start} to {end}").format(start=L.iso(a), end=L.iso(b))
            for a, b in zip(coverage["period_start"], coverage["period_end"], strict=True)
        ],
        _("What the total covers"): [
            f"{L.label(TOTAL_SCOPE_KINDS, kind)}{L.punct(';')} {scope}{L.punct(';')} {area}"
            for kind, scope, area in zip(
                coverage["scope_kind"],
                L.column(coverage, "perpetrator_scope"),
                L.column(coverage, "area"),
                strict=True,
            )
        ],
        # A count of executions or violations says so; a count of people names group and outcome.
        _("Measure"): [
            f"{L.label(VICTIM_GROUPS, g)}, {L.label(OUTCOMES, o).lower()}"
            if m in ("killings", "injured_or_missing")
            else L.label(TOTAL_MEASURES, m)
            for g, o, m in zip(
                coverage["victim_group"], coverage["outcome"], coverage["measure"], strict=True
            )
        ],
        _("Published figure"): [
            charts.fmt_range(a, b)
            for a, b in zip(coverage["published_min"], coverage["published_max"], strict=True)
        ],
        _("Wording"): coverage["source_wording"],
        _("Compared with"): coverage["comparison"],
        _("Dataset (incidents)"): coverage.apply(_dataset_cell, axis=1),
        _("Dataset minimum as share of published"): coverage["share_of_published_min"].map(
            lambda v: "–" if pd.isna(v) else L.percent(v)
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
empty = metrics.empty_months(monthly)
HTML(
    "<p>"
    + _(
        "{empty} of {months} months between {first} and {last} hold no incident in the dataset."
    ).format(
        empty=L.number(len(empty)),
        months=L.number(len(monthly)),
        first=L.month(monthly.index.min()),
        last=L.month(monthly.index.max()),
    )
    + "</p>"
)

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

export_meta = processed.manifest.get("exports", {})
skipped = processed.manifest.get("exports_skipped", [])
unclassified = processed.extra.get("unclassified_actors")
revisions = processed.manifest.get("exports_revisions", [])
if not export_meta and not skipped:
    display(
        HTML(
            "<p class='note'>"
            + _("No ACLED or UCDP file was present when this report was built.")
            + "</p>"
        )
    )
else:
    columns = [_("File"), _("Read as"), _("Rows read"), _("Kept"), _("Rejected")]
    files = pd.DataFrame(
        [
            [
                name,
                meta.get("layout_label", meta["columns_layout"]),
                L.number(meta["rows_read"]),
                L.number(meta["rows_kept"]),
                L.number(meta["rows_rejected"]),
            ]
            for name, meta in sorted(export_meta.items())
        ],
        columns=columns,
    )
    display(HTML(charts.table_html(files)))
    if skipped:
        display(HTML("<p><strong>" + _("Files not read:") + "</strong></p>"))
        display(
            HTML(
                charts.table_html(
                    pd.DataFrame(skipped).rename(columns={"file": _("File"), "reason": _("Reason")})
                )
            )
        )
    if unclassified is not None and len(unclassified):
        display(
            HTML(
                "<p>"
                + _(
                    "<strong>{n} actor string(s) no rule classifies</strong> (not counted as "
                    "Malian forces):"
                ).format(n=L.number(unclassified["actor"].nunique()))
                + "</p>"
            )
        )
        table = unclassified.rename(
            columns={
                "actor": _("Actor string"),
                "dataset": _("Dataset"),
                "file": _("File"),
                "column": _("Column"),
                "events": _("Events"),
                "fatalities": _("Fatalities (all actors)"),
            }
        )
        display(HTML(charts.table_html(table)))
    else:
        classified = _("Every actor string that names the Malian state is classified.")
        display(HTML(f"<p>{classified}</p>"))
    if revisions:
        display(
            HTML(
                "<p>"
                + _(
                    "<strong>Events whose fatalities differ between downloads</strong> (the kept "
                    "row is ACLED's latest edit or UCDP's latest release):"
                )
                + "</p>"
            )
        )
        display(HTML(charts.table_html(pd.DataFrame(revisions))))
