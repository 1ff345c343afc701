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
import sys
from pathlib import Path

import pandas as pd

from analysis import atomic, paths
from analysis.errors import DataError
from analysis.pipeline import database, datapackage, manifest, release
from analysis.pipeline.curated import Curated, read_curated
from analysis.pipeline.derive import build_claims, build_incidents, derive_perpetrators
from analysis.pipeline.exports import Exports, export_files, links, read_exports
from analysis.pipeline.geo import read_geography
from analysis.pipeline.linkage import leads
from analysis.pipeline.publish import LOCK, publish
from analysis.pipeline.schemas import Claims, Incidents, LinkCandidates, Links
from analysis.pipeline.validation import validate_frame
from analysis.sources.csvio import display_name
from analysis.sources.curated import FILES, input_files, table_path

REPORT = "validation_report.md"
LEADS = "export_leads.csv"


def build_tables(curated: Curated, exports: Exports | None = None) -> dict[str, pd.DataFrame]:
    """Every canonical table, validated; with exports, also events, rejected rows and links."""
    claims = build_claims(curated.casualties, curated.sources, curated.allegations)
    perpetrators = derive_perpetrators(curated.allegations, curated.sources)
    incidents = build_incidents(curated.incidents, claims, curated.regions, perpetrators)
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
        "out_of_scope": curated.out_of_scope.reset_index(drop=True)
        .sort_values(["date", "event_id"])
        .reset_index(drop=True),
        "changelog": curated.changelog.reset_index(drop=True)
        .sort_values(["date", "incident_id", "action", "field"], kind="stable")
        .reset_index(drop=True),
    }
    if exports is not None:
        tables["events"] = exports.events
        tables["rejected"] = exports.rejected
        reconciled = links(incidents, exports)
        tables["links"] = validate_frame(reconciled.links, Links, "links")
        tables["link_candidates"] = validate_frame(
            reconciled.candidates, LinkCandidates, "link_candidates"
        )
        tables["aggregates"] = exports.aggregates
        tables["unclassified_actors"] = exports.unclassified
    return tables


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False, engine="pyarrow", compression="zstd")
    return buffer.getvalue()


def validation_report(
    curated: Curated,
    tables: dict[str, pd.DataFrame],
    raw_dir: Path,
    hand_dir: Path,
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
    for table in FILES:
        path = table_path(table, raw_dir, hand_dir)
        rows = len(getattr(curated, table))
        lines.append(f"| {display_name(path)} | {rows if path.exists() else 'absent'} |")
    lines += ["", "| output | rows |", "|---|---|"]
    lines += [f"| {name}.parquet | {len(frame)} |" for name, frame in tables.items()]
    if exports is not None:
        lines += export_report(exports)
    lines += ["", "## Warnings", ""]
    lines += [f"- {w}" for w in curated.warnings] or ["- none"]
    return "\n".join(lines) + "\n"


def export_report(exports: Exports) -> list[str]:
    """The third-party exports section: layouts, counts, what was not read, what to review."""
    lines = [
        "",
        "## Third-party exports",
        "",
        "| file | read as | rows read | kept | rejected |",
        "|---|---|---|---|---|",
    ]
    for name, meta in sorted(exports.provenance.items()):
        label = meta.get("layout_label", meta["columns_layout"])
        lines.append(
            f"| {name} | {label} (`{meta['columns_layout']}`) | {meta['rows_read']} | "
            f"{meta['rows_kept']} | {meta['rows_rejected']} |"
        )
    if exports.skipped:
        lines += ["", "Files in the export folders that were **not read**:", ""]
        lines += [f"- {s['file']}: {s['reason']}" for s in exports.skipped]
    if len(exports.rejected):
        lines += ["", "Rejected rows by reason (kept in rejected.parquet):", ""]
        for reason, n in exports.rejected.groupby("reason").size().items():
            lines.append(f"- {reason}: {n}")
    unclassified = exports.unclassified
    if unclassified is not None and len(unclassified):
        lines += [
            "",
            "Actor strings that look like the Malian state but that no rule classifies "
            "(not counted; add a rule to data/hand/actor_rules.csv or an exact string to "
            "data/hand/actor_map.csv):",
            "",
            "| actor | file | column | events | fatalities |",
            "|---|---|---|---|---|",
        ]
        for row in unclassified.itertuples(index=False):
            lines.append(
                f"| {row.actor} | {row.dataset}/{row.file} | {row.column} | {row.events} | "
                f"{row.fatalities} |"
            )
    foreign = [
        (name, row)
        for name, meta in sorted(exports.provenance.items())
        for row in meta.get("foreign_led", [])
    ]
    if foreign:
        lines += [
            "",
            f"Events led by foreign forces with the Malian army associated ({len(foreign)}; "
            "not counted as Malian operations):",
            "",
            "| file | event | date | actor1 | assoc_actor_1 | fatalities |",
            "|---|---|---|---|---|---|",
        ]
        for name, row in foreign:
            lines.append(
                f"| {name} | {row['event_id']} | {row['date']} | {row['actor1']} | "
                f"{row['assoc_actor_1']} | {row['fatalities']} |"
            )
    revisions = exports.revisions
    if revisions is not None and len(revisions):
        lines += [
            "",
            "Events whose fatalities differ between downloads (the kept row is the latest edit "
            "for ACLED, the latest release for UCDP):",
            "",
            "| dataset | event | file | fatalities | kept |",
            "|---|---|---|---|---|",
        ]
        for row in revisions.itertuples(index=False):
            kept = "yes" if row.kept else "no"
            lines.append(
                f"| {row.dataset} | {row.event_id} | {row.file} | {row.fatalities_best} | {kept} |"
            )
    return lines


def build_log(exports: Exports | None) -> list[str]:
    """Lines for the build log (stderr): files not read and actor strings to review."""
    if exports is None:
        return []
    out = [f"make data: not read: data/raw/{s['file']}: {s['reason']}" for s in exports.skipped]
    foreign = sum(len(meta.get("foreign_led", [])) for meta in exports.provenance.values())
    if foreign:
        out.append(
            f"make data: {foreign} event(s) led by foreign forces with the Malian army "
            "associated were not counted as Malian operations (listed in "
            "data/processed/validation_report.md)"
        )
    unclassified = exports.unclassified
    if unclassified is not None and len(unclassified):
        names = sorted(set(unclassified["actor"]))
        shown = "; ".join(names[:5]) + (f"; and {len(names) - 5} more" if len(names) > 5 else "")
        out.append(
            f"make data: {len(names)} actor string(s) no rule classifies were not counted "
            f"(listed in data/processed/validation_report.md): {shown}"
        )
    return out


def run(
    raw_dir: Path, out_dir: Path, hand_dir: Path = paths.HAND, geo_dir: Path = paths.GEO
) -> dict:
    """Build every processed output from ``raw_dir`` (sourced records), ``hand_dir``
    (hand-maintained decisions) and ``geo_dir`` (map reference files) into ``out_dir``;
    return the manifest."""
    curated = read_curated(raw_dir, hand_dir)
    exports = read_exports(
        raw_dir, curated.regions, hand_dir / "actor_map.csv", hand_dir / "actor_rules.csv"
    )
    geography = read_geography(geo_dir, hand_dir)
    tables = build_tables(curated, exports)
    tables["geo_outline"] = geography.outline
    tables["region_points"] = geography.region_points

    outputs: dict[str, bytes] = {f"{n}.parquet": parquet_bytes(f) for n, f in tables.items()}
    outputs[REPORT] = validation_report(curated, tables, raw_dir, hand_dir, exports).encode("utf-8")
    # The published forms: a data package (CSV + datapackage.json) and a SQLite database.
    dataset = release.latest(paths.RELEASES)
    outputs.update(datapackage.build(tables, dataset))
    outputs[paths.DATABASE] = database.build(tables)
    outputs[paths.DATASETTE_METADATA] = database.metadata_bytes(tables, dataset, paths.DATABASE)
    if exports is not None:
        # Every export event no incident explains, with the export's notes: the curator's full
        # list of leads (the page shows the deadliest). Local only: the export's text stays with
        # its provider, so it is not part of the data package.
        outputs[LEADS] = datapackage.csv_bytes(leads(tables["events"], tables["links"]))
    hashed = [*input_files(raw_dir, hand_dir), *geography.inputs, paths.RELEASES]
    if exports is not None:
        hashed += [hand_dir / "actor_map.csv", hand_dir / "actor_rules.csv"]
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
        # The release the data belong to (data/RELEASES.md): its date is the record's cut-off,
        # the last day the compilation looked for reporting.
        "release": {"version": dataset.version, "date": dataset.date},
        "versions": manifest.versions(),
        "exports": exports.provenance if exports is not None else {},
    }
    if exports is not None:
        record["exports_skipped"] = exports.skipped
        revisions = exports.revisions if exports.revisions is not None else pd.DataFrame()
        record["exports_revisions"] = [
            {
                k: (bool(v) if k == "kept" else v if isinstance(v, str) else int(v))
                for k, v in r.items()
            }
            for r in revisions.to_dict("records")
        ]
    for line in build_log(exports):
        print(line, file=sys.stderr)
    publish(out_dir, outputs, manifest.dumps(record).encode("utf-8"))
    return record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", type=Path, default=paths.RAW, help="folder of raw inputs")
    parser.add_argument(
        "--hand", type=Path, default=paths.HAND, help="folder of hand-maintained decisions"
    )
    parser.add_argument("--geo", type=Path, default=paths.GEO, help="folder of map reference files")
    parser.add_argument("--out", type=Path, default=paths.PROCESSED, help="output folder")
    args = parser.parse_args(argv)
    with atomic.build_lock(args.out, LOCK):
        try:
            record = run(args.raw, args.out, args.hand, args.geo)
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
