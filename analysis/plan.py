"""The build planner: pure functions from keys and what is stored to what to do per output.

Nothing here reads a file or starts a process, so every rebuild decision is unit-tested in
milliseconds (``tests/test_plan.py``). ``analysis.keys`` computes the keys, ``analysis.render``
acts on the decisions. docs/architecture.md explains the build as a whole.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

RUN, EXPORT, KEEP = "run", "export", "keep"


@dataclass(frozen=True)
class Want:
    """An output as this build would make it. ``run_key`` names the work behind it (a
    notebook's run, the data step); ``export_key`` adds what only shapes the written file.
    Outputs without a stored run (the data, the index...) have ``export_key == run_key``."""

    run_key: str
    export_key: str


@dataclass(frozen=True)
class Have:
    """What is on disk for one output: the run key of its stored run (None: no usable run is
    stored), the export key and hash recorded when the file was last written, and the file's
    hash now (None: missing)."""

    stored_run: str | None = None
    recorded_key: str | None = None
    recorded_sha: str | None = None
    actual_sha: str | None = None


@dataclass(frozen=True)
class Decision:
    action: str
    reason: str


def decide(want: Want, have: Have) -> Decision:
    """Keep a file written with this export key and not touched since; export again from a
    stored run of the same run key; otherwise run."""
    if have.actual_sha is None:
        why = "the file is missing"
    elif have.recorded_sha is None:
        why = "no record of how the file was built"
    elif have.actual_sha != have.recorded_sha:
        why = "the file was changed after it was built"
    elif have.recorded_key != want.export_key:
        why = "its inputs changed"
    else:
        return Decision(KEEP, "up to date")
    if have.stored_run == want.run_key:
        return Decision(EXPORT, f"{why}; the stored run is current")
    if have.stored_run is not None:
        return Decision(RUN, f"{why}; the stored run is out of date")
    return Decision(RUN, why)


def strongest(decisions: Iterable[Decision]) -> str:
    """The action of a job that writes several outputs at once (the data step, an edition's
    index and appendix): the strongest among its outputs'."""
    return max((d.action for d in decisions), key=(KEEP, EXPORT, RUN).index, default=KEEP)


def explain(decisions: dict[str, Decision]) -> list[str]:
    """One line per output: what the build does with it and why."""
    width = max((len(name) for name in decisions), default=0)
    return [f"{name:<{width}}  {d.action:<6}  {d.reason}" for name, d in sorted(decisions.items())]
