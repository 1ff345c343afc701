"""Faults: builds killed half-way, concurrent builds, read-only inputs, inputs changed under a
build, and a notebook that fails.

They run on a copy of the repository whose only notebook is a tiny one (``stub_repo``): what is
tested is the build machinery, not the pages. The kill tests start ``python -m analysis.clean``
/ ``python -m analysis.render`` there with MALI_FAULT_DELAY set: the build then announces each
write on stderr (``fault-point: <label>``, see ``analysis.atomic.fault_point``) and pauses, and
the test kills the whole process group with SIGKILL at the chosen point. Afterwards the
previous outputs must be complete and readable, and the next build must recover.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest

from analysis import clean
from analysis.pipeline import manifest, publish
from analysis.report import data
from tests.conftest import FIXTURES, ROOT, stub_repo
from tests.test_make import DATA_STEP, digest, make

KILL_TIMEOUT = 300

# Audit hooks cannot be removed: one dispatcher for the whole session, active only while a test
# switches it on.
_AUDIT: dict = {"on": False, "hooks": []}


def _dispatch(event: str, args: tuple) -> None:
    if _AUDIT["on"]:
        for hook in _AUDIT["hooks"]:
            hook(event, args)


sys.addaudithook(_dispatch)


@pytest.fixture(scope="module")
def copy(tmp_path_factory) -> Path:
    """A built stub of the repository (sharing this checkout's environments)."""
    copy = stub_repo(tmp_path_factory.mktemp("faults") / "repo")
    make(copy, "report")
    return copy


def outputs(copy: Path) -> dict[str, str]:
    return digest(copy / "data" / "processed") | {
        f"reports/{k}": v for k, v in digest(copy / "reports").items()
    }


class _Checker(HTMLParser):
    pass


def assert_readable(copy: Path) -> None:
    """data.load works and every page is a complete HTML document that parses."""
    loaded = data.load(copy / "data" / "processed")
    assert len(loaded.incidents) > 0
    pages = sorted((copy / "reports").glob("*.html"))
    assert len(pages) == 4  # the stub page, the index, the appendix, the methodology
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert text.rstrip().endswith("</html>"), page.name
        parser = _Checker()
        parser.feed(text)
        parser.close()
    assert not list((copy / "reports").glob(".*.tmp")), "a temporary page was left visible"


def child_env(copy: Path, delay: float | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MALI_", "PYTEST"))}
    env.update(
        PYTHONPATH=str(copy),
        PYTHONHASHSEED="0",
        SOURCE_DATE_EPOCH="1700000000",
        MPLBACKEND="agg",
        MATPLOTLIBRC=str(copy / "matplotlibrc"),
    )
    if delay is not None:
        env["MALI_FAULT_DELAY"] = str(delay)
    return env


def kill_at(copy: Path, module: str, label: str | None, marker: Path | None = None) -> str:
    """Run ``python -m module`` in ``copy``; SIGKILL its process group at ``label`` (a fault
    point announced on stderr) or once ``marker`` exists. Returns the stderr read so far."""
    proc = subprocess.Popen(
        [str(copy / ".venv" / "bin" / "python"), "-m", module],
        cwd=copy,
        env=child_env(copy, 120 if label else None) | ({"MALI_FAULT_AT": label} if label else {}),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    seen: list[str] = []
    deadline = time.monotonic() + KILL_TIMEOUT
    try:
        if label:
            for line in proc.stderr:
                seen.append(line)
                if line.strip() == f"fault-point: {label}":
                    break
            else:
                raise AssertionError(f"{module} ended before {label!r}:\n{''.join(seen)}")
        else:
            while not marker.exists():
                assert proc.poll() is None, f"{module} ended before the marker"
                assert time.monotonic() < deadline, "timed out waiting for the marker"
                time.sleep(0.1)
            time.sleep(0.5)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    return "".join(seen)


_EDITS = iter(range(1, 1000))


def change_a_count(copy: Path) -> None:
    """Change an input so the next build has new data: append a row to the region map."""
    path = copy / "data" / "hand" / "regions.csv"
    n = next(_EDITS)
    path.write_text(
        path.read_text(encoding="utf-8") + f"Fault test place {n},locality,Mopti,\n",
        encoding="utf-8",
    )


STAGING = ".processed.staging-*"
# Where a data build can be killed, in the order it gets there: before the swap the previous
# tables must be left as they were; after it, the new ones must be complete.
BEFORE_SWAP = [
    "clean: staged incidents.parquet",
    "clean: staged manifest.json",
    "clean: before swap",
]


def explained(copy: Path, prefix: str) -> dict[str, str]:
    """What `make explain` would do with each output under ``prefix``."""
    lines = make(copy, "explain").stdout.splitlines()
    return {line.split()[0]: line.split()[1] for line in lines if line.startswith(prefix)}


@pytest.mark.slow
def test_a_data_build_killed_anywhere_leaves_complete_tables_and_the_next_one_recovers(copy):
    """Killed at each write of the data step: before the swap, the previous tables are kept;
    after it, the new ones are complete. Every kill leaves one staging folder; the next data
    build removes it (the same clean-up whatever the point: the next kill's build shows it for
    each point, then `make data` for the last) and records its tables, so nothing is left to do."""
    before = outputs(copy)
    change_a_count(copy)
    for label in BEFORE_SWAP:
        kill_at(copy, "analysis.clean", label)
        assert outputs(copy) == before, f"killed at {label!r}: the previous build was changed"
        assert_readable(copy)
        leftovers = list((copy / "data").glob(STAGING))
        assert len(leftovers) == 1, f"killed at {label!r}: {leftovers}"
    kill_at(copy, "analysis.clean", "clean: swapped")
    processed = copy / "data" / "processed"
    loaded = data.load(processed)  # complete and matching its manifest
    manifest.verify_inputs(processed, copy)  # and built from today's raw files
    assert len(loaded.claims) > 0
    assert_readable(copy)
    assert len(list((copy / "data").glob(STAGING))) == 1  # holding the previous tables
    assert DATA_STEP in make(copy, "data").stdout
    assert not list((copy / "data").glob(STAGING))
    assert_readable(copy)
    planned = explained(copy, "data/processed/")
    assert "data/processed/manifest.json" in planned
    assert set(planned.values()) == {"keep"}, planned


@pytest.mark.slow
def test_a_render_killed_in_a_notebook_or_while_writing_pages_leaves_every_page_whole(
    copy, tmp_path
):
    """Killed while a notebook runs, the previous pages are left as they were; killed while
    the pages are written, every page is whole. Neither killed build saved its record, so the
    next build recovers from both alike: one recovery build after the second kill."""
    before = outputs(copy)
    notebook = copy / "notebooks" / "01-stub.py"
    original = notebook.read_text(encoding="utf-8")
    marker = tmp_path / "kernel.pid"
    notebook.write_text(
        original
        + "\n# %%\nimport os, time\n"
        + f"open({str(marker)!r}, 'w').write(str(os.getpid()))\ntime.sleep(600)\n",
        encoding="utf-8",
    )
    try:
        kill_at(copy, "analysis.render", None, marker=marker)
    finally:
        notebook.write_text(original, encoding="utf-8")
        # The kernel runs in its own session: end it too (it is this test's process).
        kernel = int(marker.read_text()) if marker.exists() and marker.read_text() else None
        if kernel:
            with contextlib.suppress(ProcessLookupError):
                os.kill(kernel, signal.SIGKILL)
    assert outputs(copy) == before
    assert_readable(copy)
    (copy / "reports" / "index.html").unlink()  # force the renderer to write the extra pages
    kill_at(copy, "analysis.render", "render: writing methodology.html")
    data.load(copy / "data" / "processed")
    for page in (copy / "reports").glob("*.html"):
        assert page.read_text(encoding="utf-8").rstrip().endswith("</html>"), page.name
    make(copy, "report")
    assert_readable(copy)


@pytest.mark.slow
def test_two_builds_at_once_equal_one_clean_build(copy):
    change_a_count(copy)
    env = child_env(copy, None)
    env.pop("PYTHONPATH")
    runs = [
        subprocess.Popen(
            ["make", "-C", str(copy), "report"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [(p.wait(timeout=900), p.stdout.read(), p.stderr.read()) for p in runs]
    for p in runs:
        p.stdout.close()
        p.stderr.close()
    for code, out, err in results:
        assert code == 0, f"{out}\n{err}"
    together = outputs(copy)
    assert_readable(copy)
    make(copy, "clean")
    make(copy, "report")
    assert outputs(copy) == together


@pytest.mark.slow
def test_read_only_raw_builds_and_is_not_touched(copy):
    raw = copy / "data" / "raw"
    shutil.rmtree(copy / "data" / "processed")
    files = [p for p in sorted(raw.rglob("*")) if p.is_file()]
    before = {p: (p.stat().st_mtime_ns, manifest.sha256_file(p)) for p in files}
    modes = {p: p.stat().st_mode for p in [raw, *raw.rglob("*")]}
    subprocess.run(["chmod", "-R", "a-w", str(raw)], check=True)
    try:
        make(copy, "report")
    finally:
        for path, mode in modes.items():
            os.chmod(path, mode)
    after = {p: (p.stat().st_mtime_ns, manifest.sha256_file(p)) for p in files}
    assert after == before
    assert sorted(p for p in raw.rglob("*") if p.is_file()) == files
    assert_readable(copy)


# --------------------------------------------------------------------------------------------
# In-process checks (fast)
# --------------------------------------------------------------------------------------------


def test_raw_files_are_opened_read_only(raw_dir, tmp_path):
    """Root ignores permissions, so check the open calls: every file under raw is opened for
    reading only (audit hook on open / os.open), and nothing there changes."""
    # data/raw and data/hand side by side, as in the repository.
    hand_dir = raw_dir.parent / "hand"
    shutil.copytree(ROOT / "data" / "hand", hand_dir)
    (raw_dir / "acled").mkdir()
    shutil.copy2(FIXTURES / "acled" / "acled-2025-06-01.csv", raw_dir / "acled")
    files = sorted(p for d in (raw_dir, hand_dir) for p in d.rglob("*") if p.is_file())
    before = {p: (p.stat().st_mtime_ns, manifest.sha256_file(p)) for p in files}
    opened: list[tuple[str, object, int]] = []
    roots = (str(raw_dir.resolve()), str(hand_dir.resolve()))

    def hook(event, args):
        if event == "open" and str(args[0]).startswith(roots):
            opened.append((str(args[0]), args[1], args[2]))

    _AUDIT["hooks"].append(hook)
    _AUDIT["on"] = True
    try:
        out = tmp_path / "processed"
        assert clean.main(["--raw", str(raw_dir), "--hand", str(hand_dir), "--out", str(out)]) == 0
    finally:
        _AUDIT["on"] = False
        _AUDIT["hooks"].clear()
    assert opened, "no raw file was opened through Python"
    for path, mode, flags in opened:
        if isinstance(mode, str):
            assert not set(mode) & set("wax+"), (path, mode)
        write_flags = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
        assert not (flags & write_flags), (path, flags)
    assert {p: (p.stat().st_mtime_ns, manifest.sha256_file(p)) for p in files} == before
    assert sorted(p for d in (raw_dir, hand_dir) for p in d.rglob("*") if p.is_file()) == files
    assert any(path.endswith("actor_map.csv") for path, _, _ in opened)


def test_verify_inputs_names_changed_and_missing_files(raw_dir, hand_dir, tmp_path):
    out = tmp_path / "processed"
    assert clean.main(["--raw", str(raw_dir), "--hand", str(hand_dir), "--out", str(out)]) == 0
    manifest.verify_inputs(out)  # unchanged: passes
    (hand_dir / "regions.csv").write_text("changed\n", encoding="utf-8")
    (raw_dir / "context_events.csv").unlink()
    with pytest.raises(manifest.InputsChangedError) as info:
        manifest.verify_inputs(out)
    text = str(info.value)
    assert f"{hand_dir / 'regions.csv'}: changed since data/processed was built" in text
    assert f"{raw_dir / 'context_events.csv'}: missing" in text
    assert "run `make data`" in text


def test_clean_fails_when_raw_changes_during_the_build(raw_dir, tmp_path, monkeypatch, capsys):
    real_run = clean.run

    def run_then_edit(raw, out, hand, geo):
        record = real_run(raw, out, hand, geo)
        edit = raw / "sources.csv"
        edit.write_text(edit.read_text(encoding="utf-8") + "\n", encoding="utf-8")
        return record

    monkeypatch.setattr(clean, "run", run_then_edit)
    code = clean.main(["--raw", str(raw_dir), "--out", str(tmp_path / "processed")])
    assert code == 1
    err = capsys.readouterr().err
    assert "sources.csv: changed since data/processed was built" in err
    assert "run `make data`" in err


def test_publish_swaps_everything_at_once_and_keeps_the_lock(tmp_path):
    out = tmp_path / "processed"
    publish.publish(out, {"a.parquet": b"old", "stale.parquet": b"x"}, b"{}")
    (out / publish.LOCK).touch()
    lock_inode = (out / publish.LOCK).stat().st_ino
    publish.publish(out, {"a.parquet": b"new"}, b'{"n": 1}')
    assert (out / "a.parquet").read_bytes() == b"new"
    assert not (out / "stale.parquet").exists()
    assert (out / publish.LOCK).stat().st_ino == lock_inode
    assert sorted(p.name for p in tmp_path.iterdir()) == ["processed"]


# --------------------------------------------------------------------------------------------
# Notebook failures fit on one screen
# --------------------------------------------------------------------------------------------


BROKEN = (
    "\n# %%\ndef deep(n):\n    if n == 0:\n"
    "        raise KeyError('no column named casualties_max ' + 'x' * 2000)\n"
    "    return deep(n - 1)\n\n\ndeep(30)\n"
)


@pytest.mark.slow
def test_a_failing_notebook_is_named_on_one_screen_and_keeps_every_page(copy):
    """The build stops with the notebook, cell and error on one screen, and leaves every page
    and the index as they were; the next build recovers."""
    make(copy, "report")
    before = outputs(copy)
    notebook = copy / "notebooks" / "01-stub.py"
    original = notebook.read_text(encoding="utf-8")
    notebook.write_text(original + BROKEN, encoding="utf-8")
    try:
        result = make(copy, "report", check=False)
    finally:
        notebook.write_text(original, encoding="utf-8")
    assert result.returncode != 0
    assert outputs(copy) == before
    screen = result.stderr[result.stderr.index("notebook 01-stub.py failed") :]
    lines = screen.splitlines()[:3]
    assert "in cell 3 (code cell starting: 'def deep(n):')" in lines[1], result.stderr
    assert "KeyError: " in lines[2] and "no column named casualties_max" in lines[2]
    assert max(len(line) for line in lines) <= 700
    assert len(result.stderr.splitlines()) <= 15, result.stderr
    assert "1 notebook(s) failed" in result.stderr
    # Back as it was, the notebook's page is current: the next build has nothing to do.
    assert "built" not in make(copy, "report").stdout
    assert outputs(copy) == before
