"""Linkage quality against hand labels: link precision and incident recall on a real ACLED file.

The labels (``bench/linkage_labels.csv``: incident_id, event_id, note) say which ACLED events
are the same harm as each curated incident of July 2022 to February 2023, read from ACLED's
notes; an incident with no counterpart has one row with an empty event_id. The ACLED file is not
part of the project (ACLED's terms forbid redistribution): its path is ``LINKAGE_ACLED`` or, by
default, ``../shared/real/acled_mali_2022-07_2023-03.csv`` beside the checkout. Without it, the
benchmark says so and exits cleanly. Usage:

    .venv/bin/python bench/bench_linkage.py [--acled PATH]

- link precision: links whose (incident, event) pair the labels hold, over all links the
  linkage makes (a link to an unlabelled incident is wrong);
- incident recall: labelled incidents with a counterpart that get at least one right link, over
  labelled incidents with a counterpart;
- event recall: labelled pairs linked, over labelled pairs whose event is in scope (a battle
  with no civilian named is not among the export's events, so it cannot be linked).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis import paths  # noqa: E402
from analysis.clean import build_tables  # noqa: E402
from analysis.pipeline.curated import read_curated  # noqa: E402
from analysis.pipeline.exports import read_exports  # noqa: E402
from analysis.pipeline.linkage import reconcile  # noqa: E402

LABELS = ROOT / "bench" / "linkage_labels.csv"
DEFAULT = ROOT.parent / "shared" / "real" / "acled_mali_2022-07_2023-03.csv"


def measure(links: pd.DataFrame, labels: pd.DataFrame, in_scope: set[str]) -> dict:
    """Precision and recall of ``links`` (incident_id, event_id) against ``labels``."""
    truth = labels.dropna(subset=["event_id"])
    pairs = set(zip(truth["incident_id"], truth["event_id"], strict=True))
    # Every link counts: one to an incident outside the labels is a wrong link.
    made = set(zip(links["incident_id"], links["event_id"], strict=True))
    right = made & pairs
    with_counterpart = set(truth["incident_id"])
    found = {incident for incident, _ in right}
    reachable = {(i, e) for i, e in pairs if e in in_scope}
    no_counterpart = set(labels["incident_id"]) - with_counterpart
    return {
        "links": len(made),
        "right": len(right),
        "wrong": sorted(made - pairs),
        "missed": sorted(reachable - made),
        "precision": len(right) / len(made) if made else float("nan"),
        "incidents": len(with_counterpart),
        "incidents_found": len(found),
        "incident_recall": len(found) / len(with_counterpart) if with_counterpart else float("nan"),
        "event_recall": len(right & reachable) / len(reachable) if reachable else float("nan"),
        "no_counterpart_linked": sorted(no_counterpart & {i for i, _ in made}),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--acled", type=Path, default=None)
    args = parser.parse_args(argv)
    acled = args.acled or Path(os.environ.get("LINKAGE_ACLED", DEFAULT))
    print("\n## Linkage quality (bench/bench_linkage.py)\n")
    if not acled.exists():
        print(
            f"Skipped: the labelled ACLED file is not here ({acled}). Set LINKAGE_ACLED to its "
            "path to measure link precision and incident recall."
        )
        return 0
    curated = read_curated(paths.RAW, paths.HAND)
    incidents = build_tables(curated)["incidents"]
    with tempfile.TemporaryDirectory(prefix="linkage-bench-") as tmp:
        folder = Path(tmp) / "acled"
        folder.mkdir()
        shutil.copyfile(acled, folder / acled.name)
        exports = read_exports(Path(tmp), curated.regions)
    events = exports.events[exports.events["dataset"] == "acled"]
    result = reconcile(incidents, events)
    labels = pd.read_csv(LABELS, dtype="string")
    m = measure(result.links, labels, set(events["event_id"]))
    print(f"ACLED file: {acled} ({len(events)} events in scope)")
    print(f"Labels: {LABELS.relative_to(ROOT)} ({labels['incident_id'].nunique()} incidents)\n")
    print("| measure | value |")
    print("|---|---|")
    print(f"| links made | {m['links']} |")
    print(f"| link precision | {m['precision']:.2f} ({m['right']}/{m['links']}) |")
    print(
        f"| incident recall | {m['incident_recall']:.2f} "
        f"({m['incidents_found']}/{m['incidents']}) |"
    )
    print(f"| event recall (events in scope) | {m['event_recall']:.2f} |")
    print(f"| wrong links | {', '.join(f'{i} {e}' for i, e in m['wrong']) or 'none'} |")
    print(f"| labelled pairs missed | {', '.join(f'{i} {e}' for i, e in m['missed']) or 'none'} |")
    print(
        "| incidents without counterpart that got a link | "
        f"{', '.join(m['no_counterpart_linked']) or 'none'} |"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
