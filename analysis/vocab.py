"""Controlled vocabularies of the canonical data model, with the labels reports show.

Codes are short, stable, lowercase identifiers that live in the CSV files; labels are what a
reader sees. Changing a code is a data migration; changing a label is not.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

PERPETRATORS: dict[str, str] = {
    "malian_forces": "Malian armed forces alone",
    "malian_forces_wagner": "Malian forces with Wagner",
    "wagner": "Wagner alone",
    "malian_forces_africa_corps": "Malian forces with Africa Corps",
    "africa_corps": "Africa Corps alone",
    "malian_forces_dozo": "Malian forces with Dozo militia",
    "malian_forces_militia": "Malian forces with another allied militia",
    "state_aligned_unidentified": "Unidentified state-aligned forces",
}

# Coarser grouping for charts: Wagner and its 2025 successor are shown together, since the
# handover is a change of name and command, not of the partnership the reader asks about.
PERPETRATOR_GROUPS: dict[str, str] = {
    "malian_forces": "Malian forces alone",
    "malian_forces_wagner": "With Russian forces (Wagner / Africa Corps)",
    "wagner": "With Russian forces (Wagner / Africa Corps)",
    "malian_forces_africa_corps": "With Russian forces (Wagner / Africa Corps)",
    "africa_corps": "With Russian forces (Wagner / Africa Corps)",
    "malian_forces_dozo": "With Dozo militia",
    "malian_forces_militia": "With another allied militia",
    "state_aligned_unidentified": "Unidentified state-aligned",
}

# The forces each perpetrator code names: "M" Malian armed forces, "W" Wagner, "AC" Africa Corps,
# "D" Dozo militia, "L" another allied militia (Dan Na Ambassagou, MSA, GATIA, ...: an independent
# source must tie it to the operation), "U" unidentified state-aligned forces. An incident's
# alleged perpetrator is derived from the forces its sources alleged
# (analysis.pipeline.derive.derive_perpetrators).
PERPETRATOR_FORCES: dict[str, frozenset[str]] = {
    "malian_forces": frozenset({"M"}),
    "malian_forces_wagner": frozenset({"M", "W"}),
    "wagner": frozenset({"W"}),
    "malian_forces_africa_corps": frozenset({"M", "AC"}),
    "africa_corps": frozenset({"AC"}),
    "malian_forces_dozo": frozenset({"M", "D"}),
    "malian_forces_militia": frozenset({"M", "L"}),
    "state_aligned_unidentified": frozenset({"U"}),
}

# What one source does about the perpetrator of one incident (data/raw/allegations.csv).
ALLEGATIONS: dict[str, str] = {
    "alleges": "Alleges (itself, or through the witnesses and officials it cites)",
    "relays_party": "Only reports a party to the conflict's attribution",
    "denies": "Denies (a party's denial, never counted as an allegation)",
    "names_none": "Gives a figure but names no force",
    "unknown": "Not known: the source could not be reached",
}
# Allegations that name a force and count towards the incident's perpetrator.
NAMING_ALLEGATIONS = ("alleges", "relays_party")

# How the per-source perpetrator was established.
PERPETRATOR_BASES: dict[str, str] = {
    "page": "Read on a copy of the source",
    "recorded_wording": "Taken from the wording recorded when the source was compiled (title, "
    "claim wording, notes); page not re-read",
    "not_reached": "The source could not be reached",
    "translated_copy": "Read only in a translation of the source (machine translation or a "
    "re-translation); the source's own words were not seen",
}

# What a published total covers (data/raw/published_totals.csv), and so what it is compared with.
TOTAL_SCOPE_KINDS: dict[str, str] = {
    "period_all_cases": "Every case the body documented in a period, across its area",
    "report_cases": "The cases one report documents",
}
TOTAL_PERPETRATOR_MATCHES: dict[str, str] = {
    "any": "Malian forces, alone or with partners (every incident of the dataset)",
    "with_russian_forces": "Operations with Russian forces (Wagner / Africa Corps) only",
}

# What a published total counts. UN bodies publish three kinds of figure for the Malian forces,
# and only figures of the same kind are set side by side (analysis.report.metrics).
TOTAL_MEASURES: dict[str, str] = {
    "killings": "People killed, in any manner",
    "executions": "Extrajudicial, summary or arbitrary executions",
    "violations": "Violations or cases that mix executions with torture, arrests and "
    "disappearances",
    "injured_or_missing": "People injured, missing or forcibly disappeared",
}
# The outcome each measure may be recorded with (a count of violations is filed under the
# closest outcome, "killed", and its note says so).
TOTAL_MEASURE_OUTCOMES: dict[str, tuple[str, ...]] = {
    "killings": ("killed",),
    "executions": ("killed",),
    "violations": ("killed",),
    "injured_or_missing": ("injured", "missing"),
}

OPERATION_TYPES: dict[str, str] = {
    "ground_raid": "Ground raid",
    "execution_of_detainees": "Execution of detainees",
    "drone_strike": "Drone strike",
    "airstrike": "Airstrike (other or unspecified aircraft)",
    "other": "Other",
}

VICTIM_GROUPS: dict[str, str] = {
    "civilians": "Civilians (all)",
    "children": "Children",
    "women": "Women",
    "men": "Men",
}
# Groups that are subsets of "civilians": a claim for one of them can never exceed the
# same source's civilian claim for the same outcome.
CIVILIAN_SUBGROUPS = ("children", "women", "men")

OUTCOMES: dict[str, str] = {
    "killed": "Killed",
    "injured": "Injured",
    "missing": "Missing",
}

SOURCE_KINDS: dict[str, str] = {
    "human_rights_org": "Human-rights organisation",
    "un_body": "UN body",
    "news_agency": "News agency",
    "international_media": "International media",
    "national_media": "National or local media",
    "research_org": "Research organisation / event database",
    "party_to_conflict": "Party to the conflict",
    "other": "Other",
}

DATE_PRECISIONS: dict[str, str] = {
    "day": "Exact day",
    "week": "Known week",
    "month": "Known month only",
}

COORD_PRECISIONS: dict[int, str] = {
    1: "The locality itself",
    2: "Near the locality",
    3: "Region only",
}

EVIDENCE_GRADES: dict[str, str] = {
    "A": "Documented by a human-rights organisation or a UN body",
    "B": "Reported by a news agency, international media or a research organisation, or by "
    "two or more independent national outlets",
    "C": "A single national or other source, or only a party to the conflict",
}
# The grades behind every headline figure (briefing, charts of ranges, tables): incidents a
# single national outlet or only a party to the conflict reported are shown, never summed.
HEADLINE_GRADES: tuple[str, ...] = ("A", "B")

# Normalised regions: the ten regions and the capital district of the 2016 map. Sources written
# after the 2023 reform name the new regions; data/hand/regions.csv maps them back so a series
# stays comparable over time. "Not stated" is for reporting too vague to place in one region.
REGIONS: tuple[str, ...] = (
    "Kayes",
    "Koulikoro",
    "Sikasso",
    "Ségou",
    "Mopti",
    "Tombouctou",
    "Gao",
    "Kidal",
    "Taoudénit",
    "Ménaka",
    "Bamako",
    "Not stated",
)

# Mali's extent with a small margin (degrees, WGS84): 12.3W-4.3E, 10.1N-25.0N.
MALI_BBOX = {"lon_min": -12.4, "lon_max": 4.4, "lat_min": 10.1, "lat_max": 25.1}

# The first day the dataset covers; its year is the first of every yearly series.
EARLIEST_DATE = "2012-01-01"
FIRST_YEAR = int(EARLIEST_DATE[:4])

# Seconds a notebook cell may run without progress before the build declares it stuck.
CELL_TIMEOUT = 600


def today() -> pd.Timestamp:
    """The latest date any record may carry (no incident can be dated in the future)."""
    return pd.Timestamp(dt.date.today())
