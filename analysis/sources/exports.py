"""What every third-party export reader returns, and the pieces ACLED and UCDP readers share.

A reader turns one user-supplied file (ACLED or UCDP GED) into:

- ``events``: the canonical export-event frame (``ExportEvents``), one row per kept event;
- ``rejected``: rows of the file that broke a rule, with their CSV line and the reason, so that
  nothing is dropped silently (a third-party file is quarantined row by row, not refused whole);
- ``provenance``: what is needed to reproduce the analysis (hash, access date, version, counts)
  and the attribution text the provider asks for.

Actor strings are mapped to perpetrator roles by a reviewed, committed file
(``data/raw/actor_map.csv``). An actor string that looks Malian-state, Wagner or Africa Corps
but is missing from that file stops the build: a silently unmapped actor would undercount.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow as pa_
import pyarrow.compute as pac
import pyarrow.csv as pcsv
from pandera.typing.pandas import Series

from analysis.csvio import display_name, read_csv_strict
from analysis.errors import DataError, Problem
from analysis.manifest import sha256_file
from analysis.vocab import MALI_BBOX, OPERATION_TYPES, PERPETRATORS

DATASETS = ("acled", "ucdp")
ROLES = ("malian_forces", "wagner", "africa_corps", "dozo", "other_state_aligned", "excluded")
DATE_PRECISIONS = ("day", "week", "month", "year")
GEO_PRECISIONS = ("locality", "near_locality", "region", "country", "unknown")
# ACLED covers Africa from 1997; anything older in an "export" is a wrong file or a typo.
EARLIEST_EXPORT_DATE = "1989-01-01"

EVENT_COLUMNS = [
    "dataset",
    "event_id",
    "date_start",
    "date_end",
    "month",
    "date_precision_native",
    "date_precision",
    "admin1",
    "admin2",
    "location",
    "latitude",
    "longitude",
    "geo_precision_native",
    "geo_precision",
    "actor1_raw",
    "perpetrator",
    "operation_type",
    "civilians_killed_min",
    "civilians_killed_max",
    "fatalities_best",
]
REJECTED_COLUMNS = ["dataset", "file", "line", "event_id", "reason"]

ATTRIBUTION = {
    "acled": (
        "Armed Conflict Location & Event Data (ACLED); www.acleddata.com. Data accessed on "
        "{accessed}. ACLED data are used under ACLED's Terms of Use and are not redistributed."
    ),
    "ucdp": (
        "UCDP Georeferenced Event Dataset (GED) version {version}, Uppsala Conflict Data "
        "Program, Uppsala University (ucdp.uu.se), licensed CC BY 4.0; accessed {accessed}. "
        "Cite Sundberg, Ralph and Erik Melander (2013), 'Introducing the UCDP Georeferenced "
        "Event Dataset', Journal of Peace Research 50(4), and the UCDP annual article for the "
        "release used (listed on ucdp.uu.se)."
    ),
}

UNMAPPED_RULE = "unmapped actor: add it to data/raw/actor_map.csv with its role"

# Actor strings that must be in the reviewed map. The task's pattern put the country before
# the force ("Mali ... Forces"), but ACLED writes "Military Forces of Mali (2021-)", so both
# orders are matched.
_FORCE = r"(?:Forces|Military|Police|Gendarmerie|Government)"
STATE_ACTOR_PATTERN = re.compile(
    rf"\b(?:Mali|Malian)\b.*\b{_FORCE}\b|\b{_FORCE}\b.*\b(?:Mali|Malian)\b|Wagner|Africa Corps",
    re.IGNORECASE,
)


class ExportEvents(pa.DataFrameModel):
    """Canonical events taken from a third-party export (ACLED or UCDP GED)."""

    dataset: Series[str] = pa.Field(isin=list(DATASETS))
    event_id: Series[str] = pa.Field(str_length={"min_value": 1})
    date_start: Series[pa.DateTime] = pa.Field(ge=pd.Timestamp(EARLIEST_EXPORT_DATE))
    date_end: Series[pa.DateTime]
    month: Series[pa.DateTime]
    date_precision_native: Series[str]
    date_precision: Series[str] = pa.Field(isin=list(DATE_PRECISIONS))
    admin1: Series[str] = pa.Field(nullable=True)
    admin2: Series[str] = pa.Field(nullable=True)
    location: Series[str] = pa.Field(nullable=True)
    latitude: Series[float] = pa.Field(
        nullable=True, ge=MALI_BBOX["lat_min"], le=MALI_BBOX["lat_max"]
    )
    longitude: Series[float] = pa.Field(
        nullable=True, ge=MALI_BBOX["lon_min"], le=MALI_BBOX["lon_max"]
    )
    geo_precision_native: Series[str]
    geo_precision: Series[str] = pa.Field(isin=list(GEO_PRECISIONS))
    actor1_raw: Series[str]
    perpetrator: Series[str] = pa.Field(isin=list(PERPETRATORS))
    operation_type: Series[str] = pa.Field(isin=list(OPERATION_TYPES))
    civilians_killed_min: Series[pd.Int64Dtype] = pa.Field(ge=0)
    civilians_killed_max: Series[pd.Int64Dtype] = pa.Field(ge=0)
    fatalities_best: Series[pd.Int64Dtype] = pa.Field(ge=0)

    class Config:
        coerce = True
        strict = True
        ordered = True
        unique = ("dataset", "event_id")

    @pa.dataframe_check(error="date_end is before date_start")
    def _dates_ordered(cls, df: pd.DataFrame) -> pd.Series:
        return df["date_end"] >= df["date_start"]

    @pa.dataframe_check(error="civilians_killed_min is greater than civilians_killed_max")
    def _range_ordered(cls, df: pd.DataFrame) -> pd.Series:
        return df["civilians_killed_min"] <= df["civilians_killed_max"]


@dataclass
class ExportResult:
    """One export file read: kept canonical events, quarantined rows, and provenance."""

    events: pd.DataFrame
    rejected: pd.DataFrame
    provenance: dict = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# Actor map
# --------------------------------------------------------------------------------------------


def load_actor_map(path: Path) -> pd.DataFrame:
    """Read and check the reviewed actor map (columns dataset, actor, role, note)."""
    frame = read_csv_strict(path, ["dataset", "actor", "role", "note"])
    name = display_name(path)
    problems = [
        Problem(name, int(line), "dataset", str(v), "dataset must be acled, ucdp or any")
        for line, v in frame["dataset"].items()
        if v not in (*DATASETS, "any")
    ]
    problems += [
        Problem(name, int(line), "role", str(v), f"role must be one of {list(ROLES)}")
        for line, v in frame["role"].items()
        if v not in ROLES
    ]
    problems += [
        Problem(name, int(line), "actor", None, "actor is required")
        for line, v in frame["actor"].items()
        if pd.isna(v)
    ]
    dupes = frame.duplicated(["dataset", "actor"], keep="first")
    problems += [
        Problem(name, int(line), "dataset+actor", str(v), "actor listed twice for this dataset")
        for line, v in frame.loc[dupes, "actor"].items()
    ]
    if problems:
        raise DataError(problems)
    return frame.reset_index(drop=True)


def roles_for(actor_map: pd.DataFrame, dataset: str) -> dict[str, str]:
    """actor string -> role for one dataset (rows for ``any`` apply to both)."""
    rows = actor_map[actor_map["dataset"].isin([dataset, "any"])]
    # A dataset-specific row wins over an ``any`` row for the same string.
    rows = rows.assign(_specific=rows["dataset"].eq(dataset)).sort_values("_specific")
    return dict(zip(rows["actor"].astype(str), rows["role"].astype(str), strict=True))


def split_actors(column: pd.Series, sep: str) -> pd.Series:
    """One row per actor named in a multi-actor cell, indexed like ``column`` (NA dropped)."""
    parts = column.dropna().astype("str").str.split(sep, regex=False).explode().str.strip()
    return parts[parts.ne("") & parts.notna()]


def unmapped_problems(actors: list[pd.Series], known: dict[str, str], file: str) -> list[Problem]:
    """Problems for actor strings that look state/Wagner/Africa Corps but are not in the map.

    ``actors`` are Series of single actor strings indexed by CSV line, with a ``name`` giving
    the column. Work on unique strings only, so a million rows cost a few thousand regexes.
    """
    problems: list[Problem] = []
    for series in actors:
        first = series[~series.duplicated(keep="first")]
        unknown = first[~first.isin(set(known))]
        if unknown.empty:
            continue
        looks_state = unknown.map(lambda s: bool(STATE_ACTOR_PATTERN.search(s)))
        for line, value in unknown[looks_state.astype(bool)].items():
            problems.append(Problem(file, int(line), str(series.name), str(value), UNMAPPED_RULE))
    return problems


def perpetrator_from_roles(flags: pd.DataFrame) -> pd.Series:
    """vocab.PERPETRATORS code from boolean role columns (malian_forces, wagner, ...).

    Rows with no state or Russian force (a Dozo militia alone, or nothing mapped) get NA:
    the vocabulary has no code for a militia acting alone, and such events are out of scope.
    When Wagner and Africa Corps are both named (the 2025 handover) the later name is used.
    """
    mali = flags["malian_forces"]
    russian_ac = flags["africa_corps"]
    russian_wg = flags["wagner"] & ~russian_ac
    dozo = flags["dozo"]
    other = flags["other_state_aligned"]
    conditions = [
        mali & russian_wg,
        mali & russian_ac,
        mali & dozo,
        mali,
        russian_wg,
        russian_ac,
        other,
    ]
    choices = [
        "malian_forces_wagner",
        "malian_forces_africa_corps",
        "malian_forces_dozo",
        "malian_forces",
        "wagner",
        "africa_corps",
        "state_aligned_unidentified",
    ]
    codes = np.select(conditions, choices, default="")
    return pd.Series(codes, index=flags.index, dtype="str").replace("", pd.NA)


def role_flags(
    primary: pd.Series, partners: pd.Series | None, known: dict[str, str]
) -> pd.DataFrame:
    """Boolean role columns per row from the primary actor and its partner actors.

    ``partners`` is one row per partner (index = row label, repeated), as from split_actors.
    """
    index = primary.index
    flags = pd.DataFrame(False, index=index, columns=list(ROLES))
    primary_role = primary.map(known)
    for role in ROLES:
        flags[role] = primary_role.eq(role).fillna(False).astype(bool)
    if partners is not None and not partners.empty:
        partner_role = partners.map(known).dropna()
        for role in ROLES:
            hit = partner_role[partner_role.eq(role)].index.unique()
            flags.loc[flags.index.isin(hit), role] = True
    return flags


# --------------------------------------------------------------------------------------------
# Rejections
# --------------------------------------------------------------------------------------------


class Rejections:
    """Collect (mask, reason) rules over one frame; reasons for a row are joined with '; '."""

    def __init__(self, index: pd.Index):
        self.index = index
        self.reasons = pd.Series("", index=index, dtype="str")

    def add(self, mask: pd.Series, reason: str | pd.Series) -> None:
        mask = mask.reindex(self.index, fill_value=False).fillna(False).astype(bool)
        if not mask.any():
            return
        text = reason if isinstance(reason, pd.Series) else pd.Series(reason, index=self.index)
        # Rows that already have a reason get "; " before the next one.
        sep = self.reasons.where(self.reasons.eq(""), self.reasons + "; ")
        self.reasons = self.reasons.mask(mask, sep + text.reindex(self.index).astype("str"))

    @property
    def mask(self) -> pd.Series:
        return self.reasons.ne("")

    def frame(self, dataset: str, file: str, event_id: pd.Series) -> pd.DataFrame:
        bad = self.mask
        out = pd.DataFrame(
            {
                "dataset": dataset,
                "file": file,
                "line": self.index[bad.to_numpy()].astype("int64"),
                "event_id": event_id[bad].astype("str").to_numpy(),
                "reason": self.reasons[bad].to_numpy(),
            }
        )
        return out.astype({"dataset": "str", "file": "str", "event_id": "str", "reason": "str"})


def empty_rejected() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "dataset": pd.Series(dtype="str"),
            "file": pd.Series(dtype="str"),
            "line": pd.Series(dtype="int64"),
            "event_id": pd.Series(dtype="str"),
            "reason": pd.Series(dtype="str"),
        }
    )


def parse_int(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Whole numbers from text ('12' or '12.0'); returns (values Int64, ok mask for present)."""
    num = pd.to_numeric(text, errors="coerce")
    whole = num.notna() & np.isfinite(num.fillna(0)) & (num.fillna(0) % 1 == 0)
    values = num.where(whole).astype("Int64")
    return values, whole


def outside_mali(lat: pd.Series, lon: pd.Series) -> pd.Series:
    """True where both coordinates are present and fall outside Mali's bounding box."""
    b = MALI_BBOX
    inside = lat.between(b["lat_min"], b["lat_max"]) & lon.between(b["lon_min"], b["lon_max"])
    return lat.notna() & lon.notna() & ~inside


def physical_lines(path: Path) -> int:
    """Number of lines in a file (a last line without a newline counts)."""
    count = 0
    last = b"\n"
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            count += block.count(b"\n")
            last = block[-1:]
    return count + (0 if last == b"\n" else 1)


def record_lines(path: Path, n_records: int, names: list[str], has_header: bool) -> pd.Index:
    """The CSV line on which each of ``n_records`` records starts, exact even with newlines
    inside quoted cells (then every column is re-read to count them; rare, so affordable)."""
    first = 2 if has_header else 1
    if physical_lines(path) == n_records + first - 1:
        return pd.Index(np.arange(first, first + n_records, dtype="int64"), name="line")
    table = pcsv.read_csv(
        path,
        read_options=pcsv.ReadOptions(column_names=names, skip_rows=1 if has_header else 0),
        parse_options=pcsv.ParseOptions(newlines_in_values=True),
        convert_options=pcsv.ConvertOptions(column_types={c: pa_.string() for c in names}),
    )
    return csv_lines(table.to_pandas(), first_line=first)


def csv_lines(frame: pd.DataFrame, first_line: int) -> pd.Index:
    """The CSV line on which each record starts.

    Quoted cells may hold newlines (ACLED notes sometimes do), so the line is not simply the
    record number: count the newlines inside the cells of earlier records. Vectorised: only the
    columns that contain a newline at all are counted.
    """
    n = len(frame)
    extra = np.zeros(n, dtype="int64")
    for column in frame.columns:
        col = frame[column]
        if col.dtype == object or str(col.dtype).startswith(("str", "string")):
            has = col.str.contains("\n", regex=False).fillna(False).to_numpy(dtype=bool)
            if has.any():
                extra += col.str.count("\n").fillna(0).to_numpy(dtype="int64")
    before = np.concatenate([[0], np.cumsum(extra)[:-1]]) if n else extra
    return pd.Index(first_line + np.arange(n, dtype="int64") + before, name="line")


# --------------------------------------------------------------------------------------------
# Provenance
# --------------------------------------------------------------------------------------------

_DATED_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})")
_UCDP_VERSION = re.compile(r"ged(?:event)?[-_]?v?(\d{2})[._]?(\d)(?:[._](\d+))?", re.IGNORECASE)


def version_and_access(path: Path) -> tuple[str, str]:
    """Version and access date from ``<file>.meta.json``, else from a dated file name."""
    meta_path = path.with_name(path.name + ".meta.json")
    version, accessed = "unknown", "unknown"
    if meta_path.exists():
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise DataError(
                [Problem(display_name(meta_path), None, None, None, f"not valid JSON: {exc}")]
            ) from None
        version = str(meta.get("version") or "unknown")
        accessed = str(meta.get("accessed") or "unknown")
        if accessed != "unknown":
            try:
                dt.date.fromisoformat(accessed)
            except ValueError:
                raise DataError(
                    [
                        Problem(
                            display_name(meta_path),
                            None,
                            "accessed",
                            accessed,
                            "access date must be YYYY-MM-DD",
                        )
                    ]
                ) from None
    if accessed == "unknown":
        match = _DATED_NAME.search(path.name)
        if match:
            with contextlib.suppress(ValueError):
                accessed = dt.date.fromisoformat(match.group(1)).isoformat()
    return version, accessed


def provenance(
    dataset: str,
    path: Path,
    layout: str,
    counts: dict[str, int],
) -> dict:
    """The provenance record of one export file."""
    version, accessed = version_and_access(path)
    if version == "unknown" and dataset == "ucdp":
        # GED releases are named like ged251.csv, ged-25.1.csv or GEDEvent_v24_0_3.csv.
        match = _UCDP_VERSION.search(path.name)
        if match:
            version = ".".join(p for p in match.groups() if p)
    return {
        "dataset": dataset,
        "file": path.name,
        "sha256": sha256_file(path),
        **counts,
        "columns_layout": layout,
        "version": version,
        "access_date": accessed,
        "attribution": ATTRIBUTION[dataset].format(version=version, accessed=accessed),
    }


def finish(events: pd.DataFrame, name: str) -> pd.DataFrame:
    """Order, type and validate the canonical events; a failure here is a reader bug."""
    from analysis.validation import validate_frame

    out = events[EVENT_COLUMNS].sort_values(["date_start", "event_id"]).reset_index(drop=True)
    out = out.astype(
        {
            "civilians_killed_min": "Int64",
            "civilians_killed_max": "Int64",
            "fatalities_best": "Int64",
            "latitude": "float64",
            "longitude": "float64",
        }
    )
    try:
        return ExportEvents.validate(out, lazy=True)
    except pa.errors.SchemaErrors:
        validate_frame(out, ExportEvents, name)  # re-raises as a DataError report
        raise


def read_text_frame(
    path: Path,
    names: list[str],
    *,
    skip_header: bool,
    columns: list[str] | None = None,
    keep_rows: Callable[[pa_.Table], pa_.Array] | None = None,
    untrimmed: tuple[str, ...] = (),
) -> tuple[pd.DataFrame, int]:
    """Every cell of ``columns`` as text (empty -> NA), indexed by CSV line.

    pyarrow's multithreaded parser does the work; quoted cells may contain newlines.
    ``keep_rows`` filters records while still in Arrow (e.g. one country out of a global
    export), so dropped rows never cost pandas memory. Returns (frame, records in the file).
    Raises DataError for a file that is not UTF-8 CSV.
    """
    wanted = columns or names
    try:
        table = pcsv.read_csv(
            path,
            read_options=pcsv.ReadOptions(
                column_names=names, skip_rows=1 if skip_header else 0, block_size=1 << 24
            ),
            parse_options=pcsv.ParseOptions(newlines_in_values=True),
            convert_options=pcsv.ConvertOptions(
                column_types={c: pa_.string() for c in wanted},
                include_columns=wanted,
                strings_can_be_null=True,
                null_values=[""],
                quoted_strings_can_be_null=True,
            ),
        )
    except (pa_.ArrowInvalid, UnicodeDecodeError) as exc:
        raise DataError(
            [Problem(display_name(path), None, None, None, f"cannot read as UTF-8 CSV: {exc}")]
        ) from None
    n_records = table.num_rows
    lines = record_lines(path, n_records, names, skip_header)
    # Surrounding spaces are noise in the short columns; a blank cell is a missing value.
    cleaned = []
    for name, column in zip(table.column_names, table.columns, strict=True):
        text = column if name in untrimmed else pac.utf8_trim_whitespace(column)
        cleaned.append(pac.if_else(pac.equal(text, ""), pa_.scalar(None, pa_.string()), text))
    table = pa_.table(cleaned, names=table.column_names)
    if keep_rows is not None:
        mask = keep_rows(table)
        table = table.filter(mask)
        lines = lines[np.asarray(mask.to_numpy(zero_copy_only=False), dtype=bool)]
    frame = table.to_pandas()
    frame.index = lines
    return frame, n_records


def header_fields(path: Path) -> list[str]:
    """The first record of a CSV file, as fields (a UTF-8 byte-order mark is dropped)."""
    import csv

    with open(path, encoding="utf-8-sig", newline="") as handle:
        try:
            return [h.strip() for h in next(csv.reader(handle))]
        except StopIteration:
            return []
        except UnicodeDecodeError:
            raise DataError(
                [
                    Problem(
                        display_name(path),
                        None,
                        None,
                        None,
                        "cannot read as UTF-8 CSV: the file is not valid UTF-8 (it looks like "
                        "Latin-1/Windows-1252 text): re-save it as UTF-8",
                    )
                ]
            ) from None
