"""The curated record, validated: every table against its raw model, then the cross-table rules.

Returns typed frames indexed by CSV line, or raises DataError listing every problem.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from analysis import paths
from analysis.pipeline import schemas
from analysis.pipeline.validation import raise_if, validate_table
from analysis.sources.csvio import display_name
from analysis.sources.curated import FILES, read_tables, table_path

MODELS: dict[str, type[pa.DataFrameModel]] = {
    "incidents": schemas.IncidentsRaw,
    "casualties": schemas.CasualtiesRaw,
    "sources": schemas.SourcesRaw,
    "regions": schemas.RegionsRaw,
    "context_events": schemas.ContextEventsRaw,
    "published_totals": schemas.PublishedTotalsRaw,
    "changelog": schemas.ChangelogRaw,
    "allegations": schemas.AllegationsRaw,
    "out_of_scope": schemas.OutOfScopeRaw,
}


@dataclass
class Curated:
    incidents: pd.DataFrame
    casualties: pd.DataFrame
    sources: pd.DataFrame
    regions: pd.DataFrame
    context_events: pd.DataFrame
    published_totals: pd.DataFrame
    changelog: pd.DataFrame
    allegations: pd.DataFrame
    out_of_scope: pd.DataFrame
    warnings: list[str]


def _columns(model: type[pa.DataFrameModel]) -> list[str]:
    return list(model.to_schema().columns)


def _optional(model: type[pa.DataFrameModel]) -> tuple[str, ...]:
    """Columns a file may leave out (``required=False`` in the model)."""
    return tuple(name for name, c in model.to_schema().columns.items() if not c.required)


def read_curated(raw_dir: Path, hand_dir: Path = paths.HAND) -> Curated:
    """Read and validate the sourced tables in ``raw_dir`` with the region map in ``hand_dir``."""
    texts, problems = read_tables(
        raw_dir,
        hand_dir,
        {t: _columns(m) for t, m in MODELS.items()},
        {t: _optional(m) for t, m in MODELS.items()},
    )
    frames: dict[str, pd.DataFrame] = {}
    for table, raw in texts.items():
        model = MODELS[table]
        if raw is None:  # an optional table that is absent: empty, with its columns typed
            frames[table] = model.validate(
                pd.DataFrame({c: pd.Series(dtype="string") for c in _columns(model)}),
            )
            continue
        typed, found = validate_table(
            raw, model, display_name(table_path(table, raw_dir, hand_dir))
        )
        problems.extend(found)
        frames[table] = typed
    raise_if(problems)

    names = {t: display_name(table_path(t, raw_dir, hand_dir)) for t in FILES}
    raise_if(schemas.cross_table_problems(frames, names))
    return Curated(**frames, warnings=schemas.cross_table_warnings(frames))
