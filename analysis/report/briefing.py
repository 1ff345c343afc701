"""The index page (a briefing for readers who open one page), the incident appendix and the
methodology page. Generated from the processed tables, not from notebooks, so every figure on
them comes from functions the tests reach.

Each is rendered once per edition, inside ``i18n.using(lang)``: the figures are computed the
same way and only formatted (Babel) and worded (gettext) per language.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import jinja2
import pandas as pd

from analysis import paths
from analysis.report import charts, compare, data, i18n, metrics
from analysis.report.findings import lowercase_first, perpetrator_phrase
from analysis.report.i18n import N_, _
from analysis.vocab import (
    EVIDENCE_GRADES,
    HEADLINE_GRADES,
    OPERATION_TYPES,
    PERPETRATORS,
    SOURCE_KINDS,
)

SAFE_SCHEMES = ("http://", "https://")


def safe_url(url: object) -> str | None:
    """Only http(s) links become links; anything else (javascript:, data:) is shown as text."""
    text = str(url or "").strip()
    return text if text.lower().startswith(SAFE_SCHEMES) else None


def build_date() -> str:
    """The date a reproducible build stands for: SOURCE_DATE_EPOCH (the last commit's time)."""
    return i18n.active().date(dt.datetime.fromtimestamp(paths.source_date_epoch(), dt.UTC))


def long_date(value: pd.Timestamp) -> str:
    """'6 March 2026' / '6 mars 2026': no zero padding, month in words."""
    return i18n.active().date(value)


def region_name(region: str | None) -> str | None:
    """A normalised region as shown: place names as they are, 'Not stated' translated."""
    return _("Not stated") if region == "Not stated" else region


# How precisely an incident is dated, as the appendix notes it beside the date.
DATE_PRECISION_NOTES = {"week": N_("week"), "month": N_("month")}


def largest_incident(incidents: pd.DataFrame) -> dict | None:
    """The incident with the highest maximum of civilians reported killed (place, not names)."""
    known = incidents[incidents["civilians_killed_max"].notna()]
    if known.empty:
        return None
    top = known.sort_values(
        ["civilians_killed_max", "civilians_killed_min", "date_start", "incident_id"],
        ascending=[False, False, True, True],
    ).iloc[0]
    locale = i18n.active()
    place = locale.places(top.to_frame().T).iloc[0]
    region = top["region"] if isinstance(top["region"], str) else None
    if region == "Not stated":
        region = None
    region_text = _("{region} region").format(region=region) if region else None
    return {
        "id": top["incident_id"],
        "date": locale.date(top["date_start"]),
        "month": locale.month(top["date_start"]),
        "place": ", ".join(p for p in (place, region_text) if p) or _("place not stated"),
        "min": int(top["civilians_killed_min"]),
        "max": int(top["civilians_killed_max"]),
        "perpetrator": locale.label(PERPETRATORS, top["perpetrator"]),
        "operation": locale.label(OPERATION_TYPES, top["operation_type"]),
    }


def headline(incidents: pd.DataFrame, grades=HEADLINE_GRADES) -> dict:
    """Key figures for the briefing, as ranges, for the incidents of the given grades."""
    chosen = metrics.filter_grades(incidents, grades)
    monthly = metrics.monthly_range(chosen)
    peak, peak_min, peak_max = metrics.peak_month(monthly)
    drones = chosen.loc[chosen["operation_type"] == "drone_strike", "date_start"]
    yearly = chosen.groupby("year").agg(
        incidents=("incident_id", "size"),
        min=("civilians_killed_min", "sum"),
        max=("civilians_killed_max", "sum"),
    )
    return {
        "grades": list(grades),
        "n_incidents": len(chosen),
        "n_all": len(incidents),
        "killed": metrics.range_total(chosen, "civilians_killed"),
        "killed_all": metrics.range_total(incidents, "civilians_killed"),
        "children": metrics.range_total(chosen, "children_killed"),
        "injured": metrics.range_total(chosen, "civilians_injured"),
        "by_perpetrator": metrics.range_by(chosen, "perpetrator_group"),
        "by_operation": metrics.range_by(chosen, "operation_type"),
        "by_year": yearly.astype("int64"),
        "peak": {"month": i18n.active().month(peak), "min": peak_min, "max": peak_max},
        "largest": largest_incident(chosen),
        "first": long_date(chosen["date_start"].min()),
        "last": long_date(chosen["date_start"].max()),
        "latest": long_date(incidents["date_start"].max()),
        "first_year": int(chosen["date_start"].min().year),
        "last_year": int(chosen["date_start"].max().year),
        "n_sources_cited": len(
            {sid for ids in chosen["source_ids"] for sid in str(ids).split(";") if sid}
        ),
        "first_drone": long_date(drones.min()) if len(drones) else None,
        "grade_counts": incidents["evidence_grade"]
        .value_counts()
        .reindex(list(EVIDENCE_GRADES), fill_value=0)
        .to_dict(),
    }


def period_rates(processed: data.Processed, grades=HEADLINE_GRADES) -> dict | None:
    """Civilians reported killed per month in each period (before Wagner, Wagner, Africa
    Corps), as worded ranges, for the briefing's line that links to the period page; None when
    the data do not allow the periods to be drawn (the page says why)."""
    from analysis.report import before_after, periods

    span, _unavailable = before_after.draw_periods(processed)
    if not span:
        return None
    table = periods.period_table(processed.incidents, span, grades)
    locale = i18n.active()
    return {
        "href": before_after.PAGE,
        "rates": {
            key: locale.decimal_range(row["rate_min"], row["rate_max"])
            for key, row in table.iterrows()
        },
        "when": {p.key: before_after.period_dates(p) for p in span},
    }


def timeline_chart(processed: data.Processed, grades=HEADLINE_GRADES) -> charts.Chart:
    chosen = metrics.filter_grades(processed.incidents, grades)
    quarters = chosen.assign(month=chosen["date_start"].dt.to_period("Q").dt.to_timestamp())
    months = pd.date_range(quarters["month"].min(), quarters["month"].max(), freq="QS")
    quarterly = metrics.monthly_range(quarters, months=months)
    peak, peak_min, peak_max = metrics.peak_month(quarterly)
    locale = i18n.active()
    label = locale.quarter(peak)
    fig = charts.monthly_range_chart(
        quarterly,
        title=_("Reported civilian deaths peaked in {quarter}").format(quarter=label),
        ylabel=_("Civilians reported killed per quarter"),
        xlabel=_("Quarter in which the incident started"),
        bar_width=70,
        source=_(
            "Source: project compilation of Human Rights Watch, Amnesty International, UN and "
            "media reporting; incidents of evidence grades {grades}. Solid: sum of the lowest "
            "figures reported; hatched: up to the sum of the highest."
        ).format(grades=locale.join(grades)),
        events=processed.context_events,
    )
    other = quarterly.drop(index=peak)
    next_max = int(other["max"].max()) if len(other) else 0
    return charts.show(
        fig,
        alt=_(
            "Reported civilian deaths peaked in {quarter}, with {range} civilians reported "
            "killed; no other quarter exceeds {next_max} (highest figures). Quarterly ranges "
            "from {first} to {last}, with numbered context events."
        ).format(
            quarter=label,
            range=charts.fmt_range(peak_min, peak_max),
            next_max=locale.number(next_max),
            first=quarterly.index.min().year,
            last=quarterly.index.max().year,
        ),
    )


def _key(processed_dir: Path) -> str:
    return hashlib.sha256((processed_dir / "manifest.json").read_bytes()).hexdigest()


def render_index(
    env: jinja2.Environment,
    processed_dir: Path,
    nav: list[dict],
    footer: dict,
    pages: list[tuple[str, str]],
    key: str | None = None,
) -> str:
    processed = data.load(processed_dir)
    inc = processed.incidents
    facts = headline(inc)
    # Links are decided per record: in a pandas column, safe_url's None would become NaN, which
    # the template treats as a (broken) link.
    locale = i18n.active()
    sources = [
        {**row, "link": safe_url(row["url"]), "lang": foreign_language(row["language"])}
        for row in processed.sources.sort_values(["published", "source_id"]).to_dict("records")
    ]
    columns = {"min": "civilians_killed_min", "max": "civilians_killed_max"}
    # Column names are identifiers (the same in both editions); labels are in the page's
    # language, as in incidents.csv.
    tables = {
        "by_perpetrator": facts["by_perpetrator"]
        .rename(index=locale.gettext)
        .rename_axis("alleged_perpetrator_group"),
        "by_operation": facts["by_operation"].rename(index=translated(OPERATION_TYPES)),
        "by_year": facts["by_year"],
    }
    downloads = {
        name: charts.csv_link(
            frame.rename_axis(frame.index.name or "operation_type")
            .reset_index()
            .rename(columns=columns),
            f"civilians-killed-{name.replace('_', '-')}.csv",
        )
        for name, frame in tables.items()
    }
    return env.get_template("index.html.j2").render(
        downloads=downloads,
        title=_("Briefing"),
        key=key or _key(processed_dir),
        nav=nav,
        current="index.html",
        footer=footer,
        facts=facts,
        fmt=charts.fmt_range,
        perpetrators=translated(PERPETRATORS),
        phrase=perpetrator_phrase,
        lower_first=lowercase_first,
        operations=translated(OPERATION_TYPES),
        grades=translated(EVIDENCE_GRADES),
        kinds=translated(SOURCE_KINDS),
        number=locale.number,
        timeline=timeline_chart(processed)._repr_html_(),
        periods=period_rates(processed),
        pages=pages,
        sources=sources,
        build_date=build_date(),
        n_sources=len(sources),
        crosscheck=compare.crosscheck_counts(processed),
        crosscheck_page=next((href for href, _t in pages if "cross-source" in href), None),
    )


def translated(labels: dict) -> dict:
    """A vocabulary's labels in the active language."""
    return {code: i18n.active().gettext(label) for code, label in labels.items()}


# Source languages worth marking up: a title in another language than the page's gets a lang
# attribute, so screen readers pronounce it right (and tests know it is a quotation).
MARKED_LANGUAGES = ("en", "fr", "ar", "ru")


def foreign_language(language: object) -> str | None:
    """The BCP 47 code to put on a source's title, or None when it is the page's language."""
    code = str(language or "")
    if code in MARKED_LANGUAGES and code != i18n.active().lang:
        return code
    return None


def _missing(value: object) -> bool:
    if isinstance(value, (str, list, tuple, dict)):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


# What a source did about the perpetrator, as the appendix says it after the publisher's name.
ALLEGATION_PHRASES = {
    "alleges": N_("alleged"),
    "relays_party": N_("relayed a party's allegation:"),
    "denies": N_("denied (not counted):"),
    "names_none": N_("named no force"),
    "unknown": N_("not reached"),
}


def who_alleged_what(claims: pd.DataFrame, sources: pd.DataFrame) -> dict[str, list[dict]]:
    """Per incident, one entry per source: what it alleged about the perpetrator, and how that
    was established (read on the page, or from recorded wording)."""
    if "allegation" not in claims:
        return {}
    per = claims.drop_duplicates(["incident_id", "source_id"]).sort_values(
        ["incident_id", "is_party_claim", "publisher", "source_id"]
    )
    per = per[per["allegation"].notna()]
    meta = sources.set_index("source_id")
    locale = i18n.active()
    notes = locale.column(per, "date_note") if "date_note" in per else None
    out: dict[str, list[dict]] = {}
    for row, note in zip(
        per.to_dict("records"), notes if notes is not None else [None] * len(per), strict=True
    ):
        code = row["perpetrator"] if isinstance(row["perpetrator"], str) else None
        phrase = ALLEGATION_PHRASES.get(row["allegation"])
        out.setdefault(row["incident_id"], []).append(
            {
                "publisher": row["publisher"],
                "href": safe_url(meta["url"].get(row["source_id"])),
                "party": bool(row["is_party_claim"]),
                "phrase": _(phrase) if phrase else row["allegation"],
                # Inside a French sentence the label starts lower case ("a mis en cause :
                # forces maliennes avec Wagner"); English keeps its capitals.
                "force": lowercase_first(locale.label(PERPETRATORS, code)) if code else None,
                # The source's own words, quoted as recorded (from whichever copy was read, so
                # not always in the source's language: no lang attribute is guessed).
                "words": row["perpetrator_reported"]
                if isinstance(row["perpetrator_reported"], str)
                else None,
                "from_record": row["perpetrator_basis"] == "recorded_wording",
                "from_translation": row["perpetrator_basis"] == "translated_copy",
                "date_note": note if isinstance(note, str) else None,
            }
        )
    return out


def render_appendix(
    env: jinja2.Environment,
    processed_dir: Path,
    nav: list[dict],
    footer: dict,
    key: str | None = None,
) -> str:
    from analysis.report import appendix

    processed = data.load(processed_dir)
    inc = processed.incidents.sort_values(["date_start", "incident_id"])
    src = processed.sources.set_index("source_id")
    claims = appendix.claims_by_incident(processed.claims, processed.sources)
    corrections = appendix.corrections_by_incident(processed.extra.get("changelog"))
    alleged = who_alleged_what(processed.claims, processed.sources)
    locale = i18n.active()
    inc = inc.assign(description=locale.column(inc, "description"), place=locale.places(inc))
    rows = []
    for record in inc.to_dict("records"):
        # Empty cells arrive as NaN, which a template would print as "nan".
        row = {k: None if _missing(v) else v for k, v in record.items()}
        links = []
        for sid in row["source_ids"].split(";"):
            meta = src.loc[sid]
            links.append(
                {
                    "text": meta["publisher"],
                    "href": safe_url(meta["url"]),
                    "title": meta["title"],
                    "lang": foreign_language(meta["language"]),
                }
            )
        lo, hi = row["civilians_killed_min"], row["civilians_killed_max"]
        killed = "–" if pd.isna(lo) else charts.fmt_range(int(lo), int(hi))
        precision = DATE_PRECISION_NOTES.get(row["date_precision"])
        rows.append(
            {
                **row,
                "links": links,
                "killed": killed,
                "region_shown": region_name(row["region"]),
                "precision_note": _(precision) if precision else None,
                "alleged": alleged.get(row["incident_id"], []),
                "claims": claims.get(row["incident_id"], []),
                "corrections": corrections.get(row["incident_id"], []),
            }
        )
    return env.get_template("appendix.html.j2").render(
        options=appendix.filter_options(inc),
        regions={r: region_name(r) for r in inc["region"].unique()},
        sorts={value: _(label) for value, label in appendix.SORTS.items()},
        title=_("Incident appendix"),
        key=key or _key(processed_dir),
        nav=nav,
        current="appendix.html",
        footer=footer,
        rows=rows,
        fmt=charts.fmt_range,
        perpetrators=translated(PERPETRATORS),
        operations=translated(OPERATION_TYPES),
        grades=translated(EVIDENCE_GRADES),
    )


def methodology_file(root: Path, lang: str) -> Path:
    """METHODOLOGY.md in English, METHODOLOGY.fr.md in French (kept in step by a test)."""
    if lang == i18n.SOURCE_LANGUAGE:
        return root / "METHODOLOGY.md"
    return root / f"METHODOLOGY.{lang}.md"


def render_methodology(
    env: jinja2.Environment,
    processed_dir: Path,
    nav: list[dict],
    footer: dict,
    root: Path = paths.ROOT,
    key: str | None = None,
) -> str:
    import mistune

    text = methodology_file(root, i18n.active().lang).read_text(encoding="utf-8")
    body = mistune.create_markdown(escape=True, plugins=["table"])(text)
    return env.get_template("page.html.j2").render(
        title=_("Methodology"),
        body=body,
        key=key or _key(processed_dir),
        nav=nav,
        current="methodology.html",
        footer=footer,
    )
