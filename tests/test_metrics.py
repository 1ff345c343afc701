"""Range arithmetic, monthly bins and coverage of published totals."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.clean import build_tables
from analysis.pipeline.curated import read_curated
from analysis.report import metrics
from tests.conftest import FIXTURES


@pytest.fixture(scope="module")
def fixture_tables() -> dict[str, pd.DataFrame]:
    """The fixture's record through the pipeline, once for the module."""
    return build_tables(read_curated(FIXTURES / "curated"))


@pytest.fixture
def built(fixture_tables) -> dict[str, pd.DataFrame]:
    """Each test's own copy of the fixture's tables."""
    return {name: frame.copy(deep=True) for name, frame in fixture_tables.items()}


def test_total_is_sum_of_mins_and_sum_of_maxes(built):
    total = metrics.range_total(built["incidents"])
    assert total == {
        "min": 300 + 12 + 14 + 2,
        "max": 500 + 15 + 14 + 2,
        "n_incidents": 4,
        "n_without_figure": 0,
    }


def test_grade_filter_changes_the_total(built):
    graded = metrics.filter_grades(built["incidents"], ["A", "B"])
    assert metrics.range_total(graded)["min"] == 326


def test_monthly_bins_are_complete_and_zero_filled(built):
    monthly = metrics.monthly_range(built["incidents"])
    assert monthly.index[0] == pd.Timestamp("2022-03-01")
    assert monthly.index[-1] == pd.Timestamp("2024-05-01")
    assert len(monthly) == 27
    assert monthly.loc["2022-03-01"].to_dict() == {"min": 312, "max": 515, "incidents": 2}
    assert monthly.loc["2023-01-01"].to_dict() == {"min": 0, "max": 0, "incidents": 0}
    assert (monthly["min"] <= monthly["max"]).all()


def test_cumulative_ends_at_the_total(built):
    inc = built["incidents"]
    cumulative = metrics.cumulative_range(metrics.monthly_range(inc))
    assert cumulative.iloc[-1].tolist() == [328, 531]
    assert cumulative["min"].is_monotonic_increasing


def test_peak_month_uses_the_minimum(built):
    month, lo, hi = metrics.peak_month(metrics.monthly_range(built["incidents"]))
    assert (month, lo, hi) == (pd.Timestamp("2022-03-01"), 312, 515)


def test_monthly_counts_by_category(built):
    counts = metrics.monthly_counts(
        built["incidents"], "operation_type", ["ground_raid", "drone_strike", "airstrike"]
    )
    assert counts.loc["2022-03-01", "ground_raid"] == 1
    assert counts.loc["2024-02-01", "drone_strike"] == 1
    assert counts["airstrike"].sum() == 0
    assert counts.sum().sum() == 3  # the execution is not among the requested categories


def test_range_by_group(built):
    by = metrics.range_by(built["incidents"], "perpetrator")
    assert by.loc["malian_forces"].to_dict() == {"incidents": 3, "min": 28, "max": 31}


def test_coverage_of_published_totals(built):
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


def test_a_report_total_counts_only_the_incidents_citing_it(built):
    row = metrics.coverage_of_published(built["incidents"], _total(), built["claims"]).iloc[0]
    # only alpha cites the rights group's report, although four incidents fall in the period
    assert (row["dataset_incidents"], row["dataset_min"], row["dataset_max"]) == (1, 300, 500)
    assert row["report_own_min"] == 300
    assert row["share_of_published_min"] == 3.0 and row["share_note"]


def test_no_share_across_scopes_that_cannot_be_matched(built):
    uncited = _total(source_id="nobody-20220101")
    part = _total(scope_kind="period_all_cases", area="central Mali")
    for total in (uncited, part):
        row = metrics.coverage_of_published(built["incidents"], total).iloc[0]
        assert not row["compared"] and pd.isna(row["share_of_published_min"])
        assert row["comparison"].startswith("not compared")


def test_period_total_with_russian_forces_and_left_out_incidents(built):
    russian = _total(scope_kind="period_all_cases", perpetrator_match="with_russian_forces")
    row = metrics.coverage_of_published(built["incidents"], russian).iloc[0]
    assert row["dataset_incidents"] == 1  # alpha only
    left_out = _total(scope_kind="period_all_cases", excluded_incidents="alpha-2022-03")
    row = metrics.coverage_of_published(built["incidents"], left_out).iloc[0]
    assert row["dataset_min"] == 12 + 14 + 2 and "leaves out" in row["comparison"]


# --- the UN series: like with like -----------------------------------------------------------


def _un_total(total_id: str, source_id: str, start: str, end: str, measure: str, n: int, **kw):
    row = _total(
        total_id=total_id,
        source_id=source_id,
        period_start=pd.Timestamp(start),
        period_end=pd.Timestamp(end),
        scope_kind="period_all_cases",
        measure=measure,
        count_min=n,
        count_max=n,
    ).iloc[0]
    return row.to_dict() | kw


UN_SOURCES = pd.DataFrame(
    {
        "source_id": ["note-q", "sg-q", "press-q"],
        "publisher": ["MINUSMA", "UN Secretary-General", "A newspaper"],
        "kind": ["un_body", "un_body", "international_media"],
    }
)


def test_un_series_one_row_per_quarter_and_measure_never_mixed():
    totals = pd.DataFrame(
        [
            _un_total("a", "note-q", "2022-01-01", "2022-03-31", "killings", 248),
            _un_total("b", "sg-q", "2022-01-01", "2022-03-31", "killings", 250),
            _un_total("c", "note-q", "2022-01-01", "2022-03-31", "violations", 320),
            _un_total("d", "note-q", "2020-04-01", "2020-06-30", "executions", 94),
        ]
    )
    series = metrics.un_quarterly_series(totals, UN_SOURCES)
    assert list(zip(series["quarter"].astype(str), series["measure"], strict=True)) == [
        ("2020Q2", "executions"),
        ("2022Q1", "killings"),
        ("2022Q1", "violations"),
    ]
    both = series[series["measure"].eq("killings")].iloc[0]
    # the note and the Secretary-General's report: one figure reported twice, as a range
    assert (both["count_min"], both["count_max"]) == (248, 250)
    assert both["publisher"] == "MINUSMA; UN Secretary-General" and both["total_id"] == "a;b"
    assert both["period_end"] == pd.Timestamp("2022-03-31")
    only = metrics.un_quarterly_series(totals, UN_SOURCES, measure="violations")
    assert only["measure"].tolist() == ["violations"] and only["count_min"].tolist() == [320]


def test_un_series_leaves_out_other_periods_publishers_and_subgroups():
    totals = pd.DataFrame(
        [
            _un_total("year", "note-q", "2022-01-01", "2022-12-31", "violations", 694),
            _un_total("sg-period", "sg-q", "2020-06-02", "2020-09-29", "violations", 187),
            _un_total("press", "press-q", "2021-01-01", "2021-03-31", "killings", 9),
            _un_total(
                "kids", "note-q", "2022-01-01", "2022-03-31", "killings", 6, victim_group="children"
            ),
            _un_total(
                "hurt",
                "note-q",
                "2022-04-01",
                "2022-06-30",
                "injured_or_missing",
                19,
                outcome="injured",
            ),
        ]
    )
    series = metrics.un_quarterly_series(totals, UN_SOURCES)
    assert series.empty and "quarter" in series.columns


def test_un_series_refuses_unlike_figures():
    unlabelled = pd.DataFrame([_un_total("x", "note-q", "2022-01-01", "2022-03-31", None, 5)])
    with pytest.raises(ValueError, match="no known measure"):
        metrics.un_quarterly_series(unlabelled, UN_SOURCES)
    with pytest.raises(ValueError, match="not one of the UN series"):
        metrics.un_quarterly_series(
            unlabelled.assign(measure="killings"), UN_SOURCES, "injured_or_missing"
        )


def test_violations_and_period_executions_are_not_set_beside_killings(built):
    for measure in ("violations", "executions"):
        total = _total(scope_kind="period_all_cases", measure=measure)
        row = metrics.coverage_of_published(built["incidents"], total).iloc[0]
        assert not row["compared"] and pd.isna(row["share_of_published_min"])
        assert row["comparison"].startswith("not compared")
    # a report's own executions are still set beside the incidents that cite that report
    row = metrics.coverage_of_published(built["incidents"], _total(measure="executions")).iloc[0]
    assert row["compared"]
