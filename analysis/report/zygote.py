"""A warm process that forks one worker per job: kernels without the start-up cost.

Starting a kernel per notebook costs an interpreter start and imports of pandas, pyarrow,
matplotlib, IPython and the report package (about 0.8 s each, five times on two cores), more
than most notebooks take to run. A zygote pays that once: it starts with the kernel's
environment (``notebooks.kernel_env``), imports those modules, creates an IPython shell that has
not run any code, and then waits. For each job it forks a child, which is a copy of that warm
state: each notebook runs in its own process, in a fresh namespace, and cannot see another's
state, as with a kernel per notebook. ``analysis.report.worker`` runs the cells.

Protocol. The renderer and the zygote share a Unix ``SOCK_SEQPACKET`` socket. For a job the
renderer makes a new socket pair, passes one end to the zygote (``SCM_RIGHTS``), and writes the
job (a pickled function name and arguments) on its own end. The zygote forks; the child reads the
job, runs it, and writes back frames: its pid, progress (the cell being run) and the result or
the exception. The renderer reads until the end of the stream: a child that dies leaves a stream
without a result, which is reported with the cell it was running.

Safety. The zygote never runs notebook code. It checks that it holds no Python threads before
forking (the native threads pyarrow's allocator and OpenBLAS start at import are fork-safe: both
register fork handlers). Children start a fresh random state for numpy (``random`` reseeds
itself after a fork). When the renderer goes away (its end of the socket closes), the zygote
kills the children still running and exits; all of them stay in the renderer's process group,
so killing a build's group ends them too.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import pickle
import signal
import socket
import struct
import subprocess
import sys
import threading
import traceback
from pathlib import Path
from typing import Any

# What every notebook and page job needs, imported once in the zygote. A module that fails to
# import here is simply left out: the notebook that imports it then fails in its own cell.
WARM_MODULES = (
    "numpy",
    "pandas",
    "pyarrow",
    "pyarrow.parquet",
    "pandas.io.parquet",
    "matplotlib",
    "matplotlib.pyplot",
    "jinja2",
    "nbformat",
    "nbclient",
    "nbconvert",
    "ipykernel.ipkernel",
    "analysis.report.data",
    "analysis.report.metrics",
    "analysis.report.charts",
    "analysis.report.compare",
    "analysis.report.geo",
    "analysis.report.briefing",
    "analysis.report.export",
    "analysis.report.notebooks",
    "analysis.report.worker",
    "analysis.report.i18n",
)
CELL_TIMEOUT = 600  # seconds without progress before a job is declared stuck (as nbclient's)
_HEADER = struct.Struct("!Q")


class WorkerDied(Exception):
    """The child running a job ended without a result (crash, kill, or timeout)."""

    def __init__(self, message: str, last_progress: Any = None):
        self.last_progress = last_progress
        super().__init__(message)


class RemoteError(Exception):
    """A job raised an exception in its child; ``ename`` and ``remote_traceback`` describe it."""

    def __init__(self, ename: str, message: str, remote_traceback: str):
        self.ename = ename
        self.remote_traceback = remote_traceback
        super().__init__(message)


def _send_frame(sock: socket.socket, obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    sock.sendall(_HEADER.pack(len(data)) + data)


def _recv_exact(sock: socket.socket, size: int) -> bytes | None:
    chunks, missing = [], size
    while missing:
        chunk = sock.recv(min(missing, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)


def _recv_frame(sock: socket.socket) -> Any:
    """The next frame, or ``None`` at the end of the stream (or a truncated frame)."""
    header = _recv_exact(sock, _HEADER.size)
    if header is None:
        return None
    data = _recv_exact(sock, _HEADER.unpack(header)[0])
    return None if data is None else pickle.loads(data)


# --------------------------------------------------------------------------------------------
# The renderer's side
# --------------------------------------------------------------------------------------------


class Zygote:
    """Start a zygote for the project at ``root``; ``call`` runs a job in a fresh child."""

    def __init__(self, root: Path):
        from analysis.report.notebooks import kernel_env

        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._control = ours
        self._lock = threading.Lock()
        self._used = False
        self._proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                f"from analysis.report import zygote; zygote.serve({theirs.fileno()})",
            ],
            env=kernel_env(root),
            cwd=root,
            pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL,
        )
        theirs.close()

    def call(
        self, function: str, *args: Any, timeout: float = CELL_TIMEOUT, on_progress=None
    ) -> Any:
        """Run ``module:function(*args)`` in a new child of the zygote and return its result.

        Raises ``RemoteError`` if the function raised, ``WorkerDied`` if the child ended without
        a result or sent nothing for ``timeout`` seconds (it is then killed).
        """
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        with ours:
            try:
                with self._lock:
                    self._used = True
                    socket.send_fds(self._control, [b"job"], [theirs.fileno()])
            except OSError as exc:
                raise WorkerDied(f"the notebook process pool is gone ({exc})") from None
            finally:
                theirs.close()
            try:
                _send_frame(ours, (function, args))
                ours.shutdown(socket.SHUT_WR)
            except OSError:
                pass  # the child is gone already: its stream says how (or that it ended)
            ours.settimeout(timeout)
            pid, progress = None, None
            while True:
                try:
                    frame = _recv_frame(ours)
                except TimeoutError:
                    if pid:
                        _kill(pid)
                    raise WorkerDied(
                        f"no progress for {timeout:.0f} seconds (a cell timed out); stopped",
                        progress,
                    ) from None
                if frame is None:
                    raise WorkerDied(
                        "its process ended without a result (crashed or was killed)", progress
                    )
                kind, value = frame[0], frame[1:]
                if kind == "pid":
                    pid = value[0]
                elif kind == "progress":
                    progress = value[0]
                    if on_progress:
                        on_progress(progress)
                elif kind == "ok":
                    return value[0]
                elif kind == "error":
                    raise RemoteError(*value)

    def close(self) -> None:
        """End the zygote (and any child still running)."""
        self._control.close()
        if not self._used:
            self._proc.kill()  # still importing, perhaps: no need to wait for it
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()

    def __enter__(self) -> Zygote:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


# --------------------------------------------------------------------------------------------
# The zygote's side
# --------------------------------------------------------------------------------------------


def warm() -> None:
    """Import what jobs need and create the (unused) IPython shell, once, before any fork."""
    for name in WARM_MODULES:
        # A module that fails here is left out: the notebook importing it reports the error.
        with contextlib.suppress(Exception):
            importlib.import_module(name)
    with contextlib.suppress(Exception):
        # Every edition's catalogue compiled and its CLDR data loaded once, not once per page.
        from analysis.report import i18n

        for lang in i18n.LANGUAGES:
            i18n.translations(lang)
            i18n.get(lang).range(1000, 2000)
            i18n.get(lang).month("2022-03-01")
    from analysis.report import worker

    worker.make_shell()


def serve(fd: int) -> None:
    """The zygote's main loop: fork a child for each job until the renderer goes away."""
    control = socket.socket(fileno=fd)
    warm()
    if threading.active_count() != 1:  # pragma: no cover - a guard against future imports
        raise SystemExit("zygote: a Python thread is running; refusing to fork")
    children: set[int] = set()
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(control, 16, 1)
        except (OSError, ValueError):
            break
        _reap(children)
        if not message or not fds:
            for extra in fds:
                os.close(extra)
            break
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            control.close()
            _child(socket.socket(fileno=fds[0]))  # never returns
        os.close(fds[0])
        children.add(pid)
    for pid in children:
        _kill(pid)
    for pid in children:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
    os._exit(0)


def _reap(children: set[int]) -> None:
    for pid in list(children):
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done = pid
        if done:
            children.discard(pid)


def _child(job: socket.socket) -> None:
    code = 1
    try:
        if "numpy" in sys.modules:  # a fresh kernel would have its own random state
            sys.modules["numpy"].random.seed()
        _send_frame(job, ("pid", os.getpid()))
        function, args = _recv_frame(job)
        module, _, name = function.partition(":")
        target = getattr(importlib.import_module(module), name)

        def progress(value: Any) -> None:
            _send_frame(job, ("progress", value))

        result = target(*args, progress=progress)
        _send_frame(job, ("ok", result))
        code = 0
    except BaseException as exc:  # everything goes back to the renderer
        # If the renderer is gone there is nobody to tell.
        with contextlib.suppress(Exception):
            _send_frame(
                job, ("error", type(exc).__name__, str(exc), traceback.format_exc(limit=20))
            )
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)
