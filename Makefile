# Civilian harm in Mali: build, test and explore.  `make help` lists the targets.
#
# Only python3 (3.11+) and make are assumed. The first target that needs Python creates
# .tools/ (a tiny venv holding a pinned uv) and .venv/ (the locked environment from uv.lock).
# docs/architecture.md explains how `make data` and `make report` decide what to rebuild.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DELETE_ON_ERROR:
.DEFAULT_GOAL := help
MAKEFLAGS += --no-builtin-rules --no-print-directory

PYTHON ?= python3
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
ENV_STAMP := $(VENV)/.installed
LAB_STAMP := $(VENV)/.installed-lab
SERVE_STAMP := $(VENV)/.installed-serve
LAB_PORT ?= 8888
SERVE_PORT ?= 8001

# Reproducibility: the same inputs give the same bytes on every machine.
export PYTHONHASHSEED := 0
export PYTHONPATH := $(CURDIR)
export MATPLOTLIBRC := $(CURDIR)/matplotlibrc
export MPLBACKEND := agg
# Empty outside a git checkout: analysis.paths then applies the one fixed default.
export SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null)
# uv: use the machine's python3, never download an interpreter; compile bytecode at install so
# kernels start fast.
export UV_PYTHON := $(PYTHON)
export UV_PYTHON_DOWNLOADS := never
export UV_COMPILE_BYTECODE := 1
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)

# Which outputs to rebuild is decided in Python, not by make: `make data` and `make report` always
# run the build planner (docs/architecture.md), which does nothing, quickly, when all is current.
PAGES := $(wildcard reports/*.html reports/fr/*.html)
# The PDFs are written atomically by our own code: a failed print keeps the previous one.
.PRECIOUS: reports/briefing.pdf reports/fr/briefing.pdf

.PHONY: help env data report lab serve explain test test-fast lint format check bench clean distclean fetch-acled fetch-ucdp pdf messages

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 12

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(ENV_STAMP): pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --inexact --quiet
	touch $@

# The dev environment already holds JupyterLab and Datasette (the tests use them): then there is
# nothing to sync, and a second `uv sync` would only wait on uv's cache lock and recompile.
# JupyterLab's defaults for every user of this environment: .py files open as notebooks.
$(LAB_STAMP): $(ENV_STAMP) tools/jupyterlab-overrides.json
	$(PY) -c "import jupyterlab" 2>/dev/null || $(UV) sync --frozen --inexact --quiet --extra lab
	mkdir -p $(VENV)/share/jupyter/lab/settings
	cp tools/jupyterlab-overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json
	touch $@

$(SERVE_STAMP): $(ENV_STAMP)
	$(PY) -c "import datasette" 2>/dev/null || $(UV) sync --frozen --inexact --quiet --extra serve
	touch $@

env: $(ENV_STAMP) ## Create the locked environment (.venv)

data: $(ENV_STAMP) ## Validate data/raw and build data/processed
	$(PY) -m analysis.render --data-only

report: $(ENV_STAMP) ## Build the HTML reports, English in reports/ and French in reports/fr/ (data first)
	$(PY) -m analysis.render

explain: $(ENV_STAMP) ## Say what `make report` would do with each output, and why
	$(PY) -m analysis.render --explain

reports/briefing.pdf reports/fr/briefing.pdf &: $(PAGES) analysis/report/pdf.py
	@tools/ensure-chromium >/dev/null
	$(PY) -m analysis.report.pdf

pdf: report ## Print both briefings to PDF (headless Chromium)
	@$(MAKE) reports/briefing.pdf reports/fr/briefing.pdf

messages: $(ENV_STAMP) ## Extract the reports' messages and merge them into the French catalogue
	$(PY) -m analysis.report.i18n extract

# Containers run as root and have no display: JupyterLab refuses root without --allow-root and
# would try to open a browser. It listens on 127.0.0.1 only, on LAB_PORT (no silent fallback).
lab: $(LAB_STAMP) data ## JupyterLab on 127.0.0.1, port LAB_PORT=8888 (the .py notebooks open as notebooks)
	@args=(--notebook-dir=notebooks --ip=127.0.0.1 --port=$(LAB_PORT) --ServerApp.port_retries=0); \
	if [ "$$(id -u)" = 0 ]; then args+=(--allow-root); fi; \
	if [ -z "$${DISPLAY:-}" ] && [ -z "$${WAYLAND_DISPLAY:-}" ]; then args+=(--no-browser); fi; \
	echo "make lab: JupyterLab on http://127.0.0.1:$(LAB_PORT)/lab (open the URL with its token, printed below)"; \
	exec $(VENV)/bin/jupyter lab "$${args[@]}"

serve: $(SERVE_STAMP) data ## Datasette on 127.0.0.1, port SERVE_PORT=8001: search, facets, canned queries
	$(PY) -m analysis.report.serve --port $(SERVE_PORT)

# The whole suite, one worker per core. Tests of one file stay on one worker (--dist
# loadfile): the end-to-end modules share one built copy of the repository and run in order.
TEST_WORKERS ?= auto
run_pytest = rc=0; $(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile $(1) $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests; that is a failure here" >&2; exit 1; fi; \
	exit $$rc

test: $(ENV_STAMP) ## Run the whole test suite (the command CI runs)
	@tools/ensure-chromium >/dev/null || echo "make test: no Chromium; the browser tests will be SKIPPED (not run)" >&2
	@$(call run_pytest,)

test-fast: $(ENV_STAMP) ## The quick suite: everything but the end-to-end builds (a minute or two)
	@$(call run_pytest,-m "not slow")

lint: $(ENV_STAMP) ## Check style with ruff
	$(VENV)/bin/ruff check analysis tests notebooks bench
	$(VENV)/bin/ruff format --check analysis tests notebooks bench

format: $(ENV_STAMP) ## Format the code with ruff
	$(VENV)/bin/ruff check --fix analysis tests notebooks bench
	$(VENV)/bin/ruff format analysis tests notebooks bench

check: lint test ## Lint and test

bench: $(ENV_STAMP) ## Measure set-up, cold and no-op builds against nbconvert, and scale
	$(PY) bench/bench_build.py
	@if [ -f bench/bench_scale.py ]; then $(PY) bench/bench_scale.py; fi
	$(PY) bench/bench_linkage.py

fetch-acled: $(ENV_STAMP) ## Download a Mali ACLED export (needs ACLED_USERNAME, ACLED_PASSWORD)
	$(PY) -m analysis.sources.fetch acled --out data/raw/acled/

fetch-ucdp: $(ENV_STAMP) ## Download Mali UCDP GED events (needs UCDP_TOKEN; UCDP_VERSION=25.1)
	$(PY) -m analysis.sources.fetch ucdp --out data/raw/ucdp/ --version $${UCDP_VERSION:-25.1}

clean: ## Remove build outputs (data/processed, reports) and the build's record (.make)
	rm -rf data/processed reports .make

distclean: clean ## Also remove the environments
	rm -rf $(VENV) $(TOOLS) .ipython
