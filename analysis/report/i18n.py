"""Languages of the reports: gettext catalogues for words, Babel (CLDR) for numbers and dates.

Every page exists in two editions, English (``reports/``) and French (``reports/fr/``), built
from the same computed figures: nothing in the analysis is written twice. What differs per
language lives here:

- **Messages** are looked up in a standard gettext catalogue,
  ``analysis/report/locale/fr/LC_MESSAGES/messages.po``, that a translator edits with the usual
  tools (Poedit, Lokalize, Weblate). The catalogue is compiled in memory at build time (Babel's
  ``write_mo``), so the repository holds only the text file and every build compiles the same
  bytes. English is the source language: its messages are the msgids themselves.
- **Numbers, ranges, dates and months** are formatted by Babel from CLDR data pinned in
  ``uv.lock``: ``1,162–1,729`` and ``16 February 2024`` in English, ``1 162–1 729`` (narrow
  no-break space, U+202F) and ``16 février 2024`` in French.

The active language is a context variable: a notebook calls ``activate(LANG)`` once (its kernel
builds one edition), the renderer wraps each edition in ``using(lang)``. Chart functions and
templates ask ``active()`` for their words and formats.

``python -m analysis.report.i18n extract`` (``make messages``) collects every message from the
report code, the templates, the notebooks' markdown and the vocabulary labels into
``locale/messages.pot`` and merges it into each language's ``.po``; ``check`` lists messages
still untranslated or fuzzy (a test runs it too).
"""

from __future__ import annotations

import argparse
import contextlib
import contextvars
import datetime as dt
import functools
import gettext as gettext_module
import io
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import babel
import babel.dates
import babel.lists
import babel.numbers

if TYPE_CHECKING:
    import pandas as pd

HERE = Path(__file__).parent
LOCALE_DIR = HERE / "locale"
DOMAIN = "messages"
SOURCE_LANGUAGE = "en"
LANGUAGES = ("en", "fr")
# What the language switch says: each language names itself.
NATIVE_NAMES = {"en": "English", "fr": "Français"}
TIGHT_PUNCTUATION = {"fr": {";": "\u202f;", "!": "\u202f!", "?": "\u202f?", ":": "\u00a0:"}}
QUARTER_PATTERNS = {"en": "QQQ y", "fr": "QQQQ y"}
# Where each edition is written, relative to reports/.
FOLDERS = {"en": "", "fr": "fr"}


def po_path(lang: str, locale_dir: Path = LOCALE_DIR) -> Path:
    return locale_dir / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def translations(lang: str) -> gettext_module.NullTranslations:
    """The compiled catalogue for ``lang`` (English: the messages themselves)."""
    if lang == SOURCE_LANGUAGE:
        return gettext_module.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po_path(lang).open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)  # fuzzy entries fall back to English
    buffer.seek(0)
    return gettext_module.GNUTranslations(buffer)


def _date(value) -> dt.date:
    # pandas is imported here, not at the top: the renderer, which only orchestrates, imports
    # this module for the languages and the navigation's words.
    import pandas as pd

    return pd.Timestamp(value).date()


@dataclass(frozen=True)
class Locale:
    """Words and formats of one language."""

    lang: str

    @property
    def babel(self) -> babel.Locale:
        return babel.Locale.parse(self.lang)

    @property
    def folder(self) -> str:
        return FOLDERS[self.lang]

    # -- words ---------------------------------------------------------------------------
    def gettext(self, message: str) -> str:
        return translations(self.lang).gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return translations(self.lang).ngettext(singular, plural, n)

    def label(self, mapping: dict, code) -> str:
        """A vocabulary label (``analysis.vocab``) in this language; unknown codes as they are."""
        return self.gettext(mapping[code]) if code in mapping else str(code)

    def column(self, frame: pd.DataFrame, name: str) -> pd.Series:
        """A text column of the data in this language: ``name_fr`` beside ``name`` holds the
        French (incident descriptions, context events), the column itself the English."""
        localised = f"{name}_{self.lang}"
        if self.lang != SOURCE_LANGUAGE and localised in frame:
            return frame[localised]
        return frame[name]

    def places(self, frame: pd.DataFrame) -> pd.Series:
        """Each incident's place in this language: the locality (proper names) with its note
        in parentheses, "Fatissouma (near Dioura)" / "Fatissouma (près de Dioura)"; the note
        alone where the sources name no locality; None where there is neither."""
        names = frame["locality"]
        notes = self.column(frame, "locality_note") if "locality_note" in frame else None

        def one(name: object, note: object) -> str | None:
            name = name if isinstance(name, str) and name else None
            note = note if isinstance(note, str) and note else None
            if name and note:
                return f"{name} ({note})"
            return name or note

        shown = names.astype(object)  # a copy, same index (this module does not import pandas)
        shown[:] = [
            one(name, note)
            for name, note in zip(
                names, [None] * len(names) if notes is None else notes, strict=True
            )
        ]
        return shown

    def punct(self, mark: str) -> str:
        """A punctuation mark as this language sets it: French puts a narrow no-break space
        before ; ! ? and a no-break space before : (for marks the code itself places)."""
        return TIGHT_PUNCTUATION.get(self.lang, {}).get(mark, mark)

    def join(self, items: Iterable[str]) -> str:
        """'A and B', 'A, B and C' / 'A et B' (CLDR list patterns)."""
        return babel.lists.format_list(list(items), style="standard", locale=self.lang)

    # -- numbers -------------------------------------------------------------------------
    def number(self, value) -> str:
        return babel.numbers.format_decimal(int(value), locale=self.lang)

    def range(self, lo, hi) -> str:
        """'12' when both ends agree, else '12–30' (en dash, no spaces), digits grouped."""
        lo, hi = int(lo), int(hi)
        return self.number(lo) if lo == hi else f"{self.number(lo)}–{self.number(hi)}"

    def decimal(self, value: float, digits: int = 1) -> str:
        """A rate with ``digits`` decimals: '1,234.5' / '1 234,5'."""
        pattern = "#,##0." + "0" * digits if digits else "#,##0"
        return babel.numbers.format_decimal(float(value), format=pattern, locale=self.lang)

    def decimal_range(self, lo: float, hi: float, digits: int = 1) -> str:
        """'2.3–5.1' (one figure when both ends read the same at ``digits`` decimals)."""
        low, high = self.decimal(lo, digits), self.decimal(hi, digits)
        return low if low == high else f"{low}–{high}"

    def percent(self, value: float) -> str:
        """A share as a whole percentage: '45%' / '45 %'."""
        return babel.numbers.format_percent(value, locale=self.lang)

    # -- dates ---------------------------------------------------------------------------
    def date(self, value) -> str:
        """'16 February 2024' / '16 février 2024'; French writes the first of a month as an
        ordinal, '1er janvier 2018'."""
        day = _date(value)
        text = babel.dates.format_date(day, "d MMMM y", locale=self.lang)
        return "1er" + text[1:] if self.lang == "fr" and day.day == 1 else text

    def month(self, value) -> str:
        """'March 2022' / 'mars 2022' (stand-alone month name)."""
        return babel.dates.format_date(_date(value), "LLLL y", locale=self.lang)

    def month_short(self, value) -> str:
        """'Dec 2021' / 'déc. 2021', for chart keys."""
        return babel.dates.format_date(_date(value), "LLL y", locale=self.lang)

    def quarter(self, value) -> str:
        """'Q1 2022' / '1er trimestre 2022' (as each language's press writes it)."""
        pattern = QUARTER_PATTERNS.get(self.lang, "QQQ y")
        return babel.dates.format_date(_date(value), pattern, locale=self.lang)

    def iso(self, value) -> str:
        """An ISO date (tables: sortable and read the same in every language)."""
        return _date(value).isoformat()


_ACTIVE: contextvars.ContextVar[Locale | None] = contextvars.ContextVar(
    "report_locale", default=None
)


def get(lang: str | None) -> Locale:
    lang = lang or SOURCE_LANGUAGE
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}: expected one of {LANGUAGES}")
    return Locale(lang)


def active() -> Locale:
    """The language being built (English unless a notebook or the renderer chose one)."""
    return _ACTIVE.get() or Locale(SOURCE_LANGUAGE)


def activate(lang: str | None) -> Locale:
    """Make ``lang`` the language of this process (a notebook kernel builds one edition)."""
    locale = get(lang)
    _ACTIVE.set(locale)
    return locale


@contextlib.contextmanager
def using(lang: str) -> Iterator[Locale]:
    token = _ACTIVE.set(get(lang))
    try:
        yield active()
    finally:
        _ACTIVE.reset(token)


def _(message: str) -> str:
    return active().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return active().ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks a message for extraction without translating it (translated where shown)."""
    return message


# ---------------------------------------------------------------------------------------------
# Notebook markdown: each paragraph (or heading) is a message.
# ---------------------------------------------------------------------------------------------

HEADING = re.compile(r"^(#{1,6}) +(.*)$")


def markdown_blocks(text: str) -> list[tuple[str, str]]:
    """Split markdown into (prefix, message) blocks: a heading's text or a paragraph joined
    into one line (line breaks inside a paragraph are the notebook file's wrapping, not
    content). Blocks are separated by blank lines."""
    blocks = []
    for chunk in re.split(r"\n\s*\n", text.strip()):
        lines = [line.strip() for line in chunk.strip().splitlines()]
        if not lines or not lines[0]:
            continue
        heading = HEADING.match(lines[0])
        if heading and len(lines) == 1:
            blocks.append((heading.group(1) + " ", heading.group(2).strip()))
        else:
            blocks.append(("", " ".join(lines)))
    return blocks


def translate_markdown(text: str, locale: Locale) -> tuple[str, list[str]]:
    """The markdown in ``locale``'s language, and the messages the catalogue lacks (shown in
    English meanwhile, as gettext does)."""
    out, missing = [], []
    for prefix, message in markdown_blocks(text):
        translated = locale.gettext(message)
        if translated == message and locale.lang != SOURCE_LANGUAGE:
            missing.append(message)
        out.append(prefix + translated)
    return "\n\n".join(out), missing


# ---------------------------------------------------------------------------------------------
# Catalogue maintenance: extract, update, check.
# ---------------------------------------------------------------------------------------------

KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}
FIXED_DATE = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)  # catalogues carry no build time


def _vocabulary() -> Iterator[str]:
    from analysis import vocab

    for mapping in (
        vocab.PERPETRATORS,
        vocab.PERPETRATOR_GROUPS,
        vocab.OPERATION_TYPES,
        vocab.VICTIM_GROUPS,
        vocab.OUTCOMES,
        vocab.SOURCE_KINDS,
        vocab.DATE_PRECISIONS,
        vocab.COORD_PRECISIONS,
        vocab.EVIDENCE_GRADES,
        vocab.TOTAL_SCOPE_KINDS,
        vocab.TOTAL_MEASURES,
    ):
        yield from mapping.values()
    yield "Not stated"  # the one region that is not a place name


def _add(catalog, message, path: str, lineno: int, comments=()) -> None:
    """Add one extracted message; calls with a non-literal message (None) are skipped. A plural
    message is its singular and plural (the template extractor also yields the count, None)."""
    if isinstance(message, tuple):
        message = tuple(message[:2])
    if not message or (isinstance(message, tuple) and not all(message)):
        return
    catalog.add(message, locations=[(path, lineno)], auto_comments=list(comments))


def extract(root: Path):
    """Every message of the reports, as a Babel catalogue (the template, .pot)."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_file
    from jinja2.ext import babel_extract

    catalog = Catalog(
        project="mali-civilian-harm",
        creation_date=FIXED_DATE,
        revision_date=FIXED_DATE,
        charset="utf-8",
        msgid_bugs_address="",
        fuzzy=False,
    )
    report = root / "analysis" / "report"
    for path in sorted(report.glob("*.py")):
        if path.name == "i18n.py":
            continue
        for lineno, message, comments, _ctx in extract_from_file(
            "python", path, keywords=KEYWORDS, comment_tags=("Translators:",)
        ):
            _add(catalog, message, str(path.relative_to(root)), lineno, comments)
    for path in sorted((report / "templates").glob("*.j2")):
        with path.open("rb") as handle:
            options = {"trimmed": "true", "extensions": "jinja2.ext.i18n"}
            for lineno, _func, message, comments in babel_extract(
                handle, list(KEYWORDS), ("Translators:",), options
            ):
                _add(catalog, message, str(path.relative_to(root)), lineno, comments)
    import jupytext

    for path in sorted((root / "notebooks").glob("[0-9][0-9]-*.py")):
        nb = jupytext.read(path, fmt="py:percent")
        for number, cell in enumerate(nb.cells):
            if cell.cell_type == "markdown":
                for _prefix, message in markdown_blocks(cell.source):
                    where = str(path.relative_to(root))
                    _add(catalog, message, where, number, ["notebook markdown"])
        for lineno, message, comments, _ctx in extract_from_file(
            "python", path, keywords=KEYWORDS, comment_tags=("Translators:",)
        ):
            _add(catalog, message, str(path.relative_to(root)), lineno, comments)
    for message in _vocabulary():
        _add(catalog, message, "analysis/vocab.py", 0)
    return catalog


def _write(catalog, path: Path) -> None:
    from babel.messages.pofile import write_po

    buffer = io.BytesIO()
    write_po(
        buffer,
        catalog,
        width=100,
        sort_output=True,
        ignore_obsolete=True,
        include_previous=False,
        # File names without line numbers: moving code does not rewrite the catalogue.
        include_lineno=False,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())


def update(root: Path, locale_dir: Path = LOCALE_DIR) -> None:
    """Write messages.pot and merge it into every language's catalogue."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po

    template = extract(root)
    _write(template, locale_dir / f"{DOMAIN}.pot")
    for lang in LANGUAGES:
        if lang == SOURCE_LANGUAGE:
            continue
        path = po_path(lang, locale_dir)
        if path.exists():
            with path.open("rb") as handle:
                catalog = read_po(handle, locale=lang)
        else:
            catalog = Catalog(
                locale=lang,
                project="mali-civilian-harm",
                creation_date=FIXED_DATE,
                revision_date=FIXED_DATE,
                language_team=f"{lang} <none>",
                last_translator="Project translators",
                msgid_bugs_address="",
                copyright_holder="the project's contributors",
                header_comment="# French messages of the reports (analysis/report/i18n.py).\n"
                "# Edit msgstr only; `make messages` refreshes msgids from the code.",
                fuzzy=False,
            )
        catalog.update(template, update_header_comment=False)
        catalog.revision_date = FIXED_DATE
        catalog.creation_date = FIXED_DATE
        _write(catalog, path)


def problems(root: Path, lang: str, locale_dir: Path = LOCALE_DIR) -> list[str]:
    """Messages of the reports that ``lang``'s catalogue lacks, leaves empty or marks fuzzy."""
    from babel.messages.pofile import read_po

    with po_path(lang, locale_dir).open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    found = []
    for message in extract(root):
        if not message.id:
            continue
        entry = catalog.get(message.id)
        key = message.id if isinstance(message.id, str) else message.id[0]
        if entry is None:
            found.append(f"missing: {key!r}")
        elif entry.fuzzy:
            found.append(f"fuzzy: {key!r}")
        elif not entry.string or (isinstance(entry.string, tuple) and not all(entry.string)):
            found.append(f"untranslated: {key!r}")
    return found


def main(argv: list[str] | None = None) -> int:
    from analysis import paths

    parser = argparse.ArgumentParser(description="Maintain the reports' gettext catalogues.")
    parser.add_argument("command", choices=["extract", "check"])
    parser.add_argument("--root", type=Path, default=paths.ROOT)
    args = parser.parse_args(argv)
    if args.command == "extract":
        update(args.root.resolve())
        print(f"{po_path('fr').relative_to(args.root.resolve())}: updated")
        return 0
    status = 0
    for lang in LANGUAGES:
        if lang == SOURCE_LANGUAGE:
            continue
        found = problems(args.root.resolve(), lang)
        for line in found:
            print(f"{lang}: {line}")
        status = status or bool(found)
    return status


if __name__ == "__main__":
    sys.exit(main())
