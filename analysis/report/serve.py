"""``make serve``: explore the processed tables in Datasette, on this machine only.

Datasette serves ``data/processed/civilian-harm.db`` read-only (immutable mode) with the metadata
``make data`` wrote beside it: titles, column descriptions, licence and source, facets and canned
queries. It listens on 127.0.0.1, so nothing is exposed to the network.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from analysis import paths

HOST = "127.0.0.1"
PORT = 8001


def command(processed: Path, host: str = HOST, port: int = PORT) -> list[str]:
    """The Datasette command line for the database in ``processed``."""
    return [
        sys.executable,
        "-m",
        "datasette",
        "serve",
        "--immutable",
        str(processed / paths.DATABASE),
        "--metadata",
        str(processed / paths.DATASETTE_METADATA),
        "--host",
        host,
        "--port",
        str(port),
        "--setting",
        "default_page_size",
        "50",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processed", type=Path, default=paths.PROCESSED)
    parser.add_argument("--host", default=HOST)
    parser.add_argument("--port", type=int, default=PORT)
    args = parser.parse_args(argv)
    for name in (paths.DATABASE, paths.DATASETTE_METADATA):
        if not (args.processed / name).exists():
            print(f"{args.processed / name} not found: run `make data` first", file=sys.stderr)
            return 2
    database = Path(paths.DATABASE).stem
    print(
        f"make serve: Datasette on http://{args.host}:{args.port}/{database}/incidents "
        "(Ctrl-C stops it)",
        flush=True,
    )
    cmd = command(args.processed, args.host, args.port)
    os.execv(cmd[0], cmd)
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main())
