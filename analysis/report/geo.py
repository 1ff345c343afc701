"""Offline geography: Mali's outline and region capitals from files in data/raw/geo."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis import paths

# Normalised region -> the GeoNames name of its capital in gazetteer_geonames.csv.
REGION_CAPITALS = {
    "Kayes": "Kayes",
    "Koulikoro": "Koulikoro",
    "Sikasso": "Sikasso",
    "Ségou": "Ségou",
    "Mopti": "Mopti",
    "Tombouctou": "Timbuktu",
    "Gao": "Gao",
    "Kidal": "Kidal",
    "Taoudénit": "Taoudenni",
    "Ménaka": "Ménaka",
    "Bamako": "Bamako",
}


def outline(geo_dir: Path | None = None) -> pd.DataFrame:
    """Mali's boundary as rows of (ring, lon, lat)."""
    return pd.read_csv((geo_dir or paths.RAW / "geo") / "mali_outline.csv")


def region_points(geo_dir: Path | None = None) -> pd.DataFrame:
    """One point per normalised region, at its capital (columns region, lon, lat)."""
    gazetteer = pd.read_csv((geo_dir or paths.RAW / "geo") / "gazetteer_geonames.csv")
    by_name = gazetteer.drop_duplicates("name").set_index("name")
    rows = [
        {
            "region": region,
            "lon": by_name.at[town, "longitude"],
            "lat": by_name.at[town, "latitude"],
        }
        for region, town in REGION_CAPITALS.items()
    ]
    return pd.DataFrame(rows)
