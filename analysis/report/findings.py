"""Chart titles and alt texts that state a finding, computed from the data they describe.

A title written by hand in a notebook goes stale the day the data changes; these read the same
tables the chart draws, so the sentence and the bars cannot disagree.
"""

from __future__ import annotations

import pandas as pd

from analysis.report.i18n import N_, _
from analysis.vocab import OPERATION_TYPES


def share_text(part: float, whole: float) -> str:
    return f"{part / whole:.0%}" if whole else "0%"


def grades_title(by_grade: pd.Series) -> str:
    """e.g. '85% of incidents rest on human-rights, UN or wire reporting (grades A and B)'."""
    documented = int(by_grade.get("A", 0)) + int(by_grade.get("B", 0))
    share = share_text(documented, int(by_grade.sum()))
    return f"{share} of incidents rest on human-rights, UN or wire reporting (grades A and B)"


def operations_title(by_type: pd.DataFrame, incidents: pd.DataFrame) -> str:
    """The most frequent type of operation, and when the first drone strike was recorded."""
    totals = by_type.sum()
    top = totals.idxmax()
    title = (
        f"Most frequent: {OPERATION_TYPES[top].lower()} ({int(totals[top])} of {int(totals.sum())})"
    )
    drones = incidents.loc[incidents["operation_type"] == "drone_strike", "date_start"]
    if len(drones):
        title += f"; first drone strike {drones.min():%b %Y}"
    return title


def operations_alt(by_type: pd.DataFrame) -> str:
    totals = by_type.sum().sort_values(ascending=False)
    parts = ", ".join(f"{OPERATION_TYPES[k].lower()} {int(v)}" for k, v in totals.items() if v)
    return f"Incidents per quarter by type of operation. Totals: {parts}."


# Perpetrator groups (analysis.vocab.PERPETRATOR_GROUPS) as a reader would say them in a
# sentence; each is a message of the catalogue.
PERPETRATOR_PHRASES = {
    "Malian forces alone": N_("Malian forces alone"),
    "With Russian forces (Wagner / Africa Corps)": N_(
        "Malian forces with Russian forces (Wagner / Africa Corps)"
    ),
    "With Dozo militia": N_("Malian forces with Dozo militia"),
    "Unidentified state-aligned": N_("Unidentified state-aligned forces"),
}


def perpetrator_phrase(group: str) -> str:
    """A perpetrator group as a reader would say it: 'Malian forces with Dozo militia'."""
    if group in PERPETRATOR_PHRASES:
        return _(PERPETRATOR_PHRASES[group])
    if group.startswith("With "):
        return "Malian forces with " + group[len("With ") :]
    if group.lower().startswith("unidentified"):
        return f"{group} forces"
    return group


def perpetrators_title(incidents: pd.DataFrame) -> str:
    """The alleged perpetrator group named in the most incidents, with its share."""
    counts = incidents["perpetrator_group"].value_counts()
    top = counts.index[0]
    share = share_text(int(counts.iloc[0]), int(counts.sum()))
    return f"{share} of incidents are alleged against {perpetrator_phrase(top)}"


def perpetrators_alt(incidents: pd.DataFrame) -> str:
    counts = incidents["perpetrator_group"].value_counts()
    parts = "; ".join(
        f"{perpetrator_phrase(g)} {share_text(int(n), int(counts.sum()))}"
        for g, n in counts.items()
    )
    return f"Incidents per quarter by alleged perpetrator. Shares of all incidents: {parts}."
