"""The incident appendix as CSV, for readers who work in a spreadsheet (reports/incidents.csv).

Text in the dataset comes from sources and contributors, and a spreadsheet runs any cell that
starts with ``=``, ``+``, ``-`` or ``@`` as a formula (``=HYPERLINK(...)`` can leak data or lure a
click; tab and carriage return can smuggle one past a naive check). Every text cell starting with
one of those characters (or their full-width forms, which some spreadsheets also accept) is
written with a leading single quote, the convention spreadsheets read as "this is text".
Numbers are written by this module, never copied from text, so they are left as numbers: a
negative longitude stays a number.

Each edition gets its own copy (``reports/incidents.csv``, ``reports/fr/incidents.csv``): the
same rows and column names, with labels and descriptions in the edition's language.

The file is UTF-8 with a byte-order mark (so spreadsheets detect the encoding and show accented
place names correctly), comma-separated, every field quoted, and written atomically.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd

from analysis import atomic
from analysis.report import data, i18n
from analysis.vocab import OPERATION_TYPES, PERPETRATORS

FILENAME = "incidents.csv"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")

# (column, kind): text cells are neutralised, numbers and dates written by this module.
COLUMNS: list[tuple[str, str]] = [
    ("incident_id", "text"),
    ("date_start", "date"),
    ("date_end", "date"),
    ("date_precision", "text"),
    ("region", "text"),
    ("cercle", "text"),
    ("locality", "text"),
    ("locality_note", "text"),
    ("latitude", "number"),
    ("longitude", "number"),
    ("perpetrator", "text"),
    ("operation_type", "text"),
    ("civilians_killed_min", "number"),
    ("civilians_killed_max", "number"),
    ("children_killed_min", "number"),
    ("children_killed_max", "number"),
    ("civilians_injured_min", "number"),
    ("civilians_injured_max", "number"),
    ("evidence_grade", "text"),
    ("description", "text"),
    ("sources", "text"),
    ("source_urls", "text"),
]


def neutralise(value: object) -> str:
    """A text cell a spreadsheet shows as text: formula-like starts get a leading quote."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _number(value: object) -> str:
    if value is None or pd.isna(value):
        return ""
    if isinstance(value, float) and not value.is_integer():
        return repr(value)
    return str(int(value))


def incidents_table(processed: data.Processed) -> pd.DataFrame:
    """One row per incident, in appendix order, with labels instead of codes and source lists."""
    inc = processed.incidents.sort_values(["date_start", "incident_id"]).reset_index(drop=True)
    src = processed.sources.set_index("source_id")
    locale = i18n.active()
    out = inc.copy()
    out["perpetrator"] = inc["perpetrator"].map(lambda c: locale.label(PERPETRATORS, c))
    out["operation_type"] = inc["operation_type"].map(lambda c: locale.label(OPERATION_TYPES, c))
    out["description"] = locale.column(inc, "description")
    out["locality_note"] = locale.column(inc, "locality_note") if "locality_note" in inc else pd.NA
    ids = inc["source_ids"].fillna("").str.split(";")
    out["sources"] = ids.map(
        lambda sids: "; ".join(
            f"{src.at[s, 'publisher']}: {src.at[s, 'title']}" for s in sids if s in src.index
        )
    )
    out["source_urls"] = ids.map(
        lambda sids: " ".join(str(src.at[s, "url"]) for s in sids if s in src.index)
    )
    return out[[name for name, _ in COLUMNS]]


def incidents_csv(processed: data.Processed) -> bytes:
    """The CSV file's bytes (deterministic for the same processed data)."""
    table = incidents_table(processed)
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow([name for name, _ in COLUMNS])
    for row in table.itertuples(index=False):
        cells = []
        for (_, kind), value in zip(COLUMNS, row, strict=True):
            if kind == "number":
                cells.append(_number(value))
            elif kind == "date":
                cells.append("" if pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d"))
            else:
                cells.append(neutralise(value))
        writer.writerow(cells)
    return buffer.getvalue().encode("utf-8-sig")


def write_incidents_csv(processed_dir: Path, reports_dir: Path) -> Path:
    """Write ``reports_dir/incidents.csv`` from the processed tables; return its path."""
    target = Path(reports_dir) / FILENAME
    atomic.write_bytes(target, incidents_csv(data.load(Path(processed_dir))))
    return target
