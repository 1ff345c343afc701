"""Read ACLED aggregated data: events and fatalities per week or month, by country or region.

ACLED's lower access tiers and HDX publish counts instead of events: weekly files by first-level
region and event type (``WEEK, REGION, COUNTRY, ADMIN1, EVENT_TYPE, SUB_EVENT_TYPE, EVENTS,
FATALITIES, ...``) and HDX's monthly workbooks by second-level region (sheet ``Data``:
``Country, Admin1, Admin2, ISO3, Admin2 Pcode, Admin1 Pcode, Month, Year, Events,
Fatalities``), as CSV or .xlsx. Column names are matched case-insensitively.

Aggregates name no actor, so they can never say who killed whom: they are kept apart from the
event table (``aggregates``) and shown as context, each row labelled with its ``scope``:

- the file has event types: ``violence_against_civilians`` (Violence against civilians, by any
  perpetrator), ``political_violence`` (Battles, Explosions/Remote violence),
  ``demonstrations`` (Protests, Riots), ``strategic_developments``;
- it has none: the scope the file states, from ``<file>.meta.json`` (``"scope":
  "political_violence"``) or from its name (HDX names its files ``..._political_violence_...``,
  ``..._civilian_targeting_...``, ``..._demonstration_...``); otherwise ``not_stated``.

Only Mali rows are kept (``country`` Mali or ``iso3`` MLI). A row whose period or counts cannot
be read is quarantined in ``rejected`` with its line and the reason.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from analysis.errors import DataError, Problem
from analysis.sources.csvio import display_name
from analysis.sources.exports import (
    ExportResult,
    Rejections,
    empty_rejected,
    header_records,
    normalise_names,
    parse_int,
    provenance,
    read_text_frame,
)

AGGREGATE_COLUMNS = [
    "dataset",
    "source_file",
    "period",
    "period_start",
    "month",
    "country",
    "admin1",
    "admin2",
    "event_type",
    "scope",
    "events",
    "fatalities",
]
SCOPES = {
    "political_violence": "All political violence (every actor)",
    "violence_against_civilians": "Violence against civilians (every perpetrator)",
    "demonstrations": "Demonstrations",
    "strategic_developments": "Strategic developments",
    "not_stated": "ACLED events of the types the file covers (the file does not say which)",
}
EVENT_TYPE_SCOPE = {
    "Violence against civilians": "violence_against_civilians",
    "Battles": "political_violence",
    "Explosions/Remote violence": "political_violence",
    "Remote violence": "political_violence",
    "Protests": "demonstrations",
    "Riots": "demonstrations",
    "Riots/Protests": "demonstrations",
    "Strategic developments": "strategic_developments",
}
NAME_SCOPE = (
    ("civilian", "violence_against_civilians"),
    ("political_violence", "political_violence"),
    ("political-violence", "political_violence"),
    ("demonstration", "demonstrations"),
)
MONTHS = {
    m.lower(): i
    for i, m in enumerate(
        [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ],
        start=1,
    )
}
MONTHS.update({k[:3]: v for k, v in list(MONTHS.items())})


def looks_like_aggregates(header: list[str]) -> bool:
    """True for a header (normalised) of counts per period: no actor columns."""
    cols = set(header)
    has_period = "week" in cols or {"month", "year"} <= cols
    return has_period and {"events", "fatalities", "country"} <= cols and "actor1" not in cols


def _file_scope(origin: Path) -> str:
    meta = origin.with_name(origin.name + ".meta.json")
    if meta.exists():
        try:
            scope = json.loads(meta.read_text(encoding="utf-8")).get("scope")
        except (json.JSONDecodeError, UnicodeDecodeError):
            scope = None  # provenance() reports a broken meta file
        if scope in SCOPES:
            return scope
    lowered = origin.name.lower()
    for needle, scope in NAME_SCOPE:
        if needle in lowered:
            return scope
    return "not_stated"


def _parse_day(text: pd.Series) -> pd.Series:
    out = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    for fmt in ("%d %B %Y", "%d %b %Y", "%d/%m/%Y"):
        todo = out.isna() & text.notna()
        if not todo.any():
            break
        out = out.fillna(pd.to_datetime(text.where(todo), format=fmt, errors="coerce"))
    return out.astype("datetime64[s]")


def read_aggregates(path: Path, *, origin: Path | None = None) -> ExportResult:
    """Read one ACLED aggregated file (CSV, or a CSV made from an .xlsx sheet).

    The result's ``events`` holds the aggregate rows (AGGREGATE_COLUMNS), not events.
    """
    path = Path(path)
    origin = Path(origin) if origin is not None else path
    name = display_name(origin)
    records = header_records(path, 1)
    if not records:
        raise DataError([Problem(name, None, None, None, "file is empty")])
    header = normalise_names(records[0])
    if not looks_like_aggregates(header):
        raise DataError(
            [Problem(name, 1, None, None, "not ACLED aggregated data: no period/events columns")]
        )
    raw, rows_read = read_text_frame(path, header, skip_header=1)
    raw = raw[raw.notna().any(axis=1)]  # blank spreadsheet rows
    country = raw["country"].str.strip()
    mali = country.eq("Mali").fillna(False)
    if "iso3" in raw:
        mali |= raw["iso3"].eq("MLI").fillna(False)
    m = raw[mali.to_numpy(dtype=bool)]

    rej = Rejections(m.index)
    if "week" in m:
        period = "week"
        start = _parse_day(m["week"])
        rej.add(start.isna(), "week is not a date")
    else:
        period = "month"
        month_text = m["month"].str.strip().str.lower()
        month_no = month_text.map(MONTHS)
        numeric, _ = parse_int(month_text)
        month_no = month_no.fillna(numeric.astype("Float64"))
        year, _ = parse_int(m["year"])
        ok_month = month_no.between(1, 12) & year.between(1989, 2100)
        rej.add(~ok_month.fillna(False), "month/year is not a month name or number and a year")
        stamp = year.astype("Float64") * 100 + month_no
        start = pd.to_datetime(
            stamp.where(ok_month.fillna(False)).astype("Int64").astype("str"),
            format="%Y%m",
            errors="coerce",
        ).astype("datetime64[s]")
    counts = {}
    for column in ("events", "fatalities"):
        values, whole = parse_int(m[column])
        counts[column] = values
        rej.add(~whole | (values < 0).fillna(False), f"{column} is not a whole number >= 0")

    bad = rej.mask.to_numpy()
    ids = pd.Series(m.index.astype("str"), index=m.index)
    rejected = rej.frame("acled", origin.name, ids) if bad.any() else empty_rejected()
    ok = ~bad
    k = m[ok]
    if "event_type" in k:
        event_type = k["event_type"]
        scope = event_type.map(EVENT_TYPE_SCOPE).fillna("not_stated")
    else:
        event_type = pd.Series(pd.NA, index=k.index, dtype="object")
        scope = pd.Series(_file_scope(origin), index=k.index)
    start_k = start[ok]
    frame = pd.DataFrame(
        {
            "dataset": "acled",
            "source_file": origin.name,
            "period": period,
            "period_start": start_k,
            "month": start_k.dt.to_period("M").dt.start_time,
            "country": "Mali",
            "admin1": k.get("admin1", pd.NA),
            "admin2": k.get("admin2", pd.NA),
            "event_type": event_type,
            "scope": scope,
            "events": counts["events"][ok],
            "fatalities": counts["fatalities"][ok],
        },
        index=k.index,
    )[AGGREGATE_COLUMNS]
    frame = frame.astype(
        {"admin1": "object", "admin2": "object", "event_type": "object", "scope": "str"}
    )
    frame = frame.sort_values(["period_start", "admin1", "admin2"], na_position="first")
    frame = frame.reset_index(drop=True)
    layout = f"acled-aggregated-{period}ly" + ("+xlsx" if origin.suffix.lower() == ".xlsx" else "")
    counts_ = {
        "rows_read": rows_read,
        "rows_other_country": int((~mali).sum()) + (rows_read - len(raw)),
        "rows_kept": len(frame),
        "rows_rejected": len(rejected),
        "rows_out_of_scope": 0,
    }
    prov = provenance("acled", origin, layout, counts_)
    level = "admin2" if "admin2" in header else "admin1" if "admin1" in header else "country"
    prov["layout_label"] = (
        f"ACLED aggregated data, {period}ly by {level} "
        + ("and event type" if "event_type" in header else "(event types not stated)")
        + (", read from an .xlsx workbook" if "+xlsx" in layout else "")
    )
    prov["aggregate"] = True
    return ExportResult(frame, rejected, prov)
