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
    PERPETRATOR_ROLES,
    Actors,
    as_actors,
    perpetrator_from_roles,
    role_flags,
    split_actors,
    unclassified_actors,
)
from analysis.sources.checks import CHECKS, IN_FUTURE, in_future
from analysis.sources.csvio import display_name, duplicated_columns
from analysis.sources.exports import (
    EARLIEST_EXPORT_DATE,
    ExportResult,
    Rejections,
    empty_rejected,
    finish,
    header_records,
    is_hxl_row,
    normalise_names,
    parse_int,
    provenance,
    read_text_frame,
)

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
COLUMNS_PRE2019 = [c for c in COLUMNS_LEGACY if c != "sub_event_type"]
# The columns this reader uses; the others are never loaded (memory).
USED = [
    "event_id_cnty",
    "event_date",
    "time_precision",
    "event_type",
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
OPTIONAL = ["sub_event_type", "civilian_targeting", "timestamp", "admin3"]
# Very old exports (ACLED versions 5-8) call the associated actors "ally" actors.
ALIASES = {"ally_actor_1": "assoc_actor_1", "ally_actor_2": "assoc_actor_2"}

LAYOUTS = {
    "acled-2023+": "ACLED API / export tool since March 2023 (31 columns)",
    "acled-2023+-population": "ACLED API / export tool with population columns (35 columns)",
    "acled-2019-2023": "ACLED export 2019 to March 2023 (31 columns: data_id, iso3, numeric codes)",
    "acled-pre2019": "ACLED export before 2019 (30 columns, no sub_event_type, old event types)",
    "acled-nonstandard": "ACLED export with another column set (the columns used are present)",
}

MALI_ISO = "466"
VAC = "Violence against civilians"
# Pre-2019 exports have one "Remote violence" type for air strikes, shelling and explosives.
REMOTE = ("Remote violence", "Explosions/Remote violence")
TIME_PRECISION = {"1": "day", "2": "week", "3": "month"}
GEO_PRECISION = {"1": "locality", "2": "near_locality", "3": "region"}
DRONE = r"\b(?:drones?|UAVs?|Bayraktar|TB2|Akinci|Ak[ıi]nc[ıi])\b"
AIR = r"\b(?:air ?strikes?|air raids?|aircraft|airplanes?|helicopters?|bomb(?:ed|ing|ardment)s?)\b"
EXECUTION = r"\b(?:execut\w*|summar\w+ (?:killed|shot))"
DETENTION = r"\b(?:detain\w*|arrest\w*|custody|prisoners?|captured)\b"
DATE_FORMATS = ("%Y-%m-%d", "%d %B %Y", "%d %b %Y", "%d-%B-%Y", "%d-%b-%Y")


def detect_layout(header: list[str], name: str) -> str:
    """The column layout of an ACLED file (names already normalised), or DataError."""
    problems = duplicated_columns(header, name)
    seen = set(header)
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
    for layout, columns in (
        ("acled-2019-2023", COLUMNS_LEGACY),
        ("acled-pre2019", COLUMNS_PRE2019),
        ("acled-2023+", COLUMNS_2023),
        ("acled-2023+-population", COLUMNS_2023 + POPULATION_COLUMNS),
    ):
        if seen == set(columns):
            return layout
    return "acled-nonstandard"


def looks_like_events(header: list[str]) -> bool:
    """True when a header (normalised) has the columns this reader needs."""
    return set(USED) <= set(header)


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


def read_acled(
    path: Path, actors: Actors | pd.DataFrame, *, origin: Path | None = None
) -> ExportResult:
    """Read one ACLED export and return the Malian-state civilian-harm events it holds.

    ``actors`` is the reviewed actor table (``Actors``; an exact-string map alone gets the
    committed rules). ``origin`` is the file the user dropped when ``path`` is a CSV made from
    it (an .xlsx sheet): names, provenance and the layout label come from ``origin``.
    Raises DataError for a file that is not an ACLED export. Actor strings that no rule
    classifies do not stop the build: they are listed in ``unclassified``.
    """
    path = Path(path)
    origin = Path(origin) if origin is not None else path
    name = display_name(origin)
    records = header_records(path, 2)
    if not records or not any(records[0]):
        raise DataError([Problem(name, None, None, None, "file is empty")])
    header = normalise_names(records[0], ALIASES)
    layout = detect_layout(header, name)
    hxl = len(records) > 1 and is_hxl_row(records[1])
    if hxl:
        layout += "+hxl"
    if origin.suffix.lower() == ".xlsx":
        layout += "+xlsx"
    wanted = USED + [c for c in OPTIONAL if c in header]
    raw, rows_read = read_text_frame(
        path,
        header,
        skip_header=2 if hxl else 1,
        columns=wanted,
        keep_rows=_mali_rows,
        untrimmed=("notes",),
    )
    m = raw
    for column in OPTIONAL:
        if column not in m:
            m[column] = pd.Series(pd.NA, index=m.index, dtype="object")

    assoc1 = split_actors(m["assoc_actor_1"], ";").rename("assoc_actor_1")
    assoc2 = split_actors(m["assoc_actor_2"], ";").rename("assoc_actor_2")
    actor_columns = [m["actor1"].dropna(), assoc1, m["actor2"].dropna(), assoc2]
    actors = as_actors(actors)
    # Unique strings per column first: a million rows hold a few thousand actor names.
    uniques = [c.drop_duplicates() for c in actor_columns]
    known = actors.classify(pd.concat(uniques, ignore_index=True), "acled")

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
    rej.add(in_future(date), f"event_date {IN_FUTURE}")
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
    rej.broke(CHECKS["inside_mali"], latitude=lat, longitude=lon)

    time_native = m["time_precision"].str.replace(r"\.0$", "", regex=True)
    geo_native = m["geo_precision"].str.replace(r"\.0$", "", regex=True)
    rej.add(~time_native.isin(list(TIME_PRECISION)), "time_precision is not 1, 2 or 3")
    rej.add(~geo_native.isin(list(GEO_PRECISION)), "geo_precision is not 1, 2 or 3")

    bad = rej.mask.to_numpy()
    rejected = rej.frame("acled", origin.name, event_id) if bad.any() else empty_rejected()
    ok = ~bad
    g = m  # rules below run on every Mali row; ``ok`` joins them at the end

    # Perpetrator: actor1 must itself be a perpetrator role; assoc_actor_1 adds partners.
    actor1_role = g["actor1"].map(known)
    primary_ok = actor1_role.isin(PERPETRATOR_ROLES)
    flags = role_flags(g["actor1"], assoc1, known, date)
    perpetrator = perpetrator_from_roles(flags).where(primary_ok.to_numpy(), pd.NA)
    militia_only = primary_ok & perpetrator.isna()
    # Led by another state's forces with the Malian army associated: not a Malian operation
    # in this record, but named and counted so that nothing of the kind drops in silence.
    foreign_led = actor1_role.eq("foreign_forces").fillna(False) & flags["malian_forces"]

    # Civilians harmed. Targeted (the whole toll is civilian): violence against civilians, or
    # ACLED's civilian_targeting flag. Present but not the target (strikes, remote violence,
    # clashes naming civilians as actor2 / inter2 7 / assoc_actor_2): 0 .. fatalities.
    inter2 = g["inter2"].str.replace(r"\.0$", "", regex=True)
    assoc2_civ_lines = assoc2[assoc2.str.startswith("Civilians")].index.unique()
    vac = g["event_type"].eq(VAC).fillna(False)
    civ_target = g["civilian_targeting"].notna()
    targeted = vac | civ_target
    mentioned = (
        g["actor2"].str.startswith("Civilians").fillna(False)
        | inter2.isin(["7", "Civilians"])
        | pd.Series(g.index.isin(assoc2_civ_lines), index=g.index)
    )
    harmed = targeted | mentioned
    keep = (perpetrator.notna() & harmed).to_numpy(dtype=bool) & ok

    k = g[keep]
    # ``timestamp`` (Unix seconds) is ACLED's last edit of the event: the latest one wins
    # when several downloads hold the same event. A missing or odd value is not a rejection.
    stamp, _ = parse_int(k["timestamp"])
    updated = pd.to_datetime(stamp.astype("Float64"), unit="s", errors="coerce")
    updated = updated.astype("datetime64[s]")
    fat = fatalities[keep]
    tgt = targeted[keep]
    d = date[keep]
    tp = time_native[keep]
    gp = geo_native[keep]

    notes = k["notes"].fillna("")
    sub = k["sub_event_type"].fillna("")
    no_sub = k["sub_event_type"].isna()
    k_vac = k["event_type"].eq(VAC).fillna(False)
    drone = notes.str.contains(DRONE, case=False, regex=True)
    air = notes.str.contains(AIR, case=False, regex=True)
    # Pre-2019 files: "Remote violence" is a strike when the notes say so (else shelling, IED).
    is_strike = sub.eq("Air/drone strike") | (no_sub & k["event_type"].isin(REMOTE) & (drone | air))
    is_attack = k_vac & (sub.eq("Attack") | no_sub)
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
            "admin3": k["admin3"],
            "notes": k["notes"],
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
            "updated": updated,
        },
        index=k.index,
    )
    events = finish(events, origin.name)
    unclassified = unclassified_actors(
        actor_columns, known, fatalities, "acled", origin.name, valid=ok
    )
    review = g["actor1"].map(known).eq("review").fillna(False)
    counts = {
        "rows_read": rows_read,
        "rows_other_country": rows_read - len(m),
        "rows_kept": len(events),
        "rows_rejected": len(rejected),
        "rows_out_of_scope": int(ok.sum() - keep.sum()),
        "rows_militia_only": int((militia_only & harmed & ok).sum()),
        "rows_unclassified_actor1": int((review & harmed & ok).sum()),
        "rows_foreign_led": int((foreign_led & harmed & ok).sum()),
    }
    result = ExportResult(events, rejected, provenance("acled", origin, layout, counts))
    result.unclassified = unclassified
    result.provenance["layout_label"] = layout_label(layout)
    listed = (foreign_led & harmed).to_numpy(dtype=bool) & ok
    result.provenance["foreign_led"] = [
        {
            "event_id": str(row.event_id_cnty),
            "date": str(day.date()),
            "actor1": str(row.actor1),
            "assoc_actor_1": "" if pd.isna(row.assoc_actor_1) else str(row.assoc_actor_1),
            "fatalities": int(n),
        }
        for row, day, n in zip(
            g[listed].itertuples(index=False), date[listed], fatalities[listed], strict=True
        )
    ]
    return result


def layout_label(layout: str) -> str:
    """A sentence for the validation report: which layout a file was read as."""
    base = layout.replace("+hxl", "").replace("+xlsx", "")
    label = LAYOUTS.get(base, base)
    if "+hxl" in layout:
        label += ", HDX file with an HXL hashtag row"
    if "+xlsx" in layout:
        label += ", read from an .xlsx workbook"
    return label
