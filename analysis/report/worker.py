"""Run a notebook's cells in a forked child, in ipykernel's own in-process kernel.

``ipykernel.inprocess`` is a Jupyter kernel (its shell, display hook, display publisher and
output streams) that runs in the process of its client, without ZeroMQ sockets or a process of
its own. Each child starts one: a new kernel per notebook, as ``nbclient`` would, but in a
process forked from the warm fork server (``analysis.report.pool``) rather than a new Python.
The kernel's messages go to nbclient's own ``NotebookClient.process_message``, so outputs become
cells' outputs exactly as nbclient makes them from a kernel in its own process.

What differs from that: text written by C code straight to file descriptors 1 and 2 goes to the
build's log instead of the page, and the kernel keeps no command history.
``tests/test_render.py`` checks that the pages equal those built with a kernel per notebook.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
from collections.abc import Callable

import nbformat


def run_notebook(
    nb: nbformat.NotebookNode, cwd: str, progress: Callable[[int], None] | None = None
) -> tuple[nbformat.NotebookNode, tuple[int, str, str] | None]:
    """Run every code cell of ``nb`` in a new in-process kernel, in ``cwd``, as nbclient would.

    Returns the notebook with its outputs and, if a cell failed, ``(its index, ename,
    evalue)``; execution stops at the first failing cell (nbclient's default). ``progress`` is
    told each cell's index before it runs.
    """
    from ipykernel.inprocess.manager import InProcessKernelManager
    from jupyter_core.utils import ensure_event_loop
    from nbclient import NotebookClient
    from traitlets.config import Config

    os.chdir(cwd)
    # A kernel runs every cell in one context, so a context variable set by a cell (the
    # edition's language, analysis.report.i18n) holds in the next; the in-process kernel runs
    # each cell in a new task of this loop, which would get a copy: each gets this one.
    context = contextvars.copy_context()
    ensure_event_loop().set_task_factory(
        lambda loop, coro, **_: asyncio.Task(coro, loop=loop, context=context)
    )
    # No history database: it would start a writer thread and write a file.
    manager = InProcessKernelManager(config=Config(HistoryManager={"enabled": False}))
    manager.start_kernel()
    kernel = manager.client()
    kernel.start_channels()
    kernel.kernel_info()  # what nbclient records from the kernel's reply
    nb.metadata["language_info"] = kernel.get_shell_msg()["content"]["language_info"]
    client = NotebookClient(nb, record_timing=False)
    client.reset_execution_trackers()
    for index, cell in enumerate(nb.cells):
        skip = client.skip_cells_with_tag in cell.metadata.get("tags", [])
        if cell.cell_type != "code" or not cell.source.strip() or skip:
            continue
        if progress:
            progress(index)
        cell.outputs, client.clear_before_next_output = [], False
        request = kernel.execute(cell.source)  # returns once the cell has run
        reply = kernel.get_shell_msg()["content"]
        while True:  # its messages, up to the kernel's "idle" for this request
            msg = kernel.get_iopub_msg()
            idle = msg["content"].get("execution_state") == "idle"
            if idle and msg["parent_header"].get("msg_id") == request:
                break
            if msg["msg_type"] != "status":
                client.process_message(msg, cell, index)
        if reply["status"] != "ok":
            return nb, (index, reply["ename"], reply["evalue"])
    return nb, None
