"""The dictionary of the published tables: what each table and column means.

Types, allowed values, required-ness and bounds are not written here: they come from the pandera
models that validate the data (see ``datapackage.table_schema``). This module holds only the
words a reader needs, shared by the data package and the Datasette metadata. A test checks that
every published column has a description.
"""

from __future__ import annotations

_RANGE = "lowest figure an independent source reported"
_EXPORT_EVENT = "The event's identifier in the export (ACLED event_id_cnty, UCDP id)."
_RANGE_MAX = "highest figure an independent source reported"

TABLES: dict[str, dict[str, str]] = {
    "incidents": {
        "title": "Incidents",
        "description": "One row per incident in which civilians were reported killed, injured or "
        "missing, with ranges derived from the sources' claims and an evidence grade. "
        "Perpetrators are those alleged by the sources.",
    },
    "claims": {
        "title": "Casualty claims",
        "description": "Every casualty figure a source published: one row per incident, source, "
        "victim group and outcome, with the source's own words.",
    },
    "sources": {
        "title": "Sources",
        "description": "Every published source the dataset cites.",
    },
    "context_events": {
        "title": "Context events",
        "description": "Dated political and military context shown on the time charts.",
    },
    "published_totals": {
        "title": "Published totals",
        "description": "Period totals published by human-rights organisations, the UN and event "
        "databases, set beside the dataset's own coverage.",
    },
    "out_of_scope": {
        "title": "Left out of the record",
        "description": "Events met in the reporting and left out of the record (protest "
        "repression, coup-day shootings, militia attacks no source ties to the state's "
        "operations), each with the reason and the source that reported it.",
    },
    "changelog": {
        "title": "Corrections",
        "description": "Every correction to the curated record after it was first published: "
        "what changed, why, and on which source.",
    },
    "links": {
        "title": "Links to third-party export events",
        "description": "Present only when the build had an ACLED or UCDP export: which export "
        "events the linkage assigned to each curated incident (an event to at most one "
        "incident, an incident to any number of events), with the reasons. The events "
        "themselves stay with their provider.",
    },
    "link_candidates": {
        "title": "Near misses of the linkage",
        "description": "Present only with an export: incident and event pairs the linkage "
        "considered and did not link, up to three per incident, with the reason, for review.",
    },
}

COLUMNS: dict[str, str] = {
    # incidents
    "incident_id": "Stable identifier of the incident (place-yyyy-mm); never renamed or reused.",
    "date_start": "First day of the incident (ISO date).",
    "date_end": "Last day of the incident (ISO date); for a month-precision event, the month's "
    "last day.",
    "date_precision": "How precisely the sources date the incident: day, week or month.",
    "month": "First day of the month in which the incident started.",
    "year": "Year in which the incident started.",
    "region_reported": "The region as the source gave it (may be vague).",
    "region": "Normalised region (the 2016 map), or 'Not stated'.",
    "cercle": "Cercle (district), where stated.",
    "locality": "Village or town, where stated: proper names only (several separated by "
    "commas; another spelling in parentheses).",
    "locality_note": "What the place needs besides its name, as an editorial note: 'near "
    "Dioura', 'Tomnri commune', 'locality not given'.",
    "locality_note_fr": "The same note in French, for the French edition.",
    "latitude": "Latitude in decimal degrees (WGS84), where a source or gazetteer gives it.",
    "longitude": "Longitude in decimal degrees (WGS84), where a source or gazetteer gives it.",
    "coord_precision": "1: the locality itself; 2: near the locality; 3: region only.",
    "perpetrator_reported": "The alleged perpetrator in the source's own words.",
    "perpetrator": "Alleged perpetrator, normalised code.",
    "perpetrator_group": "Alleged perpetrator grouped for charts (Wagner and Africa Corps "
    "together).",
    "operation_type": "Type of operation described by the sources.",
    "description": "What the sources reported, in neutral, attributed words; no names.",
    "description_fr": "The same summary in French, written for the French edition; no names.",
    "civilians_killed_min": f"Civilians reported killed: {_RANGE}.",
    "civilians_killed_max": f"Civilians reported killed: {_RANGE_MAX}.",
    "children_killed_min": f"Children reported killed: {_RANGE}.",
    "children_killed_max": f"Children reported killed: {_RANGE_MAX}.",
    "women_killed_min": f"Women reported killed: {_RANGE}.",
    "women_killed_max": f"Women reported killed: {_RANGE_MAX}.",
    "civilians_injured_min": f"Civilians reported injured: {_RANGE}.",
    "civilians_injured_max": f"Civilians reported injured: {_RANGE_MAX}.",
    "civilians_missing_min": f"Civilians reported missing: {_RANGE}.",
    "civilians_missing_max": f"Civilians reported missing: {_RANGE_MAX}.",
    "n_sources": "Number of sources with a claim for the incident.",
    "n_publishers": "Number of distinct publishers among them.",
    "source_kinds": "Kinds of the sources, separated by semicolons.",
    "evidence_grade": "A: documented by a human-rights organisation or a UN body; B: news "
    "agency, international media, research organisation or two independent national outlets; "
    "C: a single national or other source, or only a party to the conflict.",
    "single_source": "True when a single source reported the incident.",
    "party_claims_only": "True when only a party to the conflict gave figures.",
    "source_ids": "Identifiers of the incident's sources, separated by semicolons.",
    # claims
    "source_id": "Identifier of the source (see the sources table).",
    "publisher": "Publisher of the source.",
    "source_kind": "Kind of source (human-rights organisation, UN body, news agency, ...).",
    "is_party_claim": "True when the source is a party to the conflict.",
    "counts_towards_range": "True when the claim counts towards its incident's range: always "
    "for an independent source; for a party to the conflict only where no independent source "
    "gave a figure for that victim group and outcome.",
    "victim_group": "civilians, or a subset of them: children, women, men.",
    "outcome": "killed, injured or missing.",
    "count_min": "Lowest figure in the source's claim ('at least 14' is 14 to 14).",
    "count_max": "Highest figure in the source's claim.",
    "source_wording": "The source's own words for the figure.",
    # sources
    "title": "Title of the publication.",
    "url": "Address of the publication.",
    "published": "Publication date (YYYY-MM or YYYY-MM-DD).",
    "kind": "Kind of source.",
    "language": "Language of the publication.",
    "note": "Editorial note.",
    "incidents_cited": "Number of incidents for which the source gives a claim.",
    # context events
    "event_id": "Identifier of the context event.",
    "date": "Date (ISO).",
    "label": "Short label used on charts.",
    "label_fr": "The same label in French (for the French edition's charts).",
    # published totals
    "total_id": "Identifier of the published total.",
    "period_start": "First day of the period the total covers.",
    "period_end": "Last day of the period the total covers.",
    "perpetrator_scope": "Whose actions the published total covers, as the source scoped it.",
    "measure": "What the published figure counts: killings (people killed, any manner), "
    "executions (extrajudicial, summary or arbitrary executions), violations (violations or "
    "cases that mix executions with torture, arrests and disappearances; filed under the "
    "outcome 'killed', the note says so), or injured_or_missing. Only figures of the same "
    "measure are compared.",
    # left out of the record
    "place": "Where the event took place, as the source gave it.",
    "what": "What happened, in neutral, attributed words.",
    "what_fr": "The same, in French (for the French edition).",
    # changelog
    "action": "added, edited, removed, merged or claim_removed.",
    "field": "The field or table that changed.",
    "old_value": "The value before the correction.",
    "new_value": "The value after the correction.",
    "reason": "Why the record was corrected.",
    "reason_fr": "Why the record was corrected, in French (for the French edition).",
    "perpetrator_rule": "How the incident's alleged perpetrator follows from its sources: "
    "from independent sources, from parties to the conflict only (no independent source named a "
    "force), or as recorded.",
    "allegation": "What this source said about the perpetrator: alleges, only relays a party's "
    "attribution, denies, names no force, or not known.",
    "perpetrator_basis": "How this source's allegation was established: read on a copy of the "
    "source, taken from the wording recorded when it was compiled, read only in a translation "
    "of the source (translated_copy), or not reached.",
    "date_reported": "The date this source gave, where it differs from the incident's start.",
    "date_note": "How this source's date differs from the others'.",
    "date_note_fr": "The same note in French (for the French edition).",
    "perpetrator_match": "Which incidents the published total is compared with: all, or only "
    "operations with Russian forces.",
    "scope_kind": "What the published total covers: every case a body documented in a period, or "
    "the cases one report documents.",
    "area": "The area the published total covers, as the source scoped it.",
    "area_fr": "The same area in French (for the French edition).",
    "perpetrator_scope_fr": "The same scope in French (for the French edition).",
    "report_sources": "For a report's total: the source ids of the report and its copies; the "
    "incidents citing one of them are the ones compared.",
    "excluded_incidents": "Incidents the published total says it leaves out.",
    # links and link candidates
    "dataset": "The export's provider: acled or ucdp.",
    "why": "Why the event was linked: place, dates, forces and death tolls compared.",
    "why_not": "Why the pair was not linked (or the incident the event was linked to instead), "
    "then the evidence compared.",
    "place_basis": "The strongest place evidence: distance (within 25 km), locality (the same "
    "locality or commune), notes (the export's notes name the place), spelling (the same "
    "name spelt another way), cercle, region, or none.",
    "day_gap": "Days between the incident's and the event's dates (0 when they overlap).",
    "km": "Distance in km where both have precise coordinates.",
    "score": "The linkage score (place, dates, forces, operation, deaths); a link needs 3.",
}


# Where a column name means something else in one table.
OVERRIDES: dict[tuple[str, str], str] = {
    ("context_events", "description"): "What happened, as the cited source reports it.",
    ("context_events", "description_fr"): "The same, in French (for the French edition).",
    ("context_events", "date_precision"): "How precisely the event is dated: day or month.",
    ("changelog", "date"): "Date of the correction.",
    ("links", "event_id"): _EXPORT_EVENT,
    ("link_candidates", "event_id"): _EXPORT_EVENT,
    ("changelog", "incident_id"): "The incident corrected.",
    ("changelog", "source_id"): "The source the correction rests on, where there is one.",
    ("claims", "perpetrator"): "The force(s) this source alleged, normalised code (empty when "
    "it names none or could not be reached).",
    ("claims", "perpetrator_reported"): "The force(s) this source named, in its own words.",
    ("published_totals", "count_min"): "Lowest figure of the published total.",
    ("published_totals", "count_max"): "Highest figure of the published total.",
    ("published_totals", "source_wording"): "The source's own words for the total.",
    ("out_of_scope", "event_id"): "Identifier of the event left out (place-yyyy-mm).",
    ("out_of_scope", "date"): "Date of the event (its first day, ISO).",
    ("out_of_scope", "reason"): "Why the event is outside the record's scope.",
    ("out_of_scope", "reason_fr"): "The same reason in French (for the French edition).",
    ("out_of_scope", "source_id"): "The source that reported the event (see the sources table).",
}


def describe(table: str, column: str) -> str:
    """The description of a published column (KeyError if the dictionary lacks it)."""
    return OVERRIDES.get((table, column)) or COLUMNS[column]
