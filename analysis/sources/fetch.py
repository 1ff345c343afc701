"""Download a user's own ACLED or UCDP GED extract for Mali into data/raw/.

    python -m analysis.sources.fetch acled --out data/raw/acled/
    python -m analysis.sources.fetch ucdp --out data/raw/ucdp/ [--version 25.1]

ACLED: OAuth password grant at ``https://acleddata.com/oauth/token`` (env ``ACLED_USERNAME``,
``ACLED_PASSWORD``; tokens are short-lived, so one is requested per run), then the paged read
endpoint ``https://acleddata.com/api/acled/read`` with ``country=Mali``. UCDP: the GED endpoint
``https://ucdpapi.pcr.uu.se/api/gedevents/<version>`` with the ``x-ucdp-access-token`` header
(env ``UCDP_TOKEN``), ``pagesize=1000``, ``Country=432``, following ``NextPageUrl``.

Each run writes ``<dataset>-YYYY-MM-DD.csv`` (UCDP: ``ucdp-ged-<version>-YYYY-MM-DD.csv``)
atomically, in the provider's column order, plus ``<file>.meta.json`` with the version, access
date, filters, row count and hash: what ACLED's terms and a reproducible analysis ask for.

Checked against the providers' current interfaces (summarised in the project's research notes):
ACLED tokens last 24 hours and come with a refresh token, so a long download refreshes its token
(``grant_type=refresh_token``) before it expires or when a page answers 401; JSON responses no
longer carry ``count`` unless asked (``with_total``), so paging stops on a short page, never on a
count. ACLED sits behind Cloudflare, which refuses urllib's default User-Agent with a 403 (error
1010): every request sends an identifying ``User-Agent``, and a 403 from the firewall (HTML or
error 1010) is told apart from an access-tier refusal (``{"message": "Access denied"}``). UCDP
pages hold at most 1000 events.

The HTTP layer is a plain function (``Transport``), so tests pass recorded responses and never
touch the network. Errors a user can fix (no credentials, access refused, empty result) exit
with status 2 and a sentence saying what to do.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import io
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from analysis.atomic import write_bytes, write_text

ACLED_TOKEN_URL = "https://acleddata.com/oauth/token"
ACLED_READ_URL = "https://acleddata.com/api/acled/read"
UCDP_URL = "https://ucdpapi.pcr.uu.se/api/gedevents/{version}"
ACLED_PAGE = 5000
# Cloudflare in front of acleddata.com refuses urllib's default "Python-urllib/3.x" (403, error
# 1010): say who we are.
USER_AGENT = "mali-civilian-harm/0.1 (research data pipeline; Python urllib)"
TOKEN_MARGIN = 300  # seconds: refresh a token this long before it expires
UCDP_PAGE = 1000
MAX_PAGES = 10_000  # a guard against a server that never stops paging
EMPTY_HINT = (
    "an empty result can mean an access-tier limit (your account may not see these data), "
    "not that there are no events: check your access level on the provider's site"
)


class FetchError(Exception):
    """A problem the user can act on; the CLI prints it and exits with status 2."""


@dataclass
class Request:
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None


@dataclass
class Response:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> object:
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise FetchError(f"the server did not return JSON ({exc})") from None


Transport = Callable[[Request], Response]


def urllib_transport(request: Request, timeout: float = 120.0) -> Response:
    """The real HTTP layer (stdlib urllib). HTTP error statuses are returned, not raised."""
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json", **request.headers}
    req = urllib.request.Request(
        request.url, data=request.body, headers=headers, method=request.method
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return Response(resp.status, resp.read(), dict(resp.headers))
    except urllib.error.HTTPError as exc:
        return Response(exc.code, exc.read() or b"", dict(exc.headers or {}))
    except urllib.error.URLError as exc:
        raise FetchError(f"cannot reach {request.url}: {exc.reason}") from None


def _firewall_block(resp: Response) -> bool:
    """A 403 from the provider's firewall (Cloudflare), not from its access control."""
    body = resp.body[:4096].lower()
    return resp.status == 403 and (
        b"error code: 1010" in body
        or b'error_code":1010' in body.replace(b" ", b"")
        or b"cloudflare" in body
        or body.lstrip().startswith((b"<!doctype html", b"<html"))
    )


def _check(resp: Response, what: str) -> None:
    if _firewall_block(resp):
        raise FetchError(
            f"{what}: blocked by the provider's firewall (HTTP 403 from Cloudflare, not an "
            "access-tier refusal). The request's User-Agent or network was refused: try again "
            "from another network, or download the export from the provider's website."
        )
    if resp.status in (401, 403):
        raise FetchError(
            f"{what}: access refused (HTTP {resp.status}). Check the credentials; if they are "
            "right, your access tier does not include this request."
        )
    if resp.status >= 400:
        raise FetchError(f"{what}: HTTP {resp.status}: {resp.body[:200]!r}")


def _require(env: Mapping[str, str], *names: str) -> list[str]:
    missing = [n for n in names if not env.get(n)]
    if missing:
        raise FetchError(
            f"missing credentials: set the environment variable(s) {', '.join(missing)} "
            "(they are never stored by this project)"
        )
    return [env[n] for n in names]


# --------------------------------------------------------------------------------------------
# ACLED
# --------------------------------------------------------------------------------------------


@dataclass
class AcledToken:
    """An OAuth access token, when it expires, and the refresh token that renews it."""

    access: str
    expires_at: float
    refresh: str | None = None


def _token_request(transport: Transport, fields: dict[str, str], clock: Callable[[], float]):
    body = urllib.parse.urlencode({**fields, "client_id": "acled"}).encode()
    resp = transport(
        Request(
            "POST",
            ACLED_TOKEN_URL,
            {"Content-Type": "application/x-www-form-urlencoded"},
            body,
        )
    )
    if resp.status == 400:
        # OAuth servers answer a wrong password (or a dead refresh token) with 400 invalid_grant.
        raise FetchError("ACLED token request refused (HTTP 400): check ACLED_USERNAME/PASSWORD")
    _check(resp, "ACLED token request")
    payload = resp.json()
    token = payload.get("access_token") if isinstance(payload, dict) else None
    if not token:
        raise FetchError("ACLED token response has no access_token")
    lifetime = payload.get("expires_in") if isinstance(payload.get("expires_in"), int) else 86400
    return AcledToken(str(token), clock() + lifetime, payload.get("refresh_token") or None)


def acled_login(
    transport: Transport, username: str, password: str, clock: Callable[[], float] = time.time
) -> AcledToken:
    """An OAuth token from ACLED's password grant (24-hour lifetime, with a refresh token)."""
    return _token_request(
        transport,
        {"username": username, "password": password, "grant_type": "password"},
        clock,
    )


def acled_refresh(
    transport: Transport, token: AcledToken, clock: Callable[[], float] = time.time
) -> AcledToken:
    """A new access token from the refresh token (``grant_type=refresh_token``)."""
    if not token.refresh:
        raise FetchError("the ACLED token expired and no refresh token was given: run again")
    return _token_request(
        transport, {"grant_type": "refresh_token", "refresh_token": token.refresh}, clock
    )


def acled_token(transport: Transport, username: str, password: str) -> str:
    """An OAuth access token from ACLED's password grant (the access string only)."""
    return acled_login(transport, username, password).access


def fetch_acled_rows(
    transport: Transport,
    token: str | AcledToken,
    filters: Mapping[str, str],
    page_size: int = ACLED_PAGE,
    clock: Callable[[], float] = time.time,
) -> list[dict]:
    """Every event row for ``filters``, page by page (a short page is the last one).

    The token is refreshed before it expires and once when a page answers 401.
    """
    if isinstance(token, str):
        token = AcledToken(token, float("inf"))
    rows: list[dict] = []
    for page in range(1, MAX_PAGES + 1):
        query = {"_format": "json", **filters, "limit": str(page_size), "page": str(page)}
        url = f"{ACLED_READ_URL}?{urllib.parse.urlencode(query)}"
        if clock() >= token.expires_at - TOKEN_MARGIN:
            token = acled_refresh(transport, token, clock)
        resp = transport(Request("GET", url, {"Authorization": f"Bearer {token.access}"}))
        if resp.status == 401 and token.refresh:
            token = acled_refresh(transport, token, clock)
            resp = transport(Request("GET", url, {"Authorization": f"Bearer {token.access}"}))
        _check(resp, f"ACLED read (page {page})")
        payload = resp.json()
        if not isinstance(payload, dict) or not isinstance(payload.get("data"), list):
            raise FetchError(f"ACLED read (page {page}): unexpected response shape")
        if payload.get("success") is False:
            raise FetchError(f"ACLED read (page {page}) failed: {payload.get('error')}")
        data = payload["data"]
        rows.extend(data)
        if len(data) < page_size:
            return rows
    raise FetchError(f"ACLED read did not end after {MAX_PAGES} pages")


# --------------------------------------------------------------------------------------------
# UCDP
# --------------------------------------------------------------------------------------------


def fetch_ucdp_rows(
    transport: Transport, token: str, version: str, country: str = "432"
) -> list[dict]:
    """Every GED event for ``country`` (Gleditsch-Ward code), following NextPageUrl."""
    query = urllib.parse.urlencode({"pagesize": str(UCDP_PAGE), "page": "0", "Country": country})
    url: str | None = f"{UCDP_URL.format(version=version)}?{query}"
    rows: list[dict] = []
    for page in range(MAX_PAGES):
        if not url:
            return rows
        resp = transport(Request("GET", url, {"x-ucdp-access-token": token}))
        _check(resp, f"UCDP GED request (page {page})")
        payload = resp.json()
        if not isinstance(payload, dict) or not isinstance(payload.get("Result"), list):
            raise FetchError(f"UCDP GED request (page {page}): unexpected response shape")
        rows.extend(payload["Result"])
        total_pages = payload.get("TotalPages")
        url = payload.get("NextPageUrl") or None
        if isinstance(total_pages, int) and page + 1 >= total_pages:
            return rows
    raise FetchError(f"UCDP request did not end after {MAX_PAGES} pages")


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


def rows_to_csv(rows: list[dict], columns: list[str]) -> bytes:
    """CSV bytes with ``columns`` first (provider order), then any other keys seen."""
    extra: list[str] = []
    known = set(columns)
    for row in rows:
        for key in row:
            if key not in known:
                known.add(key)
                extra.append(key)
    present = [c for c in columns if any(c in r for r in rows)] or columns
    header = present + extra
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else str(row.get(c)) for c in header])
    return buffer.getvalue().encode("utf-8")


def write_export(out_dir: Path, filename: str, data: bytes, meta: dict) -> Path:
    """Write the CSV and its .meta.json atomically; return the CSV path."""
    path = Path(out_dir) / filename
    write_bytes(path, data)
    meta = {**meta, "sha256": hashlib.sha256(data).hexdigest()}
    write_text(path.with_name(path.name + ".meta.json"), json.dumps(meta, indent=2) + "\n")
    return path


def fetch_acled(
    out_dir: Path,
    *,
    transport: Transport = urllib_transport,
    env: Mapping[str, str] | None = None,
    today: dt.date | None = None,
    start: str | None = None,
    end: str | None = None,
    page_size: int = ACLED_PAGE,
) -> Path:
    """Download ACLED events for Mali; return the written CSV path."""
    from analysis.sources.acled import COLUMNS_2023, POPULATION_COLUMNS

    env = os.environ if env is None else env
    username, password = _require(env, "ACLED_USERNAME", "ACLED_PASSWORD")
    today = today or dt.date.today()
    filters = {"country": "Mali"}
    if start or end:
        filters["event_date"] = f"{start or '1997-01-01'}|{end or today.isoformat()}"
        filters["event_date_where"] = "BETWEEN"
    token = acled_login(transport, username, password)
    rows = fetch_acled_rows(transport, token, filters, page_size)
    if not rows:
        raise FetchError(f"ACLED returned no events for Mali: {EMPTY_HINT}")
    data = rows_to_csv(rows, COLUMNS_2023 + POPULATION_COLUMNS)
    meta = {
        "dataset": "acled",
        "version": "api",
        "accessed": today.isoformat(),
        "filters": filters,
        "rows": len(rows),
        "source": ACLED_READ_URL,
    }
    return write_export(out_dir, f"acled-{today.isoformat()}.csv", data, meta)


def fetch_ucdp(
    out_dir: Path,
    *,
    version: str = "25.1",
    transport: Transport = urllib_transport,
    env: Mapping[str, str] | None = None,
    today: dt.date | None = None,
) -> Path:
    """Download UCDP GED events for Mali (country 432) of one release; return the CSV path."""
    from analysis.sources.ucdp import GED_COLUMNS

    env = os.environ if env is None else env
    (token,) = _require(env, "UCDP_TOKEN")
    today = today or dt.date.today()
    rows = fetch_ucdp_rows(transport, token, version)
    if not rows:
        raise FetchError(f"UCDP GED {version} returned no events for Mali: {EMPTY_HINT}")
    data = rows_to_csv(rows, GED_COLUMNS)
    meta = {
        "dataset": "ucdp",
        "version": version,
        "accessed": today.isoformat(),
        "filters": {"Country": "432"},
        "rows": len(rows),
        "source": UCDP_URL.format(version=version),
    }
    return write_export(out_dir, f"ucdp-ged-{version}-{today.isoformat()}.csv", data, meta)


def main(
    argv: list[str] | None = None,
    *,
    transport: Transport = urllib_transport,
    env: Mapping[str, str] | None = None,
    today: dt.date | None = None,
) -> int:
    """CLI entry point; returns the exit status (0 ok, 2 a problem the user can fix)."""
    parser = argparse.ArgumentParser(
        prog="python -m analysis.sources.fetch",
        description="Download your own ACLED or UCDP extract.",
    )
    parser.add_argument("dataset", choices=["acled", "ucdp"])
    parser.add_argument("--out", type=Path, required=True, help="folder, e.g. data/raw/acled/")
    parser.add_argument("--version", default="25.1", help="UCDP GED release (ucdp only)")
    parser.add_argument("--start", help="first event date YYYY-MM-DD (acled only)")
    parser.add_argument("--end", help="last event date YYYY-MM-DD (acled only)")
    args = parser.parse_args(argv)
    try:
        if args.dataset == "acled":
            path = fetch_acled(
                args.out, transport=transport, env=env, today=today, start=args.start, end=args.end
            )
        else:
            path = fetch_ucdp(
                args.out, version=args.version, transport=transport, env=env, today=today
            )
    except FetchError as exc:
        print(f"fetch {args.dataset}: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {path} (and {path.name}.meta.json)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
