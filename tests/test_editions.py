"""The English and French editions of the reports say the same thing, each in its own language.

Built once per session by `make report` in a temporary copy of the repository (the
``built_repo`` fixture, shared with the other end-to-end modules), on the project's real data:

- both editions have the same pages (and the same spreadsheet table);
- every figure shown on a page of one edition appears on the same page of the other, once
  numbers are normalised (``1,162`` and ``1 162`` are the same figure; dates and ranges are
  compared digit group by digit group);
- a French page holds no English outside proper names and quotations: text marked with another
  ``lang``, code, and the sources' own words (titles, publishers, quoted wording, the words each
  source used for the perpetrator, place names)
  are set aside, and what remains must not contain common English words.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

pytestmark = pytest.mark.slow

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
SKIP = {"script", "style", "footer", "code", "head"}


class Text(HTMLParser):
    """Visible text of a page (and image alt text), without the footer's provenance table.

    With ``keep_lang`` set, text inside an element whose ``lang`` differs is left out: that is
    how the pages mark quotations in another language (a source's title)."""

    def __init__(self, keep_lang: str | None = None):
        super().__init__(convert_charrefs=True)
        self.keep_lang = keep_lang
        self.stack: list[bool] = []  # per open element: is its content excluded?
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        excluded = bool(self.stack and self.stack[-1]) or tag in SKIP
        lang = attrs.get("lang")
        if self.keep_lang and lang and lang != self.keep_lang and tag != "html":
            excluded = True
        if tag == "img" and not excluded:
            self.parts.append(attrs.get("alt") or "")
        if tag not in VOID:
            self.stack.append(excluded)

    def handle_endtag(self, tag):
        if tag not in VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if not (self.stack and self.stack[-1]):
            self.parts.append(data)

    @classmethod
    def of(cls, html: str, keep_lang: str | None = None) -> str:
        parser = cls(keep_lang)
        parser.feed(html)
        # Collapse layout whitespace only: no-break spaces are content (digit groups, French
        # punctuation) and str.split() would eat them.
        return re.sub(r"[ \t\r\n]+", " ", " ".join(parser.parts)).strip()


NUMBER = {
    "en": re.compile(r"(?<![\w.,])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(?![\w])"),
    "fr": re.compile(r"(?<![\w,])(\d{1,3}(?:[\u202f\u00a0]\d{3})+|\d+)(?:,(\d+))?(?![\w])"),
}


def figures(text: str, lang: str) -> set[str]:
    """Every standalone number in ``text``, with digit grouping and decimal marks normalised."""
    found = set()
    for whole, decimals in NUMBER[lang].findall(text):
        value = str(int(re.sub(r"[,\u202f\u00a0]", "", whole)))
        found.add(f"{value}.{decimals}" if decimals else value)
    return found


@pytest.fixture(scope="module")
def site(built_repo) -> Path:
    """The session's built copy of the repository (these tests only read it)."""
    return built_repo


def pages(site: Path, folder: str) -> dict[str, str]:
    root = site / "reports" / folder
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(root.glob("*.html"))}


def test_both_editions_have_the_same_pages(site):
    english, french = pages(site, ""), pages(site, "fr")
    assert set(english) == set(french)
    assert {"index.html", "appendix.html", "methodology.html"} <= set(french)
    for name, html in french.items():
        assert '<html lang="fr">' in html, name
        assert '<html lang="en">' in english[name], name
    tables = [
        list(csv.reader((site / "reports" / f / "incidents.csv").open(encoding="utf-8-sig")))
        for f in ("", "fr")
    ]
    assert tables[0][0] == tables[1][0]  # same columns
    assert [row[0] for row in tables[0]] == [row[0] for row in tables[1]]  # same incidents


def test_every_figure_appears_in_both_editions(site):
    english, french = pages(site, ""), pages(site, "fr")
    for name in english:
        en = figures(Text.of(english[name]), "en")
        fr = figures(Text.of(french[name]), "fr")
        assert en == fr, (
            f"{name}: only in English {sorted(en - fr)}, only in French {sorted(fr - en)}"
        )


# Common English words that are not French words; a French page may contain them only inside
# proper names and quotations.
ENGLISH = set(
    [
        "the",
        "and",
        "of",
        "with",
        "by",
        "from",
        "which",
        "were",
        "was",
        "killed",
        "reported",
        "civilians",
        "children",
        "month",
        "months",
        "year",
        "years",
        "this",
        "that",
        "these",
        "those",
        "where",
        "when",
        "what",
        "how",
        "who",
        "only",
        "their",
        "they",
        "has",
        "have",
        "been",
        "between",
        "than",
        "into",
        "is",
        "are",
        "it",
        "its",
        "after",
        "before",
        "to",
        "at",
        "in",
        "for",
        "incident's",
        "source's",
        "dataset",
        "grade",
        "grades",
        "figures",
        "highest",
        "lowest",
        "per",
        "quarter",
        "alleged",
        "perpetrator",
        "operations",
        "deaths",
        "people",
        "region",
        "not",
        "no",
        "all",
        "each",
    ]
)


def words(text: str) -> Counter:
    """Words of a text, lower case; accented letters belong to their word ("noté" is not
    "not"), and identifiers (dataset_higher, incident_id) are code, not prose."""
    tokens = re.findall(r"[\w']+", text)
    return Counter(w.lower() for w in tokens if "_" not in w and not any(c.isdigit() for c in w))


def allowed_strings(site: Path, places: bool = True) -> list[str]:
    """Proper names and quotations the French pages may show as they are, longest first.
    ``places=False`` leaves out the place fields of incidents.csv and the region map's keys, to
    check that they hold proper names only."""
    raw = site / "data" / "raw"
    read = lambda name: pd.read_csv(raw / name, dtype=str, keep_default_na=False)  # noqa: E731
    sources, claims, totals, allegations = (
        read("sources.csv"),
        read("casualties.csv"),
        read("published_totals.csv"),
        read("allegations.csv"),
    )
    incidents = read("incidents.csv")
    regions = pd.read_csv(site / "data" / "hand" / "regions.csv", dtype=str, keep_default_na=False)
    names = [
        *sources["publisher"],
        *sources["title"],
        *claims["source_wording"],
        *allegations["perpetrator_reported"],
        *totals["source_wording"],
        *(incidents["locality"] if places else ()),
        *(incidents["cercle"] if places else ()),
        *(regions["name"] if places else ()),
        *regions["region"],
        "Human Rights Watch",
        "Amnesty International",
        "Africa Corps",
        "Islamic State",
    ]
    return sorted({n for n in names if len(n) > 2}, key=len, reverse=True)


def test_french_pages_hold_no_english_outside_names_and_quotes(site):
    allowed = allowed_strings(site)
    problems = {}
    for name, html in pages(site, "fr").items():
        text = Text.of(html, keep_lang="fr")
        for quoted in allowed:
            text = text.replace(quoted, " ")
        english = {w: n for w, n in words(text).items() if w in ENGLISH}
        if english:
            problems[name] = english
    assert not problems, problems


# Words of an editorial note about a place ("near Nara", "about 6 km from Nani", "locality not
# given"), which belong in locality_note (English) and locality_note_fr, never in a place name
# (words French shares, "village", "camp", "km", are not listed).
PLACE_NOTE_WORDS = ENGLISH | {
    "near",
    "nearby",
    "about",
    "along",
    "area",
    "surroundings",
    "outskirts",
    "town",
    "well",
    "market",
    "fair",
    "road",
    "weekly",
    "north",
    "south",
    "east",
    "west",
    "given",
    "locality",
    "inside",
    "from",
    "and",
    "of",
    "the",
}


def english_place_words(text: str, allowed: list[str]) -> dict[str, int]:
    for quoted in allowed:
        text = text.replace(quoted, " ")
    return {w: n for w, n in words(text).items() if w in PLACE_NOTE_WORDS}


def test_french_pages_show_places_in_french(site):
    """Place names are not set aside here: what a French page shows of a place (the appendix,
    the briefing, the tables) is proper names and the French note, with no English word."""
    allowed = allowed_strings(site, places=False)
    problems = {}
    for name, html in pages(site, "fr").items():
        english = english_place_words(Text.of(html, keep_lang="fr"), allowed)
        if english:
            problems[name] = english
    assert not problems, problems


def test_french_typography_on_french_pages(site):
    """No plain space before ; : ! ? in the French text (code and quotations aside: a French
    source's title keeps its own spacing)."""
    allowed = allowed_strings(site)
    for name, html in pages(site, "fr").items():
        text = Text.of(html, keep_lang="fr")
        for quoted in allowed:
            text = text.replace(quoted, " ")
        bad = re.findall(r".{0,25} [;!?].{0,10}|.{0,25}[a-zé] :.{0,10}", text)
        assert not bad, (name, bad[:5])
