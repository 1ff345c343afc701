"""Imported once by the fork server (``analysis.report.pool``) before it forks any child: what
every notebook and page needs, ready in each child without the cost of importing it."""

import contextlib
import importlib

# A module that fails to import here is left out: the notebook importing it reports the error.
MODULES = (
    "numpy",
    "pandas",
    "pyarrow",
    "pyarrow.parquet",
    "pandas.io.parquet",
    "matplotlib",
    "matplotlib.pyplot",
    "jinja2",
    "nbformat",
    "nbclient",
    "nbconvert",
    "jupytext",
    "ipykernel.ipkernel",
    "analysis.report.data",
    "analysis.report.metrics",
    "analysis.report.charts",
    "analysis.report.compare",
    "analysis.report.geo",
    "analysis.report.briefing",
    "analysis.report.export",
    "analysis.report.notebooks",
    "analysis.report.pages",
    "analysis.report.worker",
    "analysis.report.i18n",
)

for _name in MODULES:
    with contextlib.suppress(Exception):
        importlib.import_module(_name)

with contextlib.suppress(Exception):
    # Every edition's catalogue compiled and its CLDR data loaded once, not once per page.
    from analysis.report import i18n

    for _lang in i18n.LANGUAGES:
        i18n.translations(_lang)
        i18n.get(_lang).range(1000, 2000)
        i18n.get(_lang).month("2022-03-01")
with contextlib.suppress(Exception):
    from analysis.report import pages

    pages.warm_up()

from analysis.report import worker  # noqa: E402

worker.make_shell()
