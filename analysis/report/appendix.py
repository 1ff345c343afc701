"""The searchable incident appendix: claims and corrections per incident and filter options.

The page's script (``analysis.report.pagescript``) filters by year, region, alleged perpetrator,
operation type and evidence grade, searches the rows' text and sorts by date or range, in the
page.
"""

from __future__ import annotations

import pandas as pd

from analysis.report import i18n
from analysis.report.i18n import N_, _
from analysis.vocab import OUTCOMES, SOURCE_KINDS, VICTIM_GROUPS

# Labels are messages of the catalogue: the page shows them translated.
SORTS = {
    "date-asc": N_("Date, oldest first"),
    "date-desc": N_("Date, newest first"),
    "max-desc": N_("Civilians killed (highest figure), most first"),
    "min-desc": N_("Civilians killed (lowest figure), most first"),
}
# What a claim counts, as the appendix says it before the figure ("civilians killed 12").
CLAIM_MEASURES = {
    ("civilians", "killed"): N_("civilians killed"),
    ("civilians", "injured"): N_("civilians injured"),
    ("civilians", "missing"): N_("civilians missing"),
    ("children", "killed"): N_("children killed"),
    ("children", "injured"): N_("children injured"),
    ("children", "missing"): N_("children missing"),
    ("women", "killed"): N_("women killed"),
    ("women", "injured"): N_("women injured"),
    ("women", "missing"): N_("women missing"),
    ("men", "killed"): N_("men killed"),
    ("men", "injured"): N_("men injured"),
    ("men", "missing"): N_("men missing"),
}
# What a correction did, as the appendix says it.
CORRECTION_ACTIONS = {
    "added": N_("added"),
    "edited": N_("edited"),
    "removed": N_("removed"),
    "merged": N_("merged"),
    "claim_removed": N_("claim removed"),
}


def _measure(victim_group: str, outcome: str) -> str:
    """'civilians killed' / 'civils tués' (a message per pair: French agrees the participle)."""
    message = CLAIM_MEASURES.get((victim_group, outcome))
    if message:
        return _(message)
    group = VICTIM_GROUPS.get(victim_group, victim_group).split(" (")[0].lower()
    return f"{group} {OUTCOMES.get(outcome, outcome).lower()}"


def claims_by_incident(claims: pd.DataFrame, sources: pd.DataFrame) -> dict[str, list[dict]]:
    """Each incident's claims: who said what, with the source's own words, in a fixed order."""
    meta = sources.set_index("source_id")
    locale = i18n.active()
    ordered = claims.sort_values(["incident_id", "victim_group", "outcome", "source_id"])
    found: dict[str, list[dict]] = {}
    for claim in ordered.to_dict("records"):
        found.setdefault(claim["incident_id"], []).append(
            {
                "publisher": claim["publisher"],
                "kind": locale.label(SOURCE_KINDS, claim["source_kind"]),
                "title": meta["title"].get(claim["source_id"], ""),
                "what": _measure(claim["victim_group"], claim["outcome"]),
                "count": locale.range(claim["count_min"], claim["count_max"]),
                "wording": claim["source_wording"],
                "party": bool(claim["is_party_claim"]),
            }
        )
    return found


def corrections_by_incident(changelog: pd.DataFrame | None) -> dict[str, list[dict]]:
    """Each incident's recorded corrections (data/raw/changelog.csv), oldest first."""
    if changelog is None or changelog.empty:
        return {}
    locale = i18n.active()
    changelog = changelog.assign(reason=locale.column(changelog, "reason"))
    found: dict[str, list[dict]] = {}
    for row in changelog.sort_values(["date", "incident_id"], kind="stable").to_dict("records"):

        def text(key: str, row=row) -> str | None:
            value = row.get(key)
            return None if value is None or pd.isna(value) else str(value)

        action = CORRECTION_ACTIONS.get(row["action"])
        found.setdefault(row["incident_id"], []).append(
            {
                "date": locale.date(row["date"]),
                "action": _(action) if action else row["action"].replace("_", " "),
                "field": text("field"),
                "old": text("old_value"),
                "new": text("new_value"),
                "reason": row["reason"],
            }
        )
    return found


def filter_options(incidents: pd.DataFrame) -> dict[str, list]:
    """The values each filter offers: only those present in the table, in a readable order."""
    return {
        "year": sorted(int(y) for y in incidents["year"].unique()),
        "region": sorted(incidents["region"].unique()),
        "perpetrator": _by_frequency(incidents["perpetrator"]),
        "operation": _by_frequency(incidents["operation_type"]),
        "grade": sorted(incidents["evidence_grade"].unique()),
    }


def _by_frequency(column: pd.Series) -> list[str]:
    counts = column.value_counts()
    return sorted(counts.index, key=lambda code: (-counts[code], code))
