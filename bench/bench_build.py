"""Benchmark the build against plain nbconvert and against the cost of the work itself.

Run with `make bench`. Everything happens in a temporary copy of the repository, measured in
one run on this machine, so every ratio compares like with like. The machine may be shared:
each measure is taken BENCH_REPEAT times (default 3), the rounds interleaved so that a busy
spell hits every measure alike, and the median is reported (all samples are in the JSON).

- set-up: `make env` in the copy with no .tools/.venv (once; uv's package cache is whatever this
  machine already has; a first-ever run on a new machine also downloads the packages);
- cold report: `make report` with the environment ready and nothing built;
- no-op report: `make report` again with nothing changed;
- every page exported again: reports/ removed, then `make report`: every page is stale but no
  notebook's inputs changed, so each is exported from its stored run (as when only the footer's
  list of inputs or the navigation changes);
- one notebook edited: a code cell appended to one notebook, then `make report` (which must
  run only that notebook, in both editions: the index, appendix and methodology show titles,
  which did not change); for each notebook;
- floor: the data step alone (`python -m analysis.clean` into a scratch folder), and the same
  notebooks' code run one after the other in one fresh Python process with the kernel's
  environment (`bench/floor.py`: the modules imported once, then each notebook in a fresh
  namespace, charts rendered, no HTML export). floor = data step + imports + notebooks;
  a notebook's share of it is its own run time in that process;
- render step alone: `python -m analysis.render` with the data built and no page;

"Cold" means nothing built and no build record (.make: no stored notebook run).
- baseline: the same notebooks converted to .ipynb, one per edition with `LANG` set after the
  parameters cell (not timed), then rendered by `jupyter nbconvert --execute --to html`, one
  process per notebook and edition, one at a time.

Every figure covers both editions (English and French), as `make report` builds both: the floor
runs each notebook once per language, and an edited notebook rebuilds its page in each.

Results are printed as a table and written to bench/results/build.json.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from analysis.render import STORE  # noqa: E402

REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = None
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "system": platform.platform(),
        "load_average_1min_at_start": load,
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


def run(cmd: list[str], cwd: Path, env: dict) -> tuple[float, str]:
    start = time.perf_counter()
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{result.stdout}\n{result.stderr}")
    return elapsed, result.stdout


def timed(cmd: list[str], cwd: Path, env: dict) -> float:
    return run(cmd, cwd, env)[0]


def built(stdout: str) -> set[str]:
    """Files the build wrote (pages executed, or exported from a stored run)."""
    return {line.partition(": built")[0] for line in stdout.splitlines() if ": built" in line}


# A notebook as .ipynb for the baseline, with the edition's language set after the parameters
# cell (as the renderer does; PROCESSED stays None: the copy's data/processed).
TO_IPYNB = """
import sys, jupytext, nbformat
nb = jupytext.read(sys.argv[1], fmt="py:percent")
at = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
nb.cells.insert(at + 1, nbformat.v4.new_code_cell(f"LANG = {sys.argv[2]!r}"))
nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
jupytext.write(nb, sys.argv[3], fmt="ipynb")
"""


def main() -> int:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MALI_", "VIRTUAL_ENV"))}
    env["SOURCE_DATE_EPOCH"] = "1700000000"
    samples: dict[str, list[float]] = defaultdict(list)
    info = machine()
    with tempfile.TemporaryDirectory(prefix="mali-bench-") as tmp:
        repo = Path(tmp) / "repo"
        copy_repo(repo)
        setup = timed(["make", "env"], repo, env)
        venv_bin = repo / ".venv" / "bin"
        # The kernel's environment (analysis.report.notebooks.kernel_env), for the floor, the
        # render step alone and the baseline.
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
        languages = ("en", "fr")
        baseline_notebooks = []
        for nb in notebooks:
            for lang in languages:
                target = out / f"{nb.stem}.{lang}.ipynb"
                subprocess.run(
                    [str(venv_bin / "python"), "-c", TO_IPYNB, str(nb), lang, str(target)],
                    check=True,
                    env=base_env,
                )
                baseline_notebooks.append(target)
        for round_ in range(REPEAT):
            print(f"round {round_ + 1} of {REPEAT}", file=sys.stderr, flush=True)
            for folder in (repo / "reports", repo / "data" / "processed", repo / STORE):
                shutil.rmtree(folder, ignore_errors=True)
            samples["cold_make_report_s"].append(timed(["make", "report"], repo, env))
            samples["noop_make_report_s"].append(timed(["make", "report"], repo, env))
            # Every page stale but no notebook's inputs changed (as after a change to the
            # footer's list of inputs only): each page is exported from its stored run.
            shutil.rmtree(repo / "reports")
            samples["reexport_every_page_s"].append(timed(["make", "report"], repo, env))
            for nb in notebooks:
                with nb.open("a", encoding="utf-8") as handle:
                    handle.write(f"\n# %%\n_bench_edit = {round_}\n")
                elapsed, stdout = run(["make", "report"], repo, env)
                if built(stdout) != {f"reports/{nb.stem}.html", f"reports/fr/{nb.stem}.html"}:
                    sys.exit(f"editing {nb.name} rebuilt {sorted(built(stdout))}")
                samples[f"edit_{nb.stem}_s"].append(elapsed)

            # The floor: the data step alone, and the notebooks' code in one warm process.
            scratch = Path(tmp) / "processed-floor"
            shutil.rmtree(scratch, ignore_errors=True)
            samples["data_step_s"].append(
                timed(
                    [str(venv_bin / "python"), "-m", "analysis.clean", "--out", str(scratch)],
                    repo,
                    base_env,
                )
            )
            _, stdout = run(
                [str(venv_bin / "python"), str(repo / "bench" / "floor.py"), str(scratch)],
                repo / "notebooks",
                base_env,
            )
            floor = json.loads(stdout)
            samples["floor_imports_s"].append(floor["imports_s"])
            for name, seconds in floor["notebooks_s"].items():
                samples[f"floor_{name}_s"].append(seconds)
            samples["floor_notebooks_s"].append(sum(floor["notebooks_s"].values()))
            samples["floor_s"].append(
                samples["data_step_s"][-1] + floor["imports_s"] + samples["floor_notebooks_s"][-1]
            )

            # The render step alone, cold.
            shutil.rmtree(repo / "reports")
            shutil.rmtree(repo / STORE, ignore_errors=True)
            samples["render_only_cold_s"].append(
                timed([str(venv_bin / "python"), "-m", "analysis.render"], repo, base_env)
            )

            # Baseline: one nbconvert process per notebook, sequentially, on the same data.
            baseline = 0.0
            for nb in baseline_notebooks:
                baseline += timed(
                    [
                        str(venv_bin / "jupyter"),
                        "nbconvert",
                        "--execute",
                        "--to",
                        "html",
                        "--output-dir",
                        str(out),
                        str(nb),
                    ],
                    repo / "notebooks",
                    base_env,
                )
            samples["baseline_nbconvert_sequential_s"].append(baseline)

    med = {key: statistics.median(values) for key, values in samples.items()}
    edits = {}
    for nb in notebooks:
        edit, share = med[f"edit_{nb.stem}_s"], med[f"floor_{nb.stem}_s"]
        edits[nb.stem] = {
            "edit_make_report_s": round(edit, 2),
            "share_of_floor_s": round(share, 2),
            "ratio_edit_over_share": round(edit / share, 2),
            "ratio_edit_over_share_plus_imports": round(edit / (share + med["floor_imports_s"]), 2),
        }
    results = {
        "machine": info,
        "notebooks": len(notebooks),
        "repeat": REPEAT,
        "statistic": "median",
        "setup_make_env_s": round(setup, 2),
        **{key: round(value, 3) for key, value in sorted(med.items())},
        "ratio_baseline_over_cold_make_report": round(
            med["baseline_nbconvert_sequential_s"] / med["cold_make_report_s"], 2
        ),
        "ratio_cold_make_report_over_floor": round(med["cold_make_report_s"] / med["floor_s"], 2),
        "ratio_baseline_over_render_only": round(
            med["baseline_nbconvert_sequential_s"] / med["render_only_cold_s"], 2
        ),
        "edits": edits,
        "samples": {key: [round(v, 3) for v in values] for key, values in samples.items()},
    }
    (ROOT / "bench" / "results").mkdir(parents=True, exist_ok=True)
    (ROOT / "bench" / "results" / "build.json").write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))
    return 0


def table(r: dict) -> str:
    m = r["machine"]
    rows = [
        ("set-up: `make env` on an empty environment (uv cache warm; once)", r["setup_make_env_s"]),
        ("cold `make report` (environment ready, nothing built)", r["cold_make_report_s"]),
        ("no-op `make report`", r["noop_make_report_s"]),
        ("every page exported from its stored run (reports/ removed)", r["reexport_every_page_s"]),
        ("render step alone, cold (`python -m analysis.render`)", r["render_only_cold_s"]),
        (
            "baseline: `jupyter nbconvert --execute --to html`, one at a time",
            r["baseline_nbconvert_sequential_s"],
        ),
        ("floor: data step alone (`python -m analysis.clean`)", r["data_step_s"]),
        ("floor: imports, once (pandas, matplotlib, analysis.report)", r["floor_imports_s"]),
        ("floor: the notebooks' code, one warm process, charts included", r["floor_notebooks_s"]),
        ("floor: total (data step + imports + notebooks)", r["floor_s"]),
    ]
    lines = [
        f"Machine: {m['cores']} cores, {m['cpu']}, Python {m['python']}, "
        f"load average {m['load_average_1min_at_start']} at start; "
        f"median of {r['repeat']} interleaved rounds",
        "",
        "| measure | seconds |",
        "|---|---:|",
    ]
    lines += [f"| {name} | {value:.3f} |" for name, value in rows]
    lines += [
        "",
        "| notebook edited (a code cell) | its share of the floor s | `make report` s | ratio |",
        "|---|---:|---:|---:|",
    ]
    for name, e in r["edits"].items():
        lines.append(
            f"| {name} | {e['share_of_floor_s']:.2f} | {e['edit_make_report_s']:.2f} | "
            f"{e['ratio_edit_over_share']:.2f} |"
        )
    lines += [
        "",
        f"baseline / cold make report: {r['ratio_baseline_over_cold_make_report']}x; "
        f"cold make report / floor: {r['ratio_cold_make_report_over_floor']}x; "
        f"baseline / render step alone: {r['ratio_baseline_over_render_only']}x "
        f"({r['notebooks']} notebooks in two editions, plus each edition's index, appendix and "
        "methodology pages)",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
