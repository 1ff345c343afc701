"""Children forked from one warm process, with the standard library: ``multiprocessing``'s fork
server imports ``analysis.report.warm`` once and forks a child per job (docs/architecture.md)."""

from __future__ import annotations

import importlib
import multiprocessing
import os
import signal
import sys
import traceback
from multiprocessing import forkserver
from typing import Any

from analysis.report.notebooks import CELL_TIMEOUT


class WorkerDied(Exception):
    """The child running a job ended without a result (crash, kill, or timeout)."""

    def __init__(self, message: str, last_progress: Any = None):
        self.last_progress = last_progress
        super().__init__(message)


class RemoteError(Exception):
    """A job raised in its child; ``ename`` and ``remote_traceback`` describe it."""

    def __init__(self, ename: str, message: str, remote_traceback: str):
        self.ename, self.remote_traceback = ename, remote_traceback
        super().__init__(message)


class Pool:
    """A new fork server, started with ``env`` as its whole environment (and every child's)."""

    def __init__(self, env: dict[str, str]):
        self.env = env
        self.context = multiprocessing.get_context("forkserver")
        self.context.set_forkserver_preload(["analysis.report.warm"])
        saved = dict(os.environ)
        os.environ.clear()
        os.environ.update(env)
        try:  # returns at once: the server imports while the build goes on
            self.close()
            forkserver.ensure_running()
        finally:
            os.environ.clear()
            os.environ.update(saved)

    def call(self, function: str, *args: Any, timeout: float = CELL_TIMEOUT):
        """``module:function(*args, progress=...)`` in a new child: its result, or
        ``RemoteError`` (it raised) or ``WorkerDied`` (it died, or was silent ``timeout`` s)."""
        if forkserver._forkserver._forkserver_pid is None:  # never restarted with os.environ
            raise WorkerDied("the fork server was stopped")
        ours, theirs = self.context.Pipe(duplex=False)
        child = self.context.Process(target=_child, args=(theirs, function, args, self.env))
        child.start()
        theirs.close()
        progress = None
        try:
            while True:
                if not ours.poll(timeout):
                    child.kill()
                    raise WorkerDied(
                        f"no progress for {timeout:.0f} s (a cell timed out)", progress
                    )
                try:
                    kind, *value = ours.recv()
                except EOFError:
                    raise WorkerDied("its process ended without a result", progress) from None
                if kind == "progress":
                    progress = value[0]
                elif kind == "ok":
                    return value[0]
                else:
                    raise RemoteError(*value)
        finally:
            ours.close()
            child.join()

    def close(self) -> None:  # at once: a clean exit would finalise every module it imported
        if forkserver._forkserver._forkserver_pid is not None:
            os.kill(forkserver._forkserver._forkserver_pid, signal.SIGKILL)
        forkserver._forkserver._stop()


def _child(conn, function: str, args: tuple, env: dict[str, str]) -> None:
    os.environ.clear()
    os.environ.update(env)
    try:
        if "numpy" in sys.modules:  # a fresh kernel has its own random state
            importlib.import_module("numpy").random.seed()
        module, _, name = function.partition(":")
        target = getattr(importlib.import_module(module), name)
        result = target(*args, progress=lambda value: conn.send(("progress", value)))
        conn.send(("ok", result))
    except BaseException as exc:  # everything goes back to the renderer
        conn.send(("error", type(exc).__name__, str(exc), traceback.format_exc(limit=20)))
    finally:
        conn.close()
