"""The house chart style and the chart functions every notebook uses.

Principles: the title states the finding; every count is drawn as a range (a solid part for the
minimum and a hatched part up to the maximum, or a band); context events are labelled markers;
colours come from the Okabe-Ito palette (safe for colour-blind readers) and each series also has a
hatch or line style, so a greyscale print still separates them; a source line sits under each
chart. ``show`` embeds the figure as an SVG image with alt text that states the finding.
"""

from __future__ import annotations

import base64
import html
import io
import re
import textwrap
import urllib.parse
from collections.abc import Sequence

import matplotlib

matplotlib.use("agg")
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from analysis.report import i18n
from analysis.report.i18n import _, ngettext

# Okabe-Ito, reordered so neighbouring series differ in lightness too.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
HATCHES = ["", "//", "..", "xx", "\\\\", "oo", "--", "++"]
RANGE_COLOUR = "#0072B2"
WIDTH = 9.0


SOURCE_WRAP = 140  # characters per line of the source line and the event key (fontsize 8)
KEY_COLUMNS = 3
MARKER_GAP_PX = 19  # minimum horizontal distance between two event markers in one row
MARKER_ROW_PT = 14  # vertical step between rows of event markers


def _lowest(fig: Figure, artists: Sequence) -> float:
    """The lowest y (figure fraction) reached by ``artists`` (axes with legends, or texts)."""
    renderer = fig.canvas.get_renderer()
    to_figure = fig.transFigure.inverted()
    bottoms = []
    for artist in artists:
        box = artist.get_tightbbox(renderer) if isinstance(artist, plt.Axes) else None
        if box is None:
            box = artist.get_window_extent(renderer)
        bottoms.append(to_figure.transform(box.p0)[1])
    return min(bottoms)


def _finish(fig: Figure, source: str, key: Sequence[str] = ()) -> Figure:
    """Add the event key (if any) and then the source line below everything else drawn."""
    bottom = _lowest(fig, fig.axes)
    if key:
        header = fig.text(
            0.0,
            bottom - 0.02,
            _("Context events (numbered dotted lines):"),
            ha="left",
            va="top",
            fontsize=8,
            fontweight="bold",
            color="#333333",
        )
        below = _lowest(fig, [header])
        per_column = -(-len(key) // KEY_COLUMNS)
        columns = []
        for c in range(KEY_COLUMNS):
            lines = key[c * per_column : (c + 1) * per_column]
            if lines:
                columns.append(
                    fig.text(
                        c / KEY_COLUMNS,
                        below - 0.005,
                        "\n".join(lines),
                        ha="left",
                        va="top",
                        fontsize=7.5,
                        color="#333333",
                        linespacing=1.35,
                    )
                )
        bottom = _lowest(fig, columns)
    fig.text(
        0.0,
        bottom - 0.02,
        "\n".join(textwrap.wrap(source, SOURCE_WRAP)),
        ha="left",
        va="top",
        fontsize=8,
        color="#444444",
    )
    return fig


def _month_axis(ax: plt.Axes, xlabel: str | None = None) -> None:
    ax.xaxis.set_major_locator(mdates.YearLocator())
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    ax.xaxis.set_minor_locator(mdates.MonthLocator(bymonth=(4, 7, 10)))
    if xlabel:
        ax.set_xlabel(xlabel)


def number_events(events: pd.DataFrame, start=None) -> pd.DataFrame:
    """Context events from ``start`` on, in date order, numbered from 1.

    Every time chart starts with the first incident's month or quarter, so the same event gets
    the same number on every chart and in the events table of the casualties page.
    """
    chosen = events if start is None else events[events["date"] >= start]
    # Labels in the edition's language (context_events.csv has label_fr beside label).
    chosen = chosen.assign(label=i18n.active().column(chosen, "label"))
    ordered = chosen.sort_values(["date", "label"], kind="stable").reset_index(drop=True)
    return ordered.assign(number=range(1, len(ordered) + 1))


def annotate_events(ax: plt.Axes, events: pd.DataFrame, start, end) -> list[str]:
    """Dotted vertical lines topped by numbered markers for the events inside the x-range.

    Markers closer than ``MARKER_GAP_PX`` go to the next row down, so close events never
    overlap. Returns the key lines ("3  Wagner arrives (Dec 2021)") for ``_finish``.
    """
    numbered = number_events(events, start)
    inside = numbered[numbered["date"] <= end]
    to_pixels = ax.transData.transform
    row_ends: list[float] = []
    key = []
    for event in inside.itertuples(index=False):
        x = to_pixels((mdates.date2num(event.date), 0))[0]
        row = next((r for r, last in enumerate(row_ends) if x - last >= MARKER_GAP_PX), None)
        if row is None:
            row = len(row_ends)
            row_ends.append(x)
        row_ends[row] = x
        ax.axvline(event.date, color="#555555", linestyle=":", linewidth=0.9, zorder=0)
        ax.annotate(
            str(event.number),
            xy=(event.date, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(0, -3 - MARKER_ROW_PT * row),
            textcoords="offset points",
            ha="center",
            va="top",
            fontsize=7,
            fontweight="bold",
            color="#222222",
            bbox={"boxstyle": "circle,pad=0.22", "facecolor": "white", "edgecolor": "#555555"},
            zorder=5,
        )
        when = i18n.active().month_short(event.date)
        key.append(f"{event.number:>2}  {event.label} ({when})")
    return key


def monthly_range_chart(
    monthly: pd.DataFrame,
    title: str,
    ylabel: str,
    source: str,
    events: pd.DataFrame | None = None,
    subset: pd.DataFrame | None = None,
    subset_label: str | None = None,
    xlabel: str | None = None,
    bar_width: float = 24,
) -> Figure:
    """Bars per period: solid up to the minimum, hatched from minimum to maximum."""
    subset_label = subset_label or _("of whom children (minimum)")
    xlabel = xlabel or _("Month of incident")
    fig, ax = plt.subplots(figsize=(WIDTH, 4.4))
    x = monthly.index
    width = bar_width
    ax.bar(x, monthly["min"], width=width, color=RANGE_COLOUR, label=_("Minimum reported"))
    ax.bar(
        x,
        monthly["max"] - monthly["min"],
        bottom=monthly["min"],
        width=width,
        color="white",
        edgecolor=RANGE_COLOUR,
        hatch="////",
        linewidth=0.6,
        label=_("Up to the maximum reported"),
    )
    if subset is not None:
        ax.scatter(
            subset.index[subset["min"] > 0],
            subset.loc[subset["min"] > 0, "min"],
            marker="D",
            s=18,
            color="#D55E00",
            zorder=3,
            label=subset_label,
        )
    handles, names = ax.get_legend_handles_labels()
    order = sorted(range(len(names)), key=lambda i: names[i] == subset_label)
    ax.set_ylim(0, max(1, monthly["max"].max()) * 1.35)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    _month_axis(ax, xlabel)
    key = []
    if events is not None:
        ax.autoscale_view()
        key = annotate_events(ax, events, x.min(), x.max() + pd.offsets.MonthEnd(1))
    ax.legend(
        [handles[i] for i in order],
        [names[i] for i in order],
        loc="upper left",
        bbox_to_anchor=(0, -0.16),
        ncol=3,
    )
    return _finish(fig, source, key)


def cumulative_band_chart(
    cumulative: pd.DataFrame,
    title: str,
    ylabel: str,
    source: str,
    events: pd.DataFrame | None = None,
    xlabel: str | None = None,
) -> Figure:
    """Cumulative total as a band between the running sums of minimums and maximums."""
    xlabel = xlabel or _("Month of incident")
    fig, ax = plt.subplots(figsize=(WIDTH, 4.2))
    x = cumulative.index
    ax.fill_between(
        x,
        cumulative["min"],
        cumulative["max"],
        step="post",
        color=RANGE_COLOUR,
        alpha=0.25,
        hatch="///",
        edgecolor=RANGE_COLOUR,
        linewidth=0,
        label=_("Range (minimum to maximum)"),
    )
    ax.step(
        x,
        cumulative["min"],
        where="post",
        color=RANGE_COLOUR,
        linewidth=1.6,
        label=_("Running minimum"),
    )
    ax.step(
        x,
        cumulative["max"],
        where="post",
        color=RANGE_COLOUR,
        linewidth=1.0,
        linestyle="--",
        label=_("Running maximum"),
    )
    headroom = 1.15 if events is None else 1.4  # room for the event markers
    ax.set_ylim(0, max(1, cumulative["max"].max()) * headroom)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    _month_axis(ax, xlabel)
    key = []
    if events is not None:
        ax.autoscale_view()
        key = annotate_events(ax, events, x.min(), x.max() + pd.offsets.MonthEnd(1))
    ax.legend(loc="upper left", bbox_to_anchor=(0, -0.16), ncol=3)
    return _finish(fig, source, key)


def stacked_counts_chart(
    counts: pd.DataFrame,
    labels: dict[str, str],
    title: str,
    ylabel: str,
    source: str,
    events: pd.DataFrame | None = None,
    xlabel: str | None = None,
    bar_width: float | None = None,
) -> Figure:
    """Stacked bars of incidents per period and category, each with colour and hatch."""
    xlabel = xlabel or _("Date of incident")
    fig, ax = plt.subplots(figsize=(WIDTH, 4.2))
    bottom = pd.Series(0, index=counts.index)
    shown = [c for c in counts.columns if counts[c].sum() > 0]
    for i, column in enumerate(shown):
        ax.bar(
            counts.index,
            counts[column],
            bottom=bottom,
            width=bar_width or (24 if len(counts) > 30 else 70),
            color=PALETTE[i % len(PALETTE)],
            hatch=HATCHES[i % len(HATCHES)],
            edgecolor="white",
            linewidth=0.4,
            label=labels.get(column, column),
        )
        bottom = bottom + counts[column]
    ax.set_ylim(0, max(1, bottom.max()) * 1.35)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    _month_axis(ax, xlabel)
    key = []
    if events is not None:
        ax.autoscale_view()
        key = annotate_events(ax, events, counts.index.min(), counts.index.max())
    ax.legend(loc="upper left", bbox_to_anchor=(0, -0.16), ncol=2)
    return _finish(fig, source, key)


def range_bars_chart(
    table: pd.DataFrame, title: str, xlabel: str, source: str, labels: dict | None = None
) -> Figure:
    """Horizontal bars per category: solid to the minimum, hatched to the maximum."""
    table = table.iloc[::-1]
    names = [labels.get(i, i) if labels else i for i in table.index]
    fig, ax = plt.subplots(figsize=(WIDTH, 0.45 * len(table) + 1.4))
    ax.barh(names, table["min"], color=RANGE_COLOUR, label=_("Minimum reported"))
    ax.barh(
        names,
        table["max"] - table["min"],
        left=table["min"],
        color="white",
        edgecolor=RANGE_COLOUR,
        hatch="////",
        linewidth=0.6,
        label=_("Up to the maximum reported"),
    )
    for y, (lo, hi, n) in enumerate(
        zip(table["min"], table["max"], table["incidents"], strict=True)
    ):
        count = ngettext("{n} incident", "{n} incidents", int(n)).format(n=n)
        ax.text(hi, y, f" {fmt_range(lo, hi)}  ({count})", va="center", fontsize=8)
    ax.set_xlim(0, max(1, table["max"].max()) * 1.3)
    ax.grid(axis="x")
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.legend(loc="lower right", ncol=1)
    return _finish(fig, source)


def map_chart(
    outline: pd.DataFrame,
    places: pd.DataFrame,
    title: str,
    source: str,
    size_column: str = "max",
) -> Figure:
    """Mali's outline with one circle per place: a light circle whose area is proportional to
    the maximum and a solid one inside for the minimum, so the range reads at a glance."""
    fig, ax = plt.subplots(figsize=(7.5, 7.0))
    for _ring_id, ring in outline.groupby("ring"):
        ax.fill(ring["lon"], ring["lat"], facecolor="#f2f2f2", edgecolor="#555555", linewidth=0.8)
    scale = 900 / max(1, places[size_column].max())
    outer = places[size_column].clip(lower=1) * scale
    ax.scatter(
        places["lon"],
        places["lat"],
        s=outer,
        facecolor="white",
        hatch="////",
        edgecolor=RANGE_COLOUR,
        linewidth=0.8,
        zorder=3,
        label=_("Highest figure reported (area)"),
    )
    if "min" in places and size_column == "max":
        ax.scatter(
            places["lon"],
            places["lat"],
            s=places["min"].clip(lower=1) * scale,
            color=RANGE_COLOUR,
            edgecolor="#003f63",
            linewidth=0.6,
            zorder=4,
            label=_("Lowest figure reported (area)"),
        )
    ax.set_aspect("equal")
    ax.set_axis_off()
    renderer = fig.canvas.get_renderer()
    placed: list = []
    # Largest places first keep their label below the circle; a label that would overlap one
    # already placed moves above its circle instead.
    order = sorted(range(len(places)), key=lambda i: (-float(outer.iloc[i]), i))
    for i in order:
        row = places.iloc[i]
        radius = float(outer.iloc[i]) ** 0.5 / 2
        for above in (False, True):
            label = ax.annotate(
                f"{row['name']}\n{row['label']}",
                (row["lon"], row["lat"]),
                fontsize=7.5,
                ha="center",
                va="bottom" if above else "top",
                xytext=(0, radius + 2 if above else -radius - 2),
                textcoords="offset points",
                zorder=5,
                bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.7, "pad": 0.3},
            )
            box = label.get_window_extent(renderer)
            if above or not any(box.overlaps(other) for other in placed):
                placed.append(box)
                break
            label.remove()
    ax.legend(loc="upper left", bbox_to_anchor=(0, 0.02), scatterpoints=1, markerscale=0.5)
    ax.set_title(title)
    return _finish(fig, source)


def chart_title(fig: Figure) -> str:
    """The title drawn on the chart (the first axes' title, else the figure's suptitle)."""
    for ax in fig.axes:
        for loc in ("left", "center", "right"):  # the house style puts titles on the left
            if ax.get_title(loc=loc):
                return ax.get_title(loc=loc)
    suptitle = fig.get_suptitle() if hasattr(fig, "get_suptitle") else ""
    return suptitle or "chart"


def figure_svg(fig: Figure, alt: str, close: bool = True) -> bytes:
    """SVG bytes that are the same on every rebuild: no date, and ids from ``svg.hashsalt``
    (set in the project's matplotlibrc). Title and alt text become the SVG's title and
    description; text stays text (``svg.fonttype: none``), so an editor can restyle it."""
    buffer = io.BytesIO()
    fig.savefig(
        buffer,
        format="svg",
        metadata={"Date": None, "Title": chart_title(fig), "Description": alt},
    )
    if close:
        plt.close(fig)
    return buffer.getvalue()


def slug(text: str, limit: int = 60) -> str:
    """A file name stem from a title: 'Reported deaths peaked in Q1 2022' -> 'reported-...'."""
    words = "".join(c.lower() if c.isalnum() else " " for c in text).split()
    return "-".join(words)[:limit].strip("-") or "chart"


def _download(data: bytes, mediatype: str, filename: str, label: str) -> str:
    encoded = base64.b64encode(data).decode("ascii")
    return (
        f'<a download="{html.escape(filename, quote=True)}" '
        f'href="data:{mediatype};base64,{encoded}">{label}</a>'
    )


# Characters left as they are in an SVG data: URL. Everything else is percent-encoded: what HTML
# or a URL would read otherwise (quotes, <, >, &, #, %), line ends and non-ASCII text.
SVG_URL_SAFE = " !$'()*+,-./:;=@_~[]{}|^`"
SVG_SIZE = re.compile(rb'<svg [^>]*?width="([0-9.]+)pt" height="([0-9.]+)pt"')


def svg_data_url(svg: bytes) -> str:
    """The SVG as a data: URL, percent-encoded rather than base64 (about a quarter smaller);
    the browser decodes it to the same bytes."""
    encoded = urllib.parse.quote(svg, safe=SVG_URL_SAFE)
    # The SVG's own references (clip-path="url(#p1)") would read as stylesheet url() calls to
    # a scanner of the page: one more escaped character, the same bytes once decoded.
    return "data:image/svg+xml," + encoded.replace("url(", "url%28")


def png_size(svg: bytes, dpi: float | None = None) -> tuple[int, int]:
    """The pixel size of the chart as a PNG at the house resolution (``savefig.dpi``)."""
    found = SVG_SIZE.search(svg)
    if found is None:
        raise ValueError("the SVG states no width and height in points")
    dpi = dpi or float(matplotlib.rcParams["savefig.dpi"])
    width, height = (round(float(value) * dpi / 72) for value in found.groups())
    return width, height


class Chart:
    """A figure rendered for notebooks and HTML: the SVG shown as an image with alt text and a
    caption, and links to download it as SVG and PNG. The page's script (``pagescript``) fills
    the links from the displayed image, so the page holds the chart once; without JavaScript
    the links stay hidden and the chart still shows."""

    def __init__(self, svg: bytes, alt: str, title: str = "chart"):
        self.svg = svg
        self.alt = alt
        self.title = title

    def _repr_html_(self) -> str:
        alt = html.escape(self.alt, quote=True)
        stem = html.escape(slug(self.title), quote=True)
        width, height = png_size(self.svg)
        links = " · ".join(
            f'<a download="{stem}.{kind}" data-format="{kind}">{kind.upper()}</a>'
            for kind in ("png", "svg")
        )
        label = html.escape(_("Download the chart:"))
        return (
            f'<figure class="chart" data-title="{html.escape(self.title, quote=True)}" '
            f'data-png-width="{width}" data-png-height="{height}">'
            # Shown at the size the house PNG had (the SVG's own size is in points, smaller).
            f'<img alt="{alt}" width="{width}" height="{height}" src="{svg_data_url(self.svg)}">'
            f"<figcaption>{html.escape(self.alt)}"
            f'<span class="downloads" hidden> {label} {links}</span>'
            "</figcaption></figure>"
        )


def show(fig: Figure, alt: str) -> Chart:
    """Display ``fig`` with ``alt`` as its alternative text and caption (state the finding)."""
    title = chart_title(fig)
    return Chart(figure_svg(fig, alt), alt, title=title)


def fmt_range(lo: int, hi: int) -> str:
    """'12' when both ends agree, else '12–30' (en dash), in the active language's digits:
    '1,162–1,729' in English, '1 162–1 729' in French."""
    return i18n.active().range(lo, hi)


def table_html(
    frame: pd.DataFrame, columns: Sequence[str] | None = None, name: str | None = None
) -> str:
    """A plain, escaped HTML table (no random ids, so output is stable), with a link to
    download it as CSV."""
    frame = frame if columns is None else frame[list(columns)]
    table = frame.to_html(index=False, escape=True, border=0, classes="data", na_rep="–")
    name = name or slug(" ".join(str(c) for c in frame.columns[:3]), 40) + ".csv"
    link = _download(table_csv(frame), "text/csv", name, "CSV")
    label = html.escape(_("Download the table:"))
    return f'{table}<p class="downloads">{label} {link}</p>'


def csv_link(frame: pd.DataFrame, filename: str) -> str:
    """A link that downloads ``frame`` as a spreadsheet-safe CSV file (HTML)."""
    return _download(table_csv(frame), "text/csv", filename, "CSV")


def table_csv(frame: pd.DataFrame) -> bytes:
    """A displayed table as CSV for spreadsheets (UTF-8 with BOM; formula-like text quoted)."""
    from analysis.report.export import neutralise

    out = frame.copy()
    for column in out.columns:
        if not pd.api.types.is_numeric_dtype(out[column]):
            out[column] = out[column].map(neutralise)
    return out.to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")
