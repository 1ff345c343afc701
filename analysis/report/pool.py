"""Children forked from one warm process, with the standard library: ``multiprocessing``'s fork
server imports ``analysis.report.warm`` once and forks a child per job (docs/architecture.md).

A job is a ``Process`` and a ``Pipe`` rather than a ``concurrent.futures`` pool: the parent reads
the child's progress as it comes, and a child that dies or falls silent is killed and reported
alone, with the last progress it sent, while the other jobs go on."""

from __future__ import annotations

import importlib
import multiprocessing
import os
import signal
import traceback
from multiprocessing import forkserver
from typing import Any

from analysis.report.notebooks import CELL_TIMEOUT, NotebookFailed


class JobFailed(Exception):
    """A job raised in its child (the message says what: a ``NotebookFailed``'s own words, or
    any other exception's with its traceback), or its child ended without a result (a crash,
    a kill, or silence for the timeout: ``progress`` is the last progress it sent)."""

    def __init__(self, message: str, progress: Any = None):
        self.progress = progress
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
        """``module:function(*args, progress=...)`` in a new child: its result, or ``JobFailed``
        (it raised, it died, or it sent nothing for ``timeout`` seconds)."""
        if forkserver._forkserver._forkserver_pid is None:  # never restarted with os.environ
            raise JobFailed("the fork server was stopped")
        ours, theirs = self.context.Pipe(duplex=False)
        child = self.context.Process(target=_child, args=(theirs, function, args, self.env))
        child.start()
        theirs.close()
        progress = None
        try:
            while True:
                if not ours.poll(timeout):
                    child.kill()
                    message = f"no progress for {timeout:.0f} s (a cell timed out)"
                    raise JobFailed(f"DeadKernelError: {message}", progress)
                try:
                    kind, value = ours.recv()
                except EOFError:
                    message = "its process ended without a result"
                    raise JobFailed(f"DeadKernelError: {message}", progress) from None
                if kind == "ok":
                    return value
                if kind == "error":
                    raise JobFailed(value)
                progress = value
        finally:
            ours.close()
            child.join()

    def close(self) -> None:  # at once: a clean exit would finalise every module it imported
        if forkserver._forkserver._forkserver_pid is not None:
            os.kill(forkserver._forkserver._forkserver_pid, signal.SIGKILL)
        forkserver._forkserver._stop()


def _child(conn, function: str, args: tuple, env: dict[str, str]) -> None:
    # The server's environment already is ``env``; set again in case multiprocessing had to
    # start a new server from the parent's whole environment.
    os.environ.clear()
    os.environ.update(env)
    try:
        numpy = importlib.import_module("numpy")  # imported by the server
        numpy.random.seed()  # a fresh kernel has its own random state
        module, _, name = function.partition(":")
        target = getattr(importlib.import_module(module), name)
        conn.send(("ok", target(*args, progress=lambda value: conn.send(("progress", value)))))
    except NotebookFailed as exc:
        conn.send(("error", str(exc)))
    except BaseException as exc:  # everything goes back to the renderer
        trace = traceback.format_exc(limit=20)
        conn.send(("error", f"{type(exc).__name__}: {exc}\n{trace}"))
    finally:
        conn.close()
