"""The published forms of the data: the Frictionless data package, the SQLite database and the
Datasette metadata, built by `make data`; the dataset version and its citation."""

from __future__ import annotations

import json
import re
import sqlite3

import frictionless
import pandas as pd
import pytest

from analysis import clean, paths
from analysis.pipeline import database, datapackage, release, schemas
from analysis.report import data
from analysis.vocab import OPERATION_TYPES, PERPETRATORS


@pytest.fixture(scope="module")
def built(real_processed):
    """data/processed built from the real data/raw (the session's, read only)."""
    return real_processed


def test_data_package_is_valid_for_frictionless(built):
    report = frictionless.Package(str(built / paths.DATAPACKAGE)).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]
    package = json.loads((built / paths.DATAPACKAGE).read_text())
    names = [r["name"] for r in package["resources"]]
    curated_only = [n for n in datapackage.MODELS if n not in datapackage.EXPORT_ONLY]
    # The link tables are published only when an export was dropped into data/raw.
    assert names in (curated_only, list(datapackage.MODELS))
    counts = data.load(built).manifest["rows"]
    for resource in package["resources"]:
        rows = pd.read_csv(built / resource["path"], keep_default_na=False)
        assert len(rows) == counts[resource["name"]], resource["name"]


def test_a_claim_citing_an_unknown_source_fails_validation(raw_dir, tmp_path):
    out = tmp_path / "processed"
    clean.run(raw_dir, out)
    descriptor = json.loads((out / paths.DATAPACKAGE).read_text())
    text = (out / "claims.csv").read_text()
    source = descriptor["resources"][1]["schema"]["fields"][1]["name"]
    assert source == "source_id"
    first_id = text.splitlines()[1].split(",")[1]
    (out / "claims.csv").write_text(text.replace(f",{first_id},", ",no-such-source,", 1))
    for resource in descriptor["resources"]:  # only the foreign key should fail, not the hash
        resource.pop("hash"), resource.pop("bytes")
    (out / paths.DATAPACKAGE).write_text(json.dumps(descriptor))
    report = frictionless.Package(str(out / paths.DATAPACKAGE)).validate()
    assert not report.valid
    assert {e["type"] for t in report.to_dict()["tasks"] for e in t["errors"]} == {"foreign-key"}


def test_table_schemas_come_from_the_pandera_models(built):
    package = json.loads((built / paths.DATAPACKAGE).read_text())
    fields = {
        r["name"]: {f["name"]: f for f in r["schema"]["fields"]} for r in package["resources"]
    }
    incidents = fields["incidents"]
    assert incidents["perpetrator"]["constraints"]["enum"] == list(PERPETRATORS)
    assert incidents["operation_type"]["constraints"]["enum"] == list(OPERATION_TYPES)
    assert incidents["incident_id"]["constraints"] == {"required": True, "unique": True}
    assert incidents["date_start"]["type"] == "date"
    assert incidents["single_source"]["type"] == "boolean"
    assert incidents["civilians_killed_min"] == {
        "name": "civilians_killed_min",
        "type": "integer",
        "description": incidents["civilians_killed_min"]["description"],
        "constraints": {"minimum": 0},
    }
    assert "required" not in incidents["latitude"].get("constraints", {})
    sources = fields["sources"]
    assert sources["url"]["constraints"]["pattern"] == schemas.URL
    assert sources["publisher"]["constraints"] == {
        "required": True,
        "minLength": 2,
        "maxLength": 120,
    }
    assert sources["incidents_cited"]["type"] == "integer"  # not in the model: from the frame
    assert fields["context_events"]["date"]["constraints"]["minimum"] == "2012-01-01"
    # Every column of every model is declared, with the model's required-ness.
    for name, model in datapackage.MODELS.items():
        if name not in fields:  # an export-only table, absent without an export
            assert name in datapackage.EXPORT_ONLY
            continue
        for column, spec in model.to_schema().columns.items():
            declared = fields[name][column].get("constraints", {})
            assert declared.get("required", False) is (not spec.nullable), (name, column)


def test_a_changed_model_changes_the_table_schema(monkeypatch):
    frame = pd.DataFrame({"incident_id": ["a"], "count_min": [1]})

    class Narrow(schemas._Base):
        incident_id: schemas.Series[str]
        count_min: schemas.Series[pd.Int64Dtype] = schemas.pa.Field(ge=1, le=9)

    monkeypatch.setitem(datapackage.MODELS, "claims", Narrow)
    fields = datapackage.table_schema("claims", frame)["fields"]
    assert fields[1]["constraints"] == {"required": True, "minimum": 1, "maximum": 9}


def test_version_is_the_latest_release_and_citation_names_it(built):
    latest = release.latest(paths.RELEASES)
    package = json.loads((built / paths.DATAPACKAGE).read_text())
    assert package["version"] == latest.version
    assert package["licenses"][0]["name"] == "CC-BY-4.0"
    assert len(package["sources"]) > 100
    citation = paths.CITATION.read_text()
    assert re.search(rf"^version: {re.escape(latest.version)}$", citation, re.M)
    assert re.search(rf"^date-released: {latest.date}$", citation, re.M)
    meta = json.loads((built / paths.DATASETTE_METADATA).read_text())
    assert latest.version in meta["title"]


def test_release_notes_without_a_dated_heading_are_refused(tmp_path):
    notes = tmp_path / "RELEASES.md"
    notes.write_text("# Releases\n\n## next\n\n- undated\n")
    with pytest.raises(release.ReleaseNotesError, match=r"## 1\.0\.0 \(2026-01-31\)"):
        release.latest(notes)
    notes.write_text("# Releases\n\n## 2.1.0 (2027-01-05)\n\n## 2.0.0 (2026-12-01)\n")
    assert release.latest(notes) == release.Release("2.1.0", "2027-01-05")


def test_database_holds_the_processed_tables_with_keys_and_search(built):
    processed = data.load(built)
    connection = sqlite3.connect(built / paths.DATABASE)
    try:
        for name in ("incidents", "claims", "sources", "context_events", "changelog"):
            (count,) = connection.execute(f"select count(*) from {name}").fetchone()
            frame = processed.extra[name] if name in processed.extra else getattr(processed, name)
            expected = len(frame)
            assert count == expected, name
        keys = {(r[2], r[3]) for r in connection.execute("pragma foreign_key_list(claims)")}
        assert keys == {("incidents", "incident_id"), ("sources", "source_id")}
        assert connection.execute("pragma foreign_key_check").fetchall() == []
        killed = connection.execute(
            "select sum(civilians_killed_min), sum(civilians_killed_max) from incidents"
        ).fetchone()
        inc = processed.incidents
        assert killed == (
            int(inc["civilians_killed_min"].sum()),
            int(inc["civilians_killed_max"].sum()),
        )
        word = "Moura"
        found = {
            r[0]
            for r in connection.execute(
                "select incident_id from incidents where rowid in "
                "(select rowid from incidents_fts where incidents_fts match ?)",
                [word],
            )
        }
        described = inc[inc["description"].str.contains(word) | (inc["locality"] == word)]
        assert found == set(described["incident_id"]) and found
    finally:
        connection.close()


def test_database_bytes_are_identical_across_rebuilds(raw_dir, tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    clean.run(raw_dir, one)
    clean.run(raw_dir, two)
    for name in (paths.DATABASE, paths.DATAPACKAGE, paths.DATASETTE_METADATA, "claims.csv"):
        assert (one / name).read_bytes() == (two / name).read_bytes(), name
    tables = clean.build_tables(clean.read_curated(raw_dir))
    assert database.build(tables) == (one / paths.DATABASE).read_bytes()
