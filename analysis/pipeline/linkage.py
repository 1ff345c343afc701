"""Candidate links between curated incidents and third-party export events (ACLED, UCDP).

A link is a *candidate*: it says "this export event may be the same incident", with the basis
and the distances, so a person can confirm it. Rules for one incident x event pair:

1. **Time**: the two date intervals overlap, or the gap between them is at most
   ``window_days`` (``day_gap`` is 0 for overlapping intervals).
2. **Place**, by the first tier both sides can use:

   - ``distance``: both have coordinates (for an export event, only when its geo precision is
     locality or near_locality: a region centroid says nothing about distance); a match needs
     ``km <= max_km``. If the distance is too large, lower tiers are not tried.
   - ``locality`` / ``cercle``: both name a locality, or both a cercle (export ``admin2``);
     a match needs the same normalised name (case, accents, "cercle"/"region" suffixes and
     punctuation ignored).
   - ``region``: same normalised region (export ``admin1``).

``agreement`` compares the civilians-killed ranges: ``overlap`` when they intersect,
``dataset_higher`` when the curated minimum exceeds the export maximum, ``export_higher`` in the
other case, ``no_figure`` when either side has no range.

The curated side is small (hundreds of rows), so pairs are formed by broadcasting dates over
the events, in chunks of incidents, and everything after that is vectorised over pairs.
"""

from __future__ import annotations

import unicodedata

import numpy as np
import pandas as pd

EARTH_KM = 6371.0088
BASIS_ORDER = {"distance": 0, "locality": 1, "cercle": 2, "region": 3}
PRECISE_GEO = ("locality", "near_locality")
OUTPUT_COLUMNS = [
    "incident_id",
    "dataset",
    "event_id",
    "match_basis",
    "day_gap",
    "km",
    "incident_perpetrator",
    "export_perpetrator",
    "incident_civilians_killed_min",
    "incident_civilians_killed_max",
    "export_civilians_killed_min",
    "export_civilians_killed_max",
    "agreement",
]


def normalise_place(names: pd.Series) -> pd.Series:
    """Comparable place names: no accents, lower case, no admin suffix, single spaces."""
    unique = pd.Series(names.dropna().unique())
    folded = unique.map(
        lambda s: "".join(
            c for c in unicodedata.normalize("NFKD", str(s)) if not unicodedata.combining(c)
        )
    )
    cleaned = (
        folded.str.casefold()
        .str.replace(r"[’'`\-_/.,()]", " ", regex=True)
        .str.replace(r"\b(?:cercle|region|district|commune|village|town|of|de)\b", " ", regex=True)
        .str.replace(r"\s+", " ", regex=True)
        .str.strip()
        .replace("", pd.NA)
    )
    lookup = dict(zip(unique, cleaned, strict=True))
    return names.map(lookup).astype("str")


def haversine_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance in km (NaN where a coordinate is missing)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp = p2 - p1
    dl = np.radians(np.asarray(lon2, dtype=float) - np.asarray(lon1, dtype=float))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def _candidate_pairs(
    inc: pd.DataFrame, ev: pd.DataFrame, window_days: int, chunk: int = 256
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(incident positions, event positions, day gaps) of pairs within the time window."""
    day = np.timedelta64(1, "D")
    e_start = ev["date_start"].to_numpy(dtype="datetime64[s]")
    e_end = ev["date_end"].to_numpy(dtype="datetime64[s]")
    i_start = inc["date_start"].to_numpy(dtype="datetime64[s]")
    i_end = inc["date_end"].to_numpy(dtype="datetime64[s]")
    rows, cols, gaps = [], [], []
    for lo in range(0, len(inc), chunk):
        s = i_start[lo : lo + chunk, None]
        e = i_end[lo : lo + chunk, None]
        # Gap in days between two intervals; 0 when they overlap.
        gap = np.maximum(np.maximum((e_start[None, :] - e) / day, (s - e_end[None, :]) / day), 0.0)
        r, c = np.nonzero(gap <= window_days)
        rows.append(r + lo)
        cols.append(c)
        gaps.append(gap[r, c])
    if not rows:
        empty = np.array([], dtype="int64")
        return empty, empty, np.array([], dtype=float)
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(gaps)


def link_incidents(
    incidents: pd.DataFrame,
    events: pd.DataFrame,
    window_days: int = 7,
    max_km: float = 25.0,
) -> pd.DataFrame:
    """Candidate matches between curated incidents and export events, one row per pair.

    ``incidents`` has the columns of ``derive.build_incidents`` (incident_id, date_start,
    date_end, region, cercle, locality, latitude, longitude, perpetrator,
    civilians_killed_min/max); ``events`` is ``ExportEvents`` (one or several datasets).
    """
    inc = incidents.reset_index(drop=True)
    ev = events.reset_index(drop=True)
    ii, ee, gap = _candidate_pairs(inc, ev, window_days)
    if len(ii) == 0:
        return _empty()

    def take(frame: pd.DataFrame, pos: np.ndarray, column: str) -> np.ndarray:
        return frame[column].to_numpy()[pos]

    i_lat = inc["latitude"].astype("float64").to_numpy()[ii]
    i_lon = inc["longitude"].astype("float64").to_numpy()[ii]
    e_precise = ev["geo_precision"].isin(PRECISE_GEO).to_numpy()[ee]
    e_lat = np.where(e_precise, ev["latitude"].astype("float64").to_numpy()[ee], np.nan)
    e_lon = np.where(e_precise, ev["longitude"].astype("float64").to_numpy()[ee], np.nan)
    km = haversine_km(i_lat, i_lon, e_lat, e_lon)
    both_coords = ~np.isnan(km)

    i_loc = take(inc.assign(_n=normalise_place(inc["locality"])), ii, "_n")
    e_loc = take(ev.assign(_n=normalise_place(ev["location"])), ee, "_n")
    i_cer = take(inc.assign(_n=normalise_place(inc["cercle"])), ii, "_n")
    e_cer = take(ev.assign(_n=normalise_place(ev["admin2"])), ee, "_n")
    i_reg = take(inc.assign(_n=normalise_place(inc["region"])), ii, "_n")
    e_reg = take(ev.assign(_n=normalise_place(ev["admin1"])), ee, "_n")

    def present(a: np.ndarray) -> np.ndarray:
        return pd.notna(a) & (a != "nan") & (a != "<NA>")

    loc_known = present(i_loc) & present(e_loc)
    cer_known = present(i_cer) & present(e_cer)
    names_known = loc_known | cer_known
    loc_eq = loc_known & (i_loc == e_loc)
    cer_eq = cer_known & (i_cer == e_cer)
    reg_eq = present(i_reg) & present(e_reg) & (i_reg == e_reg)

    basis = np.select(
        [
            both_coords & (km <= max_km),
            both_coords,
            loc_eq,
            cer_eq,
            names_known,
            reg_eq,
        ],
        ["distance", "", "locality", "cercle", "", "region"],
        default="",
    )
    keep = basis != ""
    ii, ee, gap, km, basis = ii[keep], ee[keep], gap[keep], km[keep], basis[keep]

    i_min = inc["civilians_killed_min"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    i_max = inc["civilians_killed_max"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    e_min = ev["civilians_killed_min"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    e_max = ev["civilians_killed_max"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    a_min, a_max, b_min, b_max = i_min[ii], i_max[ii], e_min[ee], e_max[ee]
    missing = np.isnan(a_min) | np.isnan(a_max) | np.isnan(b_min) | np.isnan(b_max)
    agreement = np.select(
        [missing, (a_min <= b_max) & (b_min <= a_max), a_min > b_max],
        ["no_figure", "overlap", "dataset_higher"],
        default="export_higher",
    )

    out = pd.DataFrame(
        {
            "incident_id": take(inc, ii, "incident_id"),
            "dataset": take(ev, ee, "dataset"),
            "event_id": take(ev, ee, "event_id"),
            "match_basis": basis,
            "day_gap": gap.astype("int64"),
            "km": np.round(km, 2),
            "incident_perpetrator": take(inc, ii, "perpetrator"),
            "export_perpetrator": take(ev, ee, "perpetrator"),
            "incident_civilians_killed_min": pd.array(a_min, dtype="Float64").astype("Int64"),
            "incident_civilians_killed_max": pd.array(a_max, dtype="Float64").astype("Int64"),
            "export_civilians_killed_min": pd.array(b_min, dtype="Float64").astype("Int64"),
            "export_civilians_killed_max": pd.array(b_max, dtype="Float64").astype("Int64"),
            "agreement": agreement,
        }
    )
    out["_rank"] = out["match_basis"].map(BASIS_ORDER)
    out = out.sort_values(["incident_id", "_rank", "day_gap", "km", "dataset", "event_id"])
    return out.drop(columns="_rank").reset_index(drop=True)[OUTPUT_COLUMNS]


def _empty() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "incident_id": pd.Series(dtype="str"),
            "dataset": pd.Series(dtype="str"),
            "event_id": pd.Series(dtype="str"),
            "match_basis": pd.Series(dtype="str"),
            "day_gap": pd.Series(dtype="int64"),
            "km": pd.Series(dtype="float64"),
            "incident_perpetrator": pd.Series(dtype="str"),
            "export_perpetrator": pd.Series(dtype="str"),
            "incident_civilians_killed_min": pd.Series(dtype="Int64"),
            "incident_civilians_killed_max": pd.Series(dtype="Int64"),
            "export_civilians_killed_min": pd.Series(dtype="Int64"),
            "export_civilians_killed_max": pd.Series(dtype="Int64"),
            "agreement": pd.Series(dtype="str"),
        }
    )
