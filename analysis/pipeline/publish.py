"""Publish a build's outputs so that a reader sees all old or all new files, never a mix."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from analysis import atomic
from analysis.pipeline import manifest

MANIFEST = "manifest.json"
LOCK = ".build.lock"


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
