"""Offline geography for the maps: Mali's outline and one point per region, from data/processed.

The pipeline validates and publishes both (``analysis.pipeline.geo``), so the map page reads only
processed data, like every other page.
"""

from __future__ import annotations

import pandas as pd

from analysis.report.data import Processed


def outline(processed: Processed) -> pd.DataFrame:
    """Mali's boundary as rows of (ring, lon, lat)."""
    return processed.geo_outline


def region_points(processed: Processed) -> pd.DataFrame:
    """One point per normalised region, at its capital (columns region, lon, lat)."""
    return processed.region_points
