"""Synthetic ACLED-format files for benchmarks and tests (invented rows, never real data).

The rows follow the real 31-column layout and the value sets a Mali export holds (actors with
regime periods, event and sub-event types, text interaction codes, notes of realistic length),
so the reader does the same work as on a real export. A small share of rows is deliberately
broken (bad dates, negative fatalities) so the rejection path is measured too.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from analysis.sources.acled import COLUMNS_2023

MALI_FORCES = "Military Forces of Mali (2021-)"
# (actor1, inter1, weight)
ACTORS = [
    (MALI_FORCES, "State forces", 0.34),
    ("Wagner Group", "External/Other forces", 0.07),
    ("Africa Corps", "External/Other forces", 0.02),
    ("Police Forces of Mali (2021-)", "State forces", 0.02),
    ("JNIM: Group for Support of Islam and Muslims", "Rebel group", 0.30),
    ("Islamic State (Sahel)", "Rebel group", 0.10),
    ("Unidentified Armed Group (Mali)", "Political militia", 0.10),
    ("Dozo Communal Militia (Mali)", "Identity militia", 0.05),
]
# (disorder_type, event_type, sub_event_type, weight)
EVENTS = [
    ("Political violence", "Violence against civilians", "Attack", 0.35),
    ("Political violence", "Violence against civilians", "Abduction/forced disappearance", 0.08),
    ("Political violence", "Battles", "Armed clash", 0.30),
    ("Political violence", "Explosions/Remote violence", "Air/drone strike", 0.12),
    ("Political violence", "Explosions/Remote violence", "Remote explosive/landmine/IED", 0.07),
    ("Strategic developments", "Strategic developments", "Looting/property destruction", 0.08),
]
# (admin1, admin2, location, latitude, longitude)
PLACES = [
    ("Mopti", "Djenne", "Sofara", 14.01, -4.24),
    ("Mopti", "Djenne", "Moura", 14.22, -4.41),
    ("Mopti", "Douentza", "Boni", 15.07, -1.93),
    ("Mopti", "Tenenkou", "Dioura", 14.87, -5.25),
    ("Mopti", "Bandiagara", "Bandiagara", 14.35, -3.61),
    ("Segou", "Niono", "Diabaly", 14.69, -6.02),
    ("Segou", "Macina", "Kokry", 13.97, -5.51),
    ("Tombouctou", "Niafunke", "Soumpi", 15.47, -4.43),
    ("Tombouctou", "Goundam", "Goundam", 16.41, -3.67),
    ("Gao", "Ansongo", "Ouatagouna", 15.18, 0.72),
    ("Menaka", "Menaka", "Menaka", 15.92, 2.40),
    ("Kidal", "Kidal", "Kidal", 18.44, 1.41),
]
OTHER_COUNTRIES = [("Burkina Faso", "854", "BFO"), ("Niger", "562", "NIG")]
NOTES = [
    "On {d}, soldiers reportedly entered {p} and killed residents suspected of links with "
    "militants. Local sources said houses were burned and livestock taken. Fatalities are "
    "disputed between sources.",
    "On {d}, a drone strike targeted a gathering near {p}, killing militants and civilians "
    "according to local sources; the army said only fighters were hit.",
    "On {d}, military aircraft struck positions near {p}. Reports of casualties vary.",
    "On {d}, armed men attacked a village near {p} and abducted several people; the number of "
    "victims could not be confirmed.",
    "On {d}, soldiers detained and later executed several men at a checkpoint near {p}, "
    "according to relatives quoted by local media.",
]


def _pick(rng: np.random.Generator, weights: list[float], n: int) -> np.ndarray:
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), size=n, p=p / p.sum())


def _take(values: list, idx: np.ndarray) -> pa.Array:
    return pa.array(values, type=pa.string()).take(pa.array(idx))


def synthetic_acled_table(n_rows: int, seed: int, bad_share: float = 0.001) -> pa.Table:
    """An ACLED-layout table of ``n_rows`` invented Mali (95%) and neighbour (5%) events."""
    rng = np.random.default_rng(seed)
    n = int(n_rows)

    days = rng.integers(0, 1642, size=n)  # 2021-01-01 .. 2025-06-30
    dates = np.datetime64("2021-01-01") + days.astype("timedelta64[D]")
    date_text = pa.array(dates.astype("datetime64[D]").astype(str), type=pa.string())

    actor_i = _pick(rng, [a[2] for a in ACTORS], n)
    event_i = _pick(rng, [e[3] for e in EVENTS], n)
    place_i = rng.integers(0, len(PLACES), size=n)
    state = actor_i <= 3
    vac = np.isin(event_i, [0, 1])
    strike = event_i == 3
    # Only state forces fly aircraft; other actors' strikes become clashes.
    event_i = np.where(strike & ~state, 2, event_i)
    strike = event_i == 3

    wagner_partner = (actor_i == 0) & (rng.random(n) < 0.3)
    assoc1 = np.where(wagner_partner, 1, 0)
    civ_assoc2 = strike & (rng.random(n) < 0.4)

    actor2 = np.where(vac | (event_i == 5), 0, np.where(state, 1, 2))
    actor2_names = ["Civilians (Mali)", "JNIM: Group for Support of Islam and Muslims", MALI_FORCES]
    inter2_names = ["Civilians", "Rebel group", "State forces"]

    other = rng.random(n) < 0.05
    country_i = rng.integers(0, len(OTHER_COUNTRIES), size=n)
    prefix = np.where(other, np.where(country_i == 0, 1, 2), 0)
    ids = pc.binary_join_element_wise(
        _take(["MLI", "BFO", "NIG"], prefix), pa.array((np.arange(n) + 100000).astype(str)), ""
    )

    jitter = rng.normal(0, 0.05, size=(n, 2))
    lat = np.array([p[3] for p in PLACES])[place_i] + jitter[:, 0]
    lon = np.array([p[4] for p in PLACES])[place_i] + jitter[:, 1]
    lat = np.where(other, np.where(country_i == 0, 13.0, 14.2), lat)
    lon = np.where(other, np.where(country_i == 0, -1.5, 1.0), lon)

    note_i = np.where(strike, np.where(rng.random(n) < 0.6, 1, 2), 0)
    note_i = np.where(event_i == 1, 3, note_i)
    note_i = np.where(vac & (rng.random(n) < 0.1), 4, note_i)
    location = _take([p[2] for p in PLACES], place_i)
    notes_parts = [t.split("{p}") for t in (x.replace("{d}", "\x00") for x in NOTES)]
    head = _take([p[0].split("\x00")[0] for p in notes_parts], note_i)
    mid = _take([p[0].split("\x00")[1] for p in notes_parts], note_i)
    tail = _take([p[1] for p in notes_parts], note_i)
    notes = pc.binary_join_element_wise(head, date_text, mid, location, tail, "")

    fatalities = rng.poisson(2.0, size=n) * (rng.random(n) < 0.7)
    bad = rng.random(n) < bad_share
    bad_kind = rng.integers(0, 2, size=n)
    fat_text = pa.array(np.where(bad & (bad_kind == 1), -1, fatalities).astype(str))
    date_col = pc.if_else(pa.array(bad & (bad_kind == 0)), pa.scalar("2024-02-31"), date_text)

    evt = EVENTS
    columns = {
        "event_id_cnty": ids,
        "event_date": date_col,
        "year": pa.array(dates.astype("datetime64[Y]").astype(int) + 1970).cast(pa.string()),
        "time_precision": pa.array(_pick(rng, [0.8, 0.15, 0.05], n) + 1).cast(pa.string()),
        "disorder_type": _take([e[0] for e in evt], event_i),
        "event_type": _take([e[1] for e in evt], event_i),
        "sub_event_type": _take([e[2] for e in evt], event_i),
        "actor1": _take([a[0] for a in ACTORS], actor_i),
        "assoc_actor_1": _take(["", "Wagner Group"], assoc1),
        "inter1": _take([a[1] for a in ACTORS], actor_i),
        "actor2": _take(actor2_names, actor2),
        "assoc_actor_2": _take(["", "Civilians (Mali)"], civ_assoc2.astype(int)),
        "inter2": _take(inter2_names, actor2),
        "interaction": pc.binary_join_element_wise(
            _take([a[1] for a in ACTORS], actor_i), _take(inter2_names, actor2), "-"
        ),
        "civilian_targeting": _take(["", "Civilian targeting"], vac.astype(int)),
        "iso": _take(["466", "854", "562"], prefix),
        "region": pa.array(["Western Africa"] * n, type=pa.string()),
        "country": _take(["Mali", "Burkina Faso", "Niger"], prefix),
        "admin1": _take([p[0] for p in PLACES], place_i),
        "admin2": _take([p[1] for p in PLACES], place_i),
        "admin3": pa.array([""] * n, type=pa.string()),
        "location": location,
        "latitude": pa.array(np.round(lat, 4).astype(str)),
        "longitude": pa.array(np.round(lon, 4).astype(str)),
        "geo_precision": pa.array(_pick(rng, [0.7, 0.25, 0.05], n) + 1).cast(pa.string()),
        "source": _take(
            ["Invented Radio", "Invented Agency; Invented Daily"], rng.integers(0, 2, n)
        ),
        "source_scale": _take(["National", "Local partner-National"], rng.integers(0, 2, n)),
        "notes": notes,
        "fatalities": fat_text,
        "tags": pa.array([""] * n, type=pa.string()),
        "timestamp": pa.array((1700000000 + days * 60).astype(str)),
    }
    return pa.table([columns[c] for c in COLUMNS_2023], names=COLUMNS_2023)


def write_synthetic_acled(path: Path, n_rows: int, seed: int, bad_share: float = 0.001) -> Path:
    """Write ``n_rows`` invented ACLED-format rows (current 31-column layout) to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    table = synthetic_acled_table(n_rows, seed, bad_share)
    pcsv.write_csv(
        table, path, write_options=pcsv.WriteOptions(quoting_style="needed", batch_size=65536)
    )
    return path
