"""Load the processed tables for notebooks, checking them against the build manifest.

Notebooks read only data/processed/, never data/raw/: what they chart has passed validation.

A notebook declares the tables it reads (``TABLES`` in its parameters cell); a build reruns it
only when one of those changes, so in a build reading any other is an error.
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


# The tables a notebook declared (``TABLES`` in its parameters cell): set by the build for the
# notebook it runs (docs/architecture.md); None (JupyterLab, other callers) loads every table.
DECLARED: tuple[str, ...] | None = None


class UndeclaredTableError(LookupError):
    """A notebook read a table its parameters cell does not declare in ``TABLES``."""

    def __init__(self, name: str):
        super().__init__(
            f"this notebook reads the table {name!r}, which its parameters cell does not "
            f"declare: add {name!r} to TABLES (a build reruns a notebook only when a table "
            "it declares changes)"
        )


class Undeclared:
    """Stands for a table the notebook did not declare: any use of it is an error."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attr):
        raise UndeclaredTableError(object.__getattribute__(self, "_name"))

    def __getitem__(self, key):
        raise UndeclaredTableError(self._name)

    def __len__(self):
        raise UndeclaredTableError(self._name)

    def __iter__(self):
        raise UndeclaredTableError(self._name)


class _Extra(dict):
    """The optional tables (absent unless an export was given); asking for one the notebook
    did not declare is an error, as for the others."""

    def _check(self, name: str) -> None:
        if DECLARED is not None and name not in DECLARED:
            raise UndeclaredTableError(name)

    def __getitem__(self, name):
        self._check(name)
        return super().__getitem__(name)

    def get(self, name, default=None):
        self._check(name)
        return super().get(name, default)

    def __contains__(self, name) -> bool:
        self._check(name)
        return super().__contains__(name)


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
    """Read every processed table (those in ``DECLARED`` when set) after checking its hash
    against manifest.json."""
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
        stem = name.removesuffix(".parquet")
        if stem == name or (DECLARED is not None and stem not in DECLARED):
            continue
        path = folder / name
        data = path.read_bytes() if path.exists() else b""
        if manifest.sha256_bytes(data) != meta["sha256"]:
            raise ProcessedDataError(
                f"{path} does not match manifest.json: run `make data` to rebuild"
            )
        import io

        frames[name.removesuffix(".parquet")] = pd.read_parquet(io.BytesIO(data))
    core = {name: frames.pop(name, None) for name in TABLE_NAMES}
    core = {name: Undeclared(name) if frame is None else frame for name, frame in core.items()}
    shown = record if DECLARED is None or "manifest" in DECLARED else Undeclared("manifest")
    return Processed(**core, manifest=shown, extra=_Extra(frames))
