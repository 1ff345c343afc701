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
# The notebook's one input: the folder of validated tables. `make report` passes it in a cell
# injected after this one; in JupyterLab the default (None) means the project's data/processed.
PROCESSED = None

# %%
from IPython.display import HTML

from analysis.report import charts, data, geo, metrics

processed = data.load(PROCESSED)
incidents = metrics.filter_grades(processed.incidents, ["A", "B"])
by_region = metrics.range_by(incidents, "region")
placed = by_region.drop(index="Not stated", errors="ignore")
top = placed.index[0]

# %%
places = geo.region_points(processed).merge(
    placed.reset_index(), on="region", how="inner", validate="one_to_one"
)
places = places.assign(
    name=places["region"],
    label=[
        charts.fmt_range(int(a), int(b)) for a, b in zip(places["min"], places["max"], strict=True)
    ],
)
fig = charts.map_chart(
    geo.outline(processed),
    places,
    title=f"Most civilians were reported killed in {top} region",
    source="Boundary: Natural Earth (public domain). Region capitals: GeoNames (CC BY 4.0). "
    "Circles: civilians reported killed, grades A and B; hatched area: highest figure, solid: "
    "lowest; labels give the range.",
)
charts.show(
    fig,
    alt=f"Map of Mali with one circle per region; {top} has the largest, with "
    f"{charts.fmt_range(int(placed.loc[top, 'min']), int(placed.loc[top, 'max']))} civilians "
    "reported killed.",
)

# %%
fig = charts.range_bars_chart(
    by_region,
    title=f"{top} leads, ahead of {placed.index[1]}",
    xlabel="Civilians reported killed (people; lowest figure solid, up to highest hatched)",
    source="Source: project compilation, grades A and B. 'Not stated': reporting too vague to "
    "place in one region.",
)
charts.show(
    fig,
    alt=f"{top} region leads with "
    f"{charts.fmt_range(int(placed.loc[top, 'min']), int(placed.loc[top, 'max']))} civilians "
    f"reported killed, ahead of {placed.index[1]}; ranges by region, grades A and B.",
)

# %% [markdown]
# ## Incidents per region and year

# %%
import pandas as pd

table = pd.crosstab(incidents["region"], incidents["year"], margins=True, margins_name="All")
table.columns.name = None
HTML(charts.table_html(table.reset_index().rename(columns={"region": "Region"})))
