"""Load the processed tables for notebooks, checking them against the build manifest.

Notebooks read only data/processed/, never data/raw/: what they chart has passed validation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis import paths
from analysis.pipeline import manifest

TABLE_NAMES = (
    "incidents",
    "claims",
    "sources",
    "context_events",
    "published_totals",
    "geo_outline",
    "region_points",
)


class ProcessedDataError(RuntimeError):
    """data/processed is missing, incomplete or does not match its manifest."""


@dataclass
class Processed:
    incidents: pd.DataFrame
    claims: pd.DataFrame
    sources: pd.DataFrame
    context_events: pd.DataFrame
    published_totals: pd.DataFrame
    geo_outline: pd.DataFrame
    region_points: pd.DataFrame
    manifest: dict
    extra: dict[str, pd.DataFrame] = field(default_factory=dict)


def load(folder: Path | str | None = None) -> Processed:
    """Read every processed table after checking its hash against manifest.json."""
    folder = Path(folder) if folder else paths.PROCESSED
    manifest_path = folder / "manifest.json"
    if not manifest_path.exists():
        raise ProcessedDataError(
            f"{manifest_path} not found: run `make data` first (the last build may have "
            "stopped half-way; the next one repairs it)"
        )
    record = manifest.load(manifest_path)
    frames: dict[str, pd.DataFrame] = {}
    for name, meta in record["outputs"].items():
        if not name.endswith(".parquet"):
            continue
        path = folder / name
        data = path.read_bytes() if path.exists() else b""
        if manifest.sha256_bytes(data) != meta["sha256"]:
            raise ProcessedDataError(
                f"{path} does not match manifest.json: run `make data` to rebuild"
            )
        import io

        frames[name.removesuffix(".parquet")] = pd.read_parquet(io.BytesIO(data))
    core = {name: frames.pop(name) for name in TABLE_NAMES}
    return Processed(**core, manifest=record, extra=frames)
