"""Load the processed tables for notebooks, checking them against the build manifest.

Notebooks read only data/processed/, never data/raw/: what they chart has passed validation.

What a notebook reads is recorded (``reads``): the renderer stores it with the executed notebook,
so a page whose tables did not change is exported again from that run rather than executed
(``analysis.render``). A table counts as read when its attribute (or its ``extra`` entry) is
used; the manifest counts as read as a whole (it names every input).
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


# The file each attribute of ``Processed`` comes from.
MANIFEST = "manifest.json"
_SOURCES = {name: f"{name}.parquet" for name in TABLE_NAMES} | {"manifest": MANIFEST}
_READS: set[str] = set()


def reads() -> list[str]:
    """The processed files read through ``load``'s results since the last ``forget_reads``."""
    return sorted(_READS)


def forget_reads() -> None:
    _READS.clear()


class _Extra(dict):
    """The optional tables, recording each one read (a whole view records them all)."""

    def _read(self, *names: str) -> None:
        _READS.update(f"{name}.parquet" for name in names)

    def __getitem__(self, name):
        self._read(name)
        return super().__getitem__(name)

    def get(self, name, default=None):
        self._read(name)
        return super().get(name, default)

    def __contains__(self, name) -> bool:
        self._read(name)
        return super().__contains__(name)

    def __iter__(self):
        self._read(*super().keys())
        return super().__iter__()

    def __len__(self) -> int:
        self._read(*super().keys())
        return super().__len__()

    def keys(self):
        self._read(*super().keys())
        return super().keys()

    def values(self):
        self._read(*super().keys())
        return super().values()

    def items(self):
        self._read(*super().keys())
        return super().items()


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

    def __getattribute__(self, name: str):
        source = _SOURCES.get(name)
        if source:
            _READS.add(source)
        return object.__getattribute__(self, name)


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
    return Processed(**core, manifest=record, extra=_Extra(frames))
