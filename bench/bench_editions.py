"""Benchmark the cost of the French edition: a cold report build with one edition against two.

Run with `.venv/bin/python bench/bench_editions.py` after `make data` (the processed tables are
shared). Both builds run in the same process on the same machine, alternating, each into an
empty reports folder so every notebook executes: English only (``languages=("en",)``) and
English plus French (the default). The median of ``--rounds`` runs of each is reported and
written to bench/results/editions.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis import paths, render  # noqa: E402
from analysis.report import i18n  # noqa: E402
from bench.bench_build import machine  # noqa: E402


def cold_build(languages: tuple[str, ...]) -> float:
    with tempfile.TemporaryDirectory(prefix="mali-bench-") as tmp:
        start = time.perf_counter()
        failed = render.render(paths.ROOT, paths.PROCESSED, Path(tmp), languages=languages)
        elapsed = time.perf_counter() - start
    if failed:
        raise SystemExit("a notebook failed; see above")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    times: dict[str, list[float]] = {"one edition (en)": [], "two editions (en, fr)": []}
    for _round in range(args.rounds):
        times["one edition (en)"].append(cold_build(("en",)))
        times["two editions (en, fr)"].append(cold_build(i18n.LANGUAGES))
    medians = {name: statistics.median(values) for name, values in times.items()}
    ratio = medians["two editions (en, fr)"] / medians["one edition (en)"]
    print("\n| build (cold, rendering only) | median seconds | runs |\n|---|---:|---|")
    for name, values in times.items():
        runs = ", ".join(f"{v:.1f}" for v in values)
        print(f"| {name} | {medians[name]:.1f} | {runs} |")
    print(f"\ntwo editions / one edition: {ratio:.2f}x")
    out = ROOT / "bench" / "results" / "editions.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {"machine": machine(), "seconds": times, "median": medians, "ratio": ratio},
            indent=2,
        )
        + "\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
