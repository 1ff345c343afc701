"""Provenance: hashes of inputs and outputs, and the versions that built them.

The manifest holds no clock time, so two builds from the same inputs write the same bytes.
"""

from __future__ import annotations

import json
import platform
from importlib import metadata
from pathlib import Path

from analysis import paths
from analysis.atomic import sha256_bytes, sha256_file

PACKAGES = ("pandas", "pandera", "pyarrow", "numpy", "matplotlib", "nbclient", "nbconvert")


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def dumps(data: dict) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


class InputsChangedError(RuntimeError):
    """data/raw no longer matches the inputs data/processed/manifest.json was built from."""


def changed_inputs(record: dict, root: Path) -> list[str]:
    """One line per recorded input that is now missing or has other bytes than at build time.

    Input names are as the manifest records them: relative to the project root, or absolute
    for inputs outside it.
    """
    changes = []
    for name, meta in sorted(record.get("inputs", {}).items()):
        path = Path(name) if Path(name).is_absolute() else root / name
        if not path.exists():
            changes.append(f"{name}: missing (it was an input of the last build)")
        elif sha256_file(path) != meta.get("sha256"):
            changes.append(f"{name}: changed since data/processed was built")
    return changes


def verify_inputs(processed_dir: Path, root: Path | None = None) -> None:
    """Raise InputsChangedError if any raw input differs from what the manifest records.

    Called at the end of every build (``analysis.clean``, ``analysis.render``): a build never
    writes to data/raw, and reports must not be built from data that is out of date.
    """
    if root is None:
        root = paths.ROOT
    manifest_path = Path(processed_dir) / "manifest.json"
    if not manifest_path.exists():
        return
    changes = changed_inputs(load(manifest_path), Path(root))
    if changes:
        listed = "\n".join(f"  - {c}" for c in changes)
        raise InputsChangedError(
            f"data/raw does not match {manifest_path.name} (the inputs data/processed was "
            f"built from):\n{listed}\nThe processed data and reports are out of date: run "
            "`make data` (or `make report`, which runs it) to rebuild them."
        )


__all__ = ["sha256_bytes", "sha256_file"]  # re-exported: callers hash through the manifest
