"""From per-source claims to one row per incident: ranges, evidence grade, normalised fields.

The range rule (also in METHODOLOGY.md): for each victim group and outcome, an incident's
minimum is the lowest figure and its maximum the highest figure that any independent source
claimed. Claims by a party to the conflict are kept in the claims table but count towards the
range only when no independent source gave a figure for that group and outcome; such an incident
is graded C. An "at least N" claim is recorded as N..N, so the maximum is the highest figure any
source stated, never an extrapolation.
"""

from __future__ import annotations

import pandas as pd

from analysis.vocab import NAMING_ALLEGATIONS, PERPETRATOR_FORCES, PERPETRATOR_GROUPS

INDEPENDENT_MEDIA = ("news_agency", "international_media", "research_org")
DOCUMENTING_BODIES = ("human_rights_org", "un_body")

# (victim group, outcome) pairs carried as columns on the incident table.
RANGE_COLUMNS: dict[str, tuple[str, str]] = {
    "civilians_killed": ("civilians", "killed"),
    "children_killed": ("children", "killed"),
    "women_killed": ("women", "killed"),
    "civilians_injured": ("civilians", "injured"),
    "civilians_missing": ("civilians", "missing"),
}


ALLEGATION_COLUMNS = [
    "allegation",
    "perpetrator_reported",
    "perpetrator",
    "perpetrator_basis",
    "date_reported",
    "date_note",
    "date_note_fr",
]


def derive_perpetrators(allegations: pd.DataFrame, sources: pd.DataFrame) -> pd.DataFrame:
    """Per incident: the alleged perpetrator its sources' allegations give, by the written rule.

    1. Only allegations that name a force count ("alleges", "relays_party"); denials, sources
       naming no force and sources not reached never do.
    2. If any independent source (not a party to the conflict) itself alleged a force, the
       forces are those alleged by independent sources ("independent"). Otherwise they are
       those named by parties or by sources relaying a party ("party_only").
    3. The forces give the code: Russian forces (Wagner or Africa Corps) with Malian forces ->
       ``malian_forces_wagner`` (``..._africa_corps`` when the counting sources name only Africa
       Corps); Russian forces alone -> ``wagner`` / ``africa_corps``; Malian forces with Dozo
       militia -> ``malian_forces_dozo``; Malian forces with another allied militia ->
       ``malian_forces_militia``; Malian forces -> ``malian_forces``; otherwise
       ``state_aligned_unidentified``. A Dozo part alleged beside Russian forces stays in the
       per-source record but has no code of its own.

    Returns incident_id, perpetrator and perpetrator_rule; incidents without any allegation
    naming a force are absent (a cross-table rule reports them).
    """
    if allegations.empty:
        return pd.DataFrame(
            {
                c: pd.Series(dtype="object")
                for c in ("incident_id", "perpetrator", "perpetrator_rule")
            }
        )
    kinds = sources.set_index("source_id")["kind"]
    naming = allegations[
        allegations["allegation"].isin(NAMING_ALLEGATIONS) & allegations["perpetrator"].notna()
    ].copy()
    naming["independent"] = naming["allegation"].eq("alleges") & naming["source_id"].map(kinds).ne(
        "party_to_conflict"
    )
    has_independent = naming.groupby("incident_id")["independent"].transform("any")
    counted = naming[naming["independent"] | ~has_independent.astype(bool)]
    forces = ("M", "W", "AC", "D", "L", "U")
    flags = pd.DataFrame(
        {f: counted["perpetrator"].map(lambda c, f=f: f in PERPETRATOR_FORCES[c]) for f in forces},
        index=counted.index,
    ).astype(bool)
    flags["incident_id"] = counted["incident_id"]
    per = flags.groupby("incident_id")[list(forces)].any()
    russian = per["W"] | per["AC"]
    russian_name = pd.Series("wagner", index=per.index).where(
        ~(per["AC"] & ~per["W"]), "africa_corps"
    )
    code = pd.Series("state_aligned_unidentified", index=per.index, dtype="object")
    code[per["M"]] = "malian_forces"
    code[per["M"] & per["L"]] = "malian_forces_militia"
    code[per["M"] & per["D"]] = "malian_forces_dozo"
    code[russian] = russian_name[russian]
    code[russian & per["M"]] = "malian_forces_" + russian_name[russian & per["M"]]
    rule = (
        naming.groupby("incident_id")["independent"]
        .any()
        .map({True: "independent", False: "party_only"})
    )
    return pd.DataFrame(
        {
            "incident_id": per.index,
            "perpetrator": code.values,
            "perpetrator_rule": rule[per.index].values,
        }
    )


def build_claims(
    casualties: pd.DataFrame, sources: pd.DataFrame, allegations: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Every casualty claim with its source's publisher and kind, and what that source alleged
    about the perpetrator (empty where no allegations table is given)."""
    src = sources[["source_id", "publisher", "kind"]].rename(columns={"kind": "source_kind"})
    claims = casualties.merge(src, on="source_id", how="left", validate="many_to_one")
    assert len(claims) == len(casualties), "join with sources changed the row count"
    claims["is_party_claim"] = claims["source_kind"].eq("party_to_conflict")
    if allegations is not None and len(allegations):
        per_source = allegations[["incident_id", "source_id", *ALLEGATION_COLUMNS]]
        claims = claims.merge(
            per_source, on=["incident_id", "source_id"], how="left", validate="many_to_one"
        )
        assert len(claims) == len(casualties), "join with allegations changed the row count"
    else:
        for column in ALLEGATION_COLUMNS:
            claims[column] = pd.Series(pd.NA, index=claims.index, dtype="object")
    for column in ALLEGATION_COLUMNS:
        claims[column] = claims[column].astype("string")
    claims["counts_towards_range"] = counts_towards_range(claims)
    columns = [
        "incident_id",
        "source_id",
        "publisher",
        "source_kind",
        "is_party_claim",
        "counts_towards_range",
        "victim_group",
        "outcome",
        "count_min",
        "count_max",
        "source_wording",
        *ALLEGATION_COLUMNS,
    ]
    return (
        claims[columns]
        .sort_values(["incident_id", "victim_group", "outcome", "source_id"])
        .reset_index(drop=True)
    )


def counts_towards_range(claims: pd.DataFrame) -> pd.Series:
    """Whether each claim counts towards its incident's range (the range rule).

    Independent claims always count; a party's claim counts only where no independent claim
    exists for that incident, victim group and outcome.
    """
    key = ["incident_id", "victim_group", "outcome"]
    has_independent = (~claims["is_party_claim"]).groupby([claims[k] for k in key]).transform("any")
    return (~claims["is_party_claim"] | ~has_independent).astype(bool)


def claim_ranges(claims: pd.DataFrame) -> pd.DataFrame:
    """Per incident x victim group x outcome: [lowest min, highest max] of the counted claims."""
    key = ["incident_id", "victim_group", "outcome"]
    counted = claims[counts_towards_range(claims)]
    return (
        counted.groupby(key, as_index=False, observed=True)
        .agg(count_min=("count_min", "min"), count_max=("count_max", "max"))
        .astype({"count_min": "Int64", "count_max": "Int64"})
    )


def evidence(claims: pd.DataFrame) -> pd.DataFrame:
    """Per incident: number of sources and publishers, their kinds, and the evidence grade."""
    per_source = claims.drop_duplicates(["incident_id", "source_id"])
    grouped = per_source.groupby("incident_id")
    out = pd.DataFrame(
        {
            "n_sources": grouped["source_id"].nunique(),
            "n_publishers": grouped["publisher"].nunique(),
            "source_kinds": grouped["source_kind"].agg(lambda s: ";".join(sorted(set(s)))),
            "source_ids": grouped["source_id"].agg(lambda s: ";".join(sorted(s))),
            "party_claims_only": grouped["is_party_claim"].all(),
        }
    )
    kinds = per_source.assign(
        documented=per_source["source_kind"].isin(DOCUMENTING_BODIES),
        independent_media=per_source["source_kind"].isin(INDEPENDENT_MEDIA),
        national=per_source["source_kind"].eq("national_media"),
    )
    by = kinds.groupby("incident_id")
    documented = by["documented"].any()
    media = by["independent_media"].any()
    national_publishers = kinds[kinds["national"]].groupby("incident_id")["publisher"].nunique()
    national_publishers = national_publishers.reindex(out.index, fill_value=0)
    out["evidence_grade"] = "C"
    out.loc[media | (national_publishers >= 2), "evidence_grade"] = "B"
    out.loc[documented, "evidence_grade"] = "A"
    out["single_source"] = out["n_publishers"].eq(1)
    out = out.astype(
        {"n_sources": "Int64", "n_publishers": "Int64", "single_source": bool}
    ).reset_index()
    return out


def resolve_regions(incidents: pd.DataFrame, regions: pd.DataFrame) -> pd.Series:
    """Normalised region per incident: the locality with its note, the locality, then the
    cercle, then the region as reported (the most specific match wins).

    A name shared by two places is told apart in regions.csv by the locality with its English
    note, "Kita (Dioura commune)" (a village of Mopti region, not the town of Kayes region).
    Returns NA where nothing matches; the cross-table check reports those.
    """
    places = incidents.assign(
        place_with_note=incidents["locality"] + " (" + incidents["locality_note"] + ")"
        if "locality_note" in incidents
        else pd.NA
    )
    resolved = pd.Series(pd.NA, index=incidents.index, dtype="string")
    for level, column in (
        ("region", "region_reported"),
        ("cercle", "cercle"),
        ("locality", "locality"),
        ("locality", "place_with_note"),
    ):
        table = regions[regions["level"] == level]
        mapping = dict(zip(table["name"], table["region"], strict=True))
        found = places[column].map(mapping)
        resolved = found.where(found.notna(), resolved).astype("string")
    return resolved


def build_incidents(
    incidents: pd.DataFrame,
    claims: pd.DataFrame,
    regions: pd.DataFrame,
    perpetrators: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The canonical incident table: raw fields, normalised region, ranges and grade.

    ``perpetrators`` (from ``derive_perpetrators``) says how each incident's perpetrator follows
    from its sources' allegations; the cross-table rules have checked that it equals the code
    recorded in incidents.csv. Without it, perpetrator_rule is "as_recorded".
    """
    out = incidents.drop(columns=["coord_source", "distinct_from", "note"]).copy()
    if perpetrators is not None and len(perpetrators):
        rule = perpetrators.set_index("incident_id")["perpetrator_rule"]
        out["perpetrator_rule"] = out["incident_id"].map(rule).fillna("as_recorded")
    else:
        out["perpetrator_rule"] = "as_recorded"
    out["region"] = resolve_regions(incidents, regions)
    out["month"] = out["date_start"].dt.to_period("M").dt.to_timestamp()
    out["year"] = out["date_start"].dt.year.astype("Int64")
    out["perpetrator_group"] = out["perpetrator"].map(PERPETRATOR_GROUPS)

    ranges = claim_ranges(claims)
    for stem, (group, outcome) in RANGE_COLUMNS.items():
        part = ranges[(ranges["victim_group"] == group) & (ranges["outcome"] == outcome)]
        part = part.set_index("incident_id")
        out[f"{stem}_min"] = out["incident_id"].map(part["count_min"]).astype("Int64")
        out[f"{stem}_max"] = out["incident_id"].map(part["count_max"]).astype("Int64")

    n_before = len(out)
    out = out.merge(evidence(claims), on="incident_id", how="left", validate="one_to_one")
    assert len(out) == n_before, "join with evidence changed the row count"
    order = [
        "incident_id",
        "date_start",
        "date_end",
        "date_precision",
        "month",
        "year",
        "region_reported",
        "region",
        "cercle",
        "locality",
        "locality_note",
        "locality_note_fr",
        "latitude",
        "longitude",
        "coord_precision",
        "perpetrator_reported",
        "perpetrator",
        "perpetrator_group",
        "perpetrator_rule",
        "operation_type",
        "description",
        "description_fr",
        *[f"{stem}_{b}" for stem in RANGE_COLUMNS for b in ("min", "max")],
        "n_sources",
        "n_publishers",
        "source_kinds",
        "evidence_grade",
        "single_source",
        "party_claims_only",
        "source_ids",
    ]
    return out[order].sort_values(["date_start", "incident_id"]).reset_index(drop=True)
