"""The tables and sentences the pages show, built from the processed tables.

Each function returns what one notebook cell displays: a table with its headings in the active
language (``analysis.report.i18n``), or a paragraph of HTML. Figures are formatted by the active
locale, ranges by ``charts.fmt_range``, and text from the data is escaped where it is put into
HTML (``charts.table_html`` escapes the tables).
"""

from __future__ import annotations

import html

import pandas as pd

from analysis.report import charts, i18n, metrics
from analysis.report.i18n import _
from analysis.vocab import (
    OUTCOMES,
    SOURCE_KINDS,
    TOTAL_MEASURES,
    TOTAL_SCOPE_KINDS,
    VICTIM_GROUPS,
)


def _paragraph(text: str, css: str | None = None) -> str:
    return f"<p class='{css}'>{text}</p>" if css else f"<p>{text}</p>"


def _ranges(low, high) -> list[str]:
    return [charts.fmt_range(a, b) for a, b in zip(low, high, strict=True)]


# --------------------------------------------------------------------------------------------
# Data quality and coverage
# --------------------------------------------------------------------------------------------


def validated_counts(manifest: dict) -> str:
    """The sentence saying how many rows of each table the build validated."""
    rows = {name: i18n.active().number(n) for name, n in manifest["rows"].items()}
    return _paragraph(
        _(
            "The build validated <strong>{incidents}</strong> incidents, <strong>{claims}"
            "</strong> casualty claims and <strong>{sources}</strong> published sources, with "
            "{events} context events and {totals} published period totals."
        ).format(
            incidents=rows["incidents"],
            claims=rows["claims"],
            sources=rows["sources"],
            events=rows["context_events"],
            totals=rows["published_totals"],
        )
    )


def quality_checks(incidents: pd.DataFrame) -> pd.DataFrame:
    """How many incidents each quality check flags."""
    flags = metrics.quality_flags(incidents)
    number = i18n.active().number
    return pd.DataFrame(
        {_("Check"): [_(label) for label in flags.index], _("Incidents"): map(number, flags)}
    )


def source_kinds(claims: pd.DataFrame) -> pd.DataFrame:
    """Kinds of source, most incidents first: incidents each kind supports, and its sources."""
    locale = i18n.active()
    kinds = (
        claims.drop_duplicates(["incident_id", "source_id"])
        .groupby("source_kind")
        .agg(incidents=("incident_id", "nunique"), sources=("source_id", "nunique"))
        .sort_values("incidents", ascending=False)
    )
    return pd.DataFrame(
        {
            _("Kind of source"): [locale.label(SOURCE_KINDS, k) for k in kinds.index],
            _("Incidents"): [locale.number(n) for n in kinds["incidents"]],
            _("Sources"): [locale.number(n) for n in kinds["sources"]],
        }
    )


def coverage_of_published(
    incidents: pd.DataFrame,
    published_totals: pd.DataFrame,
    claims: pd.DataFrame,
    sources: pd.DataFrame,
) -> pd.DataFrame:
    """Each published total beside the dataset's incidents in the same scope
    (``metrics.coverage_of_published``)."""
    locale = i18n.active()
    coverage = metrics.coverage_of_published(incidents, published_totals, claims)
    publisher = sources.set_index("source_id")["publisher"]

    def dataset_cell(row) -> str:
        if not row["compared"]:
            return "–"
        dataset_range = charts.fmt_range(row["dataset_min"], row["dataset_max"])
        return f"{dataset_range} ({locale.number(row['dataset_incidents'])})"

    return pd.DataFrame(
        {
            _("Published by"): coverage["source_id"].map(publisher),
            _("Period"): [
                _("{start} to {end}").format(start=locale.iso(a), end=locale.iso(b))
                for a, b in zip(coverage["period_start"], coverage["period_end"], strict=True)
            ],
            _("What the total covers"): [
                f"{locale.label(TOTAL_SCOPE_KINDS, kind)}{locale.punct(';')} {scope}"
                f"{locale.punct(';')} {area}"
                for kind, scope, area in zip(
                    coverage["scope_kind"],
                    locale.column(coverage, "perpetrator_scope"),
                    locale.column(coverage, "area"),
                    strict=True,
                )
            ],
            # A count of executions or violations says so; a count of people names group and
            # outcome.
            _("Measure"): [
                f"{locale.label(VICTIM_GROUPS, g)}, {locale.label(OUTCOMES, o).lower()}"
                if m in ("killings", "injured_or_missing")
                else locale.label(TOTAL_MEASURES, m)
                for g, o, m in zip(
                    coverage["victim_group"], coverage["outcome"], coverage["measure"], strict=True
                )
            ],
            _("Published figure"): _ranges(coverage["published_min"], coverage["published_max"]),
            _("Wording"): coverage["source_wording"],
            _("Compared with"): coverage["comparison"],
            _("Dataset (incidents)"): coverage.apply(dataset_cell, axis=1),
            _("Dataset minimum as share of published"): coverage["share_of_published_min"].map(
                lambda v: "–" if pd.isna(v) else locale.percent(v)
            )
            + coverage["share_note"].map(lambda n: f" ({n})" if n else ""),
        }
    )


def empty_months(incidents: pd.DataFrame) -> str:
    """The sentence counting the months without any incident in the dataset."""
    locale = i18n.active()
    monthly = metrics.monthly_range(incidents)
    empty = metrics.empty_months(monthly)
    return _paragraph(
        _(
            "{empty} of {months} months between {first} and {last} hold no incident in the dataset."
        ).format(
            empty=locale.number(len(empty)),
            months=locale.number(len(monthly)),
            first=locale.month(monthly.index.min()),
            last=locale.month(monthly.index.max()),
        )
    )


def export_files(manifest: dict, unclassified: pd.DataFrame | None) -> list[str]:
    """What was read from third-party exports, as HTML blocks: the files with their rows read,
    kept and rejected; the files not read, with the reason; the actor strings no rule
    classifies; the events whose fatalities differ between downloads."""
    locale = i18n.active()
    export_meta = manifest.get("exports", {})
    skipped = manifest.get("exports_skipped", [])
    revisions = manifest.get("exports_revisions", [])
    if not export_meta and not skipped:
        return [
            _paragraph(_("No ACLED or UCDP file was present when this report was built."), "note")
        ]
    files = pd.DataFrame(
        [
            [
                name,
                meta.get("layout_label", meta["columns_layout"]),
                locale.number(meta["rows_read"]),
                locale.number(meta["rows_kept"]),
                locale.number(meta["rows_rejected"]),
            ]
            for name, meta in sorted(export_meta.items())
        ],
        columns=[_("File"), _("Read as"), _("Rows read"), _("Kept"), _("Rejected")],
    )
    blocks = [charts.table_html(files)]
    if skipped:
        blocks.append("<p><strong>" + _("Files not read:") + "</strong></p>")
        blocks.append(
            charts.table_html(
                pd.DataFrame(skipped).rename(columns={"file": _("File"), "reason": _("Reason")})
            )
        )
    if unclassified is not None and len(unclassified):
        blocks.append(
            _paragraph(
                _(
                    "<strong>{n} actor string(s) no rule classifies</strong> (not counted as "
                    "Malian forces):"
                ).format(n=locale.number(unclassified["actor"].nunique()))
            )
        )
        table = unclassified.rename(
            columns={
                "actor": _("Actor string"),
                "dataset": _("Dataset"),
                "file": _("File"),
                "column": _("Column"),
                "events": _("Events"),
                "fatalities": _("Fatalities (all actors)"),
            }
        )
        blocks.append(charts.table_html(table))
    else:
        blocks.append(
            _paragraph(_("Every actor string that names the Malian state is classified."))
        )
    militia = sum(int(meta.get("rows_militia_only", 0)) for meta in export_meta.values())
    if militia:
        blocks.append(
            _paragraph(
                i18n.ngettext(
                    "{n} event harming civilians was led by a militia with no Malian state force "
                    "associated: not counted (the record has no code for a militia alone).",
                    "{n} events harming civilians were led by a militia with no Malian state "
                    "force associated: not counted (the record has no code for a militia alone).",
                    militia,
                ).format(n=locale.number(militia))
            )
        )
    foreign = [
        {**row, "file": name}
        for name, meta in sorted(export_meta.items())
        for row in meta.get("foreign_led", [])
    ]
    if foreign:
        blocks.append(
            _paragraph(
                i18n.ngettext(
                    "<strong>{n} event led by foreign forces with the Malian army "
                    "associated</strong> (not counted as a Malian operation):",
                    "<strong>{n} events led by foreign forces with the Malian army "
                    "associated</strong> (not counted as Malian operations):",
                    len(foreign),
                ).format(n=locale.number(len(foreign)))
            )
        )
        frame = pd.DataFrame(foreign)
        blocks.append(
            charts.table_html(
                pd.DataFrame(
                    {
                        _("File"): frame["file"],
                        _("Event"): frame["event_id"],
                        _("Date"): frame["date"],
                        _("Lead actor"): frame["actor1"],
                        _("Associated actors"): frame["assoc_actor_1"],
                        _("Fatalities (all actors)"): [
                            locale.number(n) for n in frame["fatalities"]
                        ],
                    }
                )
            )
        )
    if revisions:
        blocks.append(
            _paragraph(
                _(
                    "<strong>Events whose fatalities differ between downloads</strong> (the kept "
                    "row is ACLED's latest edit or UCDP's latest release):"
                )
            )
        )
        blocks.append(charts.table_html(pd.DataFrame(revisions)))
    return blocks


# --------------------------------------------------------------------------------------------
# Casualties over time
# --------------------------------------------------------------------------------------------


def widest_disagreement(incidents: pd.DataFrame, claims: pd.DataFrame) -> str:
    """The incident whose sources disagree most: its range, then what each source claimed and
    whether the claim counts towards the range."""
    locale = i18n.active()
    widest, its_claims = metrics.widest_disagreement(incidents, claims)
    table = pd.DataFrame(
        {
            _("Source"): its_claims["publisher"],
            _("Their words"): its_claims["source_wording"],
            _("Recorded as"): [
                charts.fmt_range(int(a), int(b))
                for a, b in zip(its_claims["count_min"], its_claims["count_max"], strict=True)
            ],
            # The range rule: a party's claim counts only where no independent source gave one.
            _("Counts towards the range"): its_claims["counts_towards_range"].map(
                {
                    True: _("yes"),
                    False: _("no: a party to the conflict, and independent figures exist"),
                }
            ),
        }
    )
    widest_range = charts.fmt_range(
        int(widest["civilians_killed_min"]), int(widest["civilians_killed_max"])
    )
    place = locale.places(widest.to_frame().T).iloc[0] or widest["incident_id"]
    sentence = _("{place}, {month}: the incident range is {range} civilians killed.").format(
        place=html.escape(str(place)), month=locale.month(widest["date_start"]), range=widest_range
    )
    return _paragraph(sentence) + charts.table_html(table)


def yearly_ranges(incidents: pd.DataFrame) -> pd.DataFrame:
    """Incidents per year with the civilians, and the children, reported killed as ranges."""
    yearly = metrics.yearly_range(incidents)
    return pd.DataFrame(
        {
            _("Year"): yearly.index,
            _("Incidents"): [i18n.active().number(n) for n in yearly["incidents"]],
            _("Civilians reported killed"): _ranges(yearly["killed_min"], yearly["killed_max"]),
            _("of whom children (where stated)"): _ranges(
                yearly["children_min"], yearly["children_max"]
            ),
        }
    )


def context_events(events: pd.DataFrame, first_month: pd.Timestamp) -> pd.DataFrame:
    """The context events in date order, with the number each carries on the time charts
    ("–" for events before ``first_month``, which the charts do not show)."""
    locale = i18n.active()
    numbered = events.merge(
        charts.number_events(events, first_month)[["event_id", "number"]],
        on="event_id",
        how="left",
    ).sort_values("date")
    return pd.DataFrame(
        {
            _("No."): numbered["number"].map(lambda n: "–" if pd.isna(n) else str(int(n))),
            _("Date"): numbered["date"].map(locale.iso),
            _("Event"): locale.column(numbered, "label"),
            _("What happened"): locale.column(numbered, "description"),
        }
    )


# --------------------------------------------------------------------------------------------
# Geography
# --------------------------------------------------------------------------------------------


def region_labels(regions) -> dict[str, str]:
    """Region names are place names; only "Not stated" is a word to translate."""
    return {r: _(r) if r == "Not stated" else r for r in regions}


def incidents_by_region_and_year(incidents: pd.DataFrame) -> pd.DataFrame:
    """Incidents per region (rows) and year (columns), with totals."""
    labels = region_labels(incidents["region"].unique())
    table = pd.crosstab(incidents["region"], incidents["year"], margins=True, margins_name="All")
    table.columns.name = None
    table = table.rename(index=labels | {"All": _("All")}, columns={"All": _("All")})
    return table.reset_index(names=_("Region"))
