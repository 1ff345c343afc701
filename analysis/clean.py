"""The cleaning pipeline: raw inputs -> validated canonical tables in data/processed/.

Run as ``python -m analysis.clean`` (``make data`` does). On any data problem it prints a report
grouped by file, column and rule, writes nothing, and exits with status 1: the previous good
build stays in place.

Outputs, manifest included, are first written to a staging folder beside the destination, then
swapped with it in one atomic step (see ``publish``): a build killed at any point leaves the
previous outputs complete. After a build, data/raw is checked against the manifest's hashes.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pandas as pd

from analysis import atomic, manifest, paths
from analysis.csvio import display_name
from analysis.derive import build_claims, build_incidents
from analysis.errors import DataError
from analysis.pipeline import database, datapackage, release
from analysis.schemas import Claims, Incidents
from analysis.sources.combined import Exports, export_files, links, read_exports
from analysis.sources.curated import TABLES, Curated, input_files, read_curated
from analysis.validation import validate_frame

MANIFEST = "manifest.json"
REPORT = "validation_report.md"
LOCK = ".build.lock"


def build_tables(curated: Curated, exports: Exports | None = None) -> dict[str, pd.DataFrame]:
    """Every canonical table, validated; with exports, also events, rejected rows and links."""
    claims = build_claims(curated.casualties, curated.sources)
    incidents = build_incidents(curated.incidents, claims, curated.regions)
    validate_frame(claims, Claims, "claims")
    validate_frame(incidents, Incidents, "incidents")
    cited = claims.groupby("source_id")["incident_id"].nunique()
    sources = curated.sources.reset_index(drop=True).copy()
    sources["incidents_cited"] = sources["source_id"].map(cited).fillna(0).astype("Int64")
    tables = {
        "incidents": incidents,
        "claims": claims,
        "sources": sources.sort_values("source_id").reset_index(drop=True),
        "context_events": curated.context_events.reset_index(drop=True)
        .sort_values(["date", "event_id"])
        .reset_index(drop=True),
        "published_totals": curated.published_totals.reset_index(drop=True)
        .sort_values(["period_start", "total_id"])
        .reset_index(drop=True),
        "changelog": curated.changelog.reset_index(drop=True)
        .sort_values(["date", "incident_id", "action", "field"], kind="stable")
        .reset_index(drop=True),
    }
    if exports is not None:
        tables["events"] = exports.events
        tables["rejected"] = exports.rejected
        tables["links"] = links(incidents, exports)
    return tables


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False, engine="pyarrow", compression="zstd")
    return buffer.getvalue()


def validation_report(
    curated: Curated,
    tables: dict[str, pd.DataFrame],
    raw_dir: Path,
    exports: Exports | None = None,
) -> str:
    lines = [
        "# Validation report",
        "",
        "Every raw table passed its pandera model and the cross-table rules.",
        "",
        "| input | rows |",
        "|---|---|",
    ]
    for table, (filename, _, _) in TABLES.items():
        path = raw_dir / filename
        rows = len(getattr(curated, table))
        lines.append(f"| {display_name(path)} | {rows if path.exists() else 'absent'} |")
    lines += ["", "| output | rows |", "|---|---|"]
    lines += [f"| {name}.parquet | {len(frame)} |" for name, frame in tables.items()]
    if exports is not None:
        lines += [
            "",
            "## Third-party exports",
            "",
            "| file | rows read | kept | rejected |",
            "|---|---|---|---|",
        ]
        for name, meta in sorted(exports.provenance.items()):
            lines.append(
                f"| {name} | {meta['rows_read']} | {meta['rows_kept']} | {meta['rows_rejected']} |"
            )
        if len(exports.rejected):
            lines += ["", "Rejected rows by reason (kept in rejected.parquet):", ""]
            for reason, n in exports.rejected.groupby("reason").size().items():
                lines.append(f"- {reason}: {n}")
    lines += ["", "## Warnings", ""]
    lines += [f"- {w}" for w in curated.warnings] or ["- none"]
    return "\n".join(lines) + "\n"


def run(raw_dir: Path, out_dir: Path) -> dict:
    """Build every processed output from ``raw_dir`` into ``out_dir``; return the manifest."""
    curated = read_curated(raw_dir)
    exports = read_exports(raw_dir, curated.regions)
    tables = build_tables(curated, exports)

    outputs: dict[str, bytes] = {f"{n}.parquet": parquet_bytes(f) for n, f in tables.items()}
    outputs[REPORT] = validation_report(curated, tables, raw_dir, exports).encode("utf-8")
    # The published forms: a data package (CSV + datapackage.json) and a SQLite database.
    dataset = release.latest(paths.RELEASES)
    outputs.update(datapackage.build(tables, dataset))
    outputs[paths.DATABASE] = database.build(tables)
    outputs[paths.DATASETTE_METADATA] = database.metadata_bytes(tables, dataset, paths.DATABASE)
    hashed = [*input_files(raw_dir), paths.RELEASES]
    if exports is not None:
        hashed += [raw_dir / "actor_map.csv"]
        hashed += [path for paths_ in export_files(raw_dir).values() for path in paths_]
    record = {
        "inputs": {
            display_name(p): {"sha256": manifest.sha256_file(p), "bytes": p.stat().st_size}
            for p in hashed
        },
        "outputs": {
            name: {"sha256": manifest.sha256_bytes(data), "bytes": len(data)}
            for name, data in sorted(outputs.items())
        },
        "rows": {name: len(frame) for name, frame in tables.items()},
        "versions": manifest.versions(),
        "exports": exports.provenance if exports is not None else {},
    }
    publish(out_dir, outputs, manifest.dumps(record).encode("utf-8"))
    return record


def publish(out_dir: Path, outputs: dict[str, bytes], manifest_bytes: bytes) -> None:
    """Replace ``out_dir`` with a complete set of outputs, so a reader sees all old or all new.

    Everything, the manifest included, is written to a sibling staging folder, flushed to disk,
    then swapped with ``out_dir`` in one atomic step (Linux ``renameat2``); a build killed at any
    point leaves the previous outputs complete and readable. Where the file system cannot swap
    folders, files are renamed into place one by one, the old manifest removed first and the new
    one written last: an interrupted swap then leaves no manifest, so ``make`` rebuilds and
    ``analysis.data.load`` refuses the mixed state.
    """
    out_dir = Path(out_dir)
    parent = out_dir.parent
    parent.mkdir(parents=True, exist_ok=True)
    prefix = f".{out_dir.name}."
    # Leftovers of builds killed before they could clean up (callers hold the build lock).
    for leftover in [*parent.glob(f"{prefix}staging-*"), *out_dir.glob(".staging-*")]:
        shutil.rmtree(leftover, ignore_errors=True)
    staging = Path(tempfile.mkdtemp(dir=parent, prefix=f"{prefix}staging-"))
    try:
        os.chmod(staging, 0o755)
        for name, data in [*outputs.items(), (MANIFEST, manifest_bytes)]:
            with open(staging / name, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(staging / name, 0o644)
            atomic.fault_point(f"clean: staged {name}")
        if not out_dir.exists():
            atomic.fault_point("clean: before swap")
            os.rename(staging, out_dir)
            return
        lock = out_dir / LOCK
        if lock.exists():  # the same lock file (inode) must stay in place for waiting builds
            os.link(lock, staging / LOCK)
        atomic.fault_point("clean: before swap")
        if atomic.exchange(staging, out_dir):
            atomic.fault_point("clean: swapped")
            return  # ``staging`` now holds the previous outputs: removed below
        (staging / LOCK).unlink(missing_ok=True)
        _publish_file_by_file(out_dir, staging, outputs, manifest_bytes)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _publish_file_by_file(
    out_dir: Path, staging: Path, outputs: dict[str, bytes], manifest_bytes: bytes
) -> None:
    old_manifest = out_dir / MANIFEST
    stale: set[str] = set()
    if old_manifest.exists():
        try:
            stale = set(manifest.load(old_manifest).get("outputs", {})) - set(outputs)
        except ValueError:
            stale = set()
        old_manifest.unlink()
    for name in outputs:
        os.replace(staging / name, out_dir / name)
        atomic.fault_point(f"clean: replaced {name}")
    for name in stale:
        (out_dir / name).unlink(missing_ok=True)
    atomic.write_bytes(out_dir / MANIFEST, manifest_bytes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", type=Path, default=paths.RAW, help="folder of raw inputs")
    parser.add_argument("--out", type=Path, default=paths.PROCESSED, help="output folder")
    args = parser.parse_args(argv)
    with atomic.build_lock(args.out, LOCK):
        try:
            record = run(args.raw, args.out)
        except DataError as exc:
            print(f"make data: validation failed, nothing was written.\n\n{exc}", file=sys.stderr)
            return 1
        try:
            # The build only reads data/raw; a difference means it changed while we ran.
            manifest.verify_inputs(args.out)
        except manifest.InputsChangedError as exc:
            print(f"make data: {exc}", file=sys.stderr)
            return 1
    rows = ", ".join(f"{k}={v}" for k, v in record["rows"].items())
    print(f"data/processed: validated and written ({rows})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
