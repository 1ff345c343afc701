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

from analysis.errors import DataError, Problem

# Curated tables are hand-edited and small; anything far larger is almost surely a wrong file.
MAX_CURATED_BYTES = 20 * 1024 * 1024


def display_name(path: Path) -> str:
    """The path as a user sees it: relative to the project root where possible."""
    from analysis.paths import ROOT

    try:
        return str(path.resolve().relative_to(ROOT.resolve()))
    except ValueError:
        return str(path)


def decode_text(raw: bytes, name: str) -> str:
    """Decode UTF-8 (a leading byte-order mark is accepted and dropped) or fail naming the line."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        bad = raw[exc.start : exc.start + 4]
        raise DataError(
            [
                Problem(
                    name,
                    line,
                    None,
                    repr(bad),
                    "file is not valid UTF-8 (it looks like Latin-1/Windows-1252 text): "
                    "re-save it as UTF-8",
                )
            ]
        ) from None


def read_csv_strict(
    path: Path,
    columns: list[str],
    *,
    max_bytes: int = MAX_CURATED_BYTES,
) -> pd.DataFrame:
    """Read ``path`` as text cells with exactly ``columns`` (any order), indexed by CSV line.

    Empty cells become missing values; surrounding spaces are stripped. Raises DataError with
    every structural problem found.
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
        raise DataError([Problem(name, 1, None, None, f"malformed CSV header: {exc}")]) from None

    seen: set[str] = set()
    for h in header:
        if h in seen:
            problems.append(Problem(name, 1, h, h, "column appears more than once in the header"))
        seen.add(h)
    for missing in [c for c in columns if c not in header]:
        problems.append(Problem(name, 1, missing, None, "required column is missing"))
    for extra in [h for h in header if h not in columns]:
        problems.append(
            Problem(name, 1, extra, extra, f"unexpected column (expected only {columns})")
        )
    if problems:
        raise DataError(problems)

    rows: list[list[str]] = []
    lines: list[int] = []
    start = 1
    try:
        for record in reader:
            line = start + 1
            start = reader.line_num
            if not record or all(not cell.strip() for cell in record):
                continue
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
        problems.append(
            Problem(
                name,
                start + 1,
                None,
                None,
                f"malformed CSV ({exc}): probably a quote that is opened and never closed",
            )
        )
    if problems:
        raise DataError(problems)

    frame = pd.DataFrame(rows, columns=header, index=pd.Index(lines, name="line"), dtype=object)
    frame = frame.replace("", None)[columns]
    return frame.astype("string")
