"""Read an ACLED export (CSV from the API or the export tool) into canonical export events.

Layouts accepted (detected from the header, column order is not relied on):

- ``acled-2023+``: the 31 current columns (``disorder_type``, ``civilian_targeting``, ``tags``;
  ``inter1``/``inter2``/``interaction`` as text since 2024, as integer codes before);
- ``acled-2023+-population``: the same plus ``population_1km/2km/5km/best``;
- ``acled-legacy``: pre-March-2023 exports with ``data_id``, ``event_id_no_cnty``, ``iso3`` and
  no ``disorder_type``/``civilian_targeting``/``tags`` (numeric inter codes).

``event_date`` may be ``2025-05-16`` or ``16 May 2025`` (also ``16-May-2025``).

Which rows are kept
-------------------
Only Mali rows (``country == "Mali"`` or ``iso == 466``); other countries are counted in
``provenance["rows_other_country"]``. Every Mali row is checked (date, fatalities, coordinates,
precision codes, event id); a row that breaks a rule goes to ``rejected`` with its CSV line and
the reason. Of the valid Mali rows, an event is kept when both hold:

1. **Perpetrator**: ``actor1`` is in the actor map with a perpetrator role (not ``excluded``)
   and ``actor1`` plus the partners in ``assoc_actor_1`` (``;``-separated) include Malian state
   forces, Wagner or Africa Corps. Partners combine: Military Forces of Mali + Wagner Group =>
   ``malian_forces_wagner``; Malian forces + Dozo militia => ``malian_forces_dozo``; Wagner and
   Africa Corps together (the 2025 handover) => the Africa Corps code. A Dozo militia alone has no
   code in the vocabulary and is counted in ``rows_militia_only``, not kept.
2. **Civilians harmed**: ``event_type`` is "Violence against civilians", or
   ``civilian_targeting`` is set, or civilians are ``actor2`` / ``inter2`` (text "Civilians" or
   code 7), or civilians appear in ``assoc_actor_2``.

Civilian range
--------------
ACLED's ``fatalities`` counts every death in the event, all actors together.

- Civilians are the target (VAC, civilian targeting, civilians as actor2/inter2):
  ``civilians_killed_min = civilians_killed_max = fatalities``.
- Civilians appear only in ``assoc_actor_2`` (typically an air or drone strike on an armed group
  that also killed civilians): ``0 .. fatalities``, since combatants and civilians are mixed.

Operation type (vocab.OPERATION_TYPES)
--------------------------------------
=====================================================  ============================================
ACLED sub_event_type                                   operation_type
=====================================================  ============================================
Air/drone strike, notes mention a drone (drone, UAV,   ``drone_strike``
Bayraktar, TB2, Akinci)
Air/drone strike, otherwise                            ``airstrike``
Attack (VAC), notes mention both an execution and      ``execution_of_detainees``
detention (executed/summarily + detained/arrested/
custody/prisoners)
Attack (VAC), otherwise                                ``ground_raid``
Abduction/forced disappearance, Sexual violence,       ``other``
Armed clash, Shelling/artillery/missile attack,
Remote explosive/landmine/IED, Looting, Arrests, any
other sub-event type
=====================================================  ============================================

Dates and places
----------------
``time_precision`` (1 day, 2 week, 3 month) is kept as ``date_precision_native`` and harmonised
to day/week/month. ``date_start``/``date_end`` is the interval that contains the event: the day
itself; ``event_date`` +/- 3 days for a week (ACLED dates such events mid-week); the calendar
month for a month. ``geo_precision`` (1 town, 2 near a town, 3 larger region) becomes
locality / near_locality / region.

Everything is vectorised (pandas/pyarrow); a million rows read in seconds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analysis.errors import DataError, Problem
from analysis.sources.actors import (
    perpetrator_from_roles,
    role_flags,
    roles_for,
    split_actors,
    unmapped_problems,
)
from analysis.sources.csvio import display_name
from analysis.sources.exports import (
    EARLIEST_EXPORT_DATE,
    ExportResult,
    Rejections,
    empty_rejected,
    finish,
    header_fields,
    outside_mali,
    parse_int,
    provenance,
    read_text_frame,
)
from analysis.vocab import today

COLUMNS_2023 = [
    "event_id_cnty",
    "event_date",
    "year",
    "time_precision",
    "disorder_type",
    "event_type",
    "sub_event_type",
    "actor1",
    "assoc_actor_1",
    "inter1",
    "actor2",
    "assoc_actor_2",
    "inter2",
    "interaction",
    "civilian_targeting",
    "iso",
    "region",
    "country",
    "admin1",
    "admin2",
    "admin3",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "source_scale",
    "notes",
    "fatalities",
    "tags",
    "timestamp",
]
POPULATION_COLUMNS = ["population_1km", "population_2km", "population_5km", "population_best"]
COLUMNS_LEGACY = [
    "data_id",
    "iso",
    "event_id_cnty",
    "event_id_no_cnty",
    "event_date",
    "year",
    "time_precision",
    "event_type",
    "sub_event_type",
    "actor1",
    "assoc_actor_1",
    "inter1",
    "actor2",
    "assoc_actor_2",
    "inter2",
    "interaction",
    "region",
    "country",
    "admin1",
    "admin2",
    "admin3",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "source_scale",
    "notes",
    "fatalities",
    "timestamp",
    "iso3",
]
# The columns this reader uses; the others are never loaded (memory).
USED = [
    "event_id_cnty",
    "event_date",
    "time_precision",
    "event_type",
    "sub_event_type",
    "actor1",
    "assoc_actor_1",
    "actor2",
    "assoc_actor_2",
    "inter2",
    "iso",
    "country",
    "admin1",
    "admin2",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "notes",
    "fatalities",
]
OPTIONAL = ["civilian_targeting"]

MALI_ISO = "466"
VAC = "Violence against civilians"
TIME_PRECISION = {"1": "day", "2": "week", "3": "month"}
GEO_PRECISION = {"1": "locality", "2": "near_locality", "3": "region"}
DRONE = r"\b(?:drones?|UAVs?|Bayraktar|TB2|Akinci|Ak[ıi]nc[ıi])\b"
EXECUTION = r"\b(?:execut\w*|summar\w+ (?:killed|shot))"
DETENTION = r"\b(?:detain\w*|arrest\w*|custody|prisoners?|captured)\b"
DATE_FORMATS = ("%Y-%m-%d", "%d %B %Y", "%d %b %Y", "%d-%B-%Y", "%d-%b-%Y")


def detect_layout(header: list[str], name: str) -> str:
    """The column layout of an ACLED file, or DataError naming what is missing."""
    problems = []
    seen: set[str] = set()
    for h in header:
        if h in seen:
            problems.append(Problem(name, 1, h, h, "column appears more than once in the header"))
        seen.add(h)
    missing = [c for c in USED if c not in seen]
    if missing:
        problems.append(
            Problem(
                name,
                1,
                None,
                ", ".join(missing),
                "not an ACLED export: required columns are missing",
            )
        )
    if problems:
        raise DataError(problems)
    if seen == set(COLUMNS_LEGACY):
        return "acled-legacy"
    if seen == set(COLUMNS_2023):
        return "acled-2023+"
    if seen == set(COLUMNS_2023 + POPULATION_COLUMNS):
        return "acled-2023+-population"
    return "acled-nonstandard"


def parse_dates(text: pd.Series) -> pd.Series:
    """ISO dates and export-tool dates ('16 May 2025'); unparseable -> NaT."""
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[s]")
    todo = text.notna()
    for fmt in DATE_FORMATS:
        if not todo.any():
            break
        parsed = pd.to_datetime(text[todo], format=fmt, errors="coerce")
        out.loc[parsed.index] = out.loc[parsed.index].fillna(parsed.astype("datetime64[s]"))
        todo = todo & out.isna()
    return out


def _mali_rows(table: pa.Table) -> pa.Array:
    """Mali rows: country "Mali" or ISO 3166 numeric 466 (filtered before pandas, in Arrow)."""
    by_name = pc.fill_null(pc.equal(table["country"], "Mali"), False)
    by_iso = pc.fill_null(pc.is_in(table["iso"], pa.array([MALI_ISO, "466.0"])), False)
    return pc.or_(by_name, by_iso)


def read_acled(path: Path, actor_map: pd.DataFrame) -> ExportResult:
    """Read one ACLED export and return the Malian-state civilian-harm events it holds.

    Raises DataError for a file that is not an ACLED export, or when a Mali row names a
    Malian-state / Wagner / Africa Corps actor string missing from ``actor_map``.
    """
    path = Path(path)
    name = display_name(path)
    header = header_fields(path)
    if not header:
        raise DataError([Problem(name, None, None, None, "file is empty")])
    layout = detect_layout(header, name)
    wanted = USED + [c for c in OPTIONAL if c in header]
    raw, rows_read = read_text_frame(
        path,
        header,
        skip_header=True,
        columns=wanted,
        keep_rows=_mali_rows,
        untrimmed=("notes",),
    )
    m = raw
    known = roles_for(actor_map, "acled")

    assoc1 = split_actors(m["assoc_actor_1"], ";").rename("assoc_actor_1")
    assoc2 = split_actors(m["assoc_actor_2"], ";").rename("assoc_actor_2")
    problems = unmapped_problems(
        [m["actor1"].dropna(), assoc1, m["actor2"].dropna(), assoc2], known, name
    )
    if problems:
        raise DataError(problems)

    rej = Rejections(m.index)
    event_id = m["event_id_cnty"]
    rej.add(event_id.isna(), "event_id_cnty is missing")
    dupes = event_id.notna() & event_id.duplicated(keep="first")
    rej.add(dupes, "duplicate event_id_cnty (an earlier row has the same id)")

    date = parse_dates(m["event_date"])
    rej.add(m["event_date"].isna(), "event_date is missing")
    rej.add(
        m["event_date"].notna() & date.isna(),
        "event_date is not a date (expected 2025-05-16 or 16 May 2025): "
        + m["event_date"].fillna(""),
    )
    rej.add(date > today(), "event_date is in the future")
    too_early = date < pd.Timestamp(EARLIEST_EXPORT_DATE)
    rej.add(too_early, f"event_date is before {EARLIEST_EXPORT_DATE}")

    fatalities, whole = parse_int(m["fatalities"])
    rej.add(m["fatalities"].isna(), "fatalities is missing")
    rej.add(m["fatalities"].notna() & ~whole, "fatalities is not a whole number")
    rej.add(fatalities < 0, "fatalities is negative")

    lat = pd.to_numeric(m["latitude"], errors="coerce")
    lon = pd.to_numeric(m["longitude"], errors="coerce")
    rej.add(
        (m["latitude"].notna() & lat.isna()) | (m["longitude"].notna() & lon.isna()),
        "latitude/longitude is not a number",
    )
    rej.add(lat.isna() != lon.isna(), "only one of latitude/longitude is given")
    rej.add(outside_mali(lat, lon), "coordinates are outside Mali")

    time_native = m["time_precision"].str.replace(r"\.0$", "", regex=True)
    geo_native = m["geo_precision"].str.replace(r"\.0$", "", regex=True)
    rej.add(~time_native.isin(list(TIME_PRECISION)), "time_precision is not 1, 2 or 3")
    rej.add(~geo_native.isin(list(GEO_PRECISION)), "geo_precision is not 1, 2 or 3")

    bad = rej.mask.to_numpy()
    rejected = rej.frame("acled", path.name, event_id) if bad.any() else empty_rejected()
    ok = ~bad
    g = m  # rules below run on every Mali row; ``ok`` joins them at the end

    # Perpetrator: actor1 must itself be a mapped perpetrator; assoc_actor_1 adds partners.
    actor1_role = g["actor1"].map(known)
    primary_ok = actor1_role.notna() & actor1_role.ne("excluded")
    flags = role_flags(g["actor1"], assoc1, known)
    perpetrator = perpetrator_from_roles(flags).where(primary_ok.to_numpy(), pd.NA)
    militia_only = primary_ok & perpetrator.isna()

    # Civilians harmed.
    inter2 = g["inter2"].str.replace(r"\.0$", "", regex=True)
    assoc2_civ_lines = assoc2[assoc2.str.startswith("Civilians")].index.unique()
    vac = g["event_type"].eq(VAC).fillna(False)
    if "civilian_targeting" in g:
        civ_target = g["civilian_targeting"].notna()
    else:
        civ_target = pd.Series(False, index=g.index)
    targeted = (
        vac
        | civ_target
        | g["actor2"].str.startswith("Civilians").fillna(False)
        | inter2.isin(["7", "Civilians"])
    )
    assoc_civ = pd.Series(g.index.isin(assoc2_civ_lines), index=g.index)
    harmed = targeted | assoc_civ
    keep = (perpetrator.notna() & harmed).to_numpy(dtype=bool) & ok

    k = g[keep]
    fat = fatalities[keep]
    tgt = targeted[keep]
    d = date[keep]
    tp = time_native[keep]
    gp = geo_native[keep]

    notes = k["notes"].fillna("")
    sub = k["sub_event_type"].fillna("")
    is_strike = sub.eq("Air/drone strike")
    is_attack = sub.eq("Attack") & k["event_type"].eq(VAC).fillna(False)
    drone = notes.str.contains(DRONE, case=False, regex=True)
    execution = notes.str.contains(EXECUTION, case=False, regex=True) & notes.str.contains(
        DETENTION, case=False, regex=True
    )
    operation = np.select(
        [is_strike & drone, is_strike, is_attack & execution, is_attack],
        ["drone_strike", "airstrike", "execution_of_detainees", "ground_raid"],
        default="other",
    )

    precision = tp.map(TIME_PRECISION)
    month_start = d.dt.to_period("M").dt.start_time
    month_end = d.dt.to_period("M").dt.end_time.dt.normalize()
    three = pd.Timedelta(days=3)
    date_start = d.where(precision.ne("week"), d - three).where(precision.ne("month"), month_start)
    date_end = d.where(precision.ne("week"), d + three).where(precision.ne("month"), month_end)

    events = pd.DataFrame(
        {
            "dataset": "acled",
            "event_id": k["event_id_cnty"],
            "date_start": date_start,
            "date_end": date_end,
            "month": month_start,
            "date_precision_native": tp,
            "date_precision": precision,
            "admin1": k["admin1"],
            "admin2": k["admin2"],
            "location": k["location"],
            "latitude": lat[keep],
            "longitude": lon[keep],
            "geo_precision_native": gp,
            "geo_precision": gp.map(GEO_PRECISION),
            "actor1_raw": k["actor1"],
            "perpetrator": perpetrator[keep],
            "operation_type": operation,
            "civilians_killed_min": fat.where(tgt, 0),
            "civilians_killed_max": fat,
            "fatalities_best": fat,
        },
        index=k.index,
    )
    events = finish(events)
    counts = {
        "rows_read": rows_read,
        "rows_other_country": rows_read - len(m),
        "rows_kept": len(events),
        "rows_rejected": len(rejected),
        "rows_out_of_scope": int(ok.sum() - keep.sum()),
        "rows_militia_only": int((militia_only & harmed & ok).sum()),
    }
    return ExportResult(events, rejected, provenance("acled", path, layout, counts))
