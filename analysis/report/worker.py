"""Execute a notebook inside this process the way an IPython kernel would, for a forked child.

The fork server (``analysis.report.pool``) forks one child per notebook from a process that has
already imported pandas, matplotlib, IPython and the report package, and has created an IPython
shell that has not run any code. The child runs the notebook's cells in that shell. Nothing here
re-implements what a kernel does with a cell; the same code is used, only the transport differs:

- the shell is ipykernel's own ``ZMQInteractiveShell`` (with ipykernel's display hook, display
  publisher, traceback sender and code compiler), so results, displays and errors are built by
  the same code as in a kernel;
- its messages go through a ``jupyter_client`` session that packs and unpacks them as the wire
  does, then into nbclient's own ``NotebookClient.process_message``, so outputs become cells'
  outputs exactly as ``nbclient`` makes them;
- ``sys.stdout``/``sys.stderr`` buffer text and flush it as ipykernel's ``OutStream`` does:
  before a display or a result, at the end of a cell, and after 0.2 s.

What differs from a kernel: no ZeroMQ sockets, heartbeat or I/O thread; no command history file;
and text written by C code straight to file descriptors 1 and 2 goes to the build's log instead
of the page (a kernel forwards it). ``tests/test_render.py`` checks that pages built this way are
byte-identical to pages built with a fresh ``nbclient`` kernel per notebook.
"""

from __future__ import annotations

import io
import os
import sys
import time
from collections.abc import Callable

import nbformat

FLUSH_INTERVAL = 0.2  # ipykernel's OutStream.flush_interval


def make_shell():
    """Create the process's IPython shell, configured as ipykernel configures a kernel's."""
    from ipykernel.compiler import XCachingCompiler
    from ipykernel.zmqshell import ZMQInteractiveShell
    from traitlets.config import Config

    config = Config()
    # No history database: it would start a writer thread (before the fork) and write a file.
    config.HistoryManager.enabled = False
    shell = ZMQInteractiveShell.instance(config=config, compiler_class=XCachingCompiler)
    wire = wire_session()
    shell.displayhook.session = wire
    shell.display_pub.session = wire
    # The extension a kernel loads by default (InteractiveShellApp.default_extensions).
    shell.extension_manager.load_extension("storemagic")
    return shell


def wire_session():
    from jupyter_client.session import Session

    class _Wire(Session):
        """A session that keeps the messages it is asked to send, as a client receives them."""

        def __init__(self):
            super().__init__(key=b"")
            self.sent: list[dict] = []

        def send(self, stream, msg_or_type, content=None, parent=None, ident=None, **kwargs):
            if isinstance(msg_or_type, dict):
                msg = msg_or_type
            else:
                msg = self.msg(msg_or_type, content, parent=parent)
            self.sent.append(
                {
                    "msg_type": msg["header"]["msg_type"],
                    "header": msg["header"],
                    "parent_header": self.unpack(self.pack(msg["parent_header"])),
                    "metadata": {},
                    "content": self.unpack(self.pack(msg["content"])),
                }
            )
            return msg

    return _Wire()


class _Stream(io.TextIOBase):
    """sys.stdout / sys.stderr as ipykernel's OutStream behaves, without its I/O thread."""

    def __init__(self, name: str, streams: _Streams):
        self.name = name
        self._streams = streams
        self._pending: list[str] = []
        self._since = 0.0

    encoding = "UTF-8"

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        self._streams.flush_due()
        if text:
            if not self._pending:
                self._since = time.monotonic()
            self._pending.append(text)
        return len(text)

    def due(self) -> bool:
        return bool(self._pending) and time.monotonic() - self._since >= FLUSH_INTERVAL

    def flush(self) -> None:
        if self._pending:
            text, self._pending = "".join(self._pending), []
            self._streams.emit(self.name, text)

    def set_parent(self, parent) -> None:  # called by the shell; the wire carries it
        pass


class _Streams:
    def __init__(self, emit: Callable[[str, str], None]):
        self.emit = emit
        self.stdout = _Stream("stdout", self)
        self.stderr = _Stream("stderr", self)

    def flush_due(self) -> None:
        for stream in (self.stdout, self.stderr):
            if stream.due():
                stream.flush()

    def flush(self) -> None:
        self.stdout.flush()
        self.stderr.flush()


def run_notebook(
    nb: nbformat.NotebookNode, cwd: str, progress: Callable[[int], None] | None = None
) -> tuple[nbformat.NotebookNode, tuple[str, str] | None]:
    """Run every code cell of ``nb`` in this process's shell, in ``cwd``, as nbclient would.

    Returns the notebook with its outputs and, if a cell failed, ``(ename, evalue)``; execution
    stops at the first failing cell (nbclient's default). ``progress`` is told each cell's index
    before it runs.
    """
    from ipykernel.ipkernel import IPythonKernel
    from ipykernel.zmqshell import ZMQInteractiveShell
    from nbclient import NotebookClient

    shell = ZMQInteractiveShell.instance()
    wire = shell.displayhook.session
    os.chdir(cwd)
    client = NotebookClient(nb, record_timing=False)
    client.reset_execution_trackers()
    # What nbclient records from the kernel's kernel_info reply.
    nb.metadata["language_info"] = wire.unpack(wire.pack(IPythonKernel.language_info))
    parent: dict = {}

    def emit(name: str, text: str) -> None:
        wire.send(None, "stream", {"name": name, "text": text}, parent=parent)

    streams = _Streams(emit)
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = streams.stdout, streams.stderr
    try:
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code" or not cell.source.strip():
                continue
            if client.skip_cells_with_tag in cell.metadata.get("tags", []):
                continue
            if progress:
                progress(index)
            parent = wire.msg(
                "execute_request",
                {"code": cell.source, "silent": False, "store_history": True},
            )
            shell.set_parent(parent)
            wire.sent.clear()
            cell.outputs = []
            client.clear_before_next_output = False
            wire.send(
                None,
                "execute_input",
                {"code": cell.source, "execution_count": shell.execution_count},
                parent=parent,
            )
            result = shell.run_cell(
                cell.source, store_history=True, silent=False, cell_id=cell.get("id")
            )
            streams.flush()
            for msg in wire.sent:
                client.process_message(msg, cell, index)
            wire.sent.clear()
            if not result.success:
                error = result.error_before_exec or result.error_in_exec
                return nb, (type(error).__name__, str(error))
    finally:
        streams.flush()
        sys.stdout, sys.stderr = saved
    return nb, None
