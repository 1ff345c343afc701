"""The one inline script of every page (templates/page.js) and the Content-Security-Policy hash
that allows it.

Reports open offline, from a file, so the script is inlined; it is allowed by its sha256 hash,
computed here at build time, and the policy stays ``script-src 'sha256-...'``: no other script
can run, even if a source's text carried one (all text is escaped anyway). The same bytes serve
every page of both editions (the script reads its words from the page), so one hash serves all.

The script offers each chart's downloads (the SVG is the displayed image; the PNG is drawn from
it on request, with its title and alt text embedded) and runs the incident appendix's filters,
search and sort.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent / "templates" / "page.js"


def script() -> str:
    return SCRIPT.read_text(encoding="utf-8")


def csp_hash(text: str) -> str:
    """The CSP source expression allowing exactly this inline script."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def template_globals() -> dict[str, str]:
    """What the base template needs to inline the script and allow it."""
    text = script()
    return {"page_script": text, "page_script_hash": csp_hash(text)}
