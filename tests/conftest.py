"""Shared fixtures: a small, fictional curated dataset whose derived figures are known by hand."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures"
ROOT = HERE.parent


@pytest.fixture
def raw_dir(tmp_path: Path) -> Path:
    """A writable copy of tests/fixtures/curated."""
    target = tmp_path / "raw"
    shutil.copytree(FIXTURES / "curated", target)
    return target


@pytest.fixture
def hand_dir(tmp_path: Path) -> Path:
    """A writable copy of data/hand with the fixture's region map (tests/fixtures/hand)."""
    target = tmp_path / "hand"
    shutil.copytree(ROOT / "data" / "hand", target)
    shutil.copy2(FIXTURES / "hand" / "regions.csv", target / "regions.csv")
    return target


def edit_csv(path: Path, old: str, new: str) -> None:
    """Replace one exact piece of text in a fixture file (the test fails if it is absent)."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def append_row(path: Path, row: str) -> int:
    """Append a CSV row; return its line number."""
    text = path.read_text(encoding="utf-8")
    if not text.endswith("\n"):
        text += "\n"
    path.write_text(text + row + "\n", encoding="utf-8")
    return len((text + row).splitlines())


def tracked_files() -> list[str]:
    """Files git tracks or would track (untracked, not ignored) in this checkout."""
    out = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [line for line in out.splitlines() if (ROOT / line).is_file()]


def repo_copy(target: Path) -> Path:
    """Copy the repository's files to ``target``, sharing this checkout's environments.

    .venv and .tools are symlinked, so a test exercises the Makefile, the pipeline and the
    renderer without downloading packages again.
    """
    for name in tracked_files():
        dest = target / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, dest)
    for env_dir in (".venv", ".tools"):
        os.symlink(ROOT / env_dir, target / env_dir)
    return target


def make_env() -> dict[str, str]:
    """The environment a user's `make` sees: none of the test runner's variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MALI_", "PYTEST"))}
    env["SOURCE_DATE_EPOCH"] = "1700000000"
    return env


STUB_NOTEBOOK = """\
# %% [markdown]
# # Stub page

# %% tags=["parameters"]
PROCESSED = None
LANG = "en"
TABLES = ["incidents"]

# %%
from analysis.report import data

print(len(data.load(PROCESSED).incidents), "incidents")
"""


def stub_repo(target: Path) -> Path:
    """A copy of the repository whose only notebook is a tiny one: the build machinery, the
    data step and the index, without the cost of the real pages."""
    repo_copy(target)
    for notebook in (target / "notebooks").glob("[0-9][0-9]-*.py"):
        notebook.unlink()
    (target / "notebooks" / "01-stub.py").write_text(STUB_NOTEBOOK, encoding="utf-8")
    return target


def shared_build(tmp_path_factory, name: str, build) -> Path:
    """``build(folder)`` done once per test run, in ``<run's temp>/name``: under pytest-xdist the
    first worker to need it builds it under a lock in the run's common temporary folder, and
    the others wait and use it. A build that failed half-way is started again."""
    base = tmp_path_factory.getbasetemp()
    # (the variable, not xdist's worker_id fixture: that one is missing with -p no:xdist)
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # pytest-of-<user>/pytest-N/, common to this run's workers
    folder = base / name
    done = base / f"{name}.built"
    with open(base / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            build(folder)
            done.touch()
    return folder


@pytest.fixture(scope="session")
def built_repo(tmp_path_factory) -> Path:
    """One copy of the repository with `make report` done, shared by the slow modules (each
    takes a clone of it, so none sees another's edits; the few that use it directly only read
    it), and by the workers of one run."""

    def build(folder: Path) -> None:
        target = repo_copy(folder / "repo")
        result = subprocess.run(
            ["make", "-C", str(target), "report"],
            env=make_env(),
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert result.returncode == 0, result.stdout + result.stderr

    return shared_build(tmp_path_factory, "built-repo", build) / "repo"


@pytest.fixture(scope="session")
def real_processed(tmp_path_factory) -> Path:
    """data/processed built from the project's own data/raw by the data step alone (no pages),
    once per run; the tests that use it only read it."""
    from analysis import clean, paths

    return shared_build(tmp_path_factory, "real-processed", lambda out: clean.run(paths.RAW, out))


NOT_RUN = "browser tests did NOT run: "
BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str | None:
    """The system Chromium; tools/ensure-chromium installs it when missing (as root)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    script = ROOT / "tools" / "ensure-chromium"
    if script.exists():
        result = subprocess.run(
            [str(script)], capture_output=True, text=True, timeout=900, check=False
        )
        path = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
        if result.returncode == 0 and path:
            return path
    return None


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium (Playwright) for every browser test a worker runs; each test opens
    its own context. Without one, the tests that need it skip, saying they did NOT run."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - the dev environment has playwright
        pytest.skip(f"{NOT_RUN}playwright is not installed ({exc})")
    executable = chromium_path()
    if executable is None:
        pytest.skip(
            f"{NOT_RUN}no Chromium found and tools/ensure-chromium could not install one "
            "(needs root and apt-get); install chromium and run them again"
        )
    with sync_playwright() as playwright:
        try:
            instance = playwright.chromium.launch(executable_path=executable, args=BROWSER_ARGS)
        except Exception as exc:
            pytest.skip(f"{NOT_RUN}{executable} failed to start: {exc}")
        yield instance
        instance.close()


def clone_built(built: Path, target: Path) -> Path:
    """A private copy of a built repository. Time stamps are kept (copy2), so make sees the
    clone as up to date, as the original was."""
    shutil.copytree(built, target, symlinks=True)
    return target
