# %% [markdown]
# # Geography: where civilians were reported harmed
#
# **Question:** in which regions did the reported incidents happen, and where were the most
# civilians reported killed?
#
# Regions are the ten regions and capital district of the 2016 map: sources written after the
# 2023 administrative reform name new regions (Bandiagara, Douentza, Nara, ...) and are mapped back
# so that places stay comparable over time. Few sources give coordinates, so the map marks each
# region at its capital; a circle's area is proportional to the highest figure reported for the
# region. Incidents too vague to place ("centre", a road spanning two regions) are listed apart.
# Grades A and B.

# %% tags=["parameters"]
# The notebook's inputs: the folder of validated tables and the language of the edition.
# `make report` passes both in a cell injected after this one; in JupyterLab the defaults apply
# (None: the project's data/processed; "en": English).
PROCESSED = None
LANG = "en"
TABLES = ["incidents", "geo_outline", "region_points"]

# %%
from IPython.display import HTML

from analysis.report import charts, data, findings, geo, i18n, metrics, tables
from analysis.report.i18n import _
from analysis.vocab import HEADLINE_GRADES

L = i18n.activate(LANG)
processed = data.load(PROCESSED)
incidents = metrics.filter_grades(processed.incidents, HEADLINE_GRADES)
by_region = metrics.range_by(incidents, "region")
placed = by_region.drop(index="Not stated", errors="ignore")
region_labels = tables.region_labels(by_region.index)

# %%
title, alt = findings.region_map(placed)
fig = charts.map_chart(
    geo.outline(processed),
    geo.region_circles(processed, placed),
    title=title,
    source=_(
        "Boundary: Natural Earth (public domain). Region capitals: GeoNames (CC BY 4.0). "
        "Circles: civilians reported killed, grades A and B; hatched area: highest figure, solid: "
        "lowest; labels give the range."
    ),
)
charts.show(fig, alt=alt)

# %%
title, alt = findings.region_ranking(placed)
fig = charts.range_bars_chart(
    by_region,
    title=title,
    xlabel=_("Civilians reported killed (people; lowest figure solid, up to highest hatched)"),
    source=_(
        "Source: project compilation, grades A and B. 'Not stated': reporting too vague to "
        "place in one region."
    ),
    labels=region_labels,
)
charts.show(fig, alt=alt)

# %% [markdown]
# ## Incidents per region and year

# %%
HTML(charts.table_html(tables.incidents_by_region_and_year(incidents)))
