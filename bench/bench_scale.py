"""Scale benchmark: read + map + validate synthetic ACLED files of 10k, 100k and 1M rows.

Each size runs in a fresh Python subprocess (imports included, as a user would pay them) and
reports wall-clock seconds and its own peak resident memory. Files are generated once into a
temporary folder, outside the timing. Usage:

    .venv/bin/python bench/bench_scale.py [--sizes 10000 100000 1000000] [--seed 7]

Prints a markdown table and writes bench/results/scale.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHILD = """
import json, resource, sys, time
t0 = time.perf_counter()
from pathlib import Path
from analysis.sources.actors import load_actor_map
from analysis.sources.acled import read_acled
t1 = time.perf_counter()
result = read_acled(Path(sys.argv[1]), load_actor_map(Path(sys.argv[2])))
t2 = time.perf_counter()
print(json.dumps({
    "import_s": t1 - t0,
    "read_map_validate_s": t2 - t1,
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "rows_kept": result.provenance["rows_kept"],
    "rows_rejected": result.provenance["rows_rejected"],
    "rows_other_country": result.provenance["rows_other_country"],
}))
"""


def machine() -> dict:
    """Cores and CPU model of this machine (Linux /proc when available)."""
    model = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cpu_model": model,
        "cores_usable": usable,
        "cores_total": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def run(sizes: list[int], seed: int) -> dict:
    from tests.synth import write_synthetic_acled

    actor_map = ROOT / "data" / "hand" / "actor_map.csv"
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        for n in sizes:
            path = write_synthetic_acled(Path(tmp) / f"acled-synth-{n}.csv", n, seed)
            size_mb = path.stat().st_size / 1e6
            # Flush the freshly written file so the timing measures reading, not the kernel
            # writing the generator's dirty pages back to disk at the same time.
            os.sync()
            start = time.perf_counter()
            proc = subprocess.run(
                [sys.executable, "-c", CHILD, str(path), str(actor_map)],
                capture_output=True,
                text=True,
                cwd=ROOT,
                check=False,
            )
            wall = time.perf_counter() - start
            if proc.returncode != 0:
                raise SystemExit(f"benchmark child failed for {n} rows:\n{proc.stderr}")
            child = json.loads(proc.stdout.strip().splitlines()[-1])
            # RUSAGE_CHILDREN is the max over all children so far; sizes grow, so it is this one.
            children_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            results.append(
                {
                    "rows": n,
                    "file_mb": round(size_mb, 1),
                    "wall_s": round(wall, 2),
                    "read_map_validate_s": round(child["read_map_validate_s"], 2),
                    "import_s": round(child["import_s"], 2),
                    "peak_rss_mb": round(child["peak_rss_mb"], 0),
                    "peak_rss_children_mb": round(children_mb, 0),
                    "rows_kept": child["rows_kept"],
                    "rows_rejected": child["rows_rejected"],
                }
            )
            os.unlink(path)
    return {"machine": machine(), "seed": seed, "results": results}


def markdown(report: dict) -> str:
    m = report["machine"]
    lines = [
        f"Machine: {m['cpu_model']}, {m['cores_usable']} usable core(s) "
        f"({m['cores_total']} total), Python {m['python']}",
        "",
        "| rows | file MB | read+map+validate s | process wall s | peak RSS MB | kept | rejected |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in report["results"]:
        lines.append(
            f"| {r['rows']:,} | {r['file_mb']} | {r['read_map_validate_s']} | {r['wall_s']} | "
            f"{r['peak_rss_mb']:.0f} | {r['rows_kept']:,} | {r['rows_rejected']:,} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    report = run(sorted(args.sizes), args.seed)
    out = ROOT / "bench" / "results" / "scale.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(markdown(report))
    print(f"\nwritten {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
