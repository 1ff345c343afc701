"""Range arithmetic, monthly bins and coverage of published totals."""

from __future__ import annotations

import pandas as pd

from analysis.clean import build_tables
from analysis.pipeline.curated import read_curated
from analysis.report import metrics


def tables(raw_dir):
    return build_tables(read_curated(raw_dir))


def test_total_is_sum_of_mins_and_sum_of_maxes(raw_dir):
    total = metrics.range_total(tables(raw_dir)["incidents"])
    assert total == {
        "min": 300 + 12 + 14 + 2,
        "max": 500 + 15 + 14 + 2,
        "n_incidents": 4,
        "n_without_figure": 0,
    }


def test_grade_filter_changes_the_total(raw_dir):
    graded = metrics.filter_grades(tables(raw_dir)["incidents"], ["A", "B"])
    assert metrics.range_total(graded)["min"] == 326


def test_monthly_bins_are_complete_and_zero_filled(raw_dir):
    monthly = metrics.monthly_range(tables(raw_dir)["incidents"])
    assert monthly.index[0] == pd.Timestamp("2022-03-01")
    assert monthly.index[-1] == pd.Timestamp("2024-05-01")
    assert len(monthly) == 27
    assert monthly.loc["2022-03-01"].to_dict() == {"min": 312, "max": 515, "incidents": 2}
    assert monthly.loc["2023-01-01"].to_dict() == {"min": 0, "max": 0, "incidents": 0}
    assert (monthly["min"] <= monthly["max"]).all()


def test_cumulative_ends_at_the_total(raw_dir):
    inc = tables(raw_dir)["incidents"]
    cumulative = metrics.cumulative_range(metrics.monthly_range(inc))
    assert cumulative.iloc[-1].tolist() == [328, 531]
    assert cumulative["min"].is_monotonic_increasing


def test_peak_month_uses_the_minimum(raw_dir):
    month, lo, hi = metrics.peak_month(metrics.monthly_range(tables(raw_dir)["incidents"]))
    assert (month, lo, hi) == (pd.Timestamp("2022-03-01"), 312, 515)


def test_monthly_counts_by_category(raw_dir):
    counts = metrics.monthly_counts(
        tables(raw_dir)["incidents"], "operation_type", ["ground_raid", "drone_strike", "airstrike"]
    )
    assert counts.loc["2022-03-01", "ground_raid"] == 1
    assert counts.loc["2024-02-01", "drone_strike"] == 1
    assert counts["airstrike"].sum() == 0
    assert counts.sum().sum() == 3  # the execution is not among the requested categories


def test_range_by_group(raw_dir):
    by = metrics.range_by(tables(raw_dir)["incidents"], "perpetrator")
    assert by.loc["malian_forces"].to_dict() == {"incidents": 3, "min": 28, "max": 31}


def test_coverage_of_published_totals(raw_dir):
    built = tables(raw_dir)
    coverage = metrics.coverage_of_published(built["incidents"], built["published_totals"])
    row = coverage.iloc[0]
    assert (row["dataset_min"], row["dataset_max"], row["dataset_incidents"]) == (312, 515, 2)
    assert row["share_of_published_min"] == 312 / 400


def _total(**kw) -> pd.DataFrame:
    row = {
        "total_id": "t",
        "source_id": "rights-20220405",
        "period_start": pd.Timestamp("2022-01-01"),
        "period_end": pd.Timestamp("2024-12-31"),
        "perpetrator_scope": "army",
        "perpetrator_match": "any",
        "scope_kind": "report_cases",
        "area": "Mali",
        "report_sources": None,
        "excluded_incidents": None,
        "victim_group": "civilians",
        "outcome": "killed",
        "count_min": 100,
        "count_max": 100,
        "source_wording": "100",
        "note": None,
    }
    row.update(kw)
    return pd.DataFrame([row])


def test_a_report_total_counts_only_the_incidents_citing_it(raw_dir):
    built = tables(raw_dir)
    row = metrics.coverage_of_published(built["incidents"], _total(), built["claims"]).iloc[0]
    # only alpha cites the rights group's report, although four incidents fall in the period
    assert (row["dataset_incidents"], row["dataset_min"], row["dataset_max"]) == (1, 300, 500)
    assert row["report_own_min"] == 300
    assert row["share_of_published_min"] == 3.0 and row["share_note"]


def test_no_share_across_scopes_that_cannot_be_matched(raw_dir):
    built = tables(raw_dir)
    uncited = _total(source_id="nobody-20220101")
    part = _total(scope_kind="period_all_cases", area="central Mali")
    for total in (uncited, part):
        row = metrics.coverage_of_published(built["incidents"], total).iloc[0]
        assert not row["compared"] and pd.isna(row["share_of_published_min"])
        assert row["comparison"].startswith("not compared")


def test_period_total_with_russian_forces_and_left_out_incidents(raw_dir):
    built = tables(raw_dir)
    russian = _total(scope_kind="period_all_cases", perpetrator_match="with_russian_forces")
    row = metrics.coverage_of_published(built["incidents"], russian).iloc[0]
    assert row["dataset_incidents"] == 1  # alpha only
    left_out = _total(scope_kind="period_all_cases", excluded_incidents="alpha-2022-03")
    row = metrics.coverage_of_published(built["incidents"], left_out).iloc[0]
    assert row["dataset_min"] == 12 + 14 + 2 and "leaves out" in row["comparison"]
