"""What every third-party export reader returns, and the pieces ACLED and UCDP readers share.

A reader turns one user-supplied file (ACLED or UCDP GED) into:

- ``events``: the canonical export-event frame (checked by the pipeline against
  ``analysis.pipeline.schemas.ExportEvents``), one row per kept event;
- ``rejected``: rows of the file that broke a rule, with their CSV line and the reason, so that
  nothing is dropped silently (a third-party file is quarantined row by row, not refused whole);
- ``provenance``: what is needed to reproduce the analysis (hash, access date, version, counts)
  and the attribution text the provider asks for.

Actor strings are mapped to perpetrator roles in ``analysis.sources.actors``.
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
import pyarrow as pa_
import pyarrow.compute as pac
import pyarrow.csv as pcsv

from analysis.errors import DataError, Problem
from analysis.sources.checks import RowCheck
from analysis.sources.csvio import display_name

DATASETS = ("acled", "ucdp")
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
    "admin3",
    "location",
    "latitude",
    "longitude",
    "geo_precision_native",
    "geo_precision",
    "actor1_raw",
    "notes",
    "perpetrator",
    "operation_type",
    "civilians_killed_min",
    "civilians_killed_max",
    "fatalities_best",
    "source_file",
    "updated",
]
REJECTED_COLUMNS = ["dataset", "file", "line", "event_id", "reason"]

ATTRIBUTION = {
    "acled": (
        "Armed Conflict Location & Event Data (ACLED); www.acleddata.com. Data {accessed}. "
        "ACLED data are used under ACLED's Terms of Use and are not redistributed."
    ),
    "ucdp": (
        "UCDP Georeferenced Event Dataset (GED) version {version}, Uppsala Conflict Data "
        "Program, Uppsala University (ucdp.uu.se), licensed CC BY 4.0; data {accessed}. "
        "Cite Sundberg, Ralph and Erik Melander (2013), 'Introducing the UCDP Georeferenced "
        "Event Dataset', Journal of Peace Research 50(4), and the UCDP annual article for the "
        "release used (listed on ucdp.uu.se)."
    ),
}


@dataclass
class ExportResult:
    """One export file read: kept canonical events, quarantined rows, and provenance."""

    events: pd.DataFrame
    rejected: pd.DataFrame
    provenance: dict = field(default_factory=dict)
    # Actor strings no rule classifies (actors.UNCLASSIFIED_COLUMNS); None when there are none.
    unclassified: pd.DataFrame | None = None


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

    def broke(self, rule: RowCheck, **columns: pd.Series) -> None:
        """Quarantine the rows that break a registered rule, with the rule's own words;
        ``columns`` gives the rule's columns under their names in this file."""
        self.add(rule.broken(pd.DataFrame(columns, index=self.index)), rule.message)

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


def physical_lines(path: Path) -> int:
    """Number of lines in a file (a last line without a newline counts)."""
    count = 0
    last = b"\n"
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            count += block.count(b"\n")
            last = block[-1:]
    return count + (0 if last == b"\n" else 1)


def record_lines(path: Path, n_records: int, names: list[str], has_header: int) -> pd.Index:
    """The CSV line on which each of ``n_records`` records starts, exact even with newlines
    inside quoted cells (then every column is re-read to count them; rare, so affordable).
    ``has_header`` is the number of records before the data (0, 1, or 2 with an HXL row)."""
    first = int(has_header) + 1
    if physical_lines(path) == n_records + first - 1:
        return pd.Index(np.arange(first, first + n_records, dtype="int64"), name="line")
    table = pcsv.read_csv(
        path,
        read_options=pcsv.ReadOptions(column_names=names, skip_rows=int(has_header)),
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
_UCDP_VERSION = re.compile(r"ged(?:event)?[-_a-z]*?v?(\d{2})[._]?(\d)(?:[._](\d+))?", re.IGNORECASE)


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
        **counts,
        "columns_layout": layout,
        "version": version,
        "access_date": accessed,
        "attribution": ATTRIBUTION[dataset].format(
            version=version,
            # A file with no access date (no .meta.json, no date in its name) says so in words.
            accessed="access date not recorded"
            if accessed == "unknown"
            else f"accessed on {accessed}",
        ),
    }


def finish(events: pd.DataFrame, file: str) -> pd.DataFrame:
    """Order and type the canonical events (the pipeline validates them against ExportEvents)."""
    events = events.assign(source_file=file)
    if "updated" not in events:
        events["updated"] = pd.Series(pd.NaT, index=events.index, dtype="datetime64[s]")
    # Commune and the provider's own description: optional in a layout, used for linkage and
    # shown with leads (never published: the export's text stays the provider's).
    for column in ("admin3", "notes"):
        if column not in events:
            events[column] = pd.Series(pd.NA, index=events.index, dtype="object")
    out = events[EVENT_COLUMNS].sort_values(["date_start", "event_id"]).reset_index(drop=True)
    return out.astype(
        {
            "civilians_killed_min": "Int64",
            "civilians_killed_max": "Int64",
            "fatalities_best": "Int64",
            "latitude": "float64",
            "longitude": "float64",
        }
    )


def read_text_frame(
    path: Path,
    names: list[str],
    *,
    skip_header: int,
    columns: list[str] | None = None,
    keep_rows: Callable[[pa_.Table], pa_.Array] | None = None,
    untrimmed: tuple[str, ...] = (),
) -> tuple[pd.DataFrame, int]:
    """Every cell of ``columns`` as text (empty -> NA), indexed by CSV line.

    ``skip_header`` is the number of records before the data: 0, 1, or 2 (a header and an HXL
    hashtag row, as in HDX files).

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
                column_names=names, skip_rows=int(skip_header), block_size=1 << 24
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


def header_records(path: Path, n: int = 2) -> list[list[str]]:
    """The first ``n`` records of a CSV file, as stripped fields (a UTF-8 BOM is dropped)."""
    import csv

    out: list[list[str]] = []
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        try:
            for record in reader:
                out.append([h.strip() for h in record])
                if len(out) >= n:
                    break
        except UnicodeDecodeError:
            header_fields(path)  # raises the explained error
            raise
        except csv.Error as exc:
            raise DataError(
                [Problem(display_name(path), None, None, None, f"cannot read as CSV: {exc}")]
            ) from None
    return out


def is_hxl_row(fields: list[str]) -> bool:
    """True for an HXL hashtag row (HDX files): every non-empty cell starts with '#'."""
    cells = [f for f in fields if f]
    return bool(cells) and all(f.startswith("#") for f in cells)


def normalise_names(header: list[str], aliases: dict[str, str] | None = None) -> list[str]:
    """Lower-case column names (older files are upper case), with aliases; an empty name
    (a trailing comma on every line, as in UCDP's website export) becomes ``_unnamed_<n>``."""
    aliases = aliases or {}
    out = []
    for i, name in enumerate(header, start=1):
        key = name.strip().lower()
        out.append(aliases.get(key, key) if key else f"_unnamed_{i}")
    return out


def xlsx_sheets(path: Path) -> list[tuple[str, list[str]]]:
    """(sheet name, first row as text) of every sheet of an .xlsx workbook."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zipfile/openpyxl raise many kinds for a broken workbook
        raise DataError(
            [Problem(display_name(path), None, None, None, f"cannot read as .xlsx: {exc}")]
        ) from None
    try:
        out = []
        for sheet in book.worksheets:
            first = next(sheet.iter_rows(max_row=1, values_only=True), ())
            out.append((sheet.title, [_cell_text(v) for v in first]))
        return out
    finally:
        book.close()


def _cell_text(value: object) -> str:
    """One spreadsheet cell as the text a CSV export would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def xlsx_to_csv(path: Path, sheet: str, target: Path) -> Path:
    """Write one sheet of a workbook as UTF-8 CSV at ``target`` (a temporary file, never in
    data/raw); rows keep their sheet row numbers as CSV line numbers.

    openpyxl reads cell by cell in Python; Excel caps a sheet at 1,048,576 rows, so this stays
    within seconds to a minute for the largest workbook a user can hold.
    """
    import csv

    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        rows = book[sheet].iter_rows(values_only=True)
        with open(target, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerows([_cell_text(v) for v in row] for row in rows)
    finally:
        book.close()
    return target
