"""The project's own compilation of sourced incidents (data/raw/*.csv).

Reads each table strictly, validates it with its raw pandera model, then checks the rules that
span tables. Returns typed frames indexed by CSV line, or raises DataError listing every problem.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from analysis import schemas
from analysis.csvio import display_name, read_csv_strict
from analysis.derive import resolve_regions
from analysis.errors import DataError, Problem
from analysis.validation import raise_if, validate_table
from analysis.vocab import CIVILIAN_SUBGROUPS

# table name -> (file name, raw model, required)
TABLES: dict[str, tuple[str, type[pa.DataFrameModel], bool]] = {
    "incidents": ("incidents.csv", schemas.IncidentsRaw, True),
    "casualties": ("casualties.csv", schemas.CasualtiesRaw, True),
    "sources": ("sources.csv", schemas.SourcesRaw, True),
    "regions": ("regions.csv", schemas.RegionsRaw, True),
    "context_events": ("context_events.csv", schemas.ContextEventsRaw, False),
    "published_totals": ("published_totals.csv", schemas.PublishedTotalsRaw, False),
    "changelog": ("changelog.csv", schemas.ChangelogRaw, False),
}


def input_files(raw_dir: Path) -> list[Path]:
    """Every curated file the pipeline reads (those present), for hashing and make."""
    return [raw_dir / name for name, _, _ in TABLES.values() if (raw_dir / name).exists()]


@dataclass
class Curated:
    incidents: pd.DataFrame
    casualties: pd.DataFrame
    sources: pd.DataFrame
    regions: pd.DataFrame
    context_events: pd.DataFrame
    published_totals: pd.DataFrame
    changelog: pd.DataFrame
    warnings: list[str]


def _columns(model: type[pa.DataFrameModel]) -> list[str]:
    return list(model.to_schema().columns)


def read_curated(raw_dir: Path) -> Curated:
    """Read and validate every curated table in ``raw_dir``."""
    frames: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []
    for table, (filename, model, required) in TABLES.items():
        path = raw_dir / filename
        if not path.exists() and not required:
            frames[table] = model.validate(
                pd.DataFrame({c: pd.Series(dtype="string") for c in _columns(model)}),
            )
            continue
        try:
            raw = read_csv_strict(path, _columns(model))
        except DataError as exc:
            problems.extend(exc.problems)
            continue
        name = display_name(path)
        if raw.empty and table in ("incidents", "casualties", "sources", "regions"):
            problems.append(Problem(name, None, None, None, "table has a header but no rows"))
            continue
        typed, found = validate_table(raw, model, name)
        problems.extend(found)
        frames[table] = typed
    raise_if(problems)

    names = {t: display_name(raw_dir / f) for t, (f, _, _) in TABLES.items()}
    problems = cross_table_problems(frames, names)
    raise_if(problems)
    return Curated(**frames, warnings=cross_table_warnings(frames))


def _dangling(
    frame: pd.DataFrame, column: str, valid: pd.Series, file: str, target: str
) -> list[Problem]:
    missing = frame[column].notna() & ~frame[column].isin(set(valid))
    return [
        Problem(file, int(line), column, str(value), f"refers to an id not found in {target}")
        for line, value in frame.loc[missing, column].items()
    ]


def cross_table_problems(frames: dict[str, pd.DataFrame], names: dict[str, str]) -> list[Problem]:
    """Rules that span tables: references, coverage, subsets and duplicates."""
    inc, cas, src = frames["incidents"], frames["casualties"], frames["sources"]
    problems: list[Problem] = []
    problems += _dangling(cas, "incident_id", inc["incident_id"], names["casualties"], "incidents")
    problems += _dangling(cas, "source_id", src["source_id"], names["casualties"], "sources")
    live = frames["changelog"][~frames["changelog"]["action"].isin(["removed", "merged"])]
    problems += _dangling(live, "incident_id", inc["incident_id"], names["changelog"], "incidents")
    for table in ("context_events", "published_totals", "changelog"):
        problems += _dangling(frames[table], "source_id", src["source_id"], names[table], "sources")
    problems += _dangling(inc, "distinct_from", inc["incident_id"], names["incidents"], "incidents")
    unplaced = resolve_regions(inc, frames["regions"]).isna()
    for line, row in inc[unplaced].iterrows():
        problems.append(
            Problem(
                names["incidents"],
                int(line),
                "region_reported/cercle/locality",
                " / ".join(
                    "" if pd.isna(row[c]) else str(row[c])
                    for c in ("region_reported", "cercle", "locality")
                ),
                "no normalised region: add the region, cercle or locality name to "
                "data/raw/regions.csv",
            )
        )

    without_claims = ~inc["incident_id"].isin(set(cas["incident_id"]))
    for line, value in inc.loc[without_claims, "incident_id"].items():
        problems.append(
            Problem(
                names["incidents"],
                int(line),
                "incident_id",
                value,
                "incident has no casualty claim in casualties.csv",
            )
        )

    # A subgroup (children, women, men) can never exceed the same source's civilian figure.
    key = ["incident_id", "source_id", "outcome"]
    civ = cas[cas["victim_group"] == "civilians"][[*key, "count_min", "count_max"]]
    sub = cas[cas["victim_group"].isin(CIVILIAN_SUBGROUPS)].reset_index()
    joined = sub.merge(civ, on=key, how="inner", suffixes=("", "_civ"))
    over = (joined["count_min"] > joined["count_min_civ"]) | (
        joined["count_max"] > joined["count_max_civ"]
    )
    for row in joined[over].itertuples(index=False):
        problems.append(
            Problem(
                names["casualties"],
                int(row.line),
                "count_min/count_max",
                f"{row.victim_group} {row.count_min}-{row.count_max} > civilians "
                f"{row.count_min_civ}-{row.count_max_civ}",
                f"{row.victim_group} exceed civilians in the same source's claim",
            )
        )

    # Two incidents at one place and date are the same event unless marked as distinct.
    located = inc[inc["locality"].notna()].reset_index()
    located["place"] = located["locality"].str.casefold()
    for _, group in located.groupby(["place", "date_start"]):
        if len(group) < 2:
            continue
        ids = set(group["incident_id"])
        marked = set(group["distinct_from"].dropna())
        if not (marked & ids):
            for row in group.itertuples(index=False):
                problems.append(
                    Problem(
                        names["incidents"],
                        int(row.line),
                        "locality/date_start",
                        f"{row.locality} {row.date_start:%Y-%m-%d} ({row.incident_id})",
                        "another incident has the same locality and date: merge them, or set "
                        "distinct_from if they are different events",
                    )
                )
    return problems


def cross_table_warnings(frames: dict[str, pd.DataFrame]) -> list[str]:
    used = (
        set(frames["casualties"]["source_id"])
        | set(frames["context_events"]["source_id"])
        | set(frames["published_totals"]["source_id"])
    )
    unused = sorted(set(frames["sources"]["source_id"]) - used)
    return [f"source '{s}' is listed in sources.csv but cited by no row" for s in unused]
