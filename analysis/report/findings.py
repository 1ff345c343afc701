"""Chart titles and alt texts that state a finding, computed from the data they describe.

A title written by hand in a notebook goes stale the day the data changes; these read the same
tables the chart draws, so the sentence and the bars cannot disagree. Sentences are messages of
the catalogue and figures are formatted in the active language (``analysis.report.i18n``).
"""

from __future__ import annotations

import pandas as pd

from analysis.report import i18n, metrics, periods
from analysis.report.i18n import N_, _
from analysis.vocab import HEADLINE_GRADES, OPERATION_TYPES


def share_text(part: float, whole: float) -> str:
    return i18n.active().percent(part / whole if whole else 0)


def grades_title(by_grade: pd.Series) -> str:
    """e.g. '85% of incidents rest on human-rights, UN or wire reporting (grades A and B)'."""
    documented = sum(int(by_grade.get(grade, 0)) for grade in HEADLINE_GRADES)
    share = share_text(documented, int(by_grade.sum()))
    return _(
        "{share} of incidents rest on human-rights, UN or wire reporting (grades A and B)"
    ).format(share=share)


def operations_title(by_type: pd.DataFrame, incidents: pd.DataFrame) -> str:
    """The most frequent type of operation, and when the first drone strike was recorded."""
    locale = i18n.active()
    totals = by_type.sum()
    top = totals.idxmax()
    title = _("Most frequent: {operation} ({n} of {total})").format(
        operation=locale.label(OPERATION_TYPES, top).lower(),
        n=locale.number(totals[top]),
        total=locale.number(totals.sum()),
    )
    drones = incidents.loc[incidents["operation_type"] == "drone_strike", "date_start"]
    if len(drones):
        title += (
            locale.punct(";")
            + " "
            + _("first drone strike {month}").format(month=locale.month_short(drones.min()))
        )
    return title


def operations_alt(by_type: pd.DataFrame) -> str:
    locale = i18n.active()
    totals = by_type.sum().sort_values(ascending=False)
    parts = ", ".join(
        f"{locale.label(OPERATION_TYPES, k).lower()} {locale.number(v)}"
        for k, v in totals.items()
        if v
    )
    return _("Incidents per quarter by type of operation. Totals: {parts}.").format(parts=parts)


# Perpetrator groups (analysis.vocab.PERPETRATOR_GROUPS) as a reader would say them in a
# sentence; each is a message of the catalogue.
PERPETRATOR_PHRASES = {
    "Malian forces alone": N_("Malian forces alone"),
    "With Russian forces (Wagner / Africa Corps)": N_(
        "Malian forces with Russian forces (Wagner / Africa Corps)"
    ),
    "With Dozo militia": N_("Malian forces with Dozo militia"),
    "With another allied militia": N_("Malian forces with another allied militia"),
    "Unidentified state-aligned": N_("Unidentified state-aligned forces"),
}


def perpetrator_phrase(group: str) -> str:
    """A perpetrator group as a reader would say it: 'Malian forces with Dozo militia'."""
    if group in PERPETRATOR_PHRASES:
        return _(PERPETRATOR_PHRASES[group])
    if group.startswith("With "):
        return "Malian forces with " + group[len("With ") :]
    if group.lower().startswith("unidentified"):
        return f"{group} forces"
    return group


def perpetrators_title(incidents: pd.DataFrame) -> str:
    """The alleged perpetrator group named in the most incidents, with its share."""
    counts = incidents["perpetrator_group"].value_counts()
    top = counts.index[0]
    share = share_text(int(counts.iloc[0]), int(counts.sum()))
    return _("{share} of incidents are alleged against {perpetrator}").format(
        share=share, perpetrator=lowercase_first(perpetrator_phrase(top))
    )


def perpetrators_alt(incidents: pd.DataFrame) -> str:
    counts = incidents["perpetrator_group"].value_counts()
    parts = (i18n.active().punct(";") + " ").join(
        f"{perpetrator_phrase(g)} {share_text(int(n), int(counts.sum()))}"
        for g, n in counts.items()
    )
    return _(
        "Incidents per quarter by alleged perpetrator. Shares of all incidents: {parts}."
    ).format(parts=parts)


def lowercase_first(phrase: str) -> str:
    """'Forces maliennes seules' -> 'forces maliennes seules' inside a French sentence; English
    keeps its capitals ('Malian forces')."""
    if i18n.active().lang == "fr" and phrase[:1].isupper() and not phrase[1:2].isupper():
        return phrase[:1].lower() + phrase[1:]
    return phrase


# -- Before and after Wagner (analysis.report.periods) ----------------------------------------

# How the per-month rate moved between two periods; the verdict follows from the ranges alone
# (periods.change), so a sentence never claims more than the lowest and highest readings allow.
RATE_SENTENCES = {
    "rose": N_(
        "The per-month rate of civilians reported killed was {first_rate} {first_when} and "
        "{second_rate} {second_when}: higher even when the lowest reading of the second is set "
        "against the highest of the first."
    ),
    "fell": N_(
        "The per-month rate of civilians reported killed was {first_rate} {first_when} and "
        "{second_rate} {second_when}: lower even when the highest reading of the second is set "
        "against the lowest of the first."
    ),
    "overlap": N_(
        "The per-month rate of civilians reported killed was {first_rate} {first_when} and "
        "{second_rate} {second_when}: the two ranges overlap, so these figures cannot say "
        "whether the rate rose or fell."
    ),
}


def period_phrase(key: str) -> str:
    return _(periods.PERIOD_PHRASES[key])


def rate_comparison(table: pd.DataFrame, first: str, second: str) -> str:
    """One sentence comparing the per-month rates of two periods of ``periods.period_table``:
    rose, fell, or overlapping ranges."""
    locale = i18n.active()
    a, b = table.loc[first], table.loc[second]
    verdict = periods.change((a["rate_min"], a["rate_max"]), (b["rate_min"], b["rate_max"]))
    return _(RATE_SENTENCES[verdict]).format(
        first_rate=locale.decimal_range(a["rate_min"], a["rate_max"]),
        first_when=period_phrase(first),
        second_rate=locale.decimal_range(b["rate_min"], b["rate_max"]),
        second_when=period_phrase(second),
    )


RATE_TITLES = {
    "rose": N_("The per-month rate {second_when} is above the rate {first_when} at every reading"),
    "fell": N_("The per-month rate {second_when} is below the rate {first_when} at every reading"),
    "overlap": N_("The per-month rates {first_when} and {second_when} overlap"),
}


def rate_ratio_sentence(table: pd.DataFrame, first: str, second: str) -> str | None:
    """'By how much': the second period's per-month rate as a multiple of the first's, a range
    from the least to the most favourable pairing of their readings (None when the first
    period's lowest rate is zero)."""
    a, b = table.loc[first], table.loc[second]
    ratio = periods.ratio_range((a["rate_min"], a["rate_max"]), (b["rate_min"], b["rate_max"]))
    if ratio is None:
        return None
    locale = i18n.active()
    return _(
        "Set against each other, the per-month rate {second_when} is {ratio} times the rate "
        "{first_when} (lowest against highest reading, and highest against lowest)."
    ).format(
        second_when=period_phrase(second),
        first_when=period_phrase(first),
        ratio=locale.decimal_range(*ratio),
    )


def rate_title(table: pd.DataFrame, first: str, second: str) -> str:
    """A chart title stating how the per-month rate moved between two periods."""
    a, b = table.loc[first], table.loc[second]
    verdict = periods.change((a["rate_min"], a["rate_max"]), (b["rate_min"], b["rate_max"]))
    return _(RATE_TITLES[verdict]).format(
        first_when=period_phrase(first), second_when=period_phrase(second)
    )


def incidents_comparison(table: pd.DataFrame, first: str, second: str) -> str:
    """Incidents recorded per month in two periods, with the counts and lengths behind them."""
    locale = i18n.active()
    a, b = table.loc[first], table.loc[second]
    return _(
        "The record holds {first_n} incidents over {first_months} months {first_when} "
        "({first_rate} a month) and {second_n} over {second_months} months {second_when} "
        "({second_rate} a month)."
    ).format(
        first_n=locale.number(a["incidents"]),
        first_months=locale.decimal(a["months"]),
        first_when=period_phrase(first),
        first_rate=locale.decimal(a["incidents_per_month"]),
        second_n=locale.number(b["incidents"]),
        second_months=locale.decimal(b["months"]),
        second_when=period_phrase(second),
        second_rate=locale.decimal(b["incidents_per_month"]),
    )


def coverage_comparison(table: pd.DataFrame, keys: list[str]) -> str:
    """The share of incidents with a UN or human-rights-organisation source, period by period."""
    locale = i18n.active()
    parts = []
    for key in keys:
        row = table.loc[key]
        if row["incidents"]:
            parts.append(
                _("{share} {when} ({n} of {total})").format(
                    share=locale.percent(row["coverage"]),
                    when=period_phrase(key),
                    n=locale.number(row["documented"]),
                    total=locale.number(row["incidents"]),
                )
            )
        else:
            parts.append(_("no incident recorded {when}").format(when=period_phrase(key)))
    return _(
        "Incidents with a UN or human-rights-organisation source among their sources: {parts}."
    ).format(parts=locale.join(parts))


def first_drone_sentence(table: pd.DataFrame) -> str:
    """When the first drone strike was recorded, and in which period."""
    dated = table["first_drone"].dropna()
    if dated.empty:
        return _("No drone strike is recorded in any period.")
    key = dated.idxmin()
    return _("The first drone strike in the record dates from {date}, {when}.").format(
        date=i18n.active().date(dated.min()), when=period_phrase(key)
    )


# One title and one alt text per grouping: the words around the name differ per language and
# kind of group.
_LEADER_SENTENCES = {
    "operation_type": (
        N_("{name}: {range} civilians reported killed, the most of any type of operation"),
        N_(
            "By type of operation, {name} accounts for the most civilians reported killed: "
            "{range}, {share} of the lowest total."
        ),
    ),
    "perpetrator_group": (
        N_("{name}: {range} civilians reported killed, the most of any alleged perpetrator"),
        N_(
            "By alleged perpetrator, {name} accounts for the most civilians reported killed: "
            "{range}, {share} of the lowest total."
        ),
    ),
}


def range_leader(table: pd.DataFrame, column: str, labels: dict[str, str]) -> tuple[str, str]:
    """Title and alt text naming the group with the most civilians reported killed in a
    ``metrics.range_by`` table (sorted, largest first), with its range and share of the total."""
    locale = i18n.active()
    top = table.index[0]
    name = labels.get(top, top)
    top_range = locale.range(int(table["min"].iloc[0]), int(table["max"].iloc[0]))
    share = locale.percent(table["min"].iloc[0] / max(1, table["min"].sum()))
    title, alt = _LEADER_SENTENCES[column]
    return (
        _(title).format(name=name, range=top_range),
        _(alt).format(name=name, range=top_range, share=share),
    )


def grades_alt(by_year_grade: pd.DataFrame) -> str:
    """Alt text of the incidents-per-year-by-grade chart: the busiest year, each grade's total."""
    locale = i18n.active()
    totals = by_year_grade.sum()
    return _(
        "Incidents per year by evidence grade; {year} holds the most incidents. "
        "Grades: A {a}, B {b}, C {c}."
    ).format(
        year=by_year_grade.sum(axis=1).idxmax().year,
        a=locale.number(totals["A"]),
        b=locale.number(totals["B"]),
        c=locale.number(totals["C"]),
    )


def monthly_peak(monthly: pd.DataFrame, total: dict[str, int]) -> tuple[str, str]:
    """Title and alt text of the monthly chart: the peak month, its range and the whole
    period's (``metrics.range_total``)."""
    locale = i18n.active()
    peak, peak_min, peak_max = metrics.peak_month(monthly)
    title = _("Reported civilian deaths peaked in {month}").format(month=locale.month(peak))
    alt = _(
        "Reported civilian deaths peaked in {month} with {peak} civilians reported killed that "
        "month; over the whole period sources reported {total}. Monthly ranges with numbered "
        "context events."
    ).format(
        month=locale.month(peak),
        peak=locale.range(peak_min, peak_max),
        total=locale.range(total["min"], total["max"]),
    )
    return title, alt


def cumulative_total(monthly: pd.DataFrame, cumulative: pd.DataFrame) -> tuple[str, str]:
    """Title and alt text of the cumulative band: where it ends, over which months."""
    locale = i18n.active()
    end = cumulative.iloc[-1]
    end_range = locale.range(int(end["min"]), int(end["max"]))
    title = _("Reported civilian deaths add up to {range}").format(range=end_range)
    alt = _(
        "Reported civilian deaths add up to {range} between {first} and {last}; the band is "
        "widest after the step of {peak}."
    ).format(
        range=end_range,
        first=locale.month(monthly.index.min()),
        last=locale.month(monthly.index.max()),
        peak=locale.month(metrics.peak_month(monthly)[0]),
    )
    return title, alt


def region_map(placed: pd.DataFrame) -> tuple[str, str]:
    """Title and alt text of the map: the region with the most civilians reported killed
    (``placed``: ``metrics.range_by(..., "region")`` without "Not stated", largest first)."""
    top = placed.index[0]
    top_range = i18n.active().range(int(placed.loc[top, "min"]), int(placed.loc[top, "max"]))
    title = _("Most civilians were reported killed in {region} region").format(region=top)
    alt = _(
        "Map of Mali with one circle per region; {region} has the largest, with {range} "
        "civilians reported killed."
    ).format(region=top, range=top_range)
    return title, alt


def region_ranking(placed: pd.DataFrame) -> tuple[str, str]:
    """Title and alt text of the bars by region: the first region, its range, and the second."""
    top, second = placed.index[0], placed.index[1]
    top_range = i18n.active().range(int(placed.loc[top, "min"]), int(placed.loc[top, "max"]))
    title = _("{region} leads, ahead of {second}").format(region=top, second=second)
    alt = _(
        "{region} region leads with {range} civilians reported killed, ahead of {second}; "
        "ranges by region, grades A and B."
    ).format(region=top, range=top_range, second=second)
    return title, alt
