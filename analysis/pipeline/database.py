"""The processed tables as a SQLite database for Datasette, and Datasette's metadata.

The database holds the data package's tables (``datapackage.published_tables``) with the same
keys and foreign keys (claims -> incidents and sources, ...), lookup tables giving each code its
label (so Datasette shows "Malian forces with Wagner" beside ``malian_forces_wagner``), and a
full-text index over incident descriptions, places and the perpetrators as reported.

Byte-identical rebuilds: the file is built in a fresh temporary file with rows inserted in a
fixed order, no clock time anywhere, and VACUUMed, so the same tables give the same bytes with
the same SQLite version (the manifest records package versions; ``sqlite3`` is Python's own).
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from pathlib import Path

import pandas as pd
import sqlite_utils

from analysis.pipeline import datapackage, dictionary
from analysis.pipeline.release import Release
from analysis.vocab import EVIDENCE_GRADES, OPERATION_TYPES, PERPETRATORS, SOURCE_KINDS

FTS_COLUMNS = ["description", "locality", "locality_note", "cercle", "perpetrator_reported"]
LOOKUPS: dict[str, tuple[dict[str, str], str, str]] = {
    # lookup table: (codes -> labels, referring table, column)
    "perpetrators": (PERPETRATORS, "incidents", "perpetrator"),
    "operation_types": (OPERATION_TYPES, "incidents", "operation_type"),
    "evidence_grades": (
        {grade: f"{grade}: {meaning}" for grade, meaning in EVIDENCE_GRADES.items()},
        "incidents",
        "evidence_grade",
    ),
    "source_kinds": (SOURCE_KINDS, "sources", "kind"),
}
SQL_TYPES = {"integer": int, "number": float, "boolean": int, "date": str, "string": str}

CIVILIANS_KILLED_PER_MONTH = """\
select
  strftime('%Y-%m', date_start) as month,
  count(*) as incidents,
  coalesce(sum(civilians_killed_min), 0) as civilians_killed_min,
  coalesce(sum(civilians_killed_max), 0) as civilians_killed_max
from incidents
where evidence_grade in ('A', 'B') or :include_grade_c = '1'
group by month
order by month"""

KILLED_BY_PERPETRATOR = """\
select
  perpetrators.label as alleged_perpetrator,
  count(*) as incidents,
  coalesce(sum(civilians_killed_min), 0) as civilians_killed_min,
  coalesce(sum(civilians_killed_max), 0) as civilians_killed_max
from incidents join perpetrators on perpetrators.code = incidents.perpetrator
group by incidents.perpetrator
order by civilians_killed_max desc, alleged_perpetrator"""

SOURCES_DISAGREE = """\
select
  incident_id,
  count(distinct source_id) as sources,
  min(count_min) as lowest_figure,
  max(count_max) as highest_figure
from claims
where victim_group = 'civilians' and outcome = 'killed'
group by incident_id
having count(distinct source_id) > 1 and min(count_min) < max(count_max)
order by highest_figure - lowest_figure desc, incident_id"""


def _rows(frame: pd.DataFrame) -> list[dict]:
    """Records with ISO dates, 0/1 booleans and None for missing values."""
    out = frame.copy()
    for name in out.columns:
        column = out[name]
        if pd.api.types.is_datetime64_any_dtype(column):
            out[name] = column.dt.strftime(datapackage.DATE_FORMAT)
        elif pd.api.types.is_bool_dtype(column):
            out[name] = column.astype(int)
    out = out.astype(object).where(out.notna(), None)
    return [
        {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
        for row in out.to_dict("records")
    ]


def write(db: sqlite_utils.Database, tables: dict[str, pd.DataFrame]) -> None:
    """Create and fill every table, lookups first so foreign keys always resolve."""
    for lookup, (labels, _, _) in LOOKUPS.items():
        db[lookup].insert_all(
            [{"code": code, "label": label} for code, label in labels.items()], pk="code"
        )
    published = datapackage.published_tables(tables)
    # Referenced tables first, so every foreign key names an existing table.
    order = sorted(published, key=lambda n: n in datapackage.FOREIGN_KEYS)
    for name in order:
        frame = published[name]
        schema = datapackage.table_schema(name, frame)
        columns = {f["name"]: SQL_TYPES[f["type"]] for f in schema["fields"]}
        foreign = [
            (column, other, other_column)
            for column, other, other_column in datapackage.FOREIGN_KEYS.get(name, [])
        ]
        foreign += [
            (column, lookup, "code")
            for lookup, (_, table, column) in LOOKUPS.items()
            if table == name
        ]
        pk = datapackage.PRIMARY_KEYS.get(name)
        db[name].create(
            columns,
            pk=(pk[0] if len(pk) == 1 else tuple(pk)) if pk else None,
            foreign_keys=foreign,
            not_null={
                f["name"] for f in schema["fields"] if f.get("constraints", {}).get("required")
            },
        )
        db[name].insert_all(_rows(frame))
    db.index_foreign_keys()
    for column in ("year", "region"):
        db["incidents"].create_index([column])
    db["incidents"].enable_fts(FTS_COLUMNS, create_triggers=False, tokenize="unicode61")


def build(tables: dict[str, pd.DataFrame]) -> bytes:
    """The database file's bytes, built in a temporary file."""
    with tempfile.TemporaryDirectory(prefix="mali-db-") as folder:
        path = Path(folder) / "build.db"
        connection = sqlite3.connect(path)
        try:
            # A scratch file, read back whole at the end: no need to sync each statement to
            # disk or keep a rollback journal (neither changes the file's bytes).
            connection.execute("PRAGMA synchronous = OFF")
            connection.execute("PRAGMA journal_mode = MEMORY")
            db = sqlite_utils.Database(connection)
            write(db, tables)
            connection.commit()
            db.execute("PRAGMA foreign_keys = ON")
            problems = db.execute("PRAGMA foreign_key_check").fetchall()
            if problems:
                raise ValueError(f"foreign key violations in the database: {problems[:5]}")
            db.vacuum()
        finally:
            connection.close()
        return path.read_bytes()


def metadata(tables: dict[str, pd.DataFrame], release: Release, database: str) -> dict:
    """Datasette metadata: titles, column descriptions, licence, source, facets, queries."""
    meta_tables: dict = {}
    for name, frame in datapackage.published_tables(tables).items():
        entry = {
            "title": dictionary.TABLES[name]["title"],
            "description": dictionary.TABLES[name]["description"],
            "columns": {c: dictionary.describe(name, c) for c in frame.columns},
        }
        meta_tables[name] = entry
    meta_tables["incidents"].update(
        {
            "facets": ["year", "region", "perpetrator", "operation_type", "evidence_grade"],
            "sort": "date_start",
            "label_column": "incident_id",
            "fts_table": "incidents_fts",
            "fts_pk": "rowid",
        }
    )
    meta_tables["claims"]["facets"] = ["victim_group", "outcome", "source_kind"]
    meta_tables["sources"].update({"facets": ["kind", "language"], "label_column": "title"})
    for lookup in LOOKUPS:
        meta_tables[lookup] = {"label_column": "label", "hidden": False}
    grades = "grades A and B, or all grades when include_grade_c is 1"
    return {
        "title": f"{datapackage.TITLE} (data version {release.version})",
        "description": "Every count is a range: the lowest and highest figures an independent "
        "source reported. Perpetrators are those alleged by the sources; the Malian authorities "
        f"have denied many of these allegations. Dataset version {release.version} of "
        f"{release.date}.",
        "license": datapackage.LICENCE["title"],
        "license_url": datapackage.LICENCE["path"],
        "source": "Published reporting by human-rights organisations, UN bodies and media "
        "(see the sources table)",
        "databases": {
            database: {
                "title": datapackage.TITLE,
                "tables": meta_tables,
                "queries": {
                    "civilians_killed_per_month": {
                        "title": "Civilians reported killed per month, as a range",
                        "description": "Sum of the lowest and of the highest figures per month "
                        f"in which incidents started ({grades}).",
                        "sql": CIVILIANS_KILLED_PER_MONTH,
                        "params": ["include_grade_c"],
                    },
                    "killed_by_alleged_perpetrator": {
                        "title": "Civilians reported killed by alleged perpetrator, as a range",
                        "sql": KILLED_BY_PERPETRATOR,
                    },
                    "sources_disagree": {
                        "title": "Incidents where sources give different death tolls",
                        "sql": SOURCES_DISAGREE,
                    },
                },
            }
        },
    }


def metadata_bytes(tables: dict[str, pd.DataFrame], release: Release, filename: str) -> bytes:
    meta = metadata(tables, release, os.path.splitext(filename)[0])
    return (json.dumps(meta, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
