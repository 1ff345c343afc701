"""The processed tables as a Frictionless data package: CSV files and ``datapackage.json``.

Each resource's Table Schema is derived from the pandera model that validates the table, so a
type, an allowed value, a bound or a required column is declared once: a field's type comes from
the model's dtype, ``required`` from ``nullable``, ``unique``, ``enum``, ``minimum``/``maximum``,
``pattern`` and ``minLength``/``maxLength`` from its checks. Rules across columns (a minimum never
above its maximum) are not expressible as field constraints; they stay in the pandera models and
the validation report says they passed. Descriptions come from ``dictionary``; keys and foreign
keys are declared here, as they are relations between tables rather than column types.

Everything written is a pure function of the tables and the release: no clock time, sorted keys,
so rebuilds are byte-identical.
"""

from __future__ import annotations

import hashlib
import io
import json

import pandas as pd
import pandera.pandas as pa

from analysis.pipeline import dictionary, schemas
from analysis.pipeline.release import Release

NAME = "mali-civilian-harm"
TITLE = "Civilian harm in Mali's counter-insurgency operations"
HOMEPAGE_NOTE = "Built by `make data` from the curated record in data/raw; see README.md."
# The compiled record (not the sources' own texts, which remain their publishers').
LICENCE = {
    "name": "CC-BY-4.0",
    "title": "Creative Commons Attribution 4.0",
    "path": "https://creativecommons.org/licenses/by/4.0/",
}
EXTRA_SOURCES = [
    {
        "title": "GeoNames gazetteer (place coordinates), CC BY 4.0",
        "path": "https://www.geonames.org/",
    },
    {
        "title": "Natural Earth (map outline), public domain",
        "path": "https://www.naturalearthdata.com/",
    },
]

# Published table -> the pandera model whose columns it carries (extra columns, such as
# sources.incidents_cited, are typed from the frame).
MODELS: dict[str, type[pa.DataFrameModel]] = {
    "incidents": schemas.Incidents,
    "claims": schemas.Claims,
    "sources": schemas.SourcesRaw,
    "context_events": schemas.ContextEventsRaw,
    "published_totals": schemas.PublishedTotalsRaw,
    "changelog": schemas.ChangelogRaw,
    "out_of_scope": schemas.OutOfScopeRaw,
    # With an export only: which export events the linkage assigned to which incident, and the
    # near misses. Identifiers and the linkage's own reasons, none of the export's text.
    "links": schemas.Links,
    "link_candidates": schemas.LinkCandidates,
}
EXPORT_ONLY = ("links", "link_candidates")
PRIMARY_KEYS: dict[str, list[str]] = {
    "incidents": ["incident_id"],
    "claims": ["incident_id", "source_id", "victim_group", "outcome"],
    "sources": ["source_id"],
    "context_events": ["event_id"],
    "published_totals": ["total_id"],
    "out_of_scope": ["event_id"],
    "links": ["dataset", "event_id"],
    "link_candidates": ["incident_id", "dataset", "event_id"],
}
# (table, column) -> (referenced table, column). The changelog may name incidents that were
# removed or merged, so its incident_id is not a foreign key.
FOREIGN_KEYS: dict[str, list[tuple[str, str, str]]] = {
    "claims": [("incident_id", "incidents", "incident_id"), ("source_id", "sources", "source_id")],
    "context_events": [("source_id", "sources", "source_id")],
    "published_totals": [("source_id", "sources", "source_id")],
    "changelog": [("source_id", "sources", "source_id")],
    "out_of_scope": [("source_id", "sources", "source_id")],
    "links": [("incident_id", "incidents", "incident_id")],
    "link_candidates": [("incident_id", "incidents", "incident_id")],
}
DATE_FORMAT = "%Y-%m-%d"


def field_type(dtype: object) -> str:
    """Table Schema type for a pandas/pandera dtype."""
    text = str(dtype).lower()
    if "datetime" in text:
        return "date"  # every date in the dataset is a day; times are never recorded
    if text.startswith(("int", "uint")):
        return "integer"
    if text.startswith("float"):
        return "number"
    if text.startswith("bool"):
        return "boolean"
    return "string"


def _constraints(column: pa.Column) -> dict:
    constraints: dict = {}
    if not column.nullable:
        constraints["required"] = True
    if column.unique:
        constraints["unique"] = True
    for check in column.checks:
        stats = check.statistics or {}
        if check.name == "isin":
            constraints["enum"] = list(stats["allowed_values"])
        elif check.name in ("greater_than_or_equal_to", "in_range"):
            constraints["minimum"] = stats["min_value"]
        elif check.name == "less_than_or_equal_to":
            constraints["maximum"] = stats["max_value"]
        elif check.name == "str_matches":
            constraints["pattern"] = stats["pattern"]
        elif check.name == "str_length":
            if stats.get("min_value") is not None:
                constraints["minLength"] = stats["min_value"]
            if stats.get("max_value") is not None:
                constraints["maxLength"] = stats["max_value"]
        if check.name == "in_range":
            constraints["maximum"] = stats["max_value"]
    for bound in ("minimum", "maximum"):
        if isinstance(constraints.get(bound), pd.Timestamp):
            constraints[bound] = constraints[bound].strftime(DATE_FORMAT)
    return constraints


def table_schema(table: str, frame: pd.DataFrame) -> dict:
    """The Table Schema of a published table, derived from its pandera model."""
    model = MODELS[table].to_schema()
    fields = []
    for name in frame.columns:
        column = model.columns.get(name)
        field = {
            "name": name,
            "type": field_type(column.dtype if column is not None else frame[name].dtype),
            "description": dictionary.describe(table, name),
        }
        if field["type"] == "date":
            field["format"] = "default"  # ISO 8601, YYYY-MM-DD
        constraints = _constraints(column) if column is not None else {}
        if constraints:
            field["constraints"] = constraints
        fields.append(field)
    schema: dict = {"fields": fields, "missingValues": [""]}
    if table in PRIMARY_KEYS:
        schema["primaryKey"] = PRIMARY_KEYS[table]
    if table in FOREIGN_KEYS:
        schema["foreignKeys"] = [
            {"fields": column, "reference": {"resource": other, "fields": other_column}}
            for column, other, other_column in FOREIGN_KEYS[table]
        ]
    return schema


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The table as UTF-8 CSV: ISO dates, true/false, empty cells for missing values.

    Text is kept verbatim (this is the data, not a spreadsheet export: reports/incidents.csv is
    the spreadsheet-safe copy).
    """
    out = frame.copy()
    for name in out.columns:
        column = out[name]
        if pd.api.types.is_datetime64_any_dtype(column):
            out[name] = column.dt.strftime(DATE_FORMAT)
        elif pd.api.types.is_bool_dtype(column):
            out[name] = column.map({True: "true", False: "false"})
    buffer = io.StringIO()
    out.to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue().encode("utf-8")


def published_tables(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The tables the package publishes, in a fixed order (exports' events are not included:
    ACLED and UCDP data may not be redistributed; the links between incidents and export event
    ids are, when an export was present)."""
    return {name: tables[name] for name in MODELS if name in tables}


def build(tables: dict[str, pd.DataFrame], release: Release) -> dict[str, bytes]:
    """CSV files and ``datapackage.json`` as {file name: bytes}."""
    files: dict[str, bytes] = {}
    resources = []
    for name, frame in published_tables(tables).items():
        data = csv_bytes(frame)
        filename = f"{name}.csv"
        files[filename] = data
        resources.append(
            {
                "name": name,
                "type": "table",
                "path": filename,
                "scheme": "file",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "title": dictionary.TABLES[name]["title"],
                "description": dictionary.TABLES[name]["description"],
                "bytes": len(data),
                "hash": "sha256:" + hashlib.sha256(data).hexdigest(),
                "schema": table_schema(name, frame),
            }
        )
    sources = tables["sources"].sort_values(["published", "source_id"])
    package = {
        "name": NAME,
        "title": TITLE,
        "description": "Civilians reported killed, injured or missing in operations by the "
        "Malian armed forces, alone or with the Wagner Group / Africa Corps or allied militias. "
        "Every count is a range from the lowest to the highest figure an independent source "
        "reported; perpetrators are those alleged by the sources. " + HOMEPAGE_NOTE,
        "version": release.version,
        "created": f"{release.date}T00:00:00Z",
        "licenses": [LICENCE],
        "sources": [
            {"title": f"{s.publisher}: {s.title} ({s.published})", "path": s.url}
            for s in sources.itertuples(index=False)
        ]
        + EXTRA_SOURCES,
        "keywords": ["Mali", "civilian harm", "casualty recording", "Wagner", "Africa Corps"],
        "resources": resources,
    }
    text = json.dumps(package, indent=2, ensure_ascii=False, sort_keys=False, default=_json)
    files["datapackage.json"] = (text + "\n").encode("utf-8")
    return files


def _json(value: object) -> object:
    if hasattr(value, "item"):  # numpy scalars in enums or bounds
        return value.item()
    raise TypeError(f"not JSON serialisable: {value!r}")
