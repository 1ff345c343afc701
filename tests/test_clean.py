"""The cleaning pipeline end to end on the fixture: outputs, manifest, failure path."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from analysis import clean, paths
from analysis.pipeline import datapackage
from analysis.pipeline.manifest import sha256_file
from analysis.report import data
from tests.conftest import edit_csv


def snapshot(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture(scope="module")
def fixture_build(tmp_path_factory):
    """The fixture's record copied and built once: (raw copy, its bytes before the build,
    processed folder). The tests that use it only read it."""
    import shutil

    from tests.conftest import FIXTURES

    tmp = tmp_path_factory.mktemp("clean")
    raw = shutil.copytree(FIXTURES / "curated", tmp / "raw")
    before = snapshot(raw)
    out = tmp / "processed"
    assert clean.main(["--raw", str(raw), "--out", str(out)]) == 0
    return raw, before, out


def test_writes_validated_tables_and_manifest(fixture_build):
    _, _, out = fixture_build
    record = json.loads((out / "manifest.json").read_text())
    assert set(record["outputs"]) == {
        "incidents.parquet",
        "claims.parquet",
        "sources.parquet",
        "context_events.parquet",
        "published_totals.parquet",
        "geo_outline.parquet",
        "region_points.parquet",
        "changelog.parquet",
        "out_of_scope.parquet",
        "validation_report.md",
        # the data package and the database (tests/test_publish.py)
        # (links and link candidates only when an export was present)
        *(f"{name}.csv" for name in datapackage.MODELS if not name.startswith("link")),
        paths.DATAPACKAGE,
        paths.DATABASE,
        paths.DATASETTE_METADATA,
    }
    # The map's files are inputs like any other: an edit to them rebuilds the map page.
    assert {"data/raw/geo/mali_outline.csv", "data/hand/region_capitals.csv"} <= set(
        record["inputs"]
    )
    for name, meta in record["outputs"].items():
        assert sha256_file(out / name) == meta["sha256"]
    for name, meta in record["inputs"].items():
        assert len(meta["sha256"]) == 64, name
    assert record["rows"]["incidents"] == 4
    assert "pandera" in record["versions"]
    loaded = data.load(out)
    assert loaded.incidents["civilians_killed_max"].sum() == 531
    assert pd.api.types.is_datetime64_any_dtype(loaded.incidents["date_start"])


def test_rebuild_is_byte_identical(fixture_build, tmp_path):
    raw, _, one = fixture_build
    two = tmp_path / "two"
    assert clean.main(["--raw", str(raw), "--out", str(two)]) == 0
    assert snapshot(one) == snapshot(two)


def test_failed_validation_writes_nothing_and_keeps_previous_build(raw_dir, tmp_path, capsys):
    out = tmp_path / "processed"
    clean.main(["--raw", str(raw_dir), "--out", str(out)])
    before = snapshot(out)
    edit_csv(raw_dir / "casualties.csv", "12,15,12 to 15", "15,12,12 to 15")
    assert clean.main(["--raw", str(raw_dir), "--out", str(out)]) == 1
    assert snapshot(out) == before
    err = capsys.readouterr().err
    assert "nothing was written" in err
    assert "casualties.csv" in err and "line 6" in err and "count_min is greater" in err
    assert not [p for p in out.iterdir() if p.name.startswith(".staging")]


def test_raw_inputs_are_not_modified(fixture_build):
    raw, before, _ = fixture_build
    assert snapshot(raw) == before


def test_tampered_output_is_refused(fixture_build, tmp_path):
    import shutil

    out = shutil.copytree(fixture_build[2], tmp_path / "processed")
    (out / "claims.parquet").write_bytes(b"not parquet")
    try:
        data.load(out)
    except data.ProcessedDataError as exc:
        assert "does not match manifest" in str(exc)
    else:
        raise AssertionError("a tampered table was loaded")


def test_missing_manifest_is_a_clear_error(tmp_path):
    try:
        data.load(tmp_path)
    except data.ProcessedDataError as exc:
        assert "make data" in str(exc)
    else:
        raise AssertionError("loaded without a manifest")


def test_exports_add_events_links_and_provenance(raw_dir, tmp_path):
    from tests.conftest import FIXTURES

    (raw_dir / "acled").mkdir()
    (raw_dir / "ucdp").mkdir()
    import shutil

    shutil.copy(FIXTURES / "acled" / "acled-2025-06-01.csv", raw_dir / "acled")
    shutil.copy(FIXTURES / "ucdp" / "ged-25.1-mali.csv", raw_dir / "ucdp")
    out = tmp_path / "processed"
    assert clean.main(["--raw", str(raw_dir), "--out", str(out)]) == 0
    record = json.loads((out / "manifest.json").read_text())
    assert set(record["exports"]) == {"acled/acled-2025-06-01.csv", "ucdp/ged-25.1-mali.csv"}
    acled = record["exports"]["acled/acled-2025-06-01.csv"]
    assert acled["access_date"] == "2025-06-01"
    assert "ACLED" in acled["attribution"]
    assert any(name.endswith("actor_map.csv") for name in record["inputs"])
    loaded = data.load(out)
    events = loaded.extra["events"]
    assert set(events["dataset"]) == {"acled", "ucdp"}
    assert events["region"].notna().all()
    assert (events["civilians_killed_min"] <= events["civilians_killed_max"]).all()
    assert {"links", "link_candidates", "rejected"} <= set(loaded.extra)
    # The links are published in the data package and the database, keyed to the incidents.
    package = json.loads((out / "datapackage.json").read_text())
    resources = {r["name"]: r for r in package["resources"]}
    assert resources["links"]["schema"]["foreignKeys"][0]["reference"]["resource"] == "incidents"
    assert (out / "links.csv").read_text().startswith("incident_id,dataset,event_id,why,")
    assert "link_candidates" in resources
    # Every event no incident explains is a lead, in a local file outside the data package.
    assert "export_leads" not in resources
    found = pd.read_csv(out / "export_leads.csv")
    assert len(found) == len(events) - len(loaded.extra["links"])
    assert found["civilians_killed_max"].is_monotonic_decreasing
    report = (out / "validation_report.md").read_text()
    assert "Third-party exports" in report


def test_without_exports_no_export_tables(fixture_build):
    out = fixture_build[2]
    loaded = data.load(out)
    assert set(loaded.extra) == {"changelog", "out_of_scope"}  # no events, rejected or links
    assert loaded.manifest["exports"] == {}


def test_in_a_build_a_notebook_reads_only_the_tables_it_declares(fixture_build, monkeypatch):
    """The build reruns a notebook when a table it declares (``TABLES``) changes: reading any
    other is an error that says what to add."""
    out = fixture_build[2]
    assert len(data.load(out).claims)  # outside a build, every table
    monkeypatch.setattr(data, "DECLARED", ("incidents", "events"))
    loaded = data.load(out)
    assert len(loaded.incidents)
    assert loaded.extra.get("events") is None  # declared, absent without an export
    for read in (
        lambda: loaded.claims.head(),
        lambda: len(loaded.sources),
        lambda: loaded.manifest["rows"],
        lambda: loaded.extra.get("links"),
    ):
        with pytest.raises(
            data.UndeclaredTableError, match=r"add '(claims|sources|manifest|links)' to TABLES"
        ):
            read()
