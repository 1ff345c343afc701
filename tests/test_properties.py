"""Property-based tests: the strict reader, the schemas and the range arithmetic.

- Any table of text survives a CSV round trip through ``read_csv_strict`` cell for cell.
- Any curated dataset the schemas accept survives the pipeline with its totals intact: each
  incident's range is what the range rule (METHODOLOGY.md, ``analysis.pipeline.derive``)
  predicts from its claims, computed here independently, and the totals add up.
- A dataset with one broken invariant is rejected, with the broken rule named.
- After aggregation (``analysis.report.metrics``) each month's and each group's range is the
  sum of its incidents' predicted ranges.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.clean import build_tables
from analysis.errors import DataError
from analysis.pipeline.curated import MODELS, read_curated
from analysis.report import metrics
from analysis.sources.csvio import read_csv_strict
from analysis.sources.curated import FILES

SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Each pipeline example validates and builds a whole dataset (about 0.4 s on one core), so these
# take 25 examples each: 1 to 5 incidents with 1 to 4 sources, one or two outcomes and optional
# children's claims per source. 25 examples reach every case of the range rule (independent
# sources alone, a party alone, both; for civilians and for children) several times: 2 to 80
# times per case over three runs of 25. The two properties of an accepted dataset share one
# pipeline run per example.
PIPELINE = settings(SETTINGS, max_examples=25)

# --------------------------------------------------------------------------------------------
# The reader
# --------------------------------------------------------------------------------------------

cell_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=12,
)


@SETTINGS
@given(rows=st.lists(st.lists(cell_text, min_size=3, max_size=3), max_size=8))
def test_reader_round_trips_any_text(rows):
    columns = ["a", "b", "c"]
    buffer = io.StringIO()
    # QUOTE_ALL: Python's writer leaves a lone "\r" unquoted, which any reader takes as a line end.
    csv.writer(buffer, quoting=csv.QUOTE_ALL).writerows([columns, *rows])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.csv"
        path.write_bytes(buffer.getvalue().encode("utf-8"))
        frame = read_csv_strict(path, columns)
    expected = [[c.strip() or None for c in row] for row in rows]
    expected = [row for row in expected if any(c is not None for c in row)]
    got = [[None if pd.isna(v) else v for v in row] for row in frame.itertuples(index=False)]
    assert got == expected
    assert frame.index.is_monotonic_increasing


# --------------------------------------------------------------------------------------------
# Generated curated datasets
# --------------------------------------------------------------------------------------------

SOURCES = {
    # source_id: (publisher, kind)
    "hrw-20220101": ("Example Rights", "human_rights_org"),
    "wire-20220101": ("Example Wire", "news_agency"),
    "un-20220101": ("Example UN", "un_body"),
    "army-20220101": ("Example Army", "party_to_conflict"),
}
CLAIM_FIELDS = ["incident_id", "source_id", "victim_group", "outcome", "count_min", "count_max"]
REGIONS = "name,level,region,note\nMopti,region,Mopti,\n"


def header(table: str) -> list[str]:
    model = MODELS[table]
    return list(model.to_schema().columns)


@st.composite
def count_range(draw, upper: int = 500) -> tuple[int, int]:
    lo = draw(st.integers(0, upper))
    return lo, draw(st.integers(lo, upper))


@st.composite
def datasets(draw) -> dict:
    """Incidents with claims that satisfy every rule, as rows of dicts."""
    incidents, claims = [], []
    for i in range(draw(st.integers(1, 5))):
        start = dt.date(2012, 1, 1) + dt.timedelta(days=draw(st.integers(0, 4500)))
        end = start + dt.timedelta(days=draw(st.integers(0, 30)))
        incident_id = f"inc-{i}"
        incidents.append(
            {
                "incident_id": incident_id,
                "date_start": start.isoformat(),
                "date_end": end.isoformat(),
                "date_precision": "day",
                "region_reported": "Mopti",
                "locality": f"Place {i}",
                "perpetrator_reported": "soldiers",
                "perpetrator": draw(st.sampled_from(["malian_forces", "malian_forces_wagner"])),
                "operation_type": draw(st.sampled_from(["ground_raid", "drone_strike"])),
                "description": "Generated incident for a property test.",
                "description_fr": "Incident généré pour un test de propriété.",
            }
        )
        chosen = draw(st.lists(st.sampled_from(sorted(SOURCES)), min_size=1, unique=True))
        for source in chosen:
            for outcome in draw(
                st.lists(st.sampled_from(["killed", "injured"]), min_size=1, unique=True)
            ):
                lo, hi = draw(count_range())
                claims.append((incident_id, source, "civilians", outcome, lo, hi))
                if draw(st.booleans()):
                    c_lo = draw(st.integers(0, lo))
                    claims.append(
                        (
                            incident_id,
                            source,
                            "children",
                            outcome,
                            c_lo,
                            draw(st.integers(c_lo, hi)),
                        )
                    )
    return {"incidents": incidents, "claims": claims}


def write_dataset(folder: Path, ds: dict) -> None:
    def write(table: str, rows: list[dict]) -> None:
        columns = header(table)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([row.get(c, "") for c in columns])
        (folder / FILES[table][0]).write_text(buffer.getvalue(), encoding="utf-8")

    write("incidents", ds["incidents"])
    write(
        "casualties",
        [
            dict(
                zip(
                    CLAIM_FIELDS,
                    claim,
                    strict=True,
                ),
                source_wording="as reported",
            )
            for claim in ds["claims"]
        ],
    )
    write(
        "sources",
        [
            {
                "source_id": sid,
                "publisher": publisher,
                "title": "Generated source",
                "url": f"https://example.org/{sid}",
                "published": "2022-01-01",
                "kind": kind,
                "language": "en",
            }
            for sid, (publisher, kind) in SOURCES.items()
        ],
    )
    (folder / "regions.csv").write_text(REGIONS, encoding="utf-8")  # the hand folder here too


def predicted(claims: list[tuple]) -> dict[tuple[str, str, str], tuple[int, int]]:
    """The range rule, written out plainly: independent claims set the range; a party's claims
    count only where no independent source gave a figure for that group and outcome."""
    out = {}
    keys = {(c[0], c[2], c[3]) for c in claims}
    for key in keys:
        matching = [c for c in claims if (c[0], c[2], c[3]) == key]
        independent = [c for c in matching if SOURCES[c[1]][1] != "party_to_conflict"]
        counted = independent or matching
        out[key] = (min(c[4] for c in counted), max(c[5] for c in counted))
    return out


def build(ds: dict) -> dict[str, pd.DataFrame]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_dataset(folder, ds)
        return build_tables(read_curated(folder, folder))


STEMS = {
    ("civilians", "killed"): "civilians_killed",
    ("children", "killed"): "children_killed",
    ("civilians", "injured"): "civilians_injured",
}


@PIPELINE
@given(ds=datasets())
def test_accepted_datasets_keep_their_totals_and_sums(ds):
    """One pipeline run per generated dataset; both properties of an accepted dataset are
    checked on its tables."""
    tables = build(ds)
    check_totals(ds, tables)
    check_monthly_and_grouped_sums(ds, tables["incidents"])


def check_totals(ds: dict, tables: dict[str, pd.DataFrame]) -> None:
    """Each incident's range is what the range rule predicts from its claims, and the totals
    add up."""
    incidents = tables["incidents"].set_index("incident_id")
    assert len(incidents) == len(ds["incidents"])
    assert len(tables["claims"]) == len(ds["claims"])
    expected = predicted(ds["claims"])
    for (group, outcome), stem in STEMS.items():
        for incident_id, row in incidents.iterrows():
            want = expected.get((incident_id, group, outcome))
            got = (row[f"{stem}_min"], row[f"{stem}_max"])
            if want is None:
                assert pd.isna(got[0]) and pd.isna(got[1])
            else:
                assert (int(got[0]), int(got[1])) == want
        total = metrics.range_total(incidents, stem)
        figures = [v for k, v in expected.items() if (k[1], k[2]) == (group, outcome)]
        assert total["min"] == sum(lo for lo, _ in figures)
        assert total["max"] == sum(hi for _, hi in figures)
        assert total["n_incidents"] + total["n_without_figure"] == len(incidents)


def check_monthly_and_grouped_sums(ds: dict, incidents: pd.DataFrame) -> None:
    """Each month's and each group's range is the sum of its incidents' predicted ranges,
    computed here from the generated claims and dates, not from the pipeline's output."""
    expected = predicted(ds["claims"])
    month_of = {i["incident_id"]: i["date_start"][:7] for i in ds["incidents"]}
    operation_of = {i["incident_id"]: i["operation_type"] for i in ds["incidents"]}
    for (group, outcome), stem in STEMS.items():
        figures = {k[0]: v for k, v in expected.items() if (k[1], k[2]) == (group, outcome)}
        monthly = metrics.monthly_range(incidents, stem)
        for month, row in monthly.iterrows():
            inside = [v for i, v in figures.items() if month_of[i] == f"{month:%Y-%m}"]
            assert (row["min"], row["max"]) == (
                sum(lo for lo, _ in inside),
                sum(hi for _, hi in inside),
            ), (stem, month)
            assert row["incidents"] == sum(m == f"{month:%Y-%m}" for m in month_of.values())
        by_type = metrics.range_by(incidents, "operation_type", stem)
        for operation, row in by_type.iterrows():
            inside = [v for i, v in figures.items() if operation_of[i] == operation]
            assert (row["min"], row["max"]) == (
                sum(lo for lo, _ in inside),
                sum(hi for _, hi in inside),
            )


# --------------------------------------------------------------------------------------------
# One broken invariant is always rejected
# --------------------------------------------------------------------------------------------


def _claim(ds, i, **changes):
    row = dict(zip(CLAIM_FIELDS, ds["claims"][i], strict=True)) | changes
    ds["claims"][i] = tuple(row[n] for n in CLAIM_FIELDS)


def break_min_above_max(ds, i):
    hi = ds["claims"][i][5]
    _claim(ds, i, count_min=hi + 1, count_max=hi)
    return "count_min is greater than count_max"


def break_negative(ds, i):
    _claim(ds, i, count_min=-1)
    return "below the minimum 0"


def break_children_above_civilians(ds, i):
    incident_id, source, _, outcome, _, _ = ds["claims"][i]
    key = (incident_id, source, outcome)
    ds["claims"] = [
        c for c in ds["claims"] if not ((c[0], c[1], c[3]) == key and c[2] != "civilians")
    ]
    civ = next(c for c in ds["claims"] if (c[0], c[1], c[3]) == key)
    ds["claims"].append((incident_id, source, "children", outcome, civ[4], civ[5] + 1))
    return "children exceed civilians"


def break_end_before_start(ds, i):
    inc = ds["incidents"][i % len(ds["incidents"])]
    inc["date_end"] = (dt.date.fromisoformat(inc["date_start"]) - dt.timedelta(days=1)).isoformat()
    return "date_end is before date_start"


def break_early_date(ds, i):
    inc = ds["incidents"][i % len(ds["incidents"])]
    inc["date_start"] = "2011-12-31"
    return "below the minimum 2012-01-01"


def break_unknown_enum(ds, i):
    ds["incidents"][i % len(ds["incidents"])]["operation_type"] = "massacre"
    return "allowed codes"


def break_duplicate_id(ds, i):
    ds["incidents"].append(dict(ds["incidents"][i % len(ds["incidents"])], locality="Elsewhere"))
    return "unique"


def break_dangling_reference(ds, i):
    _claim(ds, i, incident_id="ghost-incident")
    return "refers to an id not found in incidents"


BREAKS = [
    break_min_above_max,
    break_negative,
    break_children_above_civilians,
    break_end_before_start,
    break_early_date,
    break_unknown_enum,
    break_duplicate_id,
    break_dangling_reference,
]


@PIPELINE
@given(ds=datasets(), breaker=st.sampled_from(BREAKS), pick=st.integers(0, 10_000))
def test_a_broken_invariant_is_rejected(ds, breaker, pick):
    rule = breaker(ds, pick % len(ds["claims"]))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_dataset(folder, ds)
        with pytest.raises(DataError) as info:
            read_curated(folder)
    assert any(rule in p.rule for p in info.value.problems), info.value
