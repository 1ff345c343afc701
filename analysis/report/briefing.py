"""The index page (a briefing for readers who open one page), the incident appendix and the
methodology page. Generated from the processed tables, not from notebooks, so every figure on
them comes from functions the tests reach.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import jinja2
import pandas as pd

from analysis import paths
from analysis.report import charts, data, metrics
from analysis.report.findings import perpetrator_phrase
from analysis.vocab import EVIDENCE_GRADES, OPERATION_TYPES, PERPETRATORS, SOURCE_KINDS

HEADLINE_GRADES = ("A", "B")
SAFE_SCHEMES = ("http://", "https://")


def safe_url(url: object) -> str | None:
    """Only http(s) links become links; anything else (javascript:, data:) is shown as text."""
    text = str(url or "").strip()
    return text if text.lower().startswith(SAFE_SCHEMES) else None


def build_date() -> str:
    """The date a reproducible build stands for: SOURCE_DATE_EPOCH (the last commit's time)."""
    return dt.datetime.fromtimestamp(paths.source_date_epoch(), dt.UTC).strftime("%Y-%m-%d")


def long_date(value: pd.Timestamp) -> str:
    """'6 March 2026': no zero padding, month in words (never ambiguous between locales)."""
    return f"{value.day} {value:%B %Y}"


def largest_incident(incidents: pd.DataFrame) -> dict | None:
    """The incident with the highest maximum of civilians reported killed (place, not names)."""
    known = incidents[incidents["civilians_killed_max"].notna()]
    if known.empty:
        return None
    top = known.sort_values(
        ["civilians_killed_max", "civilians_killed_min", "date_start", "incident_id"],
        ascending=[False, False, True, True],
    ).iloc[0]
    place = top["locality"] if isinstance(top["locality"], str) and top["locality"] else None
    region = top["region"] if isinstance(top["region"], str) else None
    return {
        "id": top["incident_id"],
        "date": long_date(top["date_start"]),
        "month": f"{top['date_start']:%B %Y}",
        "place": ", ".join(p for p in (place, f"{region} region" if region else None) if p)
        or "place not stated",
        "min": int(top["civilians_killed_min"]),
        "max": int(top["civilians_killed_max"]),
        "perpetrator": PERPETRATORS.get(top["perpetrator"], top["perpetrator"]),
        "operation": OPERATION_TYPES.get(top["operation_type"], top["operation_type"]),
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
        "peak": {"month": peak.strftime("%B %Y"), "min": peak_min, "max": peak_max},
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


def timeline_chart(processed: data.Processed, grades=HEADLINE_GRADES) -> charts.Chart:
    chosen = metrics.filter_grades(processed.incidents, grades)
    quarters = chosen.assign(month=chosen["date_start"].dt.to_period("Q").dt.to_timestamp())
    months = pd.date_range(quarters["month"].min(), quarters["month"].max(), freq="QS")
    quarterly = metrics.monthly_range(quarters, months=months)
    peak, peak_min, peak_max = metrics.peak_month(quarterly)
    label = f"Q{peak.quarter} {peak.year}"
    fig = charts.monthly_range_chart(
        quarterly,
        title=f"Reported civilian deaths peaked in {label}",
        ylabel="Civilians reported killed per quarter",
        xlabel="Quarter in which the incident started",
        bar_width=70,
        source="Source: project compilation of Human Rights Watch, Amnesty International, UN and "
        f"media reporting; incidents of evidence grades {' and '.join(grades)}. Solid: sum of the "
        "lowest figures reported; hatched: up to the sum of the highest.",
        events=processed.context_events,
    )
    other = quarterly.drop(index=peak)
    next_max = int(other["max"].max()) if len(other) else 0
    return charts.show(
        fig,
        alt=f"Reported civilian deaths peaked in {label}, with "
        f"{charts.fmt_range(peak_min, peak_max)} civilians reported killed; no other quarter "
        f"exceeds {next_max:,} (highest figures). Quarterly ranges from {quarterly.index.min():%Y} "
        f"to {quarterly.index.max():%Y}, with numbered context events.",
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
    sources = [
        {**row, "link": safe_url(row["url"])}
        for row in processed.sources.sort_values(["published", "source_id"]).to_dict("records")
    ]
    columns = {"min": "civilians_killed_min", "max": "civilians_killed_max"}
    tables = {
        "by_perpetrator": facts["by_perpetrator"].rename_axis("alleged_perpetrator_group"),
        "by_operation": facts["by_operation"].rename(index=OPERATION_TYPES),
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
        title="Briefing",
        key=key or _key(processed_dir),
        nav=nav,
        current="index.html",
        footer=footer,
        facts=facts,
        fmt=charts.fmt_range,
        perpetrators=PERPETRATORS,
        phrase=perpetrator_phrase,
        operations=OPERATION_TYPES,
        grades=EVIDENCE_GRADES,
        kinds=SOURCE_KINDS,
        timeline=timeline_chart(processed)._repr_html_(),
        pages=pages,
        sources=sources,
        build_date=build_date(),
        n_sources=len(sources),
    )


def _missing(value: object) -> bool:
    if isinstance(value, (str, list, tuple, dict)):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


ALLEGATION_PHRASES = {
    "alleges": "alleged",
    "relays_party": "relayed a party's allegation:",
    "denies": "denied (not counted):",
    "names_none": "named no force",
    "unknown": "not reached",
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
    urls = sources.set_index("source_id")["url"]
    out: dict[str, list[dict]] = {}
    for row in per.to_dict("records"):
        code = row["perpetrator"] if isinstance(row["perpetrator"], str) else None
        out.setdefault(row["incident_id"], []).append(
            {
                "publisher": row["publisher"],
                "href": safe_url(urls.get(row["source_id"])),
                "party": bool(row["is_party_claim"]),
                "phrase": ALLEGATION_PHRASES.get(row["allegation"], row["allegation"]),
                "force": PERPETRATORS.get(code) if code else None,
                "words": row["perpetrator_reported"]
                if isinstance(row["perpetrator_reported"], str)
                else None,
                "from_record": row["perpetrator_basis"] == "recorded_wording",
                "date_note": row["date_note"] if isinstance(row["date_note"], str) else None,
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
    rows = []
    for record in inc.to_dict("records"):
        # Empty cells arrive as NaN, which a template would print as "nan".
        row = {k: None if _missing(v) else v for k, v in record.items()}
        links = []
        for sid in row["source_ids"].split(";"):
            meta = src.loc[sid]
            links.append(
                {"text": meta["publisher"], "href": safe_url(meta["url"]), "title": meta["title"]}
            )
        lo, hi = row["civilians_killed_min"], row["civilians_killed_max"]
        killed = "–" if pd.isna(lo) else charts.fmt_range(int(lo), int(hi))
        rows.append(
            {
                **row,
                "links": links,
                "killed": killed,
                "alleged": alleged.get(row["incident_id"], []),
                "claims": claims.get(row["incident_id"], []),
                "corrections": corrections.get(row["incident_id"], []),
            }
        )
    script = appendix.script()
    return env.get_template("appendix.html.j2").render(
        script=script,
        script_hash=appendix.csp_hash(script),
        options=appendix.filter_options(inc),
        sorts=appendix.SORTS,
        title="Incident appendix",
        key=key or _key(processed_dir),
        nav=nav,
        current="appendix.html",
        footer=footer,
        rows=rows,
        fmt=charts.fmt_range,
        perpetrators=PERPETRATORS,
        operations=OPERATION_TYPES,
        grades=EVIDENCE_GRADES,
    )


def render_methodology(
    env: jinja2.Environment,
    processed_dir: Path,
    nav: list[dict],
    footer: dict,
    root: Path = paths.ROOT,
    key: str | None = None,
) -> str:
    import mistune

    text = (root / "METHODOLOGY.md").read_text(encoding="utf-8")
    body = mistune.create_markdown(escape=True, plugins=["table"])(text)
    return env.get_template("page.html.j2").render(
        title="Methodology",
        body=body,
        key=key or _key(processed_dir),
        nav=nav,
        current="methodology.html",
        footer=footer,
    )
