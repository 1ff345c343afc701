"""Strict reading of the hand-curated CSV tables.

pandas fills short rows with NaN and guesses encodings; a contributor's typo would pass unseen.
This reader checks the file's structure first (encoding, quoting, field counts, header) and returns
every cell as text, indexed by its CSV line number, so later errors can name the line a person
edits. Types are then coerced and checked by the pandera schemas.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd

from analysis.errors import DataError, Problem, shorten

# Curated tables are hand-edited and small; anything far larger is almost surely a wrong file.
MAX_CURATED_BYTES = 20 * 1024 * 1024


def display_name(path: Path) -> str:
    """The path as a user sees it: relative to the project root where possible."""
    from analysis.paths import ROOT

    try:
        return str(path.resolve().relative_to(ROOT.resolve()))
    except ValueError:
        return str(path)


# Files that are not text at all, recognised by their first bytes, and what to tell the user.
NOT_TEXT = (
    (
        b"PK\x03\x04",
        "this is a ZIP archive or an Excel workbook (.xlsx), not a CSV file: "
        "in the spreadsheet, save it as 'CSV UTF-8 (comma delimited)'",
    ),
    (
        b"\xd0\xcf\x11\xe0",
        "this is an old Excel workbook (.xls), not a CSV file: in the "
        "spreadsheet, save it as 'CSV UTF-8 (comma delimited)'",
    ),
    (
        b"\xff\xfe",
        "file is UTF-16 text ('Unicode text' in Excel): re-save it as "
        "'CSV UTF-8 (comma delimited)'",
    ),
    (
        b"\xfe\xff",
        "file is UTF-16 text ('Unicode text' in Excel): re-save it as "
        "'CSV UTF-8 (comma delimited)'",
    ),
)


def decode_text(raw: bytes, name: str) -> str:
    """Decode UTF-8 (a leading byte-order mark is accepted and dropped) or fail naming the line."""
    for magic, rule in NOT_TEXT:
        if raw.startswith(magic):
            return _fail(name, None, repr(raw[: len(magic)]), rule)
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if b"\x00" in raw:
        at = raw.index(b"\x00")
        line = raw[:at].count(b"\n") + 1
        _fail(name, line, "\\x00", "file contains NUL bytes: it is binary, not CSV text")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        bad = raw[exc.start : exc.start + 4]
        _fail(
            name,
            line,
            repr(bad),
            "file is not valid UTF-8 (it looks like Latin-1/Windows-1252 text): "
            "re-save it as 'CSV UTF-8'",
        )


def _fail(name: str, line: int | None, value: str | None, rule: str):
    raise DataError([Problem(name, line, None, value, rule)]) from None


def describe_csv_error(exc: csv.Error) -> str:
    """The csv module's terse error, as something a person editing the file can act on."""
    text = str(exc)
    if "unexpected end of data" in text:
        return (
            'malformed CSV: a quote (") is opened in this row and never closed, so the rest '
            "of the file was read as one cell"
        )
    if "expected after" in text:
        return (
            "malformed CSV: text follows a closing quote; a quote inside a quoted cell must be "
            'doubled ("")'
        )
    return f"malformed CSV ({text})"


def _delimiter_hint(header: list[str], columns: list[str]) -> str | None:
    """If a one-field header is really a ';' or tab separated list of our columns, say so."""
    if len(header) != 1:
        return None
    for delimiter, label in ((";", "semicolons"), ("\t", "tabs")):
        parts = [h.strip() for h in header[0].split(delimiter)]
        if len(parts) > 1 and set(parts) & set(columns):
            return (
                f"columns are separated by {label}, not commas: save the file as "
                "'CSV UTF-8 (comma delimited)'"
            )
    return None


def duplicated_columns(header: list[str], name: str) -> list[Problem]:
    """One problem per column name that appears more than once in a header."""
    seen: set[str] = set()
    problems = []
    for h in header:
        if h in seen:
            problems.append(Problem(name, 1, h, h, "column appears more than once in the header"))
        seen.add(h)
    return problems


def read_csv_strict(
    path: Path,
    columns: list[str],
    *,
    optional: tuple[str, ...] = (),
    max_bytes: int = MAX_CURATED_BYTES,
) -> pd.DataFrame:
    """Read ``path`` as text cells with exactly ``columns`` (any order), indexed by CSV line.

    Empty cells become missing values; surrounding spaces are stripped. Columns named in
    ``optional`` may be absent from the header (then empty); when they end the header, a row may
    stop before them (a row added before the columns existed). Any other field count is an
    error. Raises DataError with every structural problem found.
    """
    name = display_name(path)
    if not path.exists():
        raise DataError([Problem(name, None, None, None, "file not found")])
    size = path.stat().st_size
    if size > max_bytes:
        raise DataError(
            [
                Problem(
                    name,
                    None,
                    None,
                    f"{size} bytes",
                    f"file is larger than the {max_bytes // (1024 * 1024)} MiB limit for "
                    "curated tables: is it the right file?",
                )
            ]
        )
    text = decode_text(path.read_bytes(), name)
    if not text.strip():
        raise DataError(
            [Problem(name, None, None, None, f"file is empty: expected a header row {columns}")]
        )

    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    problems: list[Problem] = []
    try:
        header = [h.strip() for h in next(reader)]
    except csv.Error as exc:
        _fail(name, 1, None, f"header row: {describe_csv_error(exc)}")

    hint = _delimiter_hint(header, columns)
    if hint:
        _fail(name, 1, shorten(header[0]), hint)
    problems += duplicated_columns(header, name)
    missing = [c for c in columns if c not in header and c not in optional]
    for column in missing:
        problems.append(Problem(name, 1, column, None, "required column is missing"))
    for extra in [h for h in header if h not in columns]:
        near = [c for c in missing if c.casefold() == extra.casefold().replace(" ", "_")]
        rule = (
            f"unexpected column: did you mean '{near[0]}'? (column names are case-sensitive)"
            if near
            else f"unexpected column (expected only {columns})"
        )
        problems.append(Problem(name, 1, extra or "(blank)", extra, rule))
    if problems:
        raise DataError(problems)

    trailing = 0  # optional columns at the end of the header, which a row may leave out
    while trailing < len(header) and header[len(header) - 1 - trailing] in optional:
        trailing += 1
    rows: list[list[str]] = []
    lines: list[int] = []
    start = 1
    try:
        for record in reader:
            line = start + 1
            start = reader.line_num
            if not record or all(not cell.strip() for cell in record):
                continue
            if trailing and len(record) == len(header) - trailing:
                record = record + [""] * trailing
            if len(record) != len(header):
                problems.append(
                    Problem(
                        name,
                        line,
                        None,
                        ",".join(record),
                        f"row has {len(record)} fields but the header has {len(header)} "
                        "(a missing or extra comma, or an unquoted comma in a text field?)",
                    )
                )
                continue
            rows.append([cell.strip() for cell in record])
            lines.append(line)
    except csv.Error as exc:
        problems.append(Problem(name, start + 1, None, None, describe_csv_error(exc)))
    if problems:
        raise DataError(problems)

    frame = pd.DataFrame(rows, columns=header, index=pd.Index(lines, name="line"), dtype=object)
    for column in optional:
        if column in columns and column not in frame:
            frame[column] = ""
    frame = frame.replace("", None)[columns]
    return frame.astype("string")
