"""Offline geography for the maps: Mali's outline and one point per region, from data/processed.

The pipeline validates and publishes both (``analysis.pipeline.geo``), so the map page reads only
processed data, like every other page.
"""

from __future__ import annotations

import pandas as pd

from analysis.report import i18n
from analysis.report.data import Processed


def outline(processed: Processed) -> pd.DataFrame:
    """Mali's boundary as rows of (ring, lon, lat)."""
    return processed.geo_outline


def region_points(processed: Processed) -> pd.DataFrame:
    """One point per normalised region, at its capital (columns region, lon, lat)."""
    return processed.region_points


def region_circles(processed: Processed, ranges: pd.DataFrame) -> pd.DataFrame:
    """One circle per region that has a range (``metrics.range_by(..., "region")`` without
    "Not stated"): the region's point, its name, its min and max, and the range as a label."""
    places = region_points(processed).merge(
        ranges.reset_index(), on="region", how="inner", validate="one_to_one"
    )
    locale = i18n.active()
    return places.assign(
        name=places["region"],
        label=[
            locale.range(int(a), int(b)) for a, b in zip(places["min"], places["max"], strict=True)
        ],
    )
