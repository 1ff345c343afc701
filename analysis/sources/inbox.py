"""What a user dropped into data/raw/acled/ and data/raw/ucdp/: which reader takes each file.

Every file in an export folder is either read or named with the reason it is not (a
``Skipped`` entry the validation report and build log print): nothing is ignored in silence.
The layout is found from the content, not the folder or the extension alone:

- ``.csv``: an ACLED event export (any layout), ACLED aggregated data, or a UCDP GED file;
  an HTML page (a failed download saved under a .csv name), JSON, or another header is skipped;
- ``.xlsx``: the first sheet with one of those headers (HDX workbooks have a ``TOU`` sheet
  first) is read through a temporary CSV (never written into data/raw);
- anything else (API ``.json``, ``.zip``, ``.xls``, ...) is skipped with what to do instead.

``<file>.meta.json`` sidecars belong to their export and are not listed; hidden files neither.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from analysis.errors import DataError
from analysis.sources.acled import ALIASES as ACLED_ALIASES
from analysis.sources.acled import looks_like_events
from analysis.sources.aggregates import looks_like_aggregates
from analysis.sources.exports import header_records, normalise_names, xlsx_sheets
from analysis.sources.ucdp import looks_like_ged

FOLDERS = ("acled", "ucdp")
KINDS = ("acled", "acled-aggregates", "ucdp")


@dataclass(frozen=True)
class Found:
    """One file of an export folder: its reader (``kind``) or why it is not read."""

    path: Path
    folder: str
    kind: str | None  # one of KINDS, or None when skipped
    sheet: str | None = None  # .xlsx: the sheet read
    reason: str | None = None  # skipped: why


def kind_of_header(fields: list[str]) -> str | None:
    """Which reader a header (first record) belongs to, or None."""
    names = normalise_names(fields, ACLED_ALIASES)
    if looks_like_events(names):
        return "acled"
    if looks_like_aggregates(names):
        return "acled-aggregates"
    if looks_like_ged(fields):
        return "ucdp"
    return None


def _sniff(path: Path) -> str | None:
    """A reason to skip a .csv whose bytes are not CSV text, else None."""
    head = path.read_bytes()[:2048]
    if not head.strip():
        return "empty file"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<!doctype html", b"<html", b"<?xml", b"<head", b"<body")) or (
        text.startswith(b"<") and b"<html" in text
    ):
        return (
            "an HTML page saved under a .csv name (a failed or refused download?): "
            "download the export again"
        )
    if text.startswith((b"{", b"[")):
        return "JSON saved under a .csv name: save the data as CSV"
    if head.startswith(b"PK\x03\x04"):
        return "a zip archive or workbook saved under a .csv name: unzip it or rename it"
    return None


def classify(path: Path, folder: str) -> Found:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        reason = _sniff(path)
        if reason:
            return Found(path, folder, None, reason=reason)
        try:
            records = header_records(path, 1)
        except (DataError, UnicodeDecodeError):
            # Not UTF-8: the reader for its header would say so; try the ACLED reader's
            # explanation by letting the pipeline read it as ACLED when in the acled folder.
            return Found(path, folder, "acled" if folder == "acled" else "ucdp")
        kind = kind_of_header(records[0]) if records else None
        if kind is None:
            shown = ", ".join(records[0][:6]) if records else ""
            return Found(
                path,
                folder,
                None,
                reason=f"not a recognised ACLED or UCDP layout (header starts: {shown[:80]})",
            )
        return Found(path, folder, kind)
    if suffix == ".xlsx":
        try:
            sheets = xlsx_sheets(path)
        except DataError as exc:
            return Found(path, folder, None, reason=exc.problems[0].rule)
        for sheet, fields in sheets:
            kind = kind_of_header(fields)
            if kind:
                return Found(path, folder, kind, sheet=sheet)
        names = ", ".join(s for s, _ in sheets)
        return Found(
            path, folder, None, reason=f"no sheet has an ACLED or UCDP header (sheets: {names})"
        )
    reasons = {
        ".json": "an API JSON response is not read: save the data as CSV "
        "(make fetch-acled / make fetch-ucdp write CSV)",
        ".zip": "a zip archive: unzip the CSV into this folder",
        ".xls": "old Excel format: save it as .xlsx or CSV",
        ".html": "an HTML page, not data: download the export again",
        ".htm": "an HTML page, not data: download the export again",
    }
    return Found(
        path, folder, None, reason=reasons.get(suffix, "not a .csv or .xlsx file: not read")
    )


def survey(raw_dir: Path) -> list[Found]:
    """Every file of raw_dir/acled and raw_dir/ucdp, classified, in a stable order."""
    found: list[Found] = []
    for folder in FOLDERS:
        base = raw_dir / folder
        if not base.is_dir():
            continue
        for path in sorted(base.iterdir()):
            if path.name.startswith(".") or path.name.endswith(".meta.json") or path.is_dir():
                continue
            found.append(classify(path, folder))
    return found
