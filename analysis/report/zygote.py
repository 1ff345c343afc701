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

Kept warm between builds. By default the zygote outlives the build that started it, as a small
server that a later build of the same checkout connects to, so that editing one notebook costs
that notebook's run and not the imports again. It listens on a Unix socket in a private folder
(``mali-render-<uid>`` in ``XDG_RUNTIME_DIR`` or the temporary folder, mode 0700, refused if
anyone else could enter it), named by a hash of everything its warm state depends on: the
checkout's path, every file of the ``analysis`` package, the chart style, the lock file, the
installed packages and the kernel's environment. A build whose hash differs starts a new server
and stops the old ones of that checkout; a server with no build for ``MALI_RENDER_SERVER_IDLE``
seconds (default 600) exits. It serves one build at a time, in the order they connect (a build
starts it early, ``start_server``, and connects only once it holds the build lock) and, as
above, kills a build's children when that build goes away. Its output goes nowhere (a pipe that
stayed open would keep a ``make report | tee`` waiting). ``MALI_RENDER_SERVER=0`` (and ``CI``
set) give every build its own zygote, which ends with it; ``make clean`` stops the servers of the
checkout.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import json
import os
import pickle
import signal
import socket
import struct
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
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
    "jupytext",
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

    @classmethod
    def for_build(cls, root: Path) -> Zygote:
        """The zygote a build uses: the checkout's warm server when enabled and usable
        (started if needed), else a private one."""
        if server_enabled():
            with contextlib.suppress(OSError):
                shared = _SharedZygote.connect(root)
                if shared is not None:
                    return shared
        return cls(root)

    def __enter__(self) -> Zygote:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# Variables of make's own and of the shell that change from one invocation to the next and that
# no notebook reads: they do not make a server's warm state different.
_VOLATILE = {"MAKEFLAGS", "MAKELEVEL", "MFLAGS", "MAKE_TERMOUT", "MAKE_TERMERR", "OLDPWD", "_"}
SERVER_IDLE = 600.0


def server_enabled() -> bool:
    setting = os.environ.get("MALI_RENDER_SERVER", "")
    if setting:
        return setting not in ("0", "false", "no")
    return not os.environ.get("CI")


def runtime_dir() -> Path | None:
    """The private folder of this user's servers, or None if it is not private."""
    base = Path(os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir())
    folder = base / f"mali-render-{os.getuid()}"
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        status = folder.lstat()
    except OSError:
        return None
    if not folder.is_dir() or status.st_uid != os.getuid() or status.st_mode & 0o077:
        return None
    return folder


def _root_tag(root: Path) -> str:
    return hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:12]


def server_key(root: Path, env: dict[str, str]) -> str:
    """Hash of what a warm server's state depends on (see the module's docstring)."""
    digest = hashlib.sha256()
    digest.update(f"{sys.executable}\0{root.resolve()}\0".encode())
    files = sorted(
        p for p in (root / "analysis").rglob("*") if p.is_file() and "__pycache__" not in p.parts
    )
    files += [root / "matplotlibrc", root / "uv.lock"]
    for path in files:
        if path.exists():
            digest.update(str(path.relative_to(root)).encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    for folder in {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}:
        with contextlib.suppress(OSError):
            digest.update(str(os.stat(folder).st_mtime_ns).encode())
    kept = {k: v for k, v in env.items() if k not in _VOLATILE}
    digest.update(json.dumps(kept, sort_keys=True).encode())
    return digest.hexdigest()


def stop_servers(root: Path, keep: Path | None = None) -> int:
    """Ask the servers of the checkout at ``root`` (all but ``keep``) to exit."""
    folder = runtime_dir()
    if folder is None:
        return 0
    stopped = 0
    for path in folder.glob(f"{_root_tag(root)}-*.sock"):
        if path == keep:
            continue
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as sock:
                sock.settimeout(5)
                sock.connect(str(path))
                sock.send(b"quit")
                stopped += 1
        except OSError:
            with contextlib.suppress(OSError):
                path.unlink()
    return stopped


class _SharedZygote(Zygote):
    """A connection to the checkout's warm server."""

    def __init__(self, control: socket.socket):
        self._control = control
        self._lock = threading.Lock()
        self._used = False

    @classmethod
    def connect(cls, root: Path) -> _SharedZygote | None:
        where = _server_path(root)
        if where is None:
            return None
        path, env = where
        control = _try_connect(path)
        if control is None:
            _spawn_server(root, path, env)
            deadline = time.monotonic() + 10
            while control is None and time.monotonic() < deadline:
                time.sleep(0.01)
                control = _try_connect(path)
        return None if control is None else cls(control)

    def close(self) -> None:
        """End this build's connection; the server stays warm for the next build."""
        self._control.close()


def _server_path(root: Path) -> tuple[Path, dict[str, str]] | None:
    """The socket of the checkout's server for the current warm state, and the kernel's
    environment it runs with (None where no private folder is available)."""
    from analysis.report.notebooks import kernel_env

    folder = runtime_dir()
    if folder is None:
        return None
    env = kernel_env(root)
    return folder / f"{_root_tag(root)}-{server_key(root, env)[:24]}.sock", env


def _spawn_server(root: Path, path: Path, env: dict[str, str]) -> None:
    """Start a server at ``path``, stopping the checkout's servers of other states."""
    stop_servers(root, keep=path)
    with contextlib.suppress(FileNotFoundError):
        path.unlink()  # left by a server that was killed
    idle = os.environ.get("MALI_RENDER_SERVER_IDLE", str(SERVER_IDLE))
    subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from analysis.report import zygote; "
            f"zygote.serve_forever({str(path)!r}, {float(idle)!r})",
        ],
        env=env,
        cwd=root,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def start_server(root: Path) -> None:
    """Start the checkout's warm server if it is not running, without connecting to it.

    A build calls this before its data step, so that a new server imports meanwhile, and
    connects (``Zygote.for_build``) only once it holds the build lock: the server serves one
    build at a time, in the order they connect, so a build that connected and then waited for
    the lock would hold up the build that has it (until a job timed out).
    """
    with contextlib.suppress(OSError):
        where = _server_path(root)
        # A socket left by a killed server is found dead when the build connects, which then
        # starts a new one (without the overlap).
        if where is not None and not where[0].exists():
            _spawn_server(root, *where)


def _try_connect(path: Path) -> socket.socket | None:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        sock.connect(str(path))
    except OSError:
        sock.close()
        return None
    return sock


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
    from analysis.report import notebooks, worker

    with contextlib.suppress(Exception):
        notebooks.warm_up()
    worker.make_shell()


def _warm_and_check() -> None:
    warm()
    if threading.active_count() != 1:  # pragma: no cover - a guard against future imports
        raise SystemExit("zygote: a Python thread is running; refusing to fork")


def serve(fd: int) -> None:
    """A build's own zygote: fork a child for each job until the renderer goes away."""
    control = socket.socket(fileno=fd)
    _warm_and_check()
    _serve_build(control)
    os._exit(0)


def serve_forever(path: str, idle: float) -> None:
    """The checkout's warm server: serve one build after another, until no build has come for
    ``idle`` seconds or one asks it to quit."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        listener.bind(path)  # fails if another server of the same state got there first
    except OSError:
        os._exit(0)
    listener.listen(8)
    named = True
    try:
        _warm_and_check()
        listener.settimeout(idle)
        while True:
            try:
                control, _ = listener.accept()
            except TimeoutError:
                # Take the name away first, then serve a build that connected meanwhile.
                os.unlink(path)
                named = False
                listener.setblocking(False)
                with contextlib.suppress(BlockingIOError):
                    while True:
                        control, _ = listener.accept()
                        control.setblocking(True)
                        _serve_build(control)
                break
            control.settimeout(None)
            if _serve_build(control) == "quit":
                break
    finally:
        if named:
            with contextlib.suppress(OSError):
                os.unlink(path)
    os._exit(0)


def _serve_build(control: socket.socket) -> str:
    """Fork a child for each job of one build until it goes away (or says ``quit``); then
    kill that build's children still running."""
    children: set[int] = set()
    ending = "done"
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(control, 16, 1)
        except (OSError, ValueError):
            break
        _reap(children)
        if not message or not fds:
            for extra in fds:
                os.close(extra)
            if message == b"quit":
                ending = "quit"
            break
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            control.close()
            _child(socket.socket(fileno=fds[0]))  # never returns
        os.close(fds[0])
        children.add(pid)
    control.close()
    for pid in children:
        _kill(pid)
    for pid in children:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
    return ending


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


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Stop the warm render servers of a checkout.")
    parser.add_argument("--stop", action="store_true", required=True)
    parser.add_argument("--root", type=Path, default=Path.cwd())
    args = parser.parse_args(argv)
    stopped = stop_servers(args.root)
    if stopped:
        print(f"stopped {stopped} warm render server(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
