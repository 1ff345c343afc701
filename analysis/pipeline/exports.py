"""Third-party exports in the pipeline: find them, read and validate them, normalise regions, link.

Exports are optional. Without any file in data/raw/acled/ or data/raw/ucdp/ the pipeline and
reports are exactly those of the curated record; with one, three more processed tables appear
(``events``, ``rejected``, ``links``) and the manifest records each export's provenance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis import paths
from analysis.atomic import sha256_file
from analysis.pipeline.linkage import link_incidents, normalise_place
from analysis.pipeline.schemas import ExportEvents
from analysis.pipeline.validation import validate_frame
from analysis.sources.acled import read_acled
from analysis.sources.actors import load_actor_map
from analysis.sources.exports import EVENT_COLUMNS, REJECTED_COLUMNS
from analysis.sources.ucdp import read_ucdp

READERS = {"acled": read_acled, "ucdp": read_ucdp}


@dataclass
class Exports:
    events: pd.DataFrame
    rejected: pd.DataFrame
    provenance: dict[str, dict] = field(default_factory=dict)


def export_files(raw_dir: Path) -> dict[str, list[Path]]:
    """CSV exports a user dropped in, by dataset, in a stable order."""
    return {name: sorted((raw_dir / name).glob("*.csv")) for name in READERS}


def read_exports(
    raw_dir: Path, regions: pd.DataFrame, actor_map_path: Path | None = None
) -> Exports | None:
    """Read and validate every export under ``raw_dir``; None when there is none."""
    files = export_files(raw_dir)
    if not any(files.values()):
        return None
    actor_map = load_actor_map(actor_map_path or paths.ACTOR_MAP)
    events, rejected, provenance = [], [], {}
    for dataset, found in files.items():
        for path in found:
            result = READERS[dataset](path, actor_map)
            # A reader's events that break the model are a reader bug: the report names the file.
            events.append(validate_frame(result.events, ExportEvents, path.name))
            rejected.append(result.rejected)
            provenance[f"{dataset}/{path.name}"] = {
                **result.provenance,
                "sha256": sha256_file(path),
            }
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
