"""`make lab` and `make serve` on a fresh copy of the repository, on 127.0.0.1, as root too.

Each server is started by make on a free local port, asked over HTTP, and stopped (its process
group, which this test started). Datasette's answers are compared with the processed tables;
its incidents page is opened in headless Chromium and a screenshot saved under
reports/screenshots/.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

from analysis.report import data
from tests.conftest import ROOT, repo_copy

pytestmark = pytest.mark.slow
DATABASE = "civilian-harm"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def started(copy: Path, *args: str, log: Path):
    """``make -C copy args`` in its own process group; stopped (the group) on exit."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MALI_", "PYTEST"))}
    env.pop("DISPLAY", None)  # as in a container: no display, so no browser may be opened
    with open(log, "w") as out:
        process = subprocess.Popen(
            ["make", "-C", str(copy), *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wait_for(process, log: Path, pattern: str, timeout: float = 300) -> re.Match:
    """Wait until the server's output matches ``pattern``; fail with the output otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        match = re.search(pattern, log.read_text(errors="replace"))
        if match:
            return match
        if process.poll() is not None:
            break
        time.sleep(0.3)
    raise AssertionError(f"server did not start (exit {process.poll()}):\n{log.read_text()}")


def get_json(url: str, headers: dict | None = None, attempts: int = 60) -> dict:
    for attempt in range(attempts):
        try:
            request = urllib.request.Request(url, headers=headers or {})
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read())
        except (ConnectionError, urllib.error.URLError):
            if attempt == attempts - 1:
                raise
            time.sleep(0.5)
    raise AssertionError("unreachable")


@pytest.fixture(scope="module")
def copy(tmp_path_factory) -> Path:
    return repo_copy(tmp_path_factory.mktemp("serve") / "repo")


def test_make_lab_answers_and_opens_py_files_as_notebooks(copy, tmp_path):
    port = free_port()
    log = tmp_path / "lab.log"
    with started(copy, "lab", f"LAB_PORT={port}", log=log) as process:
        match = wait_for(process, log, rf"http://127\.0\.0\.1:{port}/lab\?token=([0-9a-f]+)")
        headers = {"Authorization": f"token {match.group(1)}"}
        name = sorted((copy / "notebooks").glob("[0-9][0-9]-*.py"))[0].name
        model = get_json(f"http://127.0.0.1:{port}/api/contents/{name}", headers)
        assert model["type"] == "notebook", model
        assert model["format"] == "json"
        cells = model["content"]["cells"]
        assert cells and cells[0]["cell_type"] == "markdown"
        assert "jupytext" in model["content"]["metadata"]
        # Double-clicking a .py file in the file browser opens it as a notebook.
        plugin = "@jupyterlab/docmanager-extension:plugin"
        settings = get_json(f"http://127.0.0.1:{port}/lab/api/settings/{plugin}", headers)
        viewers = settings["schema"]["properties"]["defaultViewers"]["default"]
        assert viewers["python"] == "Jupytext Notebook"
    output = log.read_text()
    # As root (a container), JupyterLab refuses to start without --allow-root.
    assert "Running as root is not recommended" not in output
    assert "make lab: JupyterLab on http://127.0.0.1:" in output
    with socket.socket() as probe:  # listening on 127.0.0.1 only, and now stopped
        assert probe.connect_ex(("127.0.0.1", port)) != 0


@pytest.fixture(scope="module")
def datasette(copy, tmp_path_factory):
    port = free_port()
    log = tmp_path_factory.mktemp("datasette") / "serve.log"
    with started(copy, "serve", f"SERVE_PORT={port}", log=log) as process:
        wait_for(process, log, r"Uvicorn running on http://127\.0\.0\.1:\d+")
        yield f"http://127.0.0.1:{port}/{DATABASE}"


def query(base: str, path: str, **params) -> dict:
    return get_json(f"{base}/{path}?{urllib.parse.urlencode(params)}")


def test_datasette_serves_the_processed_tables(copy, datasette):
    processed = data.load(copy / "data" / "processed")
    inc = processed.incidents
    answer = query(datasette, "incidents.json", _shape="objects", _size="max")
    rows = pd.DataFrame(answer["rows"])
    assert sorted(rows["incident_id"]) == sorted(inc["incident_id"])
    assert rows["civilians_killed_max"].sum() == inc["civilians_killed_max"].sum()
    assert answer["license"] == "Creative Commons Attribution 4.0"
    facets = answer["facet_results"]
    assert set(facets) == {"year", "region", "perpetrator", "operation_type", "evidence_grade"}
    by_year = {r["value"]: r["count"] for r in facets["year"]["results"]}
    assert by_year == inc["year"].value_counts().to_dict()
    by_grade = {r["value"]: r["count"] for r in facets["evidence_grade"]["results"]}
    assert by_grade == inc["evidence_grade"].value_counts().to_dict()

    one = inc.iloc[0]["incident_id"]
    claims = query(datasette, "claims.json", incident_id=one, _shape="array")
    expected = processed.claims[processed.claims["incident_id"] == one]
    assert sorted(c["source_wording"] for c in claims) == sorted(expected["source_wording"])

    found = query(datasette, "incidents.json", _search="Moura", _shape="array")
    assert "moura-2022-03" in {r["incident_id"] for r in found}


@pytest.mark.parametrize("include_grade_c", ["1", "0"])
def test_canned_query_gives_monthly_ranges(copy, datasette, include_grade_c):
    inc = data.load(copy / "data" / "processed").incidents
    if include_grade_c == "0":
        inc = inc[inc["evidence_grade"].isin(["A", "B"])]
    expected = (
        inc.assign(month=inc["date_start"].dt.strftime("%Y-%m"))
        .groupby("month")
        .agg(
            incidents=("incident_id", "size"),
            civilians_killed_min=("civilians_killed_min", "sum"),
            civilians_killed_max=("civilians_killed_max", "sum"),
        )
        .reset_index()
        .astype({"incidents": int, "civilians_killed_min": int, "civilians_killed_max": int})
    )
    answer = query(
        datasette,
        "civilians_killed_per_month.json",
        include_grade_c=include_grade_c,
        _shape="array",
    )
    assert answer == expected.to_dict("records")


def test_incidents_page_with_facets_in_the_browser(copy, datasette, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    try:
        page.goto(f"{datasette}/incidents?_facet_size=8", wait_until="load")
        n_incidents = len(data.load(copy / "data" / "processed").incidents)
        assert f"incidents: {n_incidents} rows" in page.title()
        assert "Perpetrators are those alleged by the sources" in page.inner_text("body")
        headings = page.locator(".facet-info-name strong, .facet-info-name a").all_inner_texts()
        text = " ".join(headings)
        for facet in ("year", "region", "perpetrator", "operation_type", "evidence_grade"):
            assert facet in text, text
        assert page.locator("table.rows-and-columns tbody tr").count() == 50
        shots = ROOT / "reports" / "screenshots"
        shots.mkdir(parents=True, exist_ok=True)
        # The column descriptions come first; the shot shows the search box, facets and rows.
        page.locator("form.filters").first.scroll_into_view_if_needed()
        page.evaluate(
            "() => window.scrollBy(0, document.querySelector('form.filters')"
            ".getBoundingClientRect().top - 10)"
        )
        page.screenshot(path=str(shots / "datasette-incidents.png"), full_page=False)
    finally:
        page.close()
