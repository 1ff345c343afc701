"""Benchmark the build: set-up, cold and no-op `make report`, against plain nbconvert.

Run with `make bench`. Everything happens in a temporary copy of the repository, measured in
one run on this machine, so the ratio compares like with like:

- set-up: `make env` in the copy with no .tools/.venv (uv's package cache is whatever this machine
  already has; a first-ever run on a new machine also downloads the packages);
- cold report: `make report` with the environment ready and nothing built;
- no-op report: `make report` again with nothing changed;
- baseline: the same notebooks converted to .ipynb (not timed), then rendered by
  `jupyter nbconvert --execute --to html`, one process per notebook, one at a time.

Results are printed as a table and written to bench/results/build.json.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "system": platform.platform(),
    }


def copy_repo(target: Path) -> None:
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    for name in files:
        src = ROOT / name
        if src.is_file():
            dest = target / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest)


def timed(cmd: list[str], cwd: Path, env: dict) -> float:
    start = time.perf_counter()
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{result.stdout}\n{result.stderr}")
    return elapsed


def main() -> int:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MALI_", "VIRTUAL_ENV"))}
    env["SOURCE_DATE_EPOCH"] = "1700000000"
    with tempfile.TemporaryDirectory(prefix="mali-bench-") as tmp:
        repo = Path(tmp) / "repo"
        copy_repo(repo)
        setup = timed(["make", "env"], repo, env)
        cold = timed(["make", "report"], repo, env)
        noop = timed(["make", "report"], repo, env)

        # Baseline: one nbconvert process per notebook, sequentially, on the same data.
        venv_bin = repo / ".venv" / "bin"
        base_env = dict(
            env,
            PYTHONPATH=str(repo),
            MALI_ROOT=str(repo),
            PYTHONHASHSEED="0",
            MATPLOTLIBRC=str(repo / "matplotlibrc"),
            MPLBACKEND="agg",
        )
        out = Path(tmp) / "baseline"
        out.mkdir()
        notebooks = sorted((repo / "notebooks").glob("[0-9][0-9]-*.py"))
        for nb in notebooks:
            subprocess.run(
                [
                    str(venv_bin / "jupytext"),
                    "--quiet",
                    "--to",
                    "ipynb",
                    "-o",
                    str(out / f"{nb.stem}.ipynb"),
                    str(nb),
                ],
                check=True,
                env=base_env,
            )
        baseline = 0.0
        for nb in notebooks:
            baseline += timed(
                [
                    str(venv_bin / "jupyter"),
                    "nbconvert",
                    "--execute",
                    "--to",
                    "html",
                    "--output-dir",
                    str(out),
                    str(out / f"{nb.stem}.ipynb"),
                ],
                repo / "notebooks",
                base_env,
            )
        # The project's own render step alone, cold, for the like-for-like ratio.
        shutil.rmtree(repo / "reports")
        render = timed([str(venv_bin / "python"), "-m", "analysis.render"], repo, base_env)

    results = {
        "machine": machine(),
        "notebooks": len(notebooks),
        "setup_make_env_s": round(setup, 2),
        "cold_make_report_s": round(cold, 2),
        "noop_make_report_s": round(noop, 3),
        "render_only_cold_s": round(render, 2),
        "baseline_nbconvert_sequential_s": round(baseline, 2),
        "ratio_baseline_over_cold_make_report": round(baseline / cold, 2),
        "ratio_baseline_over_render_only": round(baseline / render, 2),
    }
    (ROOT / "bench" / "results").mkdir(parents=True, exist_ok=True)
    (ROOT / "bench" / "results" / "build.json").write_text(json.dumps(results, indent=2) + "\n")
    m = results["machine"]
    print(f"Machine: {m['cores']} cores, {m['cpu']}, Python {m['python']}")
    print("| measure | seconds |\n|---|---|")
    for key in (
        "setup_make_env_s",
        "cold_make_report_s",
        "noop_make_report_s",
        "render_only_cold_s",
        "baseline_nbconvert_sequential_s",
    ):
        print(f"| {key} | {results[key]} |")
    print(
        f"\nbaseline / cold make report: {results['ratio_baseline_over_cold_make_report']}x; "
        f"baseline / render step alone: {results['ratio_baseline_over_render_only']}x "
        f"({len(notebooks)} notebooks, plus index, appendix and methodology pages)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
