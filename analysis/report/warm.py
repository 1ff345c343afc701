"""Imported once by the fork server (``analysis.report.pool``) before it forks any child: what
notebooks and pages need, ready in each child without the cost of importing it."""

import contextlib
import importlib
import pkgutil

import analysis.report

# A module that fails to import here is left out: the notebook importing it reports the error.
for _name in (
    *("numpy", "pandas", "pyarrow.parquet", "pandas.io.parquet", "matplotlib.pyplot"),
    *("jinja2", "nbformat", "nbclient", "nbconvert", "jupytext", "ipykernel.ipkernel"),
    # The in-process kernel each child starts (analysis.report.notebooks), and what it imports
    # when it starts: its debugger support and psutil (to list the network interfaces).
    *("ipykernel.inprocess", "ipykernel.inprocess.ipkernel", "ipykernel.debugger", "psutil"),
    *(
        m.name
        for m in pkgutil.iter_modules(analysis.report.__path__, "analysis.report.")
        if m.name.rsplit(".", 1)[1] not in ("pdf", "serve", "warm")
    ),
):
    with contextlib.suppress(Exception):
        importlib.import_module(_name)

with contextlib.suppress(Exception):
    # Every edition's catalogue compiled and its CLDR data loaded once, and nbconvert warmed.
    from analysis.report import i18n, pages

    for _lang in i18n.LANGUAGES:
        i18n.translations(_lang)
        i18n.get(_lang).range(1000, 2000)
        i18n.get(_lang).month("2022-03-01")
    pages.warm_up()
