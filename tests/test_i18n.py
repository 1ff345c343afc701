"""Languages: Babel formats, the gettext catalogue, the French data columns and methodology."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from analysis import paths
from analysis.report import charts, i18n
from analysis.report.pages import edition_href
from tests.conftest import ROOT

NNBSP, NBSP = "\u202f", "\u00a0"


def test_numbers_ranges_and_dates_follow_each_language():
    en, fr = i18n.get("en"), i18n.get("fr")
    assert en.range(1162, 1729) == "1,162–1,729"
    assert fr.range(1162, 1729) == f"1{NNBSP}162–1{NNBSP}729"
    assert fr.range(12, 12) == "12"
    assert en.date("2024-02-16") == "16 February 2024"
    assert fr.date("2024-02-16") == "16 février 2024"
    assert fr.date("2018-01-01") == "1er janvier 2018" and en.date("2018-01-01") == "1 January 2018"
    assert en.month("2022-03-01") == "March 2022"
    assert fr.month("2022-03-01") == "mars 2022"
    assert en.quarter("2022-02-01") == "Q1 2022"
    assert fr.quarter("2022-02-01") == "1er trimestre 2022"
    assert en.percent(0.452) == "45%"
    assert fr.percent(0.452) == f"45{NBSP}%"
    assert fr.join(["A", "B"]) == "A et B"
    assert fr.punct(";") == f"{NNBSP};" and en.punct(";") == ";"


def test_charts_format_in_the_active_language():
    assert charts.fmt_range(1000, 2000) == "1,000–2,000"
    with i18n.using("fr"):
        assert charts.fmt_range(1000, 2000) == f"1{NNBSP}000–2{NNBSP}000"
        assert i18n._("Minimum reported") == "Minimum rapporté"
    assert i18n.active().lang == "en"


def test_unknown_language_is_refused():
    with pytest.raises(ValueError, match="unknown language"):
        i18n.get("de")


def test_language_switch_links_between_editions():
    assert edition_href("en", "fr", "index.html") == "fr/index.html"
    assert edition_href("fr", "en", "appendix.html") == "../appendix.html"
    assert edition_href("fr", "fr", "index.html") == "index.html"


def test_markdown_paragraphs_and_headings_are_messages():
    text = "# Title here\n\nA paragraph wrapped\nover two lines.\n\n## Sub"
    assert i18n.markdown_blocks(text) == [
        ("# ", "Title here"),
        ("", "A paragraph wrapped over two lines."),
        ("## ", "Sub"),
    ]
    out, missing = i18n.translate_markdown("## Evidence grades", i18n.get("fr"))
    assert out == "## Niveaux de preuve" and not missing
    out, missing = i18n.translate_markdown("Not a known message.", i18n.get("fr"))
    assert out == "Not a known message." and missing == ["Not a known message."]


def test_french_catalogue_is_complete():
    """Every message of the code, templates, notebooks and vocabulary has a French translation
    that is neither empty nor fuzzy. Fix: `make messages`, then translate the new entries."""
    assert i18n.problems(ROOT, "fr") == []


def test_catalogue_is_up_to_date_and_reproducible(tmp_path):
    """`make messages` on this checkout changes nothing: the .po holds exactly the messages
    the code uses, in a stable order with no dates that move."""
    import shutil

    locale_dir = tmp_path / "locale"
    shutil.copytree(i18n.LOCALE_DIR, locale_dir)
    i18n.update(ROOT, locale_dir)
    assert i18n.po_path("fr", locale_dir).read_bytes() == i18n.po_path("fr").read_bytes()


def _plain_space_before_punctuation(text: str) -> list[str]:
    """French typography: a no-break space before : and a narrow one before ; ! ? (never a
    plain space), and no-break spaces inside « »."""
    bad = re.findall(r".{0,20} [;:!?].{0,10}", text)
    bad += re.findall(r"« |[^\u00a0\u202f]»", text)
    return bad


def test_french_messages_use_french_typography():
    from babel.messages.pofile import read_po

    with i18n.po_path("fr").open("rb") as handle:
        catalog = read_po(handle, locale="fr")
    for message in catalog:
        if message.id:
            strings = message.string if isinstance(message.string, tuple) else [message.string]
            for text in strings:
                assert not _plain_space_before_punctuation(text), (message.id, text)


@pytest.fixture(scope="module")
def raw() -> dict[str, pd.DataFrame]:
    read = lambda name: pd.read_csv(paths.RAW / name, dtype=str, keep_default_na=False)  # noqa: E731
    return {
        "incidents": read("incidents.csv"),
        "context_events": read("context_events.csv"),
        "published_totals": read("published_totals.csv"),
        "out_of_scope": read("out_of_scope.csv"),
    }


@pytest.mark.parametrize(
    "table, column",
    [
        ("incidents", "description_fr"),
        ("context_events", "label_fr"),
        ("context_events", "description_fr"),
        ("published_totals", "perpetrator_scope_fr"),
        ("out_of_scope", "what_fr"),
        ("out_of_scope", "reason_fr"),
    ],
)
def test_french_columns_are_complete_and_typeset(raw, table, column):
    values = raw[table][column]
    assert values.str.strip().str.len().gt(0).all(), f"{table}.{column} has an empty cell"
    for text in values:
        assert not _plain_space_before_punctuation(text), text


def test_french_locality_notes_are_typeset(raw):
    notes = raw["incidents"].get("locality_note_fr", pd.Series(dtype=str))
    for text in notes[notes != ""]:
        assert not _plain_space_before_punctuation(text), text


def test_places_read_in_each_language():
    frame = pd.DataFrame(
        {
            "locality": ["Fatissouma", None, "Boni"],
            "locality_note": ["near Dioura", "locality not given", None],
            "locality_note_fr": ["près de Dioura", "localité non précisée", None],
        }
    )
    assert i18n.get("en").places(frame).tolist() == [
        "Fatissouma (near Dioura)",
        "locality not given",
        "Boni",
    ]
    assert i18n.get("fr").places(frame).tolist() == [
        "Fatissouma (près de Dioura)",
        "localité non précisée",
        "Boni",
    ]
    # Data without the note columns (an older record) shows the names alone.
    assert i18n.get("fr").places(frame[["locality"]]).tolist() == ["Fatissouma", None, "Boni"]


def test_french_descriptions_name_no_one_the_english_does_not(raw):
    """The translation adds no proper name: every capitalised word inside a French sentence
    also appears in the English description (places, organisations), or is one of the few
    French words that take a capital. Descriptions name no victim or witness, in either
    language; this keeps a translation from introducing one."""
    french_capitals = {
        "État", "ONU", "HCDH", "Nations", "Unies", "Observateurs", "Conseil", "Touaregs",
        "Mauritaniens", "Maliens", "Mauritanie", "Algérie", "Premier", "Commission", "Peuls",
        "Défense",
    }  # fmt: skip
    for row in raw["incidents"].itertuples(index=False):
        english = row.description
        for sentence in re.split(r"(?<=[.;:!?»])\s+|\(", row.description_fr):
            words = re.findall(r"\b[A-ZÀ-Ý][\w'’-]+", sentence)[1:]  # skip the first word
            for word in words:
                stem = word.split("'")[-1].split("’")[-1]
                assert stem in english or stem in french_capitals, (row.incident_id, word)


def _headings(text: str) -> list[int]:
    return [len(m.group(1)) for m in re.finditer(r"^(#{1,6}) ", text, re.MULTILINE)]


def test_methodology_editions_have_the_same_structure():
    """METHODOLOGY.fr.md is kept in step with METHODOLOGY.md: the same headings at the same
    levels, the same tables and the same numbered steps."""
    english = (ROOT / "METHODOLOGY.md").read_text(encoding="utf-8")
    french = (ROOT / "METHODOLOGY.fr.md").read_text(encoding="utf-8")
    assert _headings(english) == _headings(french)
    table_rows = lambda text: len(re.findall(r"^\|", text, re.MULTILINE))  # noqa: E731
    assert table_rows(english) == table_rows(french)
    steps = lambda text: re.findall(r"^(\d+)\. ", text, re.MULTILINE)  # noqa: E731
    assert steps(english) == steps(french)
    assert not _plain_space_before_punctuation(re.sub(r"`[^`]*`", "", french))
