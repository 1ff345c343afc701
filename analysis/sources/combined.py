"""Third-party exports in the pipeline: find them, read them, normalise regions, link them.

Exports are optional. Without any file in data/raw/acled/ or data/raw/ucdp/ the pipeline and
reports are exactly those of the curated record; with one, three more processed tables appear
(``events``, ``rejected``, ``links``) and the manifest records each export's provenance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis.derive import resolve_regions
from analysis.linkage import link_incidents, normalise_place
from analysis.sources.acled import read_acled
from analysis.sources.exports import EVENT_COLUMNS, REJECTED_COLUMNS, ExportEvents, load_actor_map
from analysis.sources.ucdp import read_ucdp
from analysis.validation import validate_frame

READERS = {"acled": read_acled, "ucdp": read_ucdp}


@dataclass
class Exports:
    events: pd.DataFrame
    rejected: pd.DataFrame
    provenance: dict[str, dict] = field(default_factory=dict)


def export_files(raw_dir: Path) -> dict[str, list[Path]]:
    """CSV exports a user dropped in, by dataset, in a stable order."""
    return {name: sorted((raw_dir / name).glob("*.csv")) for name in READERS}


def read_exports(raw_dir: Path, regions: pd.DataFrame) -> Exports | None:
    """Read every export under ``raw_dir``; None when there is none."""
    files = export_files(raw_dir)
    if not any(files.values()):
        return None
    actor_map = load_actor_map(raw_dir / "actor_map.csv")
    events, rejected, provenance = [], [], {}
    for dataset, paths in files.items():
        for path in paths:
            result = READERS[dataset](path, actor_map)
            events.append(result.events)
            rejected.append(result.rejected)
            provenance[f"{dataset}/{path.name}"] = result.provenance
    frame = pd.concat(events, ignore_index=True)[EVENT_COLUMNS]
    # Two downloads of the same dataset overlap: keep each event once, from the newest file
    # (files sort by their dated names, so the last one read wins).
    frame = frame.drop_duplicates(["dataset", "event_id"], keep="last").reset_index(drop=True)
    frame["region"] = normalise_admin1(frame["admin1"], regions)
    validate_frame(frame.drop(columns=["region"]), ExportEvents, "events")
    return Exports(
        events=frame.sort_values(["dataset", "date_start", "event_id"]).reset_index(drop=True),
        rejected=pd.concat(rejected, ignore_index=True)[REJECTED_COLUMNS],
        provenance=provenance,
    )


def normalise_admin1(admin1: pd.Series, regions: pd.DataFrame) -> pd.Series:
    """Export first-level names (``Segou``, ``Timbuktu``, ``Mopti region``) -> normalised region.

    Matching ignores accents, case and a "region" suffix; names not in regions.csv become
    "Not stated" (a third-party file is not refused for a name we do not know).
    """
    table = regions[regions["level"] == "region"]
    keys = dict(zip(normalise_place(table["name"]), table["region"], strict=False))
    region = normalise_place(admin1).map(keys)
    return region.fillna("Not stated").astype("string")


def links(incidents: pd.DataFrame, exports: Exports) -> pd.DataFrame:
    """Candidate links between the curated incidents and the export events."""
    return link_incidents(incidents, exports.events)


__all__ = ["Exports", "export_files", "links", "read_exports", "resolve_regions"]
