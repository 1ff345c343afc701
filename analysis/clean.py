"""The cleaning pipeline: raw inputs -> validated canonical tables in data/processed/.

Run as ``python -m analysis.clean`` (``make data`` does). On any data problem it prints a report
grouped by file, column and rule, writes nothing, and exits with status 1: the previous good
build stays in place.

Outputs are first written to a temporary folder beside the destination. The old manifest is then
removed, each table renamed into place, and the new manifest written last: an interrupted swap
leaves no manifest, so ``make`` rebuilds on the next run and ``analysis.data.load`` refuses to
read a mixed state.
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
from analysis.schemas import Claims, Incidents
from analysis.sources.curated import TABLES, Curated, input_files, read_curated
from analysis.validation import validate_frame

MANIFEST = "manifest.json"
REPORT = "validation_report.md"


def build_tables(curated: Curated) -> dict[str, pd.DataFrame]:
    """Every canonical table, validated."""
    claims = build_claims(curated.casualties, curated.sources)
    incidents = build_incidents(curated.incidents, claims, curated.regions)
    validate_frame(claims, Claims, "claims")
    validate_frame(incidents, Incidents, "incidents")
    cited = claims.groupby("source_id")["incident_id"].nunique()
    sources = curated.sources.reset_index(drop=True).copy()
    sources["incidents_cited"] = sources["source_id"].map(cited).fillna(0).astype("Int64")
    return {
        "incidents": incidents,
        "claims": claims,
        "sources": sources.sort_values("source_id").reset_index(drop=True),
        "context_events": curated.context_events.reset_index(drop=True)
        .sort_values(["date", "event_id"])
        .reset_index(drop=True),
        "published_totals": curated.published_totals.reset_index(drop=True)
        .sort_values(["period_start", "total_id"])
        .reset_index(drop=True),
    }


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False, engine="pyarrow", compression="zstd")
    return buffer.getvalue()


def validation_report(curated: Curated, tables: dict[str, pd.DataFrame], raw_dir: Path) -> str:
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
    lines += ["", "## Warnings", ""]
    lines += [f"- {w}" for w in curated.warnings] or ["- none"]
    return "\n".join(lines) + "\n"


def run(raw_dir: Path, out_dir: Path) -> dict:
    """Build every processed output from ``raw_dir`` into ``out_dir``; return the manifest."""
    curated = read_curated(raw_dir)
    tables = build_tables(curated)

    outputs: dict[str, bytes] = {f"{n}.parquet": parquet_bytes(f) for n, f in tables.items()}
    outputs[REPORT] = validation_report(curated, tables, raw_dir).encode("utf-8")
    record = {
        "inputs": {
            display_name(p): {"sha256": manifest.sha256_file(p), "bytes": p.stat().st_size}
            for p in input_files(raw_dir)
        },
        "outputs": {
            name: {"sha256": manifest.sha256_bytes(data), "bytes": len(data)}
            for name, data in sorted(outputs.items())
        },
        "rows": {name: len(frame) for name, frame in tables.items()},
        "versions": manifest.versions(),
    }
    publish(out_dir, outputs, manifest.dumps(record).encode("utf-8"))
    return record


def publish(out_dir: Path, outputs: dict[str, bytes], manifest_bytes: bytes) -> None:
    """Move a complete set of outputs into ``out_dir``, manifest last."""
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out_dir, prefix=".staging-"))
    try:
        for name, data in outputs.items():
            target = staging / name
            target.write_bytes(data)
            os.chmod(target, 0o644)
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
        for name in stale:
            (out_dir / name).unlink(missing_ok=True)
        atomic.write_bytes(out_dir / MANIFEST, manifest_bytes)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", type=Path, default=paths.RAW, help="folder of raw inputs")
    parser.add_argument("--out", type=Path, default=paths.PROCESSED, help="output folder")
    args = parser.parse_args(argv)
    with atomic.build_lock(args.out):
        try:
            record = run(args.raw, args.out)
        except DataError as exc:
            print(f"make data: validation failed, nothing was written.\n\n{exc}", file=sys.stderr)
            return 1
    rows = ", ".join(f"{k}={v}" for k, v in record["rows"].items())
    print(f"data/processed: validated and written ({rows})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
