"""Third-party exports in the pipeline: find them, read and validate them, normalise regions, link.

Exports are optional. Without any file in data/raw/acled/ or data/raw/ucdp/ the pipeline and
reports are exactly those of the curated record. With files, these processed tables appear:
``events`` (Malian-state civilian-harm events from event exports), ``rejected`` (quarantined
rows), ``links`` (export events assigned to curated incidents) and ``link_candidates`` (near
misses kept for review), ``aggregates`` (ACLED aggregated
counts, which name no perpetrator) and ``unclassified_actors`` (actor strings no rule
classifies); the manifest records each file's provenance and every file that was not read.

A living dataset: the same event can sit in several downloads. ACLED keeps the row with the
latest ``timestamp`` (its last edit), whatever the file names; UCDP keeps the row from the
latest release or candidate version (``25.1`` > ``25.0.7`` > ``24.1``). Events whose fatalities
differ between files are listed (``revisions``).
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis import paths
from analysis.atomic import sha256_file
from analysis.pipeline.linkage import Reconciliation, normalise_place, reconcile
from analysis.pipeline.schemas import ExportAggregates, ExportEvents, UnclassifiedActors
from analysis.pipeline.validation import validate_frame
from analysis.sources.acled import read_acled
from analysis.sources.actors import Actors, empty_unclassified, load_actor_map, load_actor_rules
from analysis.sources.aggregates import AGGREGATE_COLUMNS, read_aggregates
from analysis.sources.exports import EVENT_COLUMNS, REJECTED_COLUMNS, xlsx_to_csv
from analysis.sources.inbox import Found, survey
from analysis.sources.ucdp import read_ucdp

READERS = {"acled": read_acled, "ucdp": read_ucdp}
REVISION_COLUMNS = ["dataset", "event_id", "file", "fatalities_best", "kept"]


@dataclass
class Exports:
    events: pd.DataFrame
    rejected: pd.DataFrame
    provenance: dict[str, dict] = field(default_factory=dict)
    aggregates: pd.DataFrame | None = None
    unclassified: pd.DataFrame | None = None
    skipped: list[dict] = field(default_factory=list)
    revisions: pd.DataFrame | None = None


def export_files(raw_dir: Path) -> dict[str, list[Path]]:
    """Every file in the export folders (read or not), by folder: the build's inputs."""
    out: dict[str, list[Path]] = {"acled": [], "ucdp": []}
    for found in survey(raw_dir):
        out[found.folder].append(found.path)
        meta = found.path.with_name(found.path.name + ".meta.json")
        if meta.exists():
            out[found.folder].append(meta)
    return out


def _version_key(version: str) -> tuple[int, ...]:
    """UCDP release order: 24.1 < 25.0.1 < 25.0.7 < 25.1; unknown sorts first."""
    parts = tuple(int(p) for p in re.findall(r"\d+", version or ""))
    return parts or (-1,)


def _read(found: Found, actors: Actors, tmp: Path):
    """Run the reader for one found file (an .xlsx sheet goes through a temporary CSV)."""
    data = found.path
    if found.sheet is not None:
        data = xlsx_to_csv(found.path, found.sheet, tmp / (found.path.stem + ".csv"))
    if found.kind == "acled-aggregates":
        return read_aggregates(data, origin=found.path)
    return READERS[found.kind](data, actors, origin=found.path)


def read_exports(
    raw_dir: Path,
    regions: pd.DataFrame,
    actor_map_path: Path | None = None,
    actor_rules_path: Path | None = None,
) -> Exports | None:
    """Read and validate every export under ``raw_dir``; None when the folders hold no file."""
    found = survey(raw_dir)
    if not found:
        return None
    map_path = actor_map_path or paths.ACTOR_MAP
    rules_path = actor_rules_path or map_path.with_name("actor_rules.csv")
    actors = Actors(load_actor_map(map_path), load_actor_rules(rules_path))
    events, rejected, unclassified, aggregates = [], [], [], []
    provenance: dict[str, dict] = {}
    skipped = [
        {"file": f"{f.folder}/{f.path.name}", "reason": f.reason} for f in found if f.kind is None
    ]
    with tempfile.TemporaryDirectory(prefix="mali-exports-") as tmp:
        for item in (f for f in found if f.kind is not None):
            result = _read(item, actors, Path(tmp))
            key = f"{item.folder}/{item.path.name}"
            if item.kind == "acled-aggregates":
                aggregates.append(validate_frame(result.events, ExportAggregates, item.path.name))
            else:
                # A reader's events that break the model are a reader bug: the report names it.
                events.append(validate_frame(result.events, ExportEvents, item.path.name))
            rejected.append(result.rejected)
            if result.unclassified is not None:
                unclassified.append(result.unclassified)
            provenance[key] = {
                **result.provenance,
                "reader": item.kind,
                **({"sheet": item.sheet} if item.sheet else {}),
                "sha256": sha256_file(item.path),
            }
    frame, revisions = _deduplicate(events, provenance)
    frame["region"] = normalise_admin1(frame["admin1"], regions)
    validate_frame(frame.drop(columns=["region"]), ExportEvents, "events")
    unclassified_frame = (
        pd.concat(unclassified, ignore_index=True) if unclassified else empty_unclassified()
    )
    validate_frame(unclassified_frame, UnclassifiedActors, "unclassified_actors")
    aggregates_frame = (
        pd.concat(aggregates, ignore_index=True)
        if aggregates
        else ExportAggregates.empty()[AGGREGATE_COLUMNS]
    )
    return Exports(
        events=frame.sort_values(["dataset", "date_start", "event_id"]).reset_index(drop=True),
        rejected=pd.concat(rejected or [_empty_rejected()], ignore_index=True)[REJECTED_COLUMNS],
        provenance=provenance,
        aggregates=aggregates_frame.reset_index(drop=True),
        unclassified=unclassified_frame,
        skipped=skipped,
        revisions=revisions,
    )


def _empty_rejected() -> pd.DataFrame:
    from analysis.sources.exports import empty_rejected

    return empty_rejected()


def _deduplicate(
    events: list[pd.DataFrame], provenance: dict[str, dict]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per (dataset, event_id): ACLED's latest ``updated``, UCDP's latest version.

    Ties (same timestamp or version) go to the file read last (sorted names). Returns the
    events and the revisions: every file's fatalities for events whose figure changed.
    """
    if not events:
        empty = ExportEvents.empty()[EVENT_COLUMNS]
        return empty, pd.DataFrame(columns=REVISION_COLUMNS)
    frame = pd.concat(events, ignore_index=True)[EVENT_COLUMNS]
    frame["_order"] = range(len(frame))
    version = {meta["file"]: _version_key(meta["version"]) for meta in provenance.values()}
    ranks = {f: i for i, f in enumerate(sorted(version, key=lambda f: (version[f], f)))}
    frame["_release"] = frame["source_file"].map(ranks).astype("int64")
    frame["_key"] = frame["updated"].fillna(pd.Timestamp(0))
    is_acled = frame["dataset"].eq("acled")
    ordered = pd.concat(
        [
            frame[is_acled].sort_values(["_key", "_release", "_order"], kind="stable"),
            frame[~is_acled].sort_values(["_release", "_order"], kind="stable"),
        ]
    )
    kept_idx = ordered.drop_duplicates(["dataset", "event_id"], keep="last").index
    counts = ordered.groupby(["dataset", "event_id"])["fatalities_best"].transform("nunique")
    changed = ordered[counts > 1].copy()
    changed["kept"] = changed.index.isin(kept_idx)
    revisions = (
        changed.rename(columns={"source_file": "file"})[REVISION_COLUMNS]
        .sort_values(["dataset", "event_id", "kept", "file"])
        .reset_index(drop=True)
    )
    out = ordered.loc[kept_idx, EVENT_COLUMNS].reset_index(drop=True)
    return out, revisions


def normalise_admin1(admin1: pd.Series, regions: pd.DataFrame) -> pd.Series:
    """Export first-level names (``Segou``, ``Timbuktu``, ``Mopti region``) -> normalised region.

    Matching ignores accents, case and a "region" suffix; names not in regions.csv become
    "Not stated" (a third-party file is not refused for a name we do not know).
    """
    table = regions[regions["level"] == "region"]
    keys = dict(zip(normalise_place(table["name"]), table["region"], strict=False))
    region = normalise_place(admin1).map(keys)
    return region.fillna("Not stated").astype("string")


def links(incidents: pd.DataFrame, exports: Exports) -> Reconciliation:
    """Links between the curated incidents and the export events, and the near misses."""
    return reconcile(incidents, exports.events)
