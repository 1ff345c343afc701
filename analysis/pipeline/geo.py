"""Geography for the maps: Mali's outline and one point per region, validated and published.

The map page reads these from data/processed like every other table, so an edit to the outline,
the gazetteer or the region capitals reaches the manifest and rebuilds the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis.errors import DataError
from analysis.pipeline import schemas
from analysis.pipeline.validation import raise_if, validate_frame, validate_table
from analysis.sources.csvio import display_name, read_csv_strict

OUTLINE = "mali_outline.csv"
GAZETTEER = "gazetteer_geonames.csv"
CAPITALS = "region_capitals.csv"


@dataclass
class Geography:
    outline: pd.DataFrame
    region_points: pd.DataFrame
    inputs: list[Path]


def _read(path: Path, model) -> tuple[pd.DataFrame | None, list]:
    try:
        raw = read_csv_strict(path, list(model.to_schema().columns))
    except DataError as exc:
        return None, exc.problems
    return validate_table(raw, model, display_name(path))


def read_geography(geo_dir: Path, hand_dir: Path) -> Geography:
    """Read and check the outline, the gazetteer and the region capitals."""
    files = {
        "outline": (geo_dir / OUTLINE, schemas.OutlineRaw),
        "gazetteer": (geo_dir / GAZETTEER, schemas.GazetteerRaw),
        "capitals": (hand_dir / CAPITALS, schemas.RegionCapitalsRaw),
    }
    frames, problems = {}, []
    for name, (path, model) in files.items():
        frames[name], found = _read(path, model)
        problems += found
    raise_if(problems)
    capitals, gazetteer = frames["capitals"], frames["gazetteer"]
    raise_if(schemas.capital_problems(capitals, gazetteer, display_name(files["capitals"][0])))
    # GeoNames lists a few names twice (different places): the first entry is the one meant.
    by_name = gazetteer.drop_duplicates("name").set_index("name")
    points = pd.DataFrame(
        {
            "region": capitals["region"].astype(str).to_numpy(),
            "lon": by_name.loc[capitals["capital"], "longitude"].to_numpy(dtype=float),
            "lat": by_name.loc[capitals["capital"], "latitude"].to_numpy(dtype=float),
        }
    )
    outline = frames["outline"].reset_index(drop=True)
    return Geography(
        outline=outline,
        region_points=validate_frame(points, schemas.RegionPoints, "region_points"),
        inputs=[path for path, _ in files.values()],
    )
