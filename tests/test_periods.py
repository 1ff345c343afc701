"""The before/after-Wagner comparison: periods, their boundaries, rates on ranges, the sentences
that state a change, the UN series compared like with like, and the briefing's line."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import paths
from analysis.report import before_after, briefing, findings, i18n, periods

EVENTS = pd.DataFrame(
    {
        "event_id": ["coup-2020", "wagner-arrival", "wagner-exit-africa-corps"],
        "date": pd.to_datetime(["2020-08-18", "2021-12-23", "2025-06-06"]),
    }
)
CUTOFF = pd.Timestamp("2026-11-29")
PAGE_SOURCE = before_after.PAGE.replace(".html", ".py")


@pytest.fixture
def span() -> list[periods.Period]:
    return periods.define(EVENTS, pd.Timestamp("2018-01-01"), CUTOFF)


# -- periods and their boundaries ----------------------------------------------------------------


def test_periods_start_on_the_arrival_month_and_the_handover_day(span):
    assert [(p.key, p.start.date().isoformat(), p.end.date().isoformat()) for p in span] == [
        ("before_wagner", "2018-01-01", "2021-11-30"),
        ("wagner", "2021-12-01", "2025-06-05"),
        ("africa_corps", "2025-06-06", "2026-11-29"),
    ]


def test_incidents_are_assigned_by_their_start_date_at_the_boundaries(span):
    dates = pd.Series(
        pd.to_datetime(
            [
                "2017-12-31",
                "2018-01-01",
                "2021-11-30",
                "2021-12-01",
                "2025-06-05",
                "2025-06-06",
                "2026-11-29",
                "2026-11-30",
            ]
        )
    )
    assert periods.assign(dates, span).fillna("outside").tolist() == [
        "outside",
        "before_wagner",
        "before_wagner",
        "wagner",
        "wagner",
        "africa_corps",
        "africa_corps",
        "outside",
    ]


def test_an_incident_spanning_a_boundary_counts_where_it_started(span):
    incidents = frame([row(1, "2021-11-28", date_end="2021-12-03")])
    table = periods.period_table(incidents, span, ["A", "B"])
    assert table["incidents"].tolist() == [1, 0, 0]


def test_a_missing_or_misordered_event_is_named():
    with pytest.raises(periods.PeriodError, match=r"context_events.csv.*'wagner-arrival'"):
        periods.define(EVENTS[EVENTS["event_id"] != "wagner-arrival"], "2018-01-01", CUTOFF)
    with pytest.raises(periods.PeriodError, match="out of order"):
        periods.define(EVENTS, "2018-01-01", "2025-01-01")


def test_the_record_starts_with_its_first_year_but_not_before_2018():
    assert periods.record_start(frame([row(1, "2021-03-18")])) == pd.Timestamp("2021-01-01")
    assert periods.record_start(frame([row(1, "2016-05-02")])) == pd.Timestamp("2018-01-01")


def test_the_cut_off_is_the_release_date_of_the_manifest():
    assert periods.cutoff({"release": {"version": "1.0.0", "date": "2026-11-29"}}) == CUTOFF
    with pytest.raises(periods.PeriodError, match="make data"):
        periods.cutoff({"inputs": {}})


def test_months_are_days_over_the_mean_month(span):
    # 1 January 2018 to 30 November 2021: 365 * 3 + 366 (2020) - 31 (December 2021) days.
    assert span[0].days == 1430
    assert span[0].months == pytest.approx(1430 * 12 / 365.25)
    assert periods.Period("x", pd.Timestamp("2024-01-01"), pd.Timestamp("2024-12-31")).months == (
        pytest.approx(366 / 365.25 * 12)
    )


# -- the period table ----------------------------------------------------------------------------


def row(i: int, date: str, **kw) -> dict:
    out = {
        "incident_id": f"i{i}",
        "date_start": pd.Timestamp(date),
        "date_end": pd.Timestamp(kw.pop("date_end", date)),
        "operation_type": "ground_raid",
        "evidence_grade": "B",
        "civilians_killed_min": 1,
        "civilians_killed_max": 1,
        "n_sources": 1,
        "source_kinds": "international_media",
    }
    out.update(kw)
    return out


def frame(rows: list[dict]) -> pd.DataFrame:
    out = pd.DataFrame(rows)
    for column in ("civilians_killed_min", "civilians_killed_max", "n_sources"):
        out[column] = out[column].astype("Int64")
    return out


def test_rates_on_ranges_match_a_worked_example():
    """One calendar year (365 days), three incidents of the headline grades: 2..5, 10..10 and
    one with no death figure; a grade C incident of 100..200 stays out of the figures.

    Killed: 2 + 10 = 12 to 5 + 10 = 15. Months: 365 / (365.25 / 12) = 11.9918...
    Rates: 12 * 365.25 / (12 * 365) = 1.000685 and 15 * 365.25 / (12 * 365) = 1.250856.
    """
    year = periods.Period("wagner", pd.Timestamp("2022-01-01"), pd.Timestamp("2022-12-31"))
    incidents = frame(
        [
            row(1, "2022-01-10", civilians_killed_min=2, civilians_killed_max=5, n_sources=2),
            row(2, "2022-06-30", civilians_killed_min=10, civilians_killed_max=10, n_sources=3),
            row(3, "2022-12-31", civilians_killed_min=pd.NA, civilians_killed_max=pd.NA),
            row(
                4,
                "2022-07-01",
                evidence_grade="C",
                civilians_killed_min=100,
                civilians_killed_max=200,
                source_kinds="human_rights_org;other",
            ),
        ]
    )
    got = periods.period_table(incidents, [year], ["A", "B"]).loc["wagner"]
    assert (got["killed_min"], got["killed_max"], got["without_figure"]) == (12, 15, 1)
    assert got["rate_min"] == pytest.approx(1.000685, abs=1e-6)
    assert got["rate_max"] == pytest.approx(1.250856, abs=1e-6)
    assert got["incidents"] == 4 and got["incidents_headline"] == 3
    assert got["incidents_per_month"] == pytest.approx(4 * 365.25 / (12 * 365))
    assert (got["grade_A"], got["grade_B"], got["grade_C"]) == (0, 3, 1)
    assert got["sources_per_incident"] == pytest.approx(7 / 4)
    assert (got["documented"], got["coverage"]) == (1, 0.25)


def processed_like(n: int = 300, seed: int = 7) -> pd.DataFrame:
    """Incidents shaped like data/processed/incidents.parquet, with random dates, grades, kinds
    and ranges (some without a figure)."""
    rng = np.random.default_rng(seed)
    days = pd.Timestamp("2017-06-01") + pd.to_timedelta(rng.integers(0, 3500, n), unit="D")
    lows = rng.integers(0, 60, n)
    highs = lows + rng.integers(0, 40, n)
    kinds = np.array(
        ["international_media", "un_body;international_media", "human_rights_org", "other"]
    )
    out = pd.DataFrame(
        {
            "incident_id": [f"i{i}" for i in range(n)],
            "date_start": days,
            "operation_type": rng.choice(["ground_raid", "drone_strike", "airstrike"], n),
            "evidence_grade": rng.choice(["A", "B", "C"], n),
            "civilians_killed_min": pd.array(lows, dtype="Int64"),
            "civilians_killed_max": pd.array(highs, dtype="Int64"),
            "n_sources": pd.array(rng.integers(1, 5, n), dtype="Int64"),
            "source_kinds": rng.choice(kinds, n),
        }
    )
    gaps = rng.random(n) < 0.1
    out.loc[gaps, ["civilians_killed_min", "civilians_killed_max"]] = pd.NA
    return out


def test_the_period_table_equals_an_independent_pandas_computation(span):
    incidents = processed_like()
    got = periods.period_table(incidents, span, ["A", "B"])
    bins = pd.to_datetime(["2018-01-01", "2021-12-01", "2025-06-06", "2026-11-30"])
    labels = ["before_wagner", "wagner", "africa_corps"]
    cut = pd.cut(incidents["date_start"], bins, right=False, labels=labels)
    inside = incidents.assign(period=cut).dropna(subset=["period"])
    ab = inside[inside["evidence_grade"].isin(["A", "B"])]
    expected_min = ab.groupby("period", observed=False)["civilians_killed_min"].sum()
    expected_max = ab.groupby("period", observed=False)["civilians_killed_max"].sum()
    days = pd.Series(np.diff(bins).astype("timedelta64[D]").astype(int), index=labels)
    assert got["incidents"].tolist() == inside["period"].value_counts()[labels].tolist()
    assert got["killed_min"].tolist() == expected_min[labels].tolist()
    assert got["killed_max"].tolist() == expected_max[labels].tolist()
    assert got["days"].tolist() == days.tolist()
    np.testing.assert_allclose(got["rate_min"], expected_min[labels] / (days / (365.25 / 12)))
    np.testing.assert_allclose(got["rate_max"], expected_max[labels] / (days / (365.25 / 12)))
    grade_c = inside[inside["evidence_grade"] == "C"].groupby("period", observed=False).size()
    assert got["grade_C"].tolist() == grade_c[labels].tolist()
    documented = inside["source_kinds"].str.contains("un_body|human_rights_org")
    share = documented.groupby(inside["period"], observed=False).mean()
    np.testing.assert_allclose(got["coverage"], share[labels])
    drones = inside[inside["operation_type"] == "drone_strike"].groupby("period", observed=False)
    assert got["first_drone"].tolist() == drones["date_start"].min()[labels].tolist()
    operations = periods.operations_table(incidents, span)
    assert operations.loc["wagner", "drone_strike"] == drones.size()["wagner"]
    assert int(operations.to_numpy().sum()) == len(inside)


def test_an_empty_period_has_zero_figures_and_no_coverage(span):
    table = periods.period_table(frame([row(1, "2022-03-01")]), span, ["A", "B"])
    before = table.loc["before_wagner"]
    assert (before["incidents"], before["killed_min"], before["rate_max"]) == (0, 0, 0.0)
    assert pd.isna(before["coverage"]) and pd.isna(before["first_drone"])


def test_export_rates_count_only_the_months_the_export_covers(span):
    events = pd.DataFrame(
        {
            "dataset": ["acled", "acled", "acled"],
            "date_start": pd.to_datetime(["2021-06-01", "2021-12-05", "2022-05-31"]),
            "civilians_killed_min": [0, 4, 6],
            "civilians_killed_max": [3, 4, 6],
        }
    )
    table = periods.export_table(events, span).set_index("period")
    before, wagner, africa_corps = (table.loc[k] for k in periods.PERIOD_LABELS)
    # The events run from June 2021 to May 2022. Before: 1 June to 30 November 2021, 183 days;
    # Wagner: 1 December 2021 to 31 May 2022, 182 days.
    assert before["months_covered"] == pytest.approx(183 / (365.25 / 12))
    assert wagner["months_covered"] == pytest.approx(182 / (365.25 / 12))
    assert (wagner["events"], wagner["killed_min"], wagner["killed_max"]) == (2, 10, 10)
    assert wagner["rate_min"] == pytest.approx(10 / (182 / (365.25 / 12)))
    assert africa_corps["months_covered"] == 0 and pd.isna(africa_corps["rate_min"])
    # One event: the export covers its month (February 2024, 29 days), not a single day.
    single = events.iloc[:1].assign(dataset="ucdp", date_start=pd.Timestamp("2024-02-16"))
    table = periods.export_table(single, span).set_index("period")
    assert table.loc["wagner", "months_covered"] == pytest.approx(29 / (365.25 / 12))


# -- sentences -----------------------------------------------------------------------------------


def rates(first: tuple[float, float], second: tuple[float, float]) -> pd.DataFrame:
    return pd.DataFrame(
        {"rate_min": [first[0], second[0]], "rate_max": [first[1], second[1]]},
        index=["before_wagner", "wagner"],
    )


@pytest.mark.parametrize(
    ("first", "second", "verdict"),
    [
        ((1.0, 2.0), (2.5, 4.0), "rose"),
        ((5.0, 9.0), (1.0, 4.9), "fell"),
        ((1.0, 3.0), (2.0, 8.0), "overlap"),
        ((1.0, 3.0), (3.0, 8.0), "overlap"),  # touching ends: the ranges share a reading
        ((0.0, 0.0), (0.0, 0.0), "overlap"),
    ],
)
def test_a_change_is_claimed_only_when_the_ranges_do_not_overlap(first, second, verdict):
    assert periods.change(first, second) == verdict


def test_the_ratio_of_two_rate_ranges_pairs_opposite_ends():
    # 24.8-37.7 a month against 3.1-3.6: 24.8 / 3.6 = 6.89 and 37.7 / 3.1 = 12.16.
    low, high = periods.ratio_range((3.1, 3.6), (24.8, 37.7))
    assert (round(low, 2), round(high, 2)) == (6.89, 12.16)
    assert periods.ratio_range((0.0, 2.0), (5.0, 6.0)) is None
    with i18n.using("en"):
        sentence = findings.rate_ratio_sentence(
            rates((3.1, 3.6), (24.8, 37.7)), "before_wagner", "wagner"
        )
        none = findings.rate_ratio_sentence(rates((0, 1), (2, 3)), "before_wagner", "wagner")
    assert "is 6.9–12.2 times the rate before Wagner's arrival" in sentence
    assert none is None


def test_the_rate_sentence_says_rose_fell_or_overlap_from_the_figures():
    with i18n.using("en"):
        rose = findings.rate_comparison(
            rates((1.27, 1.37), (24.8, 37.7)), "before_wagner", "wagner"
        )
        fell = findings.rate_comparison(rates((24.8, 37.7), (6.0, 7.4)), "before_wagner", "wagner")
        both = findings.rate_comparison(rates((2.0, 9.0), (3.0, 4.0)), "before_wagner", "wagner")
    assert "1.3–1.4 before Wagner's arrival" in rose and "24.8–37.7 in the Wagner period" in rose
    assert "higher even" in rose and "lower" not in rose
    assert "lower even" in fell and "higher" not in fell
    assert "overlap" in both and "higher" not in both and "lower" not in both
    with i18n.using("en"):
        titles = [
            findings.rate_title(rates(*pair), "before_wagner", "wagner")
            for pair in (((1, 2), (3, 4)), ((3, 4), (1, 2)), ((1, 3), (2, 4)))
        ]
    assert titles == [
        "The per-month rate in the Wagner period is above the rate before Wagner's arrival at "
        "every reading",
        "The per-month rate in the Wagner period is below the rate before Wagner's arrival at "
        "every reading",
        "The per-month rates before Wagner's arrival and in the Wagner period overlap",
    ]
    with i18n.using("fr"):
        rose_fr = findings.rate_comparison(
            rates((1.27, 1.37), (24.8, 37.7)), "before_wagner", "wagner"
        )
    assert "1,3–1,4 avant l'arrivée de Wagner" in rose_fr and "plus élevé" in rose_fr
    assert "\u00a0:" in rose_fr


def test_coverage_and_drone_sentences_follow_the_table(span):
    incidents = frame(
        [
            row(1, "2021-03-01", source_kinds="human_rights_org"),
            row(2, "2022-03-01", operation_type="drone_strike"),
            row(3, "2023-11-07", operation_type="drone_strike", source_kinds="un_body"),
        ]
    )
    table = periods.period_table(incidents, span, ["A", "B"])
    with i18n.using("en"):
        coverage = findings.coverage_comparison(table, list(table.index))
        drone = findings.first_drone_sentence(table)
    assert "100% before Wagner's arrival (1 of 1)" in coverage
    assert "50% in the Wagner period (1 of 2)" in coverage
    assert "no incident recorded in the Africa Corps period" in coverage
    assert (
        drone
        == "The first drone strike in the record dates from 1 March 2022, in the Wagner period."
    )


# -- the UN series, like with like ---------------------------------------------------------------


def un_rows(*rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(
        rows, columns=["quarter", "measure", "count_min", "count_max", "publisher", "total_id"]
    )


def test_the_un_series_is_split_by_measure_and_never_mixed():
    series = un_rows(
        ("2022Q1", "killings", 50, 50, "MINUSMA", "k1"),
        (pd.Period("2021Q4", freq="Q"), "killings", 30, 32, "MINUSMA", "k0"),
        (pd.Timestamp("2022-01-01"), "executions", 20, 20, "MINUSMA", "e1"),
        ("2019Q2", "violations", 90, 90, "UN SG", "v1"),
    )
    split = periods.un_by_measure(series)
    assert list(split) == ["killings", "executions", "violations"]
    assert split["killings"].index.tolist() == pd.to_datetime(["2021-10-01", "2022-01-01"]).tolist()
    assert split["killings"]["max"].tolist() == [32, 50]
    for measure, part in split.items():
        assert set(series.loc[series["total_id"].isin(part["total_id"]), "measure"]) == {measure}


def test_the_un_series_refuses_an_unknown_measure_or_a_doubled_quarter():
    with pytest.raises(ValueError, match=r"'measure'.*cases"):
        periods.un_by_measure(un_rows(("2022Q1", "cases", 1, 1, "UN", "x")))
    with pytest.raises(ValueError, match="two figures for one quarter and measure"):
        periods.un_by_measure(
            un_rows(
                ("2022Q1", "killings", 50, 50, "MINUSMA", "a"),
                ("2022Q1", "killings", 48, 48, "UN SG", "b"),
            )
        )


def test_un_means_per_period_count_only_published_quarters(span):
    split = periods.un_by_measure(
        un_rows(
            ("2021Q3", "killings", 10, 20, "MINUSMA", "a"),
            ("2021Q4", "killings", 30, 30, "MINUSMA", "b"),  # starts 1 October: before Wagner
            ("2022Q2", "killings", 60, 60, "MINUSMA", "c"),
        )
    )
    means = periods.un_period_means(split, span).set_index("period")
    assert means.loc["before_wagner", "quarters"] == 2
    assert (
        means.loc["before_wagner", "mean_min"] == 20
        and means.loc["before_wagner", "mean_max"] == 25
    )
    assert means.loc["wagner", "quarters"] == 1 and means.loc["wagner", "mean_min"] == 60
    assert means.loc["africa_corps", "quarters"] == 0


def test_the_un_chart_draws_one_panel_per_measure(span):
    split = periods.un_by_measure(
        un_rows(
            ("2021Q3", "killings", 10, 20, "MINUSMA", "a"),
            ("2022Q1", "executions", 5, 5, "MINUSMA", "b"),
        )
    )
    with i18n.using("en"):
        fig = before_after.un_chart(split, span, title="t", source="s")
    titled = [ax.get_title(loc="left") for ax in fig.axes]
    assert titled == [
        "People killed, in any manner",
        "Extrajudicial, summary or arbitrary executions",
    ]


# -- the briefing's line -------------------------------------------------------------------------


class Processed:
    def __init__(self, incidents):
        self.incidents = incidents
        self.context_events = EVENTS
        self.manifest = {"release": {"version": "1.0.0", "date": "2026-11-29"}}


def test_the_briefing_line_gives_each_period_s_rate_and_links_to_the_page():
    incidents = frame(
        [
            row(1, "2021-03-01", civilians_killed_min=11, civilians_killed_max=22),
            row(2, "2022-03-01", evidence_grade="C", civilians_killed_min=500),
        ]
    )
    with i18n.using("fr"):
        line = briefing.period_rates(Processed(incidents))
    # The record starts in 2021: 1 January to 30 November 2021 is 334 days.
    months = 334 / (365.25 / 12)
    assert line["rates"]["before_wagner"] == (
        f"{11 / months:.1f}–{22 / months:.1f}".replace(".", ",")
    )
    assert line["rates"]["wagner"] == "0,0"  # the grade C incident is not a headline figure
    assert line["href"] == before_after.PAGE == "06-before-after-wagner.html"
    assert (paths.ROOT / "notebooks" / PAGE_SOURCE).exists()
    assert line["when"]["before_wagner"] == "du 1er janvier 2021 au 30 novembre 2021"


def test_without_the_dating_events_the_page_says_why_and_the_briefing_omits_its_line():
    """Context events are an optional table: a record without them still builds its pages."""
    incidents = frame([row(1, "2022-03-01")])
    processed = Processed(incidents)
    processed.context_events = EVENTS[EVENTS["event_id"] != "wagner-exit-africa-corps"]
    with i18n.using("en"):
        span, note = before_after.draw_periods(processed)
        assert briefing.period_rates(processed) is None
    assert span == [] and "(wagner-exit-africa-corps)" in note
    late = Processed(incidents)  # the record starts in 2022, after Wagner's arrival
    with i18n.using("fr"):
        span, note = before_after.draw_periods(late)
    assert span == [] and note.startswith("Le recensement ne commence pas avant")


def test_a_period_outside_an_export_s_span_shows_dashes_not_zeros(span):
    events = pd.DataFrame(
        {
            "dataset": ["ucdp"],
            "date_start": pd.to_datetime(["2024-02-16"]),
            "civilians_killed_min": [7],
            "civilians_killed_max": [10],
        }
    )
    with i18n.using("en"):
        shown = before_after.export_display(periods.export_table(events, span))
    assert shown.iloc[0, 3:].tolist() == ["–", "–", "–"]  # before Wagner: not covered
    assert shown.iloc[1, 3:].tolist() == ["1", "7–10", "7.3–10.5"]
