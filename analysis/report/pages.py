"""Pages from executed notebooks: the HTML export, the templates' environment, titles and
navigation. Used in the build's forked children (``analysis.render``) and by the tests."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2

from analysis.report import i18n, pagescript

if TYPE_CHECKING:
    import nbformat

    from analysis.report.notebooks import Page

TEMPLATES = Path(__file__).parent / "templates"


def edition_href(from_lang: str, to_lang: str, name: str) -> str:
    """The link from a page of one edition to page ``name`` of another (reports/, reports/fr/)."""
    if from_lang == to_lang:
        return name
    up = "../" if i18n.FOLDERS[from_lang] else ""
    folder = i18n.FOLDERS[to_lang]
    return f"{up}{folder}/{name}" if folder else f"{up}{name}"


@functools.cache
def environment(lang: str = i18n.SOURCE_LANGUAGE) -> jinja2.Environment:
    """Templates in ``lang``: ``{% trans %}`` and ``_()`` read the catalogue, ``L`` formats
    numbers and dates (``L.range``, ``L.date``, ``L.month``). Made once per process (the fork
    server makes each edition's, so children find the templates compiled); nothing changes it
    after."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
    )
    # Whitespace inside {% trans %} blocks is the template's layout, not the message's.
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_translations(i18n.translations(lang), newstyle=True)
    env.globals.update(
        css=(TEMPLATES / "style.css").read_text(encoding="utf-8"),
        L=i18n.get(lang),
        lang=lang,
        languages=[(code, i18n.NATIVE_NAMES[code]) for code in i18n.LANGUAGES],
        edition_href=lambda to_lang, name: edition_href(lang, to_lang, name),
    )
    env.globals.update(pagescript.template_globals())
    return env


def page_title(nb: nbformat.NotebookNode, fallback: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback


def titles(pages: list[Page], languages: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """Every page's title (its first level-1 heading) in every language: ``{lang: {name:
    title}}``."""
    from analysis.report.notebooks import load_notebook

    return {
        lang: {p.name: page_title(load_notebook(p, lang), p.name) for p in pages}
        for lang in languages
    }


def navigation(pages: list[Page], titles: dict[str, str], lang: str) -> list[dict]:
    """The links every page of one edition carries, titles in that edition's language."""
    locale = i18n.get(lang)
    return [
        {"href": "index.html", "title": locale.gettext("Briefing")},
        *({"href": p.html_name, "title": titles[p.name]} for p in pages),
        {"href": "appendix.html", "title": locale.gettext("Incident appendix")},
        {"href": "methodology.html", "title": locale.gettext("Methodology")},
    ]


_EXPORTER = None


def exporter():
    """The HTML exporter, made once per process. nbconvert loads its templates per exporter and
    its Markdown renderer and highlighter on first use: the fork server warms one up
    (``warm_up``) and every child it forks converts with that one."""
    global _EXPORTER
    if _EXPORTER is None:
        from nbconvert import HTMLExporter

        _EXPORTER = HTMLExporter(
            template_name="basic",
            exclude_input=True,
            exclude_input_prompt=True,
            exclude_output_prompt=True,
        )
    return _EXPORTER


# One tiny notebook in the project's own format, with each kind of content the pages hold.
_WARM_UP = """\
# %% [markdown]
# # Warm-up
#
# | a | b |
# |---|---|
# | *1* | [2](https://example.org) |

# %%
print("x")
"""
_PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5E"
    "rkJggg=="
)


def warm_up() -> None:
    """Read and convert a tiny notebook once, so that the fork server's children find jupytext, the
    exporter's templates, the Markdown renderer and the highlighter ready (about 0.8 s each
    otherwise). Nothing of it reaches a page: the exporter keeps no state between conversions
    (the byte-identity test against a kernel per notebook would show it)."""
    import jupytext
    import nbformat

    nb = jupytext.reads(_WARM_UP, fmt="py:percent")
    nb.cells[1].outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="x\n"),
        nbformat.v4.new_output(
            "display_data",
            data={"image/png": _PNG, "text/html": "<b>x</b>", "text/plain": "x"},
        ),
    ]
    exporter().from_notebook_node(nb, resources={"metadata": {"name": "warm-up"}})
    for lang in i18n.LANGUAGES:
        for template in TEMPLATES.glob("*.j2"):
            environment(lang).get_template(template.name)


def export_page(
    nb: nbformat.NotebookNode,
    page: Page,
    key: str,
    nav: list[dict],
    footer: dict,
    lang: str = i18n.SOURCE_LANGUAGE,
) -> str:
    nb.metadata.pop("untranslated", None)  # build metadata, not content
    body, _ = exporter().from_notebook_node(nb, resources={"metadata": {"name": page.name}})
    return (
        environment(lang)
        .get_template("page.html.j2")
        .render(
            title=page_title(nb, page.name),
            body=body,
            key=key,
            nav=nav,
            current=page.html_name,
            footer=footer,
        )
    )


def footer_context(processed: Path) -> dict:
    """What every page's footer shows: the dataset version, the inputs and the versions."""
    from analysis import paths
    from analysis.pipeline import manifest

    record = manifest.load(processed / "manifest.json")
    package = processed / paths.DATAPACKAGE
    version = manifest.load(package)["version"] if package.exists() else None
    return {
        "dataset_version": version,
        "inputs": record["inputs"],
        "versions": record["versions"],
        "exports": record.get("exports", {}),
    }


def navigations(pages: list[Page], languages: tuple[str, ...], progress=None) -> dict:
    """Each edition's navigation and page titles: ``{lang: (nav, {name: title})}``."""
    found = titles(pages, languages)
    return {lang: (navigation(pages, found[lang], lang), found[lang]) for lang in languages}


# An edition's files built from the processed tables rather than a notebook, index last.
EXTRAS = ("incidents.csv", "appendix.html", "methodology.html", "index.html")


def extras(root, processed, nav, footer, listed, key, lang, progress=None) -> dict[str, bytes]:
    """An edition's ``EXTRAS``, in the order they are written: the incident table
    (formula-like cells neutralised), the appendix, the methodology, the index."""
    from analysis.report import briefing, export
    from analysis.report.data import load

    with i18n.using(lang):
        env = environment(lang)
        built = {
            export.FILENAME: export.incidents_csv(load(processed)),
            "appendix.html": briefing.render_appendix(env, processed, nav, footer, key).encode(),
            "methodology.html": briefing.render_methodology(
                env, processed, nav, footer, root, key
            ).encode(),
            "index.html": briefing.render_index(env, processed, nav, footer, listed, key).encode(),
        }
    assert tuple(built) == EXTRAS
    return built
