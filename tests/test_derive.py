"""From claims to incident ranges and evidence grades, on the hand-checked fixture."""

from __future__ import annotations

import copy

import pandas as pd
import pytest

from analysis.clean import build_tables
from analysis.pipeline.curated import read_curated
from analysis.pipeline.derive import build_claims, claim_ranges, derive_perpetrators
from tests.conftest import FIXTURES


@pytest.fixture(scope="module")
def fixture_record():
    """The fixture's record read once for the module (tests take copies)."""
    return read_curated(FIXTURES / "curated")


@pytest.fixture(scope="module")
def fixture_tables(fixture_record) -> dict[str, pd.DataFrame]:
    return build_tables(copy.deepcopy(fixture_record))


@pytest.fixture
def record(fixture_record):
    return copy.deepcopy(fixture_record)


@pytest.fixture
def table(fixture_tables) -> pd.DataFrame:
    """The fixture's incidents by id (a copy)."""
    return fixture_tables["incidents"].set_index("incident_id")


@pytest.fixture
def claims(fixture_tables) -> pd.DataFrame:
    return fixture_tables["claims"].copy()


def test_range_is_lowest_min_to_highest_max_of_independent_sources(table):
    alpha = table.loc["alpha-2022-03"]
    # rights group ~300, UN at least 500, the army's "no civilian" is a party claim
    assert (alpha["civilians_killed_min"], alpha["civilians_killed_max"]) == (300, 500)
    assert (alpha["children_killed_min"], alpha["children_killed_max"]) == (7, 7)


def test_party_claim_used_only_when_nobody_else_gave_a_figure(table):
    assert table.loc["charlie-2024-02", "civilians_killed_min"] == 14  # army's 0 ignored
    delta = table.loc["delta-2024-05"]
    assert (delta["civilians_killed_min"], delta["civilians_killed_max"]) == (2, 2)
    assert bool(delta["party_claims_only"]) is True
    assert delta["evidence_grade"] == "C"


def test_evidence_grades_and_single_source(table):
    assert table["evidence_grade"].to_dict() == {
        "bravo-2022-03": "B",
        "alpha-2022-03": "A",
        "charlie-2024-02": "B",
        "delta-2024-05": "C",
    }
    assert bool(table.loc["bravo-2022-03", "single_source"]) is True
    assert bool(table.loc["charlie-2024-02", "single_source"]) is False
    assert table.loc["alpha-2022-03", "n_sources"] == 3


def test_two_national_outlets_make_grade_b(record):
    curated = record
    extra = pd.DataFrame(
        {
            "source_id": ["paper-a", "paper-b"],
            "publisher": ["Paper A", "Paper B"],
            "kind": ["national_media", "national_media"],
        }
    )
    claims = pd.DataFrame(
        {
            "incident_id": ["x-2022-01", "x-2022-01"],
            "source_id": ["paper-a", "paper-b"],
            "victim_group": ["civilians"] * 2,
            "outcome": ["killed"] * 2,
            "count_min": pd.array([1, 2], dtype="Int64"),
            "count_max": pd.array([1, 3], dtype="Int64"),
            "source_wording": ["one", "two or three"],
        }
    )
    from analysis.pipeline.derive import evidence

    graded = evidence(build_claims(claims, pd.concat([curated.sources, extra])))
    assert graded.set_index("incident_id").loc["x-2022-01", "evidence_grade"] == "B"
    one_paper = evidence(build_claims(claims.iloc[:1], pd.concat([curated.sources, extra])))
    assert one_paper.set_index("incident_id").loc["x-2022-01", "evidence_grade"] == "C"


def test_ranges_never_cross(record):
    claims = build_claims(record.casualties, record.sources)
    ranges = claim_ranges(claims)
    assert (ranges["count_min"] <= ranges["count_max"]).all()


def test_region_resolution_prefers_most_specific(table):
    assert table.loc["charlie-2024-02", "region"] == "Mopti"  # Bandiagara (2023) -> Mopti
    assert table.loc["delta-2024-05", "region"] == "Ségou"  # "centre" settled by cercle Niono
    assert table.loc["alpha-2022-03", "month"] == pd.Timestamp("2022-03-01")


def test_incidents_without_a_killed_figure_stay_missing_not_zero(table):
    assert pd.isna(table.loc["bravo-2022-03", "children_killed_min"])
    assert table.loc["bravo-2022-03", "civilians_injured_max"] == 3


# --- alleged perpetrator, derived from each source's allegation --------------------------------


def _allegations(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(
        rows, columns=["incident_id", "source_id", "allegation", "perpetrator"]
    ).astype({"perpetrator": "object"})


_KINDS = pd.DataFrame(
    {
        "source_id": ["ngo", "agency", "radio", "rebels", "army"],
        "kind": [
            "human_rights_org",
            "news_agency",
            "international_media",
            "party_to_conflict",
            "party_to_conflict",
        ],
    }
)


def _derived(rows: list[tuple]) -> dict:
    out = derive_perpetrators(_allegations(rows), _KINDS).set_index("incident_id")
    return {i: (r.perpetrator, r.perpetrator_rule) for i, r in out.iterrows()}


def test_a_source_naming_only_the_army_does_not_make_the_incident_joint():
    assert _derived([("x", "ngo", "alleges", "malian_forces")]) == {
        "x": ("malian_forces", "independent")
    }


def test_an_independent_source_alleging_the_russian_part_makes_it_joint():
    rows = [("x", "ngo", "alleges", "malian_forces"), ("x", "radio", "alleges", "wagner")]
    assert _derived(rows)["x"] == ("malian_forces_wagner", "independent")


def test_a_party_or_a_relayed_party_attribution_does_not_add_a_force():
    rows = [
        ("x", "radio", "alleges", "malian_forces"),
        ("x", "rebels", "alleges", "malian_forces_wagner"),
        ("x", "agency", "relays_party", "malian_forces_wagner"),
    ]
    assert _derived(rows)["x"] == ("malian_forces", "independent")


def test_party_allegations_count_when_no_independent_source_names_a_force():
    rows = [
        ("x", "rebels", "alleges", "malian_forces_africa_corps"),
        ("x", "agency", "names_none", None),
    ]
    assert _derived(rows)["x"] == ("malian_forces_africa_corps", "party_only")


def test_denials_and_unreached_sources_never_count():
    rows = [
        ("x", "army", "denies", "malian_forces"),
        ("x", "radio", "unknown", None),
        ("x", "ngo", "alleges", "state_aligned_unidentified"),
    ]
    assert _derived(rows)["x"] == ("state_aligned_unidentified", "independent")
    assert _derived([("y", "army", "denies", "malian_forces")]) == {}


def test_dozo_and_africa_corps_codes():
    dozo = [
        ("x", "ngo", "alleges", "malian_forces"),
        ("x", "radio", "alleges", "malian_forces_dozo"),
    ]
    assert _derived(dozo)["x"][0] == "malian_forces_dozo"
    militia = [
        ("x", "ngo", "alleges", "malian_forces"),
        ("x", "radio", "alleges", "malian_forces_militia"),
    ]
    assert _derived(militia)["x"][0] == "malian_forces_militia"
    both = [
        ("x", "ngo", "alleges", "malian_forces_wagner"),
        ("x", "radio", "alleges", "africa_corps"),
    ]
    assert _derived(both)["x"][0] == "malian_forces_wagner"  # both names: Wagner
    ac = [("x", "ngo", "alleges", "malian_forces"), ("x", "radio", "alleges", "africa_corps")]
    assert _derived(ac)["x"][0] == "malian_forces_africa_corps"


def test_fixture_perpetrators_follow_from_their_allegations(table, claims):
    # alpha: the rights group names the army only, the UN the army with foreign personnel
    assert table.loc["alpha-2022-03", "perpetrator"] == "malian_forces_wagner"
    assert table.loc["alpha-2022-03", "perpetrator_rule"] == "independent"
    assert table.loc["delta-2024-05", "perpetrator_rule"] == "party_only"
    rights = claims[claims["source_id"] == "rights-20220405"].iloc[0]
    assert (rights["allegation"], rights["perpetrator"]) == ("alleges", "malian_forces")


def test_a_shared_locality_name_is_told_apart_by_its_note():
    from analysis.pipeline.derive import resolve_regions

    regions = pd.DataFrame(
        {
            "name": ["Kita", "Kita (Dioura commune)", "Mopti"],
            "level": ["region", "locality", "region"],
            "region": ["Kayes", "Mopti", "Mopti"],
        }
    )
    incidents = pd.DataFrame(
        {
            "region_reported": [None, None, "Mopti"],
            "cercle": [None, None, None],
            "locality": ["Kita", "Kita", "Boni"],
            "locality_note": ["Dioura commune", None, "near Douentza"],
        }
    )
    resolved = resolve_regions(incidents, regions)
    assert resolved.iloc[0] == "Mopti"  # the village, by its note
    assert pd.isna(resolved.iloc[1])  # the bare name is no locality key: nothing guessed
    assert resolved.iloc[2] == "Mopti"
