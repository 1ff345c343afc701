"""Incident-level reconciliation of the curated record with third-party exports (ACLED, UCDP).

One curated incident may be several export events (days, villages, one event per victim group);
one export event belongs to at most one incident. Every incident x event pair inside the time
window is scored on independent pieces of evidence, each kept with its reason:

- **Time**: the gap in days between the two date intervals (0 when they overlap).
- **Place**, the strongest of: a distance within ``max_km`` where both have precise coordinates;
  a place the incident names (its locality, a commune, a name in brackets) that the event's
  locality or commune (``admin3``) holds, or that the export's notes name; the same name with
  another spelling (``Gouni``/``Goumi``, ``Séguéla``/``Sagala``: a close string ratio, or the
  same consonant skeleton); the same cercle. A region that is neither the same nor a
  neighbour of the incident's, or coordinates further apart than ``max_km``, rule the pair out.
  When the incident names a village and the event another, with nothing else tying them, the
  pair is marked down.
- **Perpetrator family**: whether the two codes share a force (Malian forces, Wagner, Africa
  Corps, Dozos, another allied militia): the gendarmerie or special forces at a place the
  incident names are still "Malian forces", and Wagner alone still shares Wagner with "Malian
  forces with Wagner".
- **Operation**: a strike from the air against a raid or an execution on the ground is marked
  down.
- **Victims**: an export event with no death cannot be an incident in which people were killed
  (an arrest, a looting); a civilian range that overlaps the incident's is a small plus.

Each event then goes to the incident with the best score, when that score reaches
``LINK_SCORE`` (a many-to-one assignment: an incident has no capacity limit, so the best
incident per event is the optimal assignment and no solver is needed). Pairs that were
considered but not linked are kept as **candidates**, with the reason, for a person to review.

``compare_ranges`` then sets each incident's civilian range beside the **sum** of its linked
events, which is how an incident split into several events is judged.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache

import numpy as np
import pandas as pd

from analysis.vocab import PERPETRATOR_FORCES

EARTH_KM = 6371.0088
PRECISE_GEO = ("locality", "near_locality")
WINDOW_DAYS = 7
MAX_KM = 25.0
LINK_SCORE = 3.0
SPELLING_RATIO = 0.75
CANDIDATES_PER_INCIDENT = 3

# Regions (2016 map, as the record and the exports name them after normalisation) that share a
# border: an event coded in a neighbouring region may be the same place seen by another source
# (a village near a boundary). Anything further is another place.
NEIGHBOURS: dict[str, tuple[str, ...]] = {
    "Bamako": ("Koulikoro",),
    "Kayes": ("Koulikoro",),
    "Koulikoro": ("Bamako", "Kayes", "Sikasso", "Ségou"),
    "Sikasso": ("Koulikoro", "Ségou"),
    "Ségou": ("Koulikoro", "Sikasso", "Mopti", "Tombouctou"),
    "Mopti": ("Ségou", "Tombouctou", "Gao"),
    "Tombouctou": ("Ségou", "Mopti", "Gao", "Kidal", "Taoudénit"),
    "Gao": ("Mopti", "Tombouctou", "Kidal", "Ménaka"),
    "Kidal": ("Tombouctou", "Gao", "Ménaka", "Taoudénit"),
    "Ménaka": ("Gao", "Kidal"),
    "Taoudénit": ("Tombouctou", "Kidal"),
}
UNKNOWN_REGIONS = ("Not stated", "")

# Words the curated ``locality`` uses around place names (editorial, not places).
EDITORIAL = re.compile(
    r"\b(?:about|near|around|from|km|\d+|communes?|cercle|de|du|des|d|la|le|les|region|"
    r"village|villages|small|in|of|the|quartier|area|camp|fama|locality|not|given|name|"
    r"names?|hamlets?|town|between|north|south|east|west|outskirts|zone|bush|road|axis|"
    r"market|displaced|people|site|several|unnamed|axe|pres|environs|secteur)\b"
)
SEPARATORS = re.compile(r"[()/,;:\[\]\"'’`>]|\band\b|\bet\b|\bor\b|\bou\b")

LINK_COLUMNS = [
    "incident_id",
    "dataset",
    "event_id",
    "why",
    "place_basis",
    "day_gap",
    "km",
    "score",
]
CANDIDATE_COLUMNS = [
    "incident_id",
    "dataset",
    "event_id",
    "why_not",
    "place_basis",
    "day_gap",
    "km",
    "score",
]
PLACE_BASES = ("distance", "locality", "notes", "spelling", "cercle", "region", "none")


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower case, no accents, punctuation as spaces, single spaces."""
    text = "".join(
        c for c in unicodedata.normalize("NFKD", str(text)) if not unicodedata.combining(c)
    )
    text = re.sub(r"[^a-z0-9 ]+", " ", text.casefold())
    return re.sub(r"\s+", " ", text).strip()


def normalise_place(names: pd.Series) -> pd.Series:
    """Comparable place names: no accents, lower case, no admin suffix, single spaces."""
    unique = pd.Series(names.dropna().unique())
    cleaned = (
        unique.map(fold)
        .str.replace(r"\b(?:cercle|region|district|commune|village|town|of|de)\b", " ", regex=True)
        .str.replace(r"\s+", " ", regex=True)
        .str.strip()
        .replace("", pd.NA)
    )
    lookup = dict(zip(unique, cleaned, strict=True))
    return names.map(lookup).astype("str")


def place_names(locality: object) -> tuple[str, ...]:
    """The place names a curated ``locality`` holds, folded, without editorial words.

    ``"Gouni (commune de Tomnri)"`` -> ``("gouni", "tomnri")``; ``"about 6 km from Nani"`` ->
    ``("nani",)``; ``"cercle de Koro (locality not given)"`` -> ``("koro",)``.
    """
    if locality is None or pd.isna(locality):
        return ()
    return _place_names(str(locality))


@lru_cache(maxsize=4096)
def _place_names(locality: str) -> tuple[str, ...]:
    text = "".join(
        c for c in unicodedata.normalize("NFKD", str(locality)) if not unicodedata.combining(c)
    ).casefold()
    out: list[str] = []
    for chunk in SEPARATORS.split(text):
        name = re.sub(r"\s+", " ", EDITORIAL.sub(" ", fold(chunk))).strip()
        if len(name) >= 3 and name not in out:
            out.append(name)
    return tuple(out)


def skeleton(name: str) -> str:
    """Consonants only, doubled letters once: a spelling-tolerant key (``seguela`` -> ``sgl``)."""
    consonants = re.sub(r"[aeiouy\s]+", "", name)
    return re.sub(r"(.)\1+", r"\1", consonants)


@lru_cache(maxsize=262144)
def same_name(a: str, b: str) -> str:
    """'exact', 'spelling' (another transliteration) or '' for two folded names."""
    if not a or not b:
        return ""
    if a == b or set(a.split()) <= set(b.split()):
        return "exact"
    others = [b] + ([w for w in b.split() if len(w) >= 4] if " " not in a else [])
    for other in others:
        if min(len(a), len(other)) < 4:
            continue
        if SequenceMatcher(None, a, other).ratio() >= SPELLING_RATIO:
            return "spelling"
        ka, kb = skeleton(a), skeleton(other)
        if len(ka) >= 3 and ka == kb and " " not in a and " " not in other:
            return "spelling"
    return ""


def haversine_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance in km (NaN where a coordinate is missing)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp = p2 - p1
    dl = np.radians(np.asarray(lon2, dtype=float) - np.asarray(lon1, dtype=float))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def day_gaps(inc: pd.DataFrame, ev: pd.DataFrame) -> np.ndarray:
    """Matrix (incidents x events) of the gap in days between date intervals (0: overlap)."""
    day = np.timedelta64(1, "D")
    e_start = ev["date_start"].to_numpy(dtype="datetime64[s]")[None, :]
    e_end = ev["date_end"].to_numpy(dtype="datetime64[s]")[None, :]
    i_start = inc["date_start"].to_numpy(dtype="datetime64[s]")[:, None]
    i_end = inc["date_end"].to_numpy(dtype="datetime64[s]")[:, None]
    return np.maximum(np.maximum((e_start - i_end) / day, (i_start - e_end) / day), 0.0)


def _text(value: object) -> str:
    return "" if value is None or pd.isna(value) else str(value)


def _nearby(a: str, b: str) -> str:
    """'same', 'neighbour', 'unknown' or 'far' for two normalised regions."""
    if a in UNKNOWN_REGIONS or b in UNKNOWN_REGIONS:
        return "unknown"
    if a == b:
        return "same"
    return "neighbour" if b in NEIGHBOURS.get(a, ()) else "far"


def _time_score(gap: float) -> float:
    if gap <= 0:
        return 1.0
    if gap <= 1:
        return 0.8
    if gap <= 3:
        return 0.4
    return -0.5


def _family(code: str) -> frozenset[str]:
    return PERPETRATOR_FORCES.get(code, frozenset())


AIR = ("airstrike", "drone_strike")
GROUND = ("ground_raid", "execution_of_detainees")


@dataclass(frozen=True)
class Pair:
    """The evidence for one incident x event pair."""

    place_basis: str
    place_words: str
    score: float
    why: str
    veto: str  # why the pair can never be a link ('' when it can)
    km: float  # NaN unless both sides have precise coordinates


def score_pair(incident: dict, event: dict, gap: float, max_km: float = MAX_KM) -> Pair:
    """Score one incident x event pair (both as plain dicts of their columns)."""
    reasons: list[str] = []
    veto = ""
    # --- place
    names = place_names(incident.get("locality"))
    e_loc = fold(_text(event.get("location")))
    e_com = fold(_text(event.get("admin3")))
    e_cer = fold(_text(event.get("admin2")))
    i_cer = fold(_text(incident.get("cercle")))
    notes = " " + fold(_text(event.get("notes"))) + " "
    region = _nearby(_text(incident.get("region")), _text(event.get("region")))
    km = np.nan
    if event.get("geo_precision") in PRECISE_GEO:
        km = float(
            haversine_km(
                _float(incident.get("latitude")),
                _float(incident.get("longitude")),
                _float(event.get("latitude")),
                _float(event.get("longitude")),
            )
        )
    basis, place, words = "none", 0.0, ""
    if not np.isnan(km) and km <= max_km:
        basis, place, words = "distance", 3.0, f"{km:.0f} km apart"
    else:
        for name in names:
            for label, other in (("locality", e_loc), ("commune", e_com)):
                kind = same_name(name, other)
                if kind == "exact":
                    basis, place, words = "locality", 3.0, f"same {label} ({name})"
                    break
                if kind == "spelling" and place < 2.0:
                    basis, place = "spelling", 2.0
                    words = f"{label} spelt differently ({name} / {other})"
            if basis == "locality":
                break
            if f" {name} " in notes and place < 3.0:
                basis, place, words = "notes", 3.0, f"the export's notes name {name}"
                break
        if place < 2.0 and names:
            proper = re.findall(r"\b[A-Z][\w'-]{3,}", _text(event.get("notes")))
            for word in sorted({fold(w) for w in proper}):
                for name in names:
                    if same_name(name, word) == "spelling":
                        basis, place = "spelling", 2.0
                        words = f"the export's notes name {word} ({name})"
        cercle_eq = (bool(i_cer) and i_cer == e_cer) or (bool(e_cer) and e_cer in names)
        if cercle_eq:
            if place >= 2.0:
                place += 0.5
                words += ", same cercle"
            else:
                basis, place, words = "cercle", 1.5, f"same cercle ({e_cer})"
        if place == 0.0 and region == "same":
            basis, place, words = "region", 0.5, "same region"
        named_elsewhere = place < 2.0 and bool(names) and bool(e_loc)
        if named_elsewhere and not (names and set(names) <= {e_cer, i_cer}):
            place -= 1.5
            words += ("; " if words else "") + f"another village named ({e_loc})"
    if not np.isnan(km) and km > max_km:
        veto = f"{km:.0f} km apart"
    elif region == "far":
        veto = "another region"
    elif basis == "none" and region != "unknown":
        veto = "no place in common"
    if basis != "none" and region == "neighbour":
        words += ", across a regional boundary"
    reasons.append(words or "no place in common")
    # --- time
    time = _time_score(gap)
    days = "same dates" if gap <= 0 else ("1 day apart" if gap <= 1 else f"{gap:.0f} days apart")
    reasons.append(days)
    # --- perpetrator family
    i_forces = _family(_text(incident.get("perpetrator")))
    e_forces = _family(_text(event.get("perpetrator")))
    if i_forces & e_forces:
        perp = 1.0
        reasons.append("a force in common")
    else:
        perp = -1.0
        reasons.append("other forces")
    # --- operation
    i_op, e_op = _text(incident.get("operation_type")), _text(event.get("operation_type"))
    operation = 0.0
    if (i_op in AIR and e_op in GROUND) or (i_op in GROUND and e_op in AIR):
        operation = -1.0
        reasons.append("air strike against ground operation")
    elif i_op == e_op and i_op in AIR + GROUND:
        operation = 0.3
    # --- victims
    i_min, i_max = (
        _int(incident.get("civilians_killed_min")),
        _int(incident.get("civilians_killed_max")),
    )
    e_min, e_max = _int(event.get("civilians_killed_min")), _int(event.get("civilians_killed_max"))
    victims = 0.0
    if i_min is not None and i_min > 0 and e_max is not None and e_max == 0:
        veto = veto or "no death in the export event"
    elif None not in (i_min, i_max, e_min, e_max) and e_min <= i_max and i_min <= e_max:
        victims = 0.5
        reasons.append("death tolls overlap")
    score = round(place + time + perp + operation + victims, 2)
    return Pair(basis, words, score, "; ".join(reasons), veto, km)


def _float(value: object) -> float:
    return np.nan if value is None or pd.isna(value) else float(value)


def _int(value: object) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


@dataclass
class Reconciliation:
    links: pd.DataFrame
    candidates: pd.DataFrame


def reconcile(
    incidents: pd.DataFrame,
    events: pd.DataFrame,
    window_days: int = WINDOW_DAYS,
    max_km: float = MAX_KM,
) -> Reconciliation:
    """Links (each event to at most one incident) and the near misses, per export dataset.

    ``incidents`` has the columns of ``derive.build_incidents``; ``events`` is ``ExportEvents``
    with the normalised ``region``.
    """
    inc = incidents.reset_index(drop=True)
    ev = events.reset_index(drop=True)
    if inc.empty or ev.empty:
        return Reconciliation(_empty(LINK_COLUMNS), _empty(CANDIDATE_COLUMNS))
    gaps = day_gaps(inc, ev)
    ii, ee = np.nonzero(gaps <= window_days)
    inc_rows = inc.to_dict("records")
    # Only the events some incident is near in time are turned into records.
    near = np.unique(ee)
    ev_rows = dict(zip(near, ev.iloc[near].to_dict("records"), strict=True))
    rows = []
    for i, e in zip(ii, ee, strict=True):
        pair = score_pair(inc_rows[i], ev_rows[e], float(gaps[i, e]), max_km)
        event, incident = ev_rows[e], inc_rows[i]
        km = pair.km
        rows.append(
            {
                "incident_id": incident["incident_id"],
                "dataset": event["dataset"],
                "event_id": event["event_id"],
                "place_basis": pair.place_basis,
                "day_gap": int(gaps[i, e]),
                "km": round(km, 2) if not np.isnan(km) else np.nan,
                "score": pair.score,
                "why": pair.why,
                "veto": pair.veto,
            }
        )
    pairs = pd.DataFrame(rows)
    if pairs.empty:
        return Reconciliation(_empty(LINK_COLUMNS), _empty(CANDIDATE_COLUMNS))
    eligible = pairs[(pairs["veto"] == "") & (pairs["score"] >= LINK_SCORE)]
    best = eligible.sort_values(
        ["dataset", "event_id", "score", "day_gap", "incident_id"],
        ascending=[True, True, False, True, True],
    ).drop_duplicates(["dataset", "event_id"])
    links = best.sort_values(["incident_id", "dataset", "event_id"]).reset_index(drop=True)
    columns = ["dataset", "event_id", "incident_id"]
    linked = set(links[columns].itertuples(index=False, name=None))
    owner = {
        (d, e): i
        for d, e, i in zip(links["dataset"], links["event_id"], links["incident_id"], strict=True)
    }
    rest = pairs[[key not in linked for key in pairs[columns].itertuples(index=False, name=None)]]
    rest = rest.copy()
    # A near miss: the place or the victims tie it to the incident, or the score came close.
    near = (rest["place_basis"] != "none") | (rest["score"] >= LINK_SCORE - 1)
    rest = rest[near & ~rest["veto"].isin(["another region"]) & ~rest["why"].eq("")]
    owners = [owner.get((d, e)) for d, e in zip(rest["dataset"], rest["event_id"], strict=True)]
    rest["why_not"] = [
        (f"linked to {o} instead" if o is not None else (v or "score below the link threshold"))
        + f" ({why})"
        for o, v, why in zip(owners, rest["veto"], rest["why"], strict=True)
    ]
    candidates = (
        rest.sort_values(["incident_id", "score", "day_gap"], ascending=[True, False, True])
        .groupby("incident_id", sort=True)
        .head(CANDIDATES_PER_INCIDENT)
        .sort_values(
            ["incident_id", "score", "dataset", "event_id"], ascending=[True, False, True, True]
        )
        .reset_index(drop=True)
    )
    return Reconciliation(
        links[LINK_COLUMNS].astype({"day_gap": "int64", "km": "float64", "score": "float64"}),
        candidates[CANDIDATE_COLUMNS].astype(
            {"day_gap": "int64", "km": "float64", "score": "float64"}
        ),
    )


def _empty(columns: list[str]) -> pd.DataFrame:
    types = {"day_gap": "int64", "km": "float64", "score": "float64"}
    return pd.DataFrame({c: pd.Series(dtype=types.get(c, "str")) for c in columns})


AGREEMENTS = ("overlap", "dataset_higher", "export_higher", "no_figure")
COMPARISON_COLUMNS = [
    "incident_id",
    "dataset",
    "events_linked",
    "incident_civilians_killed_min",
    "incident_civilians_killed_max",
    "export_civilians_killed_min",
    "export_civilians_killed_max",
    "agreement",
]


def compare_ranges(
    incidents: pd.DataFrame, events: pd.DataFrame, links: pd.DataFrame
) -> pd.DataFrame:
    """Each linked incident's civilian range beside the sum of its linked events, per dataset.

    ``agreement``: ``overlap`` when the ranges meet, ``dataset_higher`` when the curated minimum
    is above the export's summed maximum, ``export_higher`` the other way, ``no_figure`` when a
    side has no range.
    """
    if links.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in COMPARISON_COLUMNS})
    joined = links.merge(
        events[["dataset", "event_id", "civilians_killed_min", "civilians_killed_max"]],
        on=["dataset", "event_id"],
        how="left",
    )
    sums = joined.groupby(["incident_id", "dataset"], sort=True).agg(
        events_linked=("event_id", "size"),
        export_civilians_killed_min=("civilians_killed_min", "sum"),
        export_civilians_killed_max=("civilians_killed_max", "sum"),
    )
    out = sums.reset_index().merge(
        incidents[["incident_id", "civilians_killed_min", "civilians_killed_max"]].rename(
            columns={
                "civilians_killed_min": "incident_civilians_killed_min",
                "civilians_killed_max": "incident_civilians_killed_max",
            }
        ),
        on="incident_id",
        how="left",
    )
    a_min = out["incident_civilians_killed_min"].astype("Float64")
    a_max = out["incident_civilians_killed_max"].astype("Float64")
    b_min = out["export_civilians_killed_min"].astype("Float64")
    b_max = out["export_civilians_killed_max"].astype("Float64")
    missing = (a_min.isna() | a_max.isna() | b_min.isna() | b_max.isna()).to_numpy()
    meet = ((a_min <= b_max) & (b_min <= a_max)).fillna(False).to_numpy(dtype=bool)
    higher = (a_min > b_max).fillna(False).to_numpy(dtype=bool)
    out["agreement"] = np.select(
        [missing, meet, higher], ["no_figure", "overlap", "dataset_higher"], "export_higher"
    )
    for column in COMPARISON_COLUMNS[3:7]:
        out[column] = out[column].astype("Int64")
    return out[COMPARISON_COLUMNS]


def export_periods(events: pd.DataFrame) -> pd.DataFrame:
    """First and last day each dataset's events cover (dataset, start, end)."""
    return (
        events.groupby("dataset", sort=True)
        .agg(start=("date_start", "min"), end=("date_end", "max"))
        .reset_index()
    )


COVERAGE_COLUMNS = ["incident_id", "dataset", "status", "events_linked", "nearest"]


def coverage(
    incidents: pd.DataFrame,
    events: pd.DataFrame,
    links: pd.DataFrame,
    candidates: pd.DataFrame,
) -> pd.DataFrame:
    """Every curated incident inside each export's period: ``linked`` or ``not_in_export``,
    with the nearest candidates (event ids, best first) for the latter."""
    rows = []
    for period in export_periods(events).itertuples(index=False):
        inside = incidents[
            (incidents["date_start"] >= period.start) & (incidents["date_end"] <= period.end)
        ]
        mine = links[links["dataset"] == period.dataset]
        counts = mine.groupby("incident_id").size()
        near = candidates[candidates["dataset"] == period.dataset]
        for incident_id in sorted(inside["incident_id"]):
            n = int(counts.get(incident_id, 0))
            nearest = (
                "" if n else " ".join(near.loc[near["incident_id"] == incident_id, "event_id"])
            )
            rows.append(
                {
                    "incident_id": incident_id,
                    "dataset": period.dataset,
                    "status": "linked" if n else "not_in_export",
                    "events_linked": n,
                    "nearest": nearest,
                }
            )
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in COVERAGE_COLUMNS})
    return pd.DataFrame(rows, columns=COVERAGE_COLUMNS)


LEAD_COLUMNS = [
    "dataset",
    "event_id",
    "date_start",
    "date_end",
    "region",
    "admin2",
    "location",
    "perpetrator",
    "actor1_raw",
    "operation_type",
    "civilians_killed_min",
    "civilians_killed_max",
    "notes",
]


def leads(events: pd.DataFrame, links: pd.DataFrame) -> pd.DataFrame:
    """Export events no curated incident explains, most deaths first: what a curator should
    look into to keep the record complete and current."""
    linked = set(zip(links["dataset"], links["event_id"], strict=True))
    mask = [
        (d, e) not in linked for d, e in zip(events["dataset"], events["event_id"], strict=True)
    ]
    out = events.loc[mask, LEAD_COLUMNS]
    return out.sort_values(
        ["civilians_killed_max", "civilians_killed_min", "date_start", "dataset", "event_id"],
        ascending=[False, False, True, True, True],
    ).reset_index(drop=True)
