"""Read a UCDP Georeferenced Event Dataset (GED) CSV into canonical export events.

Layouts: the yearly release and monthly candidate files with a header; candidate files without
a header; UCDP's website export (``best_est``/``high_est``/``low_est``, a trailing comma on every
line). The 49 GED columns are matched by name (case-insensitive). Monthly "candidate" files
published without a header row are detected (the first record is not the header but has 49
fields) and given the header; their line numbers then start at 1. ``date_start``/``date_end``
may carry a time part (``2022-03-27 00:00:00.000``); only a midnight time is accepted.

Which rows are kept
-------------------
Mali rows only (``country_id == 432``, Gleditsch-Ward); others are counted. Every Mali row is
checked; broken rows go to ``rejected`` with the reason, including UCDP's own identities
``low <= best <= high`` and ``deaths_a + deaths_b + deaths_civilians + deaths_unknown == best``.
``side_a`` is split on ", " (UCDP joins allied actors, e.g. "Government of Mali, Government of
Russia (Soviet Union)") and each whole part is classified by the actor rules and exact map
(``analysis.sources.actors``): "Former Government of Mali" is never the state, and Russia's
government beside Mali's is the state with Russian forces (Wagner before the June 2025
handover, Africa Corps from it). Names no rule classifies (``XXX432`` placeholders,
"Unidentified Military Forces (Mali)") are listed in ``unclassified``, never a stop. A valid
event is kept when side_a contains Malian government forces, Wagner or Africa Corps and either

- ``type_of_violence == 3`` (one-sided violence: the victims are civilians by definition), or
- ``type_of_violence`` is 1 or 2 and ``deaths_civilians > 0``.

Civilian range (the rule)
-------------------------
- One-sided violence (type 3): ``min = min(low, deaths_civilians)``, ``max = high``. UCDP's
  low/high bound the event's deaths, which are civilians; taking the smaller of low and the
  civilian count keeps the rare perpetrator deaths (``deaths_a``) out of the minimum.
- State-based or non-state (types 1/2): ``min = 0``, ``max = deaths_civilians +
  deaths_unknown + (high - best)``. The GED records civilians killed in a battle without saying
  which side killed them, so attribution to side_a is only an upper bound; deaths of unknown
  status and the high estimate's surplus may be civilians too.
- ``fatalities_best = best``.

Precision
---------
``date_prec`` (1 day, 2 two-six days, 3 week, 4 month, 5 year) -> day, week, week, month, year.
``where_prec`` (1 exact place, 2 near it, 3 ADM2, 4 ADM1, 5 larger area, 6 country, 7 water or
air) -> locality, near_locality, region, region, region, country, unknown. The native codes are
kept: UCDP and ACLED scales differ and are never equated.

Operation type: the GED has no event type. ``drone_strike`` when the headline or where
description mentions a drone, ``airstrike`` for an air strike/bombing, else ``other``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis.errors import DataError, Problem
from analysis.sources.actors import (
    PERPETRATOR_ROLES,
    Actors,
    as_actors,
    perpetrator_from_roles,
    role_flags,
    split_actors,
    unclassified_actors,
)
from analysis.sources.checks import CHECKS, IN_FUTURE, in_future
from analysis.sources.csvio import display_name
from analysis.sources.exports import (
    EARLIEST_EXPORT_DATE,
    ExportResult,
    Rejections,
    empty_rejected,
    finish,
    header_fields,
    normalise_names,
    parse_int,
    provenance,
    read_text_frame,
)

GED_COLUMNS = [
    "id",
    "relid",
    "year",
    "active_year",
    "code_status",
    "type_of_violence",
    "conflict_dset_id",
    "conflict_new_id",
    "conflict_name",
    "dyad_dset_id",
    "dyad_new_id",
    "dyad_name",
    "side_a_dset_id",
    "side_a_new_id",
    "side_a",
    "side_b_dset_id",
    "side_b_new_id",
    "side_b",
    "number_of_sources",
    "source_article",
    "source_office",
    "source_date",
    "source_headline",
    "source_original",
    "where_prec",
    "where_coordinates",
    "where_description",
    "adm_1",
    "adm_2",
    "latitude",
    "longitude",
    "geom_wkt",
    "priogrid_gid",
    "country",
    "country_id",
    "region",
    "event_clarity",
    "date_prec",
    "date_start",
    "date_end",
    "deaths_a",
    "deaths_b",
    "deaths_civilians",
    "deaths_unknown",
    "best",
    "high",
    "low",
    "gwnoa",
    "gwnob",
]
USED = [
    "id",
    "type_of_violence",
    "side_a",
    "side_b",
    "source_headline",
    "where_prec",
    "where_coordinates",
    "where_description",
    "adm_1",
    "adm_2",
    "latitude",
    "longitude",
    "country",
    "country_id",
    "date_prec",
    "date_start",
    "date_end",
    "deaths_a",
    "deaths_b",
    "deaths_civilians",
    "deaths_unknown",
    "best",
    "high",
    "low",
]
COUNTS = ["deaths_a", "deaths_b", "deaths_civilians", "deaths_unknown", "best", "high", "low"]
MALI_GW = "432"
# UCDP's website export names the estimates best_est/high_est/low_est.
ALIASES = {"best_est": "best", "high_est": "high", "low_est": "low"}
LAYOUTS = {
    "ucdp-ged": "UCDP GED CSV with a header (yearly release or monthly candidate)",
    "ucdp-ged-candidate-no-header": "UCDP GED monthly candidate CSV without a header row",
    "ucdp-website-export": "UCDP website export (best_est/high_est/low_est, trailing comma)",
    "ucdp-ged-variant": "UCDP GED columns exported through another tool (estimates as "
    "best_est/high_est/low_est, no gwnoa/gwnob)",
}
DATE_PRECISION = {"1": "day", "2": "week", "3": "week", "4": "month", "5": "year"}
GEO_PRECISION = {
    "1": "locality",
    "2": "near_locality",
    "3": "region",
    "4": "region",
    "5": "region",
    "6": "country",
    "7": "unknown",
}
DRONE = r"\b(?:drones?|UAVs?)\b"
AIR = r"\b(?:air ?strikes?|air raids?|bomb(?:ed|ing|ardment)|aircraft|helicopters?)\b"
MIDNIGHT = r"^(?:\d{4}-\d{2}-\d{2})(?:[ T]00:00(?::00(?:\.0+)?)?)?$"
# US-style dates as some tools write them: 05/26/2016, optionally with a midnight time.
US_MIDNIGHT = r"^\d{2}/\d{2}/\d{4}(?: 00:00(?::00(?:\.0+)?)?)?$"


def _has_header(first: list[str], name: str) -> bool:
    """True for a GED header, False for a header-less candidate file; else DataError."""
    first = normalise_names(first, ALIASES)
    if "id" in first and "side_a" in first:
        # Columns are found by name: a file exported through another tool may drop the ones
        # the reader does not use (gwnoa, gwnob, ...) or order them differently.
        missing = [c for c in USED if c not in first]
        if missing:
            raise DataError(
                [
                    Problem(
                        name,
                        1,
                        None,
                        ", ".join(missing),
                        "not a UCDP GED file: required columns are missing",
                    )
                ]
            )
        return True
    if len(first) == len(GED_COLUMNS) and first[0].isdigit():
        return False
    raise DataError(
        [
            Problem(
                name,
                1,
                None,
                f"{len(first)} fields",
                f"not a UCDP GED file: no header and not {len(GED_COLUMNS)} fields",
            )
        ]
    )


def _dates(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(dates, ok): a date with an optional midnight time part."""
    shaped = text.str.fullmatch(MIDNIGHT).fillna(False).astype(bool)
    us = text.str.fullmatch(US_MIDNIGHT).fillna(False).astype(bool)
    day = text.str.slice(0, 10)
    parsed = pd.to_datetime(day.where(shaped), format="%Y-%m-%d", errors="coerce")
    parsed_us = pd.to_datetime(day.where(us), format="%m/%d/%Y", errors="coerce")
    parsed = parsed.fillna(parsed_us)
    return parsed.astype("datetime64[s]"), parsed.notna()


def looks_like_ged(first: list[str]) -> bool:
    """True for a GED header (any known spelling) or a header-less 49-field GED record."""
    try:
        _has_header(first, "")
    except DataError:
        return False
    return True


def _ucdp_notes(rows: pd.DataFrame) -> pd.Series:
    """UCDP's own words for an event: its source headline and place description."""
    parts = rows[["source_headline", "where_description"]].apply(
        lambda c: c.str.replace(r"\s+", " ", regex=True).str.strip()
    )
    joined = parts["source_headline"].fillna("")
    where = parts["where_description"].fillna("")
    joined = joined.where(where.eq(""), joined + " (" + where + ")").str.strip()
    return joined.replace("", pd.NA)


def read_ucdp(
    path: Path, actors: Actors | pd.DataFrame, *, origin: Path | None = None
) -> ExportResult:
    """Read one UCDP GED CSV and return the Malian-state civilian-harm events it holds.

    ``origin`` is the file the user dropped when ``path`` is a CSV made from it (.xlsx).
    """
    path = Path(path)
    origin = Path(origin) if origin is not None else path
    name = display_name(origin)
    first = header_fields(path)
    if not first:
        raise DataError([Problem(name, None, None, None, "file is empty")])
    has_header = _has_header(first, name)
    names = normalise_names(first, ALIASES) if has_header else GED_COLUMNS
    raw, rows_read = read_text_frame(path, names, skip_header=has_header, columns=USED)
    if not has_header:
        layout = "ucdp-ged-candidate-no-header"
    elif "best_est" in [f.strip().lower() for f in first]:
        named = set(names)
        layout = "ucdp-website-export" if {"gwnoa", "gwnob"} <= named else "ucdp-ged-variant"
    else:
        layout = "ucdp-ged"
    if origin.suffix.lower() == ".xlsx":
        layout += "+xlsx"

    country_id = raw["country_id"].str.replace(r"\.0$", "", regex=True)
    mali = country_id.eq(MALI_GW).fillna(False).to_numpy(dtype=bool)
    m = raw[mali]
    del raw
    side_a = split_actors(m["side_a"], ",").rename("side_a")
    side_b = split_actors(m["side_b"], ",").rename("side_b")
    uniques = [side_a.drop_duplicates(), side_b.drop_duplicates()]
    known = as_actors(actors).classify(pd.concat(uniques, ignore_index=True), "ucdp")

    rej = Rejections(m.index)
    event_id = m["id"]
    rej.add(event_id.isna(), "id is missing")
    rej.add(event_id.notna() & event_id.duplicated(keep="first"), "duplicate id")

    start, start_ok = _dates(m["date_start"])
    end, end_ok = _dates(m["date_end"])
    rej.add(
        ~start_ok, "date_start is not a date (YYYY-MM-DD or MM/DD/YYYY, optional midnight time)"
    )
    rej.add(~end_ok, "date_end is not a date (YYYY-MM-DD or MM/DD/YYYY, optional midnight time)")
    us_dates = bool(m["date_start"].str.fullmatch(US_MIDNIGHT).fillna(False).any())
    rej.broke(CHECKS["date_order"], date_start=start, date_end=end)
    rej.add(in_future(end), f"date_end {IN_FUTURE}")
    too_early = start < pd.Timestamp(EARLIEST_EXPORT_DATE)
    rej.add(too_early, f"date_start is before {EARLIEST_EXPORT_DATE}")

    counts: dict[str, pd.Series] = {}
    for column in COUNTS:
        values, whole = parse_int(m[column])
        counts[column] = values
        rej.add(~whole, f"{column} is missing or not a whole number")
        rej.add(values < 0, f"{column} is negative")
    low, best, high = counts["low"], counts["best"], counts["high"]
    rej.add(~((low <= best) & (best <= high)).fillna(True), "low <= best <= high is broken")
    parts = counts["deaths_a"] + counts["deaths_b"] + counts["deaths_civilians"]
    parts = parts + counts["deaths_unknown"]
    rej.add(
        (parts != best).fillna(False),
        "deaths_a + deaths_b + deaths_civilians + deaths_unknown != best",
    )

    lat = pd.to_numeric(m["latitude"], errors="coerce")
    lon = pd.to_numeric(m["longitude"], errors="coerce")
    rej.add(
        (m["latitude"].notna() & lat.isna()) | (m["longitude"].notna() & lon.isna()),
        "latitude/longitude is not a number",
    )
    rej.broke(CHECKS["inside_mali"], latitude=lat, longitude=lon)

    date_native = m["date_prec"].str.replace(r"\.0$", "", regex=True)
    where_native = m["where_prec"].str.replace(r"\.0$", "", regex=True)
    violence = m["type_of_violence"].str.replace(r"\.0$", "", regex=True)
    rej.add(~date_native.isin(list(DATE_PRECISION)), "date_prec is not 1 to 5")
    rej.add(~where_native.isin(list(GEO_PRECISION)), "where_prec is not 1 to 7")
    rej.add(~violence.isin(["1", "2", "3"]), "type_of_violence is not 1, 2 or 3")

    bad = rej.mask.to_numpy()
    rejected = rej.frame("ucdp", origin.name, event_id) if bad.any() else empty_rejected()
    ok = ~bad
    g = m[ok]
    g_side_a = side_a[side_a.index.isin(g.index)]

    # Primary = first-named side_a actor; the others are its partners (as ACLED's assoc_actor_1).
    primary = g_side_a[~g_side_a.index.duplicated(keep="first")].reindex(g.index)
    partners = g_side_a[g_side_a.index.duplicated(keep="first")]
    primary_ok = primary.map(known).isin(PERPETRATOR_ROLES)
    perpetrator = perpetrator_from_roles(role_flags(primary, partners, known, start[ok]))
    perpetrator = perpetrator.where(primary_ok.to_numpy(), pd.NA)

    civ = counts["deaths_civilians"][ok]
    v = violence[ok]
    one_sided = v.eq("3")
    harmed = one_sided | (v.isin(["1", "2"]) & (civ > 0).fillna(False))
    keep = (perpetrator.notna() & harmed).to_numpy(dtype=bool)

    k = g[keep]
    kc = {c: s[ok][keep] for c, s in counts.items()}
    os_k = one_sided[keep]
    civ_min = np.minimum(kc["low"], kc["deaths_civilians"]).where(os_k, 0)
    civ_max = kc["high"].where(
        os_k, kc["deaths_civilians"] + kc["deaths_unknown"] + (kc["high"] - kc["best"])
    )
    text = (k["source_headline"].fillna("") + " " + k["where_description"].fillna("")).str
    operation = np.select(
        [text.contains(DRONE, case=False, regex=True), text.contains(AIR, case=False, regex=True)],
        ["drone_strike", "airstrike"],
        default="other",
    )
    s_k, e_k = start[ok][keep], end[ok][keep]
    events = pd.DataFrame(
        {
            "dataset": "ucdp",
            "event_id": k["id"],
            "date_start": s_k,
            "date_end": e_k,
            "month": s_k.dt.to_period("M").dt.start_time,
            "date_precision_native": date_native[ok][keep],
            "date_precision": date_native[ok][keep].map(DATE_PRECISION),
            "admin1": k["adm_1"],
            "admin2": k["adm_2"],
            "notes": _ucdp_notes(k),
            "location": k["where_coordinates"],
            "latitude": lat[ok][keep],
            "longitude": lon[ok][keep],
            "geo_precision_native": where_native[ok][keep],
            "geo_precision": where_native[ok][keep].map(GEO_PRECISION),
            "actor1_raw": k["side_a"],
            "perpetrator": perpetrator[keep],
            "operation_type": operation,
            "civilians_killed_min": civ_min,
            "civilians_killed_max": civ_max,
            "fatalities_best": kc["best"],
        },
        index=k.index,
    )
    events = finish(events, origin.name)
    unclassified = unclassified_actors(
        [side_a, side_b],
        known,
        counts["best"].where(pd.Series(ok, index=m.index)),
        "ucdp",
        origin.name,
    )
    result_counts = {
        "rows_read": rows_read,
        "rows_other_country": int((~mali).sum()),
        "rows_kept": len(events),
        "rows_rejected": len(rejected),
        "rows_out_of_scope": int(ok.sum() - keep.sum()),
    }
    result = ExportResult(events, rejected, provenance("ucdp", origin, layout, result_counts))
    result.unclassified = unclassified
    base = layout.replace("+xlsx", "")
    result.provenance["layout_label"] = (
        LAYOUTS[base]
        + (", US-style dates (MM/DD/YYYY hh:mm:ss)" if us_dates else "")
        + (", read from an .xlsx workbook" if layout != base else "")
    )
    return result
