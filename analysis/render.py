"""Execute the notebooks and export them, with the index page, as self-contained HTML, in
every language: the English edition in ``reports/``, the French one in ``reports/fr/``.

Run as ``python -m analysis.render`` (``make report`` does). All notebooks run from this one
process, each in its own kernel, in parallel: that avoids paying ``jupyter nbconvert``'s start-up
cost once per notebook. The build is incremental and reproducible:

- each page carries a build key in a ``<meta>`` tag: a hash of its notebook, the processed data
  (through its manifest, which hashes every input), the report stage's code and templates, the
  chart style and the lock file. A page whose key matches is not executed again; a page that is
  missing or stale is;
- each notebook gets its inputs in an injected cell (``analysis.report.notebooks``), never
  through this process's environment;
- cell ids are fixed, the kernel gets ``PYTHONHASHSEED=0`` and the house ``matplotlibrc``, charts
  are PNGs without timestamps, and nothing in a page depends on the clock, so two builds from the
  same inputs give the same bytes;
- pages are written atomically; a notebook that fails leaves its previous page in place, the
  index is not rewritten, and the exit status is non-zero with the notebook and cell named;
- each edition is the same notebooks run with ``LANG`` injected beside ``PROCESSED`` and the
  markdown translated through the catalogue (``analysis.report.i18n``): the figures are computed
  the same way for both, only words and number formats differ. A message the catalogue lacks is
  shown in English and named on stderr (the tests fail on it).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import os
import re
import sys
from pathlib import Path

from analysis import atomic, paths
from analysis.pipeline import manifest
from analysis.report import briefing, export, i18n
from analysis.report.notebooks import (
    NotebookFailed,
    Page,
    discover,
    environment,
    execute,
    export_page,
    load_notebook,
    page_title,
)

KEY_META = re.compile(r'<meta name="build-key" content="([0-9a-f]{64})">')
# Code every page depends on besides its notebook: the shared modules and the report stage.
# The reader and pipeline stages reach the pages only through the processed data, whose
# manifest is part of the key.
SHARED_MODULES = ("__init__.py", "paths.py", "vocab.py", "errors.py", "atomic.py", "render.py")


def _hash_tree(digest: hashlib._Hash, files: list[Path], root: Path) -> None:
    for path in sorted(files):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")


def key_files(root: Path) -> list[Path]:
    """Every file besides a page's notebook and the processed data that a page depends on."""
    package = root / "analysis"
    files = [package / name for name in SHARED_MODULES]
    files += [
        p for p in (package / "report").rglob("*") if p.is_file() and "__pycache__" not in p.parts
    ]
    files += [root / "matplotlibrc", root / "uv.lock"]
    return [p for p in files if p.exists()]


def shared_key(root: Path, processed: Path) -> str:
    """Hash of everything every page depends on besides its own notebook."""
    digest = hashlib.sha256()
    _hash_tree(digest, key_files(root), root)
    digest.update((processed / "manifest.json").read_bytes())
    return digest.hexdigest()


def page_key(page: Page, shared: str, lang: str = i18n.SOURCE_LANGUAGE) -> str:
    digest = hashlib.sha256(shared.encode())
    digest.update(page.notebook.read_bytes())
    if lang != i18n.SOURCE_LANGUAGE:
        digest.update(lang.encode())
    return digest.hexdigest()


def existing_key(path: Path) -> str | None:
    if not path.exists():
        return None
    match = KEY_META.search(path.read_text(encoding="utf-8", errors="replace")[:4096])
    return match.group(1) if match else None


def footer_context(processed: Path) -> dict:
    record = manifest.load(processed / "manifest.json")
    return {
        "inputs": record["inputs"],
        "versions": record["versions"],
        "exports": record.get("exports", {}),
    }


def navigation(pages: list[Page], titles: dict[str, str], lang: str) -> list[dict]:
    """The links every page of one edition carries, titles in that edition's language."""
    locale = i18n.get(lang)
    return [
        {"href": "index.html", "title": locale.gettext("Briefing")},
        *({"href": p.html_name, "title": titles[p.name]} for p in pages),
        {"href": "appendix.html", "title": locale.gettext("Incident appendix")},
        {"href": "methodology.html", "title": locale.gettext("Methodology")},
    ]


def render(
    root: Path,
    processed: Path,
    reports: Path,
    only: set[str] | None = None,
    workers: int | None = None,
    languages: tuple[str, ...] = i18n.LANGUAGES,
) -> int:
    """Build stale pages and the index of every edition. Returns the number of failures."""
    pages = discover(root / "notebooks")
    shared = shared_key(root, processed)
    folders = {lang: reports / i18n.FOLDERS[lang] for lang in languages}
    jobs = [(page, lang) for lang in languages for page in pages]
    keys = {(p.name, lang): page_key(p, shared, lang) for p, lang in jobs}
    stale = [
        (p, lang)
        for p, lang in jobs
        if (only is None or p.name in only)
        and existing_key(folders[lang] / p.html_name) != keys[p.name, lang]
    ]
    # A page whose key matches is current: mark it so for make too (its prerequisites may be
    # newer files with the same content, e.g. after a checkout).
    for page, lang in jobs:
        if (page, lang) not in stale and (folders[lang] / page.html_name).exists():
            os.utime(folders[lang] / page.html_name)
    navs = {}
    for lang in languages:
        titles = {p.name: page_title(load_notebook(p, lang), p.name) for p in pages}
        navs[lang] = navigation(pages, titles, lang)
    footer = footer_context(processed)
    failures: list[str] = []
    # Kernels spend part of their time starting up and waiting on I/O, so running every stale
    # notebook at once (up to twice the cores) beats running them one core at a time.
    workers = workers or min(len(stale), 2 * (os.cpu_count() or 1)) or 1
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {
            pool.submit(execute, page, processed, root, lang): (page, lang) for page, lang in stale
        }
        for future in concurrent.futures.as_completed(futures):
            page, lang = futures[future]
            try:
                nb = future.result()
            except NotebookFailed as exc:
                failures.append(str(exc))
                continue
            for message in nb.metadata.pop("untranslated", []):
                print(
                    f"{page.notebook.name} ({lang}): not in the catalogue, shown in English: "
                    f"{message[:70]!r} (run `make messages` and translate it)",
                    file=sys.stderr,
                )
            html = export_page(nb, page, keys[page.name, lang], navs[lang], footer, lang)
            target = folders[lang] / page.html_name
            atomic.fault_point(f"render: writing {page.html_name}")
            atomic.write_text(target, html)
            print(f"{shown(target, reports)}: built", flush=True)
    # A notebook that fails fails in both editions, with the same message: report it once.
    failures = sorted(set(failures))
    if failures:
        print("\n" + "\n\n".join(failures), file=sys.stderr)
        print(
            f"\n{len(failures)} notebook(s) failed; their previous pages and the index were "
            "left as they were.",
            file=sys.stderr,
        )
        return len(failures)
    # The French edition first: make treats the English index as the target of the whole
    # build, so it must be the final write.
    for lang in sorted(languages, key=lambda code: code == i18n.SOURCE_LANGUAGE):
        write_briefing_pages(root, processed, folders[lang], reports, navs[lang], footer, lang)
    return 0


def shown(path: Path, reports: Path) -> str:
    """A path as the build log names it: reports/fr/index.html."""
    return f"reports/{path.relative_to(reports)}"


def write_briefing_pages(
    root: Path,
    processed: Path,
    folder: Path,
    reports: Path,
    nav: list[dict],
    footer: dict,
    lang: str,
) -> None:
    """The index, appendix, methodology and incidents.csv of one edition."""
    with i18n.using(lang):
        env = environment(lang)
        pages = [(item["href"], item["title"]) for item in nav[1:-2]]
        extra = {
            "appendix.html": briefing.render_appendix(env, processed, nav, footer),
            "methodology.html": briefing.render_methodology(env, processed, nav, footer, root),
            # The index last: make treats it as the target, so it must be the final write.
            "index.html": briefing.render_index(env, processed, nav, footer, pages),
        }
        # The incident table for spreadsheet users, with formula-like cells neutralised.
        csv_path = export.write_incidents_csv(processed, folder)
    print(f"{shown(csv_path, reports)}: built", flush=True)
    for name, text in extra.items():
        atomic.fault_point(f"render: writing {name}")
        atomic.write_text(folder / name, text)
        print(f"{shown(folder / name, reports)}: built", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Execute notebooks and build HTML reports.")
    parser.add_argument("--root", type=Path, default=paths.ROOT)
    parser.add_argument("--processed", type=Path, default=None)
    parser.add_argument("--reports", type=Path, default=None)
    parser.add_argument("--only", nargs="*", help="notebook names to consider (default: all)")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    processed = (args.processed or root / "data" / "processed").resolve()
    reports = args.reports or root / "reports"
    if not (processed / "manifest.json").exists():
        print(f"{processed}/manifest.json not found: run `make data` first", file=sys.stderr)
        return 2
    try:
        # Before: never build pages from stale data. After: a build only reads data/raw, so a
        # difference means it was edited while the pages were being built.
        manifest.verify_inputs(processed, root)
        with atomic.build_lock(reports):
            failed = render(root, processed, reports, set(args.only) if args.only else None)
        manifest.verify_inputs(processed, root)
    except manifest.InputsChangedError as exc:
        print(f"make report: {exc}", file=sys.stderr)
        return 2
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
