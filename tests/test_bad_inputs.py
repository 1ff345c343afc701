"""The catalogue of bad inputs, each with the exact outcome a user sees.

Curated tables go through the real entry point, ``analysis.clean.main``: each case asserts the
report printed on stderr (file, line, column, value and rule, parsed back from the text), the
exit status, and that the previous build in the output folder is untouched. Third-party ACLED
exports go through ``analysis.sources.acled.read_acled``: a bad row is quarantined in
``rejected`` with its line and reason and counted in ``provenance["rows_rejected"]``; a file that
is not an ACLED export at all is refused with a DataError.

docs/troubleshooting.md is generated from this catalogue (tools/troubleshooting.py), so it lists
every case below with exactly what the user sees.
"""

from __future__ import annotations

import ast
import csv
import io
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from analysis import clean
from analysis.errors import DataError, shorten
from analysis.pipeline import schemas
from analysis.pipeline.validation import MEASURE_OUTCOME_ERROR
from analysis.sources.acled import read_acled
from analysis.sources.actors import load_actor_map
from analysis.vocab import PERPETRATORS, TOTAL_MEASURES, VICTIM_GROUPS
from tests.conftest import FIXTURES, ROOT

# --------------------------------------------------------------------------------------------
# Reading the report back
# --------------------------------------------------------------------------------------------

_RULE = re.compile(r"^  (?:column '(.*?)': )?(.*)  \[(\d+) row\(s\)\]$")
_ROW = re.compile(r"^    - (?:line (\d+)|whole file)(?:: (.*))?$")

# (file name, line, column, value, rule)
Reported = tuple[str, int | None, str | None, str | None, str]


def parse_report(text: str) -> set[Reported]:
    """Every problem in a printed report, with its file reduced to the file name."""
    found: set[Reported] = set()
    file = column = rule = None
    counted = 0
    started = False
    for line in text.splitlines():
        if line.endswith("problem(s) found in the input data:"):
            started = True
            continue
        if not started or not line.strip():
            continue
        if not line.startswith(" "):
            file = Path(line).name
        elif m := _RULE.match(line):
            column, rule, counted = m.group(1), m.group(2), int(m.group(3))
            assert counted <= 10, "test cases should stay below the per-rule listing limit"
        elif m := _ROW.match(line):
            row = int(m.group(1)) if m.group(1) else None
            value = ast.literal_eval(m.group(2)) if m.group(2) else None
            found.add((file, row, column, value, rule))
        else:
            raise AssertionError(f"unexpected report line: {line!r}")
    assert started, f"no report in:\n{text}"
    return found


def columns(model) -> list[str]:
    return list(model.to_schema().columns)


CAS_COLUMNS = columns(schemas.CasualtiesRaw)
UNCLOSED = (
    'malformed CSV: a quote (") is opened in this row and never closed, so the rest of the '
    "file was read as one cell"
)
NOT_WHOLE = "not a whole number"
ROW_WIDTH = (
    "row has {n} fields but the header has 8 (a missing or extra comma, or an unquoted comma "
    "in a text field?)"
)

# --------------------------------------------------------------------------------------------
# Changes to the fixture (tests/fixtures/curated; its lines are referred to by number)
# --------------------------------------------------------------------------------------------

Change = Callable[[Path], None]


def edit(name: str, old: str, new: str) -> Change:
    def apply(raw: Path) -> None:
        path = raw / name
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {name}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return apply


def append(name: str, row: str) -> Change:
    def apply(raw: Path) -> None:
        path = raw / name
        path.write_text(path.read_text(encoding="utf-8") + row + "\n", encoding="utf-8")

    return apply


def append_file(name: str, text: str) -> Change:
    """Write a new (optional) table."""
    return lambda raw: (raw / name).write_text(text + "\n", encoding="utf-8")


def rewrite(name: str, make: Callable[[str], bytes]) -> Change:
    def apply(raw: Path) -> None:
        path = raw / name
        path.write_bytes(make(path.read_text(encoding="utf-8")))

    return apply


def delete(name: str) -> Change:
    return lambda raw: (raw / name).unlink()


def both(*changes: Change) -> Change:
    def apply(raw: Path) -> None:
        for change in changes:
            change(raw)

    return apply


def oversized(raw: Path) -> None:
    with open(raw / "casualties.csv", "ab") as handle:
        handle.write(b"#" * (21 * 1024 * 1024))


LINE6 = "bravo-2022-03,agency-20220306,civilians,killed,12,15,12 to 15,"
LINE7 = "bravo-2022-03,agency-20220306,civilians,injured,3,3,three injured,"
DATES = "2022-03-27,2022-03-31"
COORDS = "14.1,-4.9,1,fictional test gazetteer"
SAME_PLACE = (
    "alpha-2022-03-b,2022-03-27,2022-03-27,day,Mopti,,Alpha,,,,,army,malian_forces,"
    "ground_raid,Fictional second event at the same place and date.,"
    "Second événement fictif au même lieu et à la même date.,,"
)


@dataclass(frozen=True)
class Case:
    id: str
    change: Change
    expected: set[Reported]


CASES = [
    # --- structure -------------------------------------------------------------------------
    Case(
        "ragged-row-short",
        edit("casualties.csv", LINE7, LINE7.replace(",3,3,", ",3,")),
        {
            (
                "casualties.csv",
                7,
                None,
                shorten(LINE7.replace(",3,3,", ",3,")),
                ROW_WIDTH.format(n=7),
            )
        },
    ),
    Case(
        "ragged-row-unquoted-comma",
        edit("casualties.csv", "12 to 15", "12, maybe 15"),
        {
            (
                "casualties.csv",
                6,
                None,
                shorten(LINE6.replace("12 to 15", "12, maybe 15")),
                ROW_WIDTH.format(n=9),
            )
        },
    ),
    Case(
        "unclosed-quote",
        edit("casualties.csv", ",12 to 15,", ',"12 to 15,'),
        {("casualties.csv", 6, None, None, UNCLOSED)},
    ),
    Case(
        "text-after-closing-quote",
        edit("casualties.csv", ",12 to 15,", ',"12 to" 15,'),
        {
            (
                "casualties.csv",
                6,
                None,
                None,
                "malformed CSV: text follows a closing quote; a quote inside a quoted cell must "
                'be doubled ("")',
            )
        },
    ),
    Case(
        "latin-1-text",
        rewrite("incidents.csv", lambda t: t.encode("latin-1")),
        {
            (
                "incidents.csv",
                2,
                None,
                repr(b"\xe9,Al"),
                "file is not valid UTF-8 (it looks like Latin-1/Windows-1252 text): re-save "
                "it as 'CSV UTF-8'",
            )
        },
    ),
    Case(
        "utf-16-text",
        rewrite("incidents.csv", lambda t: t.encode("utf-16")),
        {
            (
                "incidents.csv",
                None,
                None,
                repr(b"\xff\xfe"),
                "file is UTF-16 text ('Unicode text' in Excel): re-save it as 'CSV UTF-8 "
                "(comma delimited)'",
            )
        },
    ),
    Case(
        "excel-workbook-named-csv",
        rewrite("sources.csv", lambda t: b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 40),
        {
            (
                "sources.csv",
                None,
                None,
                repr(b"PK\x03\x04"),
                "this is a ZIP archive or an Excel workbook (.xlsx), not a CSV file: in the "
                "spreadsheet, save it as 'CSV UTF-8 (comma delimited)'",
            )
        },
    ),
    Case(
        "nul-bytes",
        edit("casualties.csv", "12 to 15", "12 to\x0015"),
        {
            (
                "casualties.csv",
                6,
                None,
                "\\x00",
                "file contains NUL bytes: it is binary, not CSV text",
            )
        },
    ),
    Case(
        "semicolon-separated",
        rewrite("casualties.csv", lambda t: t.replace(",", ";").encode()),
        {
            (
                "casualties.csv",
                1,
                None,
                shorten(";".join(CAS_COLUMNS)),
                "columns are separated by semicolons, not commas: save the file as "
                "'CSV UTF-8 (comma delimited)'",
            )
        },
    ),
    Case(
        "empty-file",
        rewrite("casualties.csv", lambda t: b""),
        {
            (
                "casualties.csv",
                None,
                None,
                None,
                f"file is empty: expected a header row {CAS_COLUMNS}",
            )
        },
    ),
    Case(
        "blank-lines-only",
        rewrite("casualties.csv", lambda t: b"\n  \n\r\n"),
        {
            (
                "casualties.csv",
                None,
                None,
                None,
                f"file is empty: expected a header row {CAS_COLUMNS}",
            )
        },
    ),
    Case(
        "header-only",
        rewrite("casualties.csv", lambda t: t.splitlines()[0].encode() + b"\n"),
        {("casualties.csv", None, None, None, "table has a header but no rows")},
    ),
    Case(
        "missing-column",
        edit("casualties.csv", "source_wording,note\n", "source_wording\n"),
        {("casualties.csv", 1, "note", None, "required column is missing")},
    ),
    Case(
        "extra-column",
        edit("casualties.csv", "source_wording,note\n", "source_wording,note,extra\n"),
        {
            (
                "casualties.csv",
                1,
                "extra",
                "extra",
                f"unexpected column (expected only {CAS_COLUMNS})",
            )
        },
    ),
    Case(
        "duplicated-column",
        edit("casualties.csv", "source_wording,note\n", "source_wording,note,note\n"),
        {("casualties.csv", 1, "note", "note", "column appears more than once in the header")},
    ),
    Case(
        "column-name-case",
        edit("casualties.csv", "count_min,", "Count_Min,"),
        {
            ("casualties.csv", 1, "count_min", None, "required column is missing"),
            (
                "casualties.csv",
                1,
                "Count_Min",
                "Count_Min",
                "unexpected column: did you mean 'count_min'? (column names are case-sensitive)",
            ),
        },
    ),
    Case(
        "missing-required-file",
        delete("sources.csv"),
        {("sources.csv", None, None, None, "file not found")},
    ),
    Case(
        "oversized-file",
        oversized,
        {
            (
                "casualties.csv",
                None,
                None,
                f"{(FIXTURES / 'curated' / 'casualties.csv').stat().st_size + 21 * 2**20} bytes",
                "file is larger than the 20 MiB limit for curated tables: is it the right file?",
            )
        },
    ),
    # --- types and values --------------------------------------------------------------------
    Case(
        "count-not-a-number",
        edit("casualties.csv", "12,15,12 to 15", "twelve,15,12 to 15"),
        {("casualties.csv", 6, "count_min", "twelve", NOT_WHOLE)},
    ),
    Case(
        "count-fractional",
        edit("casualties.csv", "12,15,12 to 15", "12.5,15,12 to 15"),
        {("casualties.csv", 6, "count_min", "12.5", NOT_WHOLE)},
    ),
    Case(
        "count-negative",
        edit("casualties.csv", "12,15,12 to 15", "-1,15,12 to 15"),
        {("casualties.csv", 6, "count_min", "-1", "value is below the minimum 0")},
    ),
    Case(
        "count-implausibly-large",
        edit("casualties.csv", "12,15,12 to 15", "12,150000,12 to 15"),
        {("casualties.csv", 6, "count_max", "150000", "value is above the maximum 100000")},
    ),
    Case(
        "count-min-above-max",
        edit("casualties.csv", "12,15,12 to 15", "15,12,12 to 15"),
        {
            (
                "casualties.csv",
                6,
                "count_min/count_max",
                "count_min=15, count_max=12",
                "count_min is greater than count_max",
            )
        },
    ),
    Case(
        "required-cell-empty",
        edit("casualties.csv", "12,15,12 to 15,", "12,15,,"),
        {
            (
                "casualties.csv",
                6,
                "source_wording",
                None,
                "a value is required but the cell is empty",
            )
        },
    ),
    Case(
        "date-wrong-format",
        edit("incidents.csv", DATES, "27/03/2022,2022-03-31"),
        {
            (
                "incidents.csv",
                2,
                "date_start",
                "27/03/2022",
                "not a valid date in the form YYYY-MM-DD",
            )
        },
    ),
    Case(
        "date-impossible",
        edit("incidents.csv", DATES, "2022-02-30,2022-03-31"),
        {
            (
                "incidents.csv",
                2,
                "date_start",
                "2022-02-30",
                "not a valid date in the form YYYY-MM-DD",
            )
        },
    ),
    Case(
        "date-in-future",
        edit("incidents.csv", DATES, "2022-03-27,2099-03-31"),
        {("incidents.csv", 2, "date_end", "2099-03-31", "date is in the future")},
    ),
    Case(
        "date-before-2012",
        edit("incidents.csv", DATES, "2011-03-27,2022-03-31"),
        {
            (
                "incidents.csv",
                2,
                "date_start",
                "2011-03-27",
                "date is below the minimum 2012-01-01 (the earliest date the dataset covers)",
            )
        },
    ),
    Case(
        "date-end-before-start",
        edit("incidents.csv", DATES, "2022-03-27,2022-03-20"),
        {
            (
                "incidents.csv",
                2,
                "date_start/date_end",
                "date_start=2022-03-27, date_end=2022-03-20",
                "date_end is before date_start",
            )
        },
    ),
    Case(
        "period-end-before-start",
        edit("published_totals.csv", "2022-01-01,2022-03-31", "2022-04-01,2022-03-31"),
        {
            (
                "published_totals.csv",
                2,
                "period_start/period_end",
                "period_start=2022-04-01, period_end=2022-03-31",
                "period_end is before period_start",
            )
        },
    ),
    Case(
        "total-unknown-measure",
        edit("published_totals.csv", "civilians,killed,killings", "civilians,killed,deaths"),
        {
            (
                "published_totals.csv",
                2,
                "measure",
                "deaths",
                f"value is not one of the allowed codes {list(TOTAL_MEASURES)}",
            )
        },
    ),
    Case(
        "total-measure-against-outcome",
        edit(
            "published_totals.csv",
            "civilians,killed,killings",
            "civilians,killed,injured_or_missing",
        ),
        {
            (
                "published_totals.csv",
                2,
                "measure/outcome",
                "measure=injured_or_missing, outcome=killed",
                MEASURE_OUTCOME_ERROR,
            )
        },
    ),
    Case(
        "out-of-scope-event-citing-unknown-source",
        append_file(
            "out_of_scope.csv",
            "event_id,date,place,what,what_fr,reason,reason_fr,source_id\n"
            "gamma-2020-07,2020-07-10,Gamma,Fictional protest.,Manifestation fictive.,"
            "Not an operation.,Pas une opération.,ghost-20220101",
        ),
        {
            (
                "out_of_scope.csv",
                2,
                "source_id",
                "ghost-20220101",
                "refers to an id not found in sources",
            )
        },
    ),
    Case(
        "coordinate-not-a-number",
        edit("incidents.csv", COORDS, COORDS.replace("14.1", "14.1N")),
        {("incidents.csv", 2, "latitude", "14.1N", "not a number")},
    ),
    Case(
        "coordinates-outside-mali",
        edit("incidents.csv", COORDS, COORDS.replace("14.1", "34.1")),
        {("incidents.csv", 2, "latitude", "34.1", "value is above the maximum 25.1")},
    ),
    Case(
        "coordinates-swapped",
        edit("incidents.csv", COORDS, "-4.9,14.1,1,fictional test gazetteer"),
        {
            ("incidents.csv", 2, "latitude", "-4.9", "value is below the minimum 10.1"),
            ("incidents.csv", 2, "longitude", "14.1", "value is above the maximum 4.4"),
            (
                "incidents.csv",
                2,
                "latitude/longitude",
                "latitude=-4.9, longitude=14.1",
                "latitude and longitude look swapped: they fall in Mali the other way round",
            ),
        },
    ),
    Case(
        "coordinates-incomplete",
        edit("incidents.csv", COORDS, "14.1,,1,fictional test gazetteer"),
        {
            (
                "incidents.csv",
                2,
                "latitude/longitude/coord_precision/coord_source",
                "latitude=14.1, longitude=, coord_precision=1, coord_source=fictional test "
                "gazetteer",
                "latitude, longitude, coord_precision and coord_source must be given together",
            )
        },
    ),
    Case(
        "unknown-perpetrator-code",
        edit("incidents.csv", "malian_forces_wagner,execution", "wagner_and_friends,execution"),
        {
            (
                "incidents.csv",
                2,
                "perpetrator",
                "wagner_and_friends",
                f"value is not one of the allowed codes {list(PERPETRATORS)}",
            )
        },
    ),
    Case(
        "unknown-victim-group",
        edit("casualties.csv", "civilians,injured", "kids,injured"),
        {
            (
                "casualties.csv",
                7,
                "victim_group",
                "kids",
                f"value is not one of the allowed codes {list(VICTIM_GROUPS)}",
            )
        },
    ),
    Case(
        "id-wrong-form",
        edit("incidents.csv", "alpha-2022-03,2022", "Alpha 2022,2022"),
        {
            (
                "incidents.csv",
                2,
                "incident_id",
                "Alpha 2022",
                f"value does not have the required form {schemas.SLUG}",
            )
        },
    ),
    Case(
        "url-not-http",
        edit("sources.csv", "https://example.org/army/1", "javascript:alert(1)"),
        {
            (
                "sources.csv",
                4,
                "url",
                "javascript:alert(1)",
                f"value does not have the required form {schemas.URL}",
            )
        },
    ),
    # --- duplicates and references -----------------------------------------------------------
    Case(
        "duplicate-incident-id",
        edit("incidents.csv", "bravo-2022-03,", "alpha-2022-03,"),
        {
            (
                "incidents.csv",
                line,
                "incident_id",
                "alpha-2022-03",
                "value must be unique but appears more than once",
            )
            for line in (2, 3)
        },
    ),
    Case(
        "duplicate-claim",
        append("casualties.csv", LINE6.replace("12,15,12 to 15", "10,10,ten")),
        {
            (
                "casualties.csv",
                line,
                "incident_id+source_id+victim_group+outcome",
                "incident_id=bravo-2022-03, source_id=agency-20220306, victim_group=civilians, "
                "outcome=killed",
                "duplicate row for this combination",
            )
            for line in (6, 12)
        },
    ),
    Case(
        "claim-for-unknown-incident",
        append("casualties.csv", "zulu-2022-01,agency-20220306,civilians,killed,1,1,one,"),
        {
            (
                "casualties.csv",
                12,
                "incident_id",
                "zulu-2022-01",
                "refers to an id not found in incidents",
            )
        },
    ),
    Case(
        "context-event-unknown-source",
        edit("context_events.csv", ",agency-20220306", ",missing-20220306"),
        {
            (
                "context_events.csv",
                2,
                "source_id",
                "missing-20220306",
                "refers to an id not found in sources",
            )
        },
    ),
    Case(
        "incident-without-claims",
        edit(
            "casualties.csv", "delta-2024-05,army-20220401,civilians,killed,2,2,two civilians,", ""
        ),
        {
            (
                "incidents.csv",
                5,
                "incident_id",
                "delta-2024-05",
                "incident has no casualty claim in casualties.csv",
            )
        },
    ),
    Case(
        "children-above-civilians",
        edit("casualties.csv", "children,killed,4,4,four children", "children,killed,40,40,40"),
        {
            (
                "casualties.csv",
                9,
                "count_min/count_max",
                "children 40-40 > civilians 14-14",
                "children exceed civilians in the same source's claim",
            )
        },
    ),
    Case(
        "place-not-in-region-map",
        edit("incidents.csv", "Ségou,,Bravo", "Atlantis,,Bravo"),
        {
            (
                "incidents.csv",
                3,
                "region_reported/cercle/locality",
                "Atlantis /  / Bravo",
                "no normalised region: add the region, cercle or locality name to "
                "data/hand/regions.csv",
            )
        },
    ),
    Case(
        "same-place-and-date",
        both(
            append("incidents.csv", SAME_PLACE),
            append("casualties.csv", "alpha-2022-03-b,agency-20220306,civilians,killed,1,1,one,"),
            append(
                "allegations.csv",
                "alpha-2022-03-b,agency-20220306,alleges,army,malian_forces,page,,,,",
            ),
        ),
        {
            (
                "incidents.csv",
                line,
                "locality/date_start",
                f"Alpha 2022-03-27 ({incident})",
                "another incident has the same locality and date: merge them, or set "
                "distinct_from if they are different events",
            )
            for line, incident in ((2, "alpha-2022-03"), (6, "alpha-2022-03-b"))
        },
    ),
    Case(
        "perpetrator-not-derivable",
        edit(
            "incidents.csv",
            "army,malian_forces,ground_raid",
            "army,malian_forces_wagner,ground_raid",
        ),
        {
            (
                "incidents.csv",
                3,
                "perpetrator",
                "malian_forces_wagner (bravo-2022-03)",
                "the sources' allegations give 'malian_forces' by the perpetrator rule "
                "(independent sources; METHODOLOGY.md): correct the code or allegations.csv",
            )
        },
    ),
    Case(
        "claim-without-allegation",
        append("casualties.csv", "bravo-2022-03,radio-20240220,civilians,killed,3,3,three,"),
        {
            (
                "casualties.csv",
                12,
                "incident_id/source_id",
                "bravo-2022-03 / radio-20240220",
                "this source's claim has no row in allegations.csv saying what it alleged about "
                "the perpetrator",
            )
        },
    ),
]

# The claim cites a source missing from sources.csv: the problem is on casualties.csv line 12,
# but analysis/sources/curated.py reports it against sources.csv (see the xfail below).
DANGLING_SOURCE = Case(
    "claim-cites-unknown-source",
    append("casualties.csv", "bravo-2022-03,ghost-20220101,civilians,missing,1,1,one missing,"),
    {
        (
            "casualties.csv",
            12,
            "source_id",
            "ghost-20220101",
            "refers to an id not found in sources",
        )
    },
)

# What each case is, in a contributor's words, and what to do about it, by section.
# docs/troubleshooting.md is generated from this guide and the cases it names
# (tools/troubleshooting.py; tests/test_docs.py keeps the committed page equal to it).
GUIDE: dict[str, dict[str, tuple[str, str]]] = {
    "File structure and encoding": {
        "ragged-row-short": (
            "a row with too few fields",
            "Add the missing comma (empty cells still need their comma).",
        ),
        "ragged-row-unquoted-comma": (
            "a comma inside a text cell",
            'Put the cell in double quotes: `"12, maybe 15"`.',
        ),
        "unclosed-quote": (
            "a quote opened and never closed",
            'Close the quote, or double a quote that is part of the text (`""`).',
        ),
        "text-after-closing-quote": (
            '`"12 to" 15`',
            'Write `"12 to"" 15"` or drop the quotes.',
        ),
        "latin-1-text": (
            "saved as Latin-1 / Windows-1252",
            "Re-save as UTF-8 (in Excel: *CSV UTF-8 (comma delimited)*).",
        ),
        "utf-16-text": ("Excel's *Unicode text*", "Re-save as *CSV UTF-8 (comma delimited)*."),
        "excel-workbook-named-csv": (
            "an .xlsx workbook renamed .csv",
            "Export the sheet as CSV UTF-8.",
        ),
        "nul-bytes": ("binary bytes in the file", "Find the file's origin; re-export it as text."),
        "semicolon-separated": (
            "columns separated by semicolons (European-locale Excel)",
            "Save as *CSV UTF-8 (comma delimited)*.",
        ),
        "empty-file": ("an empty file", "Restore the file from git."),
        "blank-lines-only": ("a file of blank lines", "Restore the file from git."),
        "header-only": ("a required table with a header only", "Restore the rows."),
        "missing-column": (
            "a column left out of the header",
            "Add the column (an empty one is fine for optional fields).",
        ),
        "extra-column": (
            "a column the table does not have",
            "Remove it, or propose a schema change.",
        ),
        "duplicated-column": ("the same column twice", "Remove the copy."),
        "column-name-case": ("`Count_Min` for `count_min`", "Fix the name."),
        "missing-required-file": (
            "a required table missing",
            "Restore it (`incidents`, `casualties`, `sources` and `regions` are required).",
        ),
        "oversized-file": ("a file over 20 MiB", "Check you copied the right file."),
    },
    "Values": {
        "count-not-a-number": ("`twelve`", "Write digits."),
        "count-fractional": (
            "`12.5`",
            "Counts are people: record a range (`12` to `13`) if the source is vague.",
        ),
        "count-negative": ("`-1`", "Fix the sign."),
        "count-implausibly-large": ("more than 100,000", "Check for a typo."),
        "count-min-above-max": ("`count_min` above `count_max`", "Swap them."),
        "required-cell-empty": ("an empty required cell", "Fill it in."),
        "date-wrong-format": ("`27/03/2022`", "Write ISO dates: `2022-03-27`."),
        "date-impossible": ("`2022-02-30`", "Write a real day."),
        "date-in-future": ("a date after today", "Fix the year."),
        "date-before-2012": ("a date before 2012", "The dataset starts on 2012-01-01."),
        "date-end-before-start": ("`date_end` before `date_start`", "Swap or fix them."),
        "period-end-before-start": ("`period_end` before `period_start`", "Swap or fix them."),
        "coordinate-not-a-number": ("`14.1N`", "Write decimal degrees, south and west negative."),
        "coordinates-outside-mali": (
            "a point outside Mali",
            "Check the point: Mali is latitude 10.1 to 25.1, longitude -12.4 to 4.4.",
        ),
        "coordinates-swapped": ("latitude and longitude swapped", "Swap them."),
        "coordinates-incomplete": (
            "a latitude without the rest",
            "Give latitude, longitude, coord_precision and coord_source, or none of them.",
        ),
        "unknown-perpetrator-code": (
            "a perpetrator code not in the list",
            "Use a listed code (`analysis/vocab.py`).",
        ),
        "unknown-victim-group": (
            "a victim group not in the list",
            "Use a listed code (`analysis/vocab.py`).",
        ),
        "total-unknown-measure": (
            "a published total's measure not in the list",
            "Use a listed measure (`TOTAL_MEASURES` in `analysis/vocab.py`).",
        ),
        "total-measure-against-outcome": (
            "a count of the injured or missing recorded as killed",
            "Record killings, executions and violations as `killed`; injured_or_missing as "
            "`injured` or `missing`.",
        ),
        "id-wrong-form": ("`Alpha 2022`", "Use lower case, digits and hyphens."),
        "url-not-http": ("`javascript:alert(1)`", "Only http(s) links are accepted."),
    },
    "Duplicates and references (checked once every table is valid on its own)": {
        "duplicate-incident-id": ("two incidents with one id", "Rename one, or merge them."),
        "duplicate-claim": (
            "the same incident, source, group and outcome twice",
            "Keep one claim.",
        ),
        "claim-for-unknown-incident": (
            "a claim for an incident not in incidents.csv",
            "Fix the id or add the incident.",
        ),
        "claim-cites-unknown-source": (
            "a claim citing a source not in sources.csv",
            "Add the source or fix the id.",
        ),
        "context-event-unknown-source": (
            "a context event citing an unknown source",
            "Add the source or fix the id.",
        ),
        "out-of-scope-event-citing-unknown-source": (
            "an out-of-scope event citing an unknown source",
            "Add the source or fix the id.",
        ),
        "incident-without-claims": ("an incident with no claim", "Add its claims."),
        "children-above-civilians": (
            "a source's children figure above its civilians figure",
            "Subgroups never exceed the same source's civilian figure: check both.",
        ),
        "place-not-in-region-map": (
            "a place the region map does not know",
            "Add the region, cercle or locality name to data/hand/regions.csv.",
        ),
        "same-place-and-date": (
            "two incidents at one place on one day",
            "Merge them, or set distinct_from if they are different events.",
        ),
        "perpetrator-not-derivable": (
            "an incident's perpetrator code its sources' allegations do not give",
            "Correct the incident's code, or the source's row in allegations.csv.",
        ),
        "claim-without-allegation": (
            "a claim whose source has no row in allegations.csv",
            "Add what the source alleged (or `unknown` with `not_reached`).",
        ),
    },
}

# Inputs that look odd but are fine: the build succeeds with the same tables as the fixture.
ACCEPTED = {
    "utf-8-with-bom": rewrite("incidents.csv", lambda t: b"\xef\xbb\xbf" + t.encode()),
    "crlf-line-endings": rewrite("casualties.csv", lambda t: t.replace("\n", "\r\n").encode()),
    "mixed-line-endings": rewrite(
        "casualties.csv",
        lambda t: "".join(
            line + ("\r\n" if i % 2 else "\n") for i, line in enumerate(t.splitlines())
        ).encode(),
    ),
    "no-final-newline": rewrite("casualties.csv", lambda t: t.rstrip("\n").encode()),
    "blank-lines-between-rows": rewrite(
        "casualties.csv", lambda t: t.replace("\n", "\n\n").encode()
    ),
    "columns-in-another-order": rewrite(
        "sources.csv",
        lambda t: "".join(
            ",".join(reversed(row)) + "\n" for row in csv.reader(io.StringIO(t))
        ).encode(),
    ),
    "spaces-around-cells-and-names": rewrite(
        "context_events.csv", lambda t: t.replace(",", " , ").encode()
    ),
}


# --------------------------------------------------------------------------------------------
# Running the entry point
# --------------------------------------------------------------------------------------------


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture(scope="module")
def good_build(tmp_path_factory) -> Path:
    """A processed folder built from the untouched fixture (copied for each case)."""
    tmp = tmp_path_factory.mktemp("good")
    out = tmp / "processed"
    assert clean.main(["--raw", str(FIXTURES / "curated"), "--out", str(out)]) == 0
    return out


@pytest.fixture
def previous(good_build, tmp_path) -> Path:
    out = tmp_path / "build" / "processed"
    shutil.copytree(good_build, out)
    return out


def run_clean(raw: Path, out: Path, capsys) -> tuple[int, str]:
    capsys.readouterr()
    code = clean.main(["--raw", str(raw), "--out", str(out)])
    return code, capsys.readouterr().err


def assert_refused(case: Case, raw_dir: Path, previous: Path, capsys) -> None:
    before = snapshot(previous)
    case.change(raw_dir)
    code, err = run_clean(raw_dir, previous, capsys)
    assert code == 1, err
    assert err.startswith("make data: validation failed, nothing was written.\n"), err
    # The report shortens long values to 60 characters.
    expected = {
        (f, line, c, None if v is None else shorten(v), r) for f, line, c, v, r in case.expected
    }
    assert parse_report(err) == expected, err
    assert f"{len(expected)} problem(s) found" in err
    assert snapshot(previous) == before, "the previous build was changed"
    leftovers = [p.name for p in previous.parent.iterdir() if p.name != "processed"]
    assert leftovers == [], leftovers


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_curated_input_is_refused_with_exact_report(case, raw_dir, previous, capsys):
    assert_refused(case, raw_dir, previous, capsys)


def test_claim_citing_unknown_source_names_casualties_csv(raw_dir, previous, capsys):
    assert_refused(DANGLING_SOURCE, raw_dir, previous, capsys)


def test_claim_citing_unknown_source_is_refused(raw_dir, previous, capsys):
    """What the user sees today for DANGLING_SOURCE: refused, right line and value."""
    DANGLING_SOURCE.change(raw_dir)
    code, err = run_clean(raw_dir, previous, capsys)
    assert code == 1
    ((_, line, column, value, rule),) = parse_report(err)
    assert (line, column, value, rule) == (
        12,
        "source_id",
        "ghost-20220101",
        "refers to an id not found in sources",
    )


def test_all_problems_are_reported_at_once(raw_dir, previous, capsys):
    """Problems in several files and rules come in one report, not one per run."""
    for case in CASES:
        if case.id in ("count-negative", "date-end-before-start", "unknown-victim-group"):
            case.change(raw_dir)
    code, err = run_clean(raw_dir, previous, capsys)
    assert code == 1
    files = {p[0] for p in parse_report(err)}
    rules = {p[4] for p in parse_report(err)}
    assert files == {"casualties.csv", "incidents.csv"}
    assert len(rules) == 3


def test_the_guide_names_every_case_once():
    named = [case for section in GUIDE.values() for case in section]
    assert sorted(named) == sorted([c.id for c in CASES] + [DANGLING_SOURCE.id])


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_harmless_variations_build_the_same_tables(name, raw_dir, good_build, tmp_path, capsys):
    ACCEPTED[name](raw_dir)
    out = tmp_path / "processed"
    code, err = run_clean(raw_dir, out, capsys)
    assert code == 0, err
    built, good = snapshot(out), snapshot(good_build)
    for table in [n for n in good if n.endswith(".parquet")]:
        assert built[table] == good[table], table


def test_optional_table_with_header_only_is_accepted(raw_dir, tmp_path, capsys):
    path = raw_dir / "context_events.csv"
    path.write_text(path.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    code, err = run_clean(raw_dir, tmp_path / "processed", capsys)
    assert code == 0, err
    assert pd.read_parquet(tmp_path / "processed" / "context_events.parquet").empty


def test_optional_table_absent_is_accepted(raw_dir, tmp_path, capsys):
    (raw_dir / "published_totals.csv").unlink()
    code, err = run_clean(raw_dir, tmp_path / "processed", capsys)
    assert code == 0, err
    assert "published_totals.csv | absent" in (
        tmp_path / "processed" / "validation_report.md"
    ).read_text(encoding="utf-8")


def test_long_lists_are_cut_with_a_count(raw_dir, previous, capsys):
    """Twelve rows break one rule: ten are listed, then a count; the report fits a screen."""
    path = raw_dir / "casualties.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    rows = [line.replace(",killed,", ",slain,") for line in lines[1:]]
    rows += [f"bravo-2022-03,agency-20220306,children,slain,{n},{n},{n}," for n in (1, 2, 3)]
    path.write_text("\n".join([lines[0], *rows]) + "\n", encoding="utf-8")
    code, err = run_clean(raw_dir, previous, capsys)
    assert code == 1
    assert "  column 'outcome': value is not one of the allowed codes" in err
    assert "[12 row(s)]" in err and "    ... and 2 more" in err
    assert len(err.splitlines()) < 25


# --------------------------------------------------------------------------------------------
# Third-party exports: ACLED
# --------------------------------------------------------------------------------------------

ACLED_FIXTURE = FIXTURES / "acled" / "acled-2025-06-01.csv"


@pytest.fixture(scope="module")
def actor_map() -> pd.DataFrame:
    return load_actor_map(ROOT / "data" / "hand" / "actor_map.csv")


def acled_template() -> tuple[list[str], dict[str, str]]:
    with open(ACLED_FIXTURE, encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    good = next(r for r in rows[1:] if r[0] == "MLI90001")
    return header, dict(zip(header, good, strict=True))


def write_acled(path: Path, rows: list[dict[str, str]], header: list[str] | None = None) -> Path:
    base_header, _ = acled_template()
    header = header or base_header
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(h, "") for h in header])
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def variant(**changes: str) -> dict[str, str]:
    _, good = acled_template()
    return {**good, "event_id_cnty": "MLI99999", **changes}


# (case id, changes to a valid kept row, reason recorded in `rejected`)
ACLED_ROW_CASES = [
    ("date-not-a-date", {"event_date": "2024-13-45"}, None),
    ("date-missing", {"event_date": ""}, "event_date is missing"),
    ("date-in-future", {"event_date": "2099-01-01"}, "event_date is in the future"),
    ("date-too-early", {"event_date": "1980-01-01"}, "event_date is before 1989-01-01"),
    ("fatalities-negative", {"fatalities": "-3"}, "fatalities is negative"),
    ("fatalities-fractional", {"fatalities": "2.5"}, "fatalities is not a whole number"),
    ("fatalities-text", {"fatalities": "many"}, "fatalities is not a whole number"),
    ("fatalities-missing", {"fatalities": ""}, "fatalities is missing"),
    ("coordinates-outside-mali", {"latitude": "34.0"}, "coordinates are outside Mali"),
    (
        "coordinates-swapped",
        {"latitude": "-4.2400", "longitude": "14.0100"},
        "coordinates are outside Mali",
    ),
    ("coordinate-missing", {"latitude": ""}, "only one of latitude/longitude is given"),
    (
        "coordinate-not-a-number",
        {"latitude": "14.0N"},
        "latitude/longitude is not a number; only one of latitude/longitude is given",
    ),
    ("time-precision-unknown", {"time_precision": "4"}, "time_precision is not 1, 2 or 3"),
    ("geo-precision-unknown", {"geo_precision": "9"}, "geo_precision is not 1, 2 or 3"),
    ("event-id-missing", {"event_id_cnty": ""}, "event_id_cnty is missing"),
    (
        "event-id-duplicate",
        {"event_id_cnty": "MLI90001"},
        "duplicate event_id_cnty (an earlier row has the same id)",
    ),
]


@pytest.mark.parametrize(
    ("changes", "reason"),
    [(c, r) for _, c, r in ACLED_ROW_CASES],
    ids=[i for i, _, _ in ACLED_ROW_CASES],
)
def test_bad_acled_row_is_quarantined_and_counted(changes, reason, actor_map, tmp_path):
    _, good = acled_template()
    path = write_acled(tmp_path / "acled.csv", [good, variant(**changes)])
    result = read_acled(path, actor_map)
    prov = result.provenance
    assert (prov["rows_read"], prov["rows_kept"], prov["rows_rejected"]) == (2, 1, 1)
    assert list(result.events["event_id"]) == ["MLI90001"]
    ((line, event_id, got),) = result.rejected[["line", "event_id", "reason"]].itertuples(
        index=False
    )
    assert line == 3
    if reason is None:  # the reason quotes the value
        reason = (
            "event_date is not a date (expected 2025-05-16 or 16 May 2025): "
            + changes["event_date"]
        )
    assert got == reason
    assert event_id == changes.get("event_id_cnty", "MLI99999") or "<NA>"


def test_acled_quarantine_reaches_the_build_and_nothing_is_lost(raw_dir, tmp_path, capsys):
    (raw_dir / "acled").mkdir()
    _, good = acled_template()
    write_acled(raw_dir / "acled" / "acled-2025-06-01.csv", [good, variant(fatalities="-3")])
    out = tmp_path / "processed"
    code, err = run_clean(raw_dir, out, capsys)
    assert code == 0, err
    rejected = pd.read_parquet(out / "rejected.parquet")
    assert list(rejected[["line", "event_id", "reason"]].itertuples(index=False, name=None)) == [
        (3, "MLI99999", "fatalities is negative")
    ]
    report = (out / "validation_report.md").read_text(encoding="utf-8")
    assert "| acled/acled-2025-06-01.csv | ACLED API / export tool since March 2023" in report
    assert "(`acled-2023+`) | 2 | 1 | 1 |" in report
    assert "- fatalities is negative: 1" in report


def acled_refused(path: Path, actor_map) -> list:
    with pytest.raises(DataError) as info:
        read_acled(path, actor_map)
    return [(Path(p.file).name, p.row, p.column, p.value, p.rule) for p in info.value.problems]


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _not_acled(path: Path) -> None:
    path.write_text("event,date,deaths\na,2024-01-01,3\n", encoding="utf-8")


def _duplicated_column(path: Path) -> None:
    header, good = acled_template()
    write_acled(path, [good], header=[*header, "notes"])


def _latin1(path: Path) -> None:
    write_acled(path, [variant(notes="Ségou (invented).")])
    path.write_bytes(path.read_text(encoding="utf-8").encode("latin-1"))


def _ragged(path: Path) -> None:
    _, good = acled_template()
    write_acled(path, [good])
    path.write_text(path.read_text(encoding="utf-8") + "MLI1,2024-01-01,2024\n")


@dataclass(frozen=True)
class FileCase:
    """A file that is not a usable ACLED export: refused whole, with one problem."""

    id: str
    what: str  # the file, in a user's words
    make: Callable[[Path], None]
    line: int | None
    column: str | None
    rule: str  # the problem's rule starts with this text ("..." in the docs when longer)
    exact: bool = True


ACLED_FILE_CASES = [
    FileCase("empty-file", "an empty file", _empty, None, None, "file is empty"),
    FileCase(
        "not-an-acled-export",
        "a CSV without ACLED's columns",
        _not_acled,
        1,
        None,
        "not an ACLED export: required columns are missing",
    ),
    FileCase(
        "duplicated-column",
        "a column twice in the header",
        _duplicated_column,
        1,
        "notes",
        "column appears more than once in the header",
    ),
    FileCase(
        "latin-1-file",
        "saved as Latin-1 / Windows-1252",
        _latin1,
        None,
        None,
        "cannot read as UTF-8 CSV: the file is not valid UTF-8 (it looks like "
        "Latin-1/Windows-1252 text): re-save it as UTF-8",
    ),
    FileCase(
        "ragged-row",
        "a row with fewer fields than the header",
        _ragged,
        None,
        None,
        "cannot read as UTF-8 CSV: CSV parse error: Expected 31 columns, got 3",
        exact=False,
    ),
]


@pytest.mark.parametrize("case", ACLED_FILE_CASES, ids=[c.id for c in ACLED_FILE_CASES])
def test_a_file_that_is_not_an_acled_export_is_refused(case, actor_map, tmp_path):
    path = tmp_path / "acled.csv"
    case.make(path)
    ((file, row, column, value, rule),) = acled_refused(path, actor_map)
    assert (file, row, column) == ("acled.csv", case.line, case.column)
    assert rule == case.rule if case.exact else rule.startswith(case.rule), rule
    if case.id == "not-an-acled-export":  # the value lists the missing columns
        assert value.startswith("event_id_cnty, event_date, time_precision")


def test_acled_new_regime_period_is_classified_by_rule(actor_map, tmp_path):
    # A regime period no one has seen yet maps by rule: no edit, no stop.
    path = write_acled(tmp_path / "acled.csv", [variant(actor1="Military Forces of Mali (2031-)")])
    result = read_acled(path, actor_map)
    assert list(result.events["perpetrator"]) == ["malian_forces_wagner"]  # template: + Wagner
    assert result.unclassified.empty


def test_acled_unclassified_state_like_actor_is_listed_not_fatal(actor_map, tmp_path):
    path = write_acled(tmp_path / "acled.csv", [variant(actor1="Malian Army Irregulars")])
    result = read_acled(path, actor_map)
    assert result.events.empty
    (row,) = result.unclassified.itertuples(index=False)
    assert (row.file, row.column, row.actor, row.events) == (
        "acled.csv",
        "actor1",
        "Malian Army Irregulars",
        1,
    )
    assert result.provenance["rows_unclassified_actor1"] == 1


@pytest.mark.parametrize("style", ["bom", "crlf"])
def test_acled_bom_and_crlf_are_accepted(style, actor_map, tmp_path):
    _, good = acled_template()
    path = write_acled(tmp_path / "acled.csv", [good])
    text = path.read_text(encoding="utf-8")
    path.write_bytes(
        b"\xef\xbb\xbf" + text.encode() if style == "bom" else text.replace("\n", "\r\n").encode()
    )
    result = read_acled(path, actor_map)
    assert list(result.events["event_id"]) == ["MLI90001"]
    assert result.provenance["rows_rejected"] == 0
