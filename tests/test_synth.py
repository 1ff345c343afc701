"""Synthetic ACLED files: layout, determinism, and that the reader accepts them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.sources.acled import COLUMNS_2023, read_acled
from analysis.sources.actors import load_actor_map
from tests.synth import write_synthetic_acled

ROOT = Path(__file__).resolve().parents[1]


def test_layout_and_determinism(tmp_path):
    a = write_synthetic_acled(tmp_path / "a.csv", 2000, seed=3)
    b = write_synthetic_acled(tmp_path / "b.csv", 2000, seed=3)
    c = write_synthetic_acled(tmp_path / "c.csv", 2000, seed=4)
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()
    frame = pd.read_csv(a, dtype=str, keep_default_na=False)
    assert list(frame.columns) == COLUMNS_2023
    assert len(frame) == 2000
    assert frame["event_id_cnty"].is_unique
    assert set(frame["country"]) == {"Mali", "Burkina Faso", "Niger"}


def test_reader_accepts_synthetic_file_and_rejects_the_broken_share(tmp_path):
    path = write_synthetic_acled(tmp_path / "s.csv", 5000, seed=11, bad_share=0.01)
    result = read_acled(path, load_actor_map(ROOT / "data" / "hand" / "actor_map.csv"))
    prov = result.provenance
    assert prov["rows_read"] == 5000
    assert 0.02 < prov["rows_other_country"] / 5000 < 0.08
    assert 20 <= prov["rows_rejected"] <= 90  # about 1% broken on purpose
    assert prov["rows_kept"] > 500
    kinds = set(result.events["perpetrator"])
    assert {"malian_forces", "malian_forces_wagner", "wagner"} <= kinds
    assert {"drone_strike", "airstrike", "ground_raid"} <= set(result.events["operation_type"])
    strikes = result.events[result.events["operation_type"].isin(["drone_strike", "airstrike"])]
    assert (strikes["civilians_killed_min"] <= strikes["civilians_killed_max"]).all()
