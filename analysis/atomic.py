"""Files: written so that a reader never sees half of one, build locks, and content hashes.

Each output goes to a temporary file in its destination folder (same file system, so the final
``os.replace`` is atomic), is flushed to disk, made world-readable, then renamed into place.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


def write_bytes(path: Path, data: bytes, durable: bool = True) -> None:
    """Atomically replace ``path`` with ``data``; ``durable=False`` skips the flush to disk (the
    rename is still atomic for a killed process, not for a power cut)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_text(path: Path, text: str, durable: bool = True) -> None:
    write_bytes(path, text.encode("utf-8"), durable)


@contextlib.contextmanager
def build_lock(folder: Path, name: str = ".build.lock") -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` so two builds never interleave their writes.

    A second build waits for the first to finish, then finds its outputs up to date or redoes
    them on a consistent state.
    """
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / name, "a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def fault_point(label: str) -> None:
    """Test-only hook: with MALI_FAULT_DELAY=<seconds> set, announce ``label`` and pause.

    The fault tests start a build as a subprocess, wait for the announcement on stderr
    (``fault-point: <label>``) and kill the process there. With MALI_FAULT_AT=<label> also set,
    only that point pauses (the others are announced only). Unset (always, outside tests), this
    does nothing.
    """
    delay = os.environ.get("MALI_FAULT_DELAY")
    if not delay:
        return
    import sys
    import time

    print(f"fault-point: {label}", file=sys.stderr, flush=True)
    if os.environ.get("MALI_FAULT_AT", label) == label:
        time.sleep(float(delay))


_RENAME_EXCHANGE = 2  # linux/fs.h
_AT_FDCWD = -100


def exchange(a: Path, b: Path) -> bool:
    """Swap two directories in one atomic step (Linux ``renameat2(RENAME_EXCHANGE)``).

    Returns False, having changed nothing, where the platform or file system cannot do it (the
    caller then falls back to a slower swap); raises OSError for any other failure.
    """
    import ctypes
    import errno
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p]
    renameat2.argtypes += [ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.EXDEV, errno.ENOTSUP, errno.EPERM):
        return False
    raise OSError(err, os.strerror(err), str(a), None, str(b))


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
