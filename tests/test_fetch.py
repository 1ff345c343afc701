"""Fetch CLI with recorded responses: paging, files written, errors a user can act on.

No test touches the network: every request goes to a fake transport serving JSON fixtures,
and an unexpected request fails the test.
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.parse
from pathlib import Path

import pandas as pd
import pytest

from analysis.sources import fetch
from analysis.sources.acled import read_acled
from analysis.sources.actors import load_actor_map
from analysis.sources.fetch import Request, Response
from analysis.sources.ucdp import GED_COLUMNS, read_ucdp

ROOT = Path(__file__).resolve().parents[1]
REC = ROOT / "tests" / "fixtures" / "fetch"
TODAY = dt.date(2025, 6, 1)
ACLED_ENV = {"ACLED_USERNAME": "user@example.org", "ACLED_PASSWORD": "not-a-real-password"}


class Recorded:
    """A transport that answers from recorded files and logs every request."""

    def __init__(self, routes):
        self.routes = routes
        self.requests: list[Request] = []

    def __call__(self, request: Request) -> Response:
        self.requests.append(request)
        for match, status, name in self.routes:
            if match(request):
                return Response(status, (REC / name).read_bytes())
        raise AssertionError(f"unexpected request {request.method} {request.url}")


def _page(request: Request) -> str:
    return urllib.parse.parse_qs(urllib.parse.urlparse(request.url).query).get("page", ["?"])[0]


def _acled_routes(read_pages=("acled_read_page1.json", "acled_read_page2.json")):
    routes = [(lambda r: r.url == fetch.ACLED_TOKEN_URL, 200, "acled_token.json")]
    for number, name in enumerate(read_pages, start=1):
        routes.append(
            (
                lambda r, n=number: r.url.startswith(fetch.ACLED_READ_URL) and _page(r) == str(n),
                200,
                name,
            )
        )
    return routes


def test_acled_pages_then_writes_csv_and_meta(tmp_path):
    transport = Recorded(_acled_routes())
    code = fetch.main(
        ["acled", "--out", str(tmp_path)], transport=transport, env=ACLED_ENV, today=TODAY
    )
    assert code == 0
    # A page shorter than the page size (5000) is the last one.
    token_req, page1 = transport.requests
    assert token_req.method == "POST"
    form = urllib.parse.parse_qs(token_req.body.decode())
    assert form["grant_type"] == ["password"] and form["username"] == ["user@example.org"]
    assert page1.headers["Authorization"] == "Bearer recorded-test-token-not-real"
    assert "country=Mali" in page1.url
    assert _page(page1) == "1"

    path = tmp_path / "acled-2025-06-01.csv"
    meta = json.loads((tmp_path / "acled-2025-06-01.csv.meta.json").read_text())
    assert meta["accessed"] == "2025-06-01" and meta["rows"] == 2
    assert meta["filters"] == {"country": "Mali"}
    # No temporary files are left behind by the atomic write.
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name, path.name + ".meta.json"]

    # The written file goes through the reader like any user export.
    actor_map = load_actor_map(ROOT / "data" / "hand" / "actor_map.csv")
    result = read_acled(path, actor_map)
    assert set(result.events["event_id"]) == {"MLI99001"}  # the clash harms no civilians
    assert result.provenance["access_date"] == "2025-06-01"
    assert result.provenance["version"] == "api"


def test_acled_short_page_size_forces_paging(tmp_path):
    # page_size 2: page 1 is full (2 rows) so page 2 is asked for; it has 1 row -> stop.
    transport = Recorded(_acled_routes())
    path = fetch.fetch_acled(tmp_path, transport=transport, env=ACLED_ENV, today=TODAY, page_size=2)
    assert [_page(r) for r in transport.requests[1:]] == ["1", "2"]
    assert all("limit=2" in r.url for r in transport.requests[1:])
    assert len(pd.read_csv(path)) == 3


def test_missing_credentials_exit_2(tmp_path, capsys):
    transport = Recorded([])
    code = fetch.main(["acled", "--out", str(tmp_path)], transport=transport, env={})
    assert code == 2
    err = capsys.readouterr().err
    assert "ACLED_USERNAME" in err and "ACLED_PASSWORD" in err
    assert transport.requests == []  # nothing is sent without credentials
    assert fetch.main(["ucdp", "--out", str(tmp_path)], transport=transport, env={}) == 2
    assert "UCDP_TOKEN" in capsys.readouterr().err


@pytest.mark.parametrize("status", [401, 403])
def test_access_refused_exit_2(tmp_path, capsys, status):
    transport = Recorded(
        [
            (lambda r: r.url == fetch.ACLED_TOKEN_URL, 200, "acled_token.json"),
            (lambda r: True, status, "acled_unauthorized.json"),
        ]
    )
    code = fetch.main(
        ["acled", "--out", str(tmp_path)], transport=transport, env=ACLED_ENV, today=TODAY
    )
    assert code == 2
    err = capsys.readouterr().err
    assert f"HTTP {status}" in err and "access tier" in err
    assert list(tmp_path.iterdir()) == []


def test_empty_result_names_access_tier(tmp_path, capsys):
    transport = Recorded(_acled_routes(read_pages=("acled_read_empty.json",)))
    code = fetch.main(
        ["acled", "--out", str(tmp_path)], transport=transport, env=ACLED_ENV, today=TODAY
    )
    assert code == 2
    assert "an empty result can mean an access-tier limit" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_ucdp_follows_next_page_and_writes_ged_columns(tmp_path):
    transport = Recorded(
        [
            (lambda r: "page=0" in r.url, 200, "ucdp_page0.json"),
            (lambda r: "page=1" in r.url, 200, "ucdp_page1.json"),
        ]
    )
    code = fetch.main(
        ["ucdp", "--out", str(tmp_path), "--version", "25.1"],
        transport=transport,
        env={"UCDP_TOKEN": "not-a-real-token"},
        today=TODAY,
    )
    assert code == 0
    assert all(r.headers == {"x-ucdp-access-token": "not-a-real-token"} for r in transport.requests)
    assert (
        "pagesize=1000" in transport.requests[0].url and "Country=432" in transport.requests[0].url
    )
    path = tmp_path / "ucdp-ged-25.1-2025-06-01.csv"
    header = path.read_text().splitlines()[0].split(",")
    assert header == GED_COLUMNS
    assert len(pd.read_csv(path)) == 4
    result = read_ucdp(path, load_actor_map(ROOT / "data" / "hand" / "actor_map.csv"))
    assert result.provenance["version"] == "25.1"  # from the .meta.json sidecar
    assert set(result.events["event_id"]) == {"990001", "990002"}


def test_ucdp_empty_exit_2(tmp_path, capsys):
    transport = Recorded([(lambda r: True, 200, "ucdp_empty.json")])
    code = fetch.main(
        ["ucdp", "--out", str(tmp_path)], transport=transport, env={"UCDP_TOKEN": "x"}
    )
    assert code == 2
    assert "access-tier" in capsys.readouterr().err


def test_network_is_never_used_by_default_in_tests(monkeypatch):
    # Guard: if a test forgot to inject a transport, the real one would be called.
    def boom(*args, **kwargs):
        raise AssertionError("network used")

    monkeypatch.setattr(fetch.urllib.request, "urlopen", boom)
    with pytest.raises(AssertionError, match="network used"):
        fetch.urllib_transport(Request("GET", "https://example.invalid/"))


# --------------------------------------------------------------------------------------------
# Today's ACLED API: identifying User-Agent, Cloudflare vs tier refusals, 24-hour tokens
# --------------------------------------------------------------------------------------------


def test_urllib_transport_sends_an_identifying_user_agent(monkeypatch):
    seen = {}

    class Answer:
        status = 200
        headers: dict = {}

        def read(self):
            return b"{}"

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    def fake_urlopen(req, timeout):
        seen["ua"] = req.get_header("User-agent")
        return Answer()

    monkeypatch.setattr(fetch.urllib.request, "urlopen", fake_urlopen)
    fetch.urllib_transport(Request("GET", fetch.ACLED_READ_URL))
    assert seen["ua"] == fetch.USER_AGENT and "urllib/" not in seen["ua"].split(";")[0]


def test_cloudflare_403_is_not_reported_as_an_access_tier(tmp_path, capsys):
    routes = [
        (lambda r: r.url == fetch.ACLED_TOKEN_URL, 200, "acled_token.json"),
        (lambda r: r.url.startswith(fetch.ACLED_READ_URL), 403, "acled_cloudflare_1010.html"),
    ]
    code = fetch.main(
        ["acled", "--out", str(tmp_path)], transport=Recorded(routes), env=ACLED_ENV, today=TODAY
    )
    err = capsys.readouterr().err
    assert code == 2 and "firewall" in err and "Cloudflare" in err and "tier" in err


def test_access_denied_403_names_the_access_tier(tmp_path, capsys):
    routes = [
        (lambda r: r.url == fetch.ACLED_TOKEN_URL, 200, "acled_token.json"),
        (lambda r: r.url.startswith(fetch.ACLED_READ_URL), 403, "acled_access_denied.json"),
    ]
    code = fetch.main(
        ["acled", "--out", str(tmp_path)], transport=Recorded(routes), env=ACLED_ENV, today=TODAY
    )
    err = capsys.readouterr().err
    assert code == 2 and "access tier" in err and "firewall" not in err


def test_token_is_refreshed_before_it_expires():
    now = [0.0]
    routes = [
        (
            lambda r: r.url == fetch.ACLED_TOKEN_URL and b"grant_type=password" in r.body,
            200,
            "acled_token.json",
        ),
        (
            lambda r: r.url == fetch.ACLED_TOKEN_URL and b"grant_type=refresh_token" in r.body,
            200,
            "acled_token_refreshed.json",
        ),
        (
            lambda r: r.url.startswith(fetch.ACLED_READ_URL) and _page(r) == "1",
            200,
            "acled_read_page1.json",
        ),
        (
            lambda r: r.url.startswith(fetch.ACLED_READ_URL) and _page(r) == "2",
            200,
            "acled_read_page2.json",
        ),
    ]
    transport = Recorded(routes)
    token = fetch.acled_login(transport, "user@example.org", "x", clock=lambda: now[0])
    assert token.expires_at == 86400 and token.refresh == "recorded-refresh-not-real"

    def clock():
        now[0] += 50_000  # each page "takes" 14 hours: the second one needs a new token
        return now[0]

    page1 = json.loads((REC / "acled_read_page1.json").read_text())["data"]
    rows = fetch.fetch_acled_rows(transport, token, {"country": "Mali"}, len(page1), clock)
    reads = [r for r in transport.requests if r.url.startswith(fetch.ACLED_READ_URL)]
    refreshes = [r for r in transport.requests if b"refresh_token=recorded" in (r.body or b"")]
    assert len(refreshes) == 1
    assert reads[0].headers["Authorization"] == "Bearer recorded-test-token-not-real"
    assert reads[1].headers["Authorization"] == "Bearer recorded-refreshed-token-not-real"
    assert len(rows) > len(page1)
