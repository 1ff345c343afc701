"""The strict CSV reader: structure problems are reported with file, line and rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.errors import DataError
from analysis.sources.csvio import read_csv_strict

COLUMNS = ["id", "name", "count"]


def write(tmp_path: Path, content: bytes) -> Path:
    path = tmp_path / "table.csv"
    path.write_bytes(content)
    return path


def problems(path: Path) -> list:
    with pytest.raises(DataError) as info:
        read_csv_strict(path, COLUMNS)
    return info.value.problems


def test_reads_cells_as_text_indexed_by_line(tmp_path):
    frame = read_csv_strict(write(tmp_path, b"id,name,count\na,Alpha,1\n\nb, Bravo ,2\n"), COLUMNS)
    assert list(frame.index) == [2, 4]
    assert frame.loc[4, "name"] == "Bravo"
    assert frame.loc[2, "count"] == "1"


def test_empty_cells_become_missing(tmp_path):
    frame = read_csv_strict(write(tmp_path, b"id,name,count\na,,1\n"), COLUMNS)
    assert frame["name"].isna().all()


def test_utf8_bom_is_accepted(tmp_path):
    frame = read_csv_strict(write(tmp_path, "\ufeffid,name,count\na,Ségou,1\n".encode()), COLUMNS)
    assert frame.loc[2, "name"] == "Ségou"


def test_crlf_and_mixed_line_endings_are_accepted(tmp_path):
    frame = read_csv_strict(write(tmp_path, b"id,name,count\r\na,A,1\r\nb,B,2\n"), COLUMNS)
    assert list(frame["id"]) == ["a", "b"]


def test_latin1_is_rejected_with_line(tmp_path):
    found = problems(write(tmp_path, "id,name,count\na,A,1\nb,Ségou,2\n".encode("latin-1")))
    assert found[0].row == 3
    assert "UTF-8" in found[0].rule


def test_ragged_row_names_line_and_counts(tmp_path):
    found = problems(write(tmp_path, b"id,name,count\na,A,1\nb,B\nc,C,3,extra\n"))
    assert {p.row for p in found} == {3, 4}
    assert all("fields but the header has 3" in p.rule for p in found)


def test_unclosed_quote(tmp_path):
    found = problems(write(tmp_path, b'id,name,count\na,"A,1\nb,B,2\n'))
    assert "quote" in found[0].rule


def test_empty_file(tmp_path):
    found = problems(write(tmp_path, b""))
    assert "empty" in found[0].rule


def test_header_only_gives_empty_frame(tmp_path):
    assert read_csv_strict(write(tmp_path, b"id,name,count\n"), COLUMNS).empty


def test_missing_extra_and_duplicated_columns(tmp_path):
    found = problems(write(tmp_path, b"id,id,colour\na,b,c\n"))
    rules = {(p.column, p.rule.split(" (")[0]) for p in found}
    assert ("id", "column appears more than once in the header") in rules
    assert ("name", "required column is missing") in rules
    assert ("count", "required column is missing") in rules
    assert ("colour", "unexpected column") in rules


def test_oversized_file(tmp_path):
    path = write(tmp_path, b"id,name,count\n" + b"a,A,1\n" * 10)
    with pytest.raises(DataError) as info:
        read_csv_strict(path, COLUMNS, max_bytes=20)
    assert "larger than" in info.value.problems[0].rule


def test_missing_file(tmp_path):
    found = problems(tmp_path / "absent.csv")
    assert found[0].rule == "file not found"


def test_optional_columns_may_be_absent_or_left_off_the_end_of_a_row(tmp_path):
    columns = [*COLUMNS, "note", "note_fr"]
    optional = ("note", "note_fr")
    # A file without them reads, with the columns empty.
    frame = read_csv_strict(
        write(tmp_path, b"id,name,count\na,Alpha,1\n"), columns, optional=optional
    )
    assert list(frame.columns) == columns and frame["note"].isna().all()
    # A row written before the columns existed stops before them; a full row fills them.
    text = b"id,name,count,note,note_fr\na,Alpha,1\nb,Bravo,2,near X,pr\xc3\xa8s de X\n"
    frame = read_csv_strict(write(tmp_path, text), columns, optional=optional)
    assert frame["note"].isna().tolist() == [True, False]
    assert frame.loc[3, "note_fr"] == "près de X"


def test_a_row_ending_inside_the_optional_columns_is_ragged(tmp_path):
    text = b"id,name,count,note,note_fr\na,Alpha,1,near X\n"
    with pytest.raises(DataError) as info:
        read_csv_strict(
            write(tmp_path, text), [*COLUMNS, "note", "note_fr"], optional=("note", "note_fr")
        )
    assert "row has 4 fields but the header has 5" in info.value.problems[0].rule
    # A required column is still required, and only optional ones may be left off a row.
    with pytest.raises(DataError) as info:
        read_csv_strict(write(tmp_path, b"id,name,count\na,Alpha\n"), COLUMNS, optional=("note",))
    assert "row has 2 fields" in info.value.problems[0].rule
