"""Execute the notebooks and export them, with the index page, as self-contained HTML, in
every language: the English edition in ``reports/``, the French one in ``reports/fr/``.

Run as ``python -m analysis.render`` (``make report`` does). This process only orchestrates; the
work runs in children forked from one warm process (``analysis.report.zygote``), which has
imported pandas, matplotlib, IPython and the report package once, so no notebook pays a
kernel's start-up:

- it starts first, and warms up while the data step runs (``--data-step``, which ``make report``
  passes: the command that brings data/processed up to date);
- each stale page runs in its own forked child (a fresh namespace, as in a fresh kernel) which
  also exports it, in parallel; a page of each edition is its own job. This process writes each
  page as it arrives;
- the index, appendix, methodology and CSV of each edition are rendered in another child at the
  same time, and written only once every notebook has succeeded.

``--engine nbclient`` runs each notebook in a fresh kernel instead (the reference the tests
compare against, byte for byte). The build is incremental and reproducible:

- each page carries a build key in a ``<meta>`` tag: a hash of its notebook, the processed data
  (through its manifest, which hashes every input), the report stage's code and templates, the
  chart style and the lock file. A page whose key matches is not executed again; a page that is
  missing or stale is;
- a stale page is not always executed again: each run of a notebook is stored (in
  ``.make/executed/``, with the processed files it read, as ``analysis.report.data`` records
  them). When the page is stale only through what it does not read (the footer's list of
  inputs, the navigation, a table it never opens), it is exported again from that run: the same
  bytes, without running a cell. ``make clean`` removes the stored runs;
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
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from analysis import atomic, paths
from analysis.pipeline import manifest
from analysis.report import data, i18n
from analysis.report.notebooks import (
    ENGINES,
    NotebookFailed,
    Page,
    discover,
    environment,
    run_in_zygote,
)

KEY_META = re.compile(r'<meta name="build-key" content="([0-9a-f]{64})">')
# Code every page depends on besides its notebook: the shared modules and the report stage.
# The reader and pipeline stages reach the pages only through the processed data, whose
# manifest is part of the key.
SHARED_MODULES = ("__init__.py", "paths.py", "vocab.py", "errors.py", "atomic.py", "render.py")


def _entry(path: Path, root: Path) -> bytes:
    """What a file adds to a key: its path under ``root`` and its bytes."""
    return str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0"


def _hash_tree(digest: hashlib._Hash, files: list[Path], root: Path) -> None:
    for path in sorted(files):
        digest.update(_entry(path, root))


def key_files(root: Path) -> list[Path]:
    """Every file besides a page's notebook and the processed data that a page depends on."""
    package = root / "analysis"
    files = [package / name for name in SHARED_MODULES]
    files += [
        p for p in (package / "report").rglob("*") if p.is_file() and "__pycache__" not in p.parts
    ]
    files += [root / "matplotlibrc", root / "uv.lock"]
    return [p for p in files if p.exists()]


# Files that only shape a page's export, never a notebook's run: a stylesheet or template edit
# exports every page again without running a cell.
EXPORT_ONLY = Path("analysis") / "report" / "templates"


def code_digests(root: Path) -> tuple[hashlib._Hash, hashlib._Hash]:
    """In one pass over ``key_files``: the hash of all of them (what a page's key starts from,
    still open: the plan adds the data), and the hash of those a notebook's run depends on
    (``EXPORT_ONLY`` left out)."""
    page, run = hashlib.sha256(), hashlib.sha256()
    for path in sorted(key_files(root)):
        entry = _entry(path, root)
        page.update(entry)
        if not path.is_relative_to(root / EXPORT_ONLY):
            run.update(entry)
    return page, run


def run_key(page: Page, code: str, lang: str) -> str:
    """What a run of a notebook depends on besides the processed files it reads: its notebook,
    the code (``code_digests``' second hash) and the language; not the templates, the
    navigation or the footer, which only its export shows."""
    digest = hashlib.sha256(code.encode())
    digest.update(page.notebook.read_bytes())
    digest.update(lang.encode())
    return digest.hexdigest()


# Where a build keeps its notebooks' runs (see the module's docstring), under the root.
STORE = Path(".make") / "executed"


def page_key(page: Page, shared: str, lang: str = i18n.SOURCE_LANGUAGE) -> str:
    digest = hashlib.sha256(shared.encode())
    digest.update(page.notebook.read_bytes())
    if lang != i18n.SOURCE_LANGUAGE:
        digest.update(lang.encode())
    return digest.hexdigest()


# The pages built from the processed tables rather than a notebook, index last (see ``extras``).
EXTRAS = ("incidents.csv", "appendix.html", "methodology.html", "index.html")


def extras_key(root: Path, shared: str, nav: list[dict], lang: str = i18n.SOURCE_LANGUAGE) -> str:
    """Hash of what one edition's index, appendix, methodology and incident table depend on:
    everything the notebook pages share, the methodology texts, the navigation (every page's
    title, in that edition's language), the build date (``SOURCE_DATE_EPOCH``) and the
    language."""
    digest = hashlib.sha256(shared.encode())
    _hash_tree(digest, list(root.glob("METHODOLOGY*.md")), root)
    digest.update(json.dumps(nav, sort_keys=True).encode())
    digest.update(str(paths.source_date_epoch()).encode())
    if lang != i18n.SOURCE_LANGUAGE:
        digest.update(lang.encode())
    return digest.hexdigest()


def extras_current(reports: Path, key: str) -> bool:
    """The extra pages exist and the index (written last) was built with ``key``: then the
    other three were written by the same build."""
    return (
        all((reports / name).exists() for name in EXTRAS)
        and existing_key(reports / "index.html") == key
    )


def existing_key(path: Path) -> str | None:
    if not path.exists():
        return None
    match = KEY_META.search(path.read_text(encoding="utf-8", errors="replace")[:4096])
    return match.group(1) if match else None


def footer_context(processed: Path) -> dict:
    record = manifest.load(processed / "manifest.json")
    package = processed / paths.DATAPACKAGE
    version = manifest.load(package)["version"] if package.exists() else None
    return {
        "dataset_version": version,
        "inputs": record["inputs"],
        "versions": record["versions"],
        "exports": record.get("exports", {}),
    }


def render(
    root: Path,
    processed: Path,
    reports: Path,
    only: set[str] | None = None,
    workers: int | None = None,
    engine: str = "zygote",
    zygote=None,
    languages: tuple[str, ...] = i18n.LANGUAGES,
    store: Path | None = None,
) -> int:
    """Build stale pages and the index of every edition. Returns the number of failed notebooks.

    ``engine`` is ``zygote`` (children of a warm process; ``zygote`` may pass one already
    started) or ``nbclient`` (a fresh kernel per notebook and edition, the reference).
    With ``store`` (a folder; ``make report`` passes ``STORE``), the zygote engine keeps each
    notebook's run there and exports a stale page from its run when what the notebook read is
    unchanged. The nbclient engine always executes.
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, not {engine!r}")
    pages = discover(root / "notebooks")
    footer = footer_context(processed)
    if engine == "nbclient":
        from analysis.report.notebooks import titles

        names = titles(pages, languages)
        plan = Plan(root, processed, reports, pages, names, only, footer, languages)
        return _render_nbclient(plan, workers)
    own = zygote is None
    if own:
        from analysis.report.zygote import Zygote

        zygote = Zygote(root)
    try:
        from analysis.report.zygote import RemoteError, WorkerDied

        try:
            names = zygote.call("analysis.report.notebooks:titles_job", pages, languages)
        except (RemoteError, WorkerDied) as exc:
            print(f"make report: could not read the notebooks: {exc}", file=sys.stderr)
            return len(pages)
        plan = Plan(root, processed, reports, pages, names, only, footer, languages, store)
        return _render_zygote(zygote, plan, workers)
    finally:
        if own:
            zygote.close()


class Plan:
    """What a build does, for every edition: every page's key (its notebook, what all pages
    share, the navigation, which every page shows, and the language), the stale pages, and
    whether each edition's extra pages are current, and which stale pages can be exported from
    a stored run (``stored``). Current pages are marked so for make (their prerequisites may be
    newer files with the same content, e.g. after a checkout)."""

    def __init__(
        self, root, processed, reports, pages, titles, only, footer, languages, store=None
    ):
        self.root, self.processed, self.reports, self.footer = root, processed, reports, footer
        self.pages = pages
        self.languages = tuple(languages)
        self.nav = {lang: navigation(pages, titles[lang], lang) for lang in self.languages}
        self.listed = {
            lang: [(p.html_name, titles[lang][p.name]) for p in pages] for lang in self.languages
        }
        code, run_code = code_digests(root)
        # The processed data, through its manifest (which hashes every input); read once here,
        # for the pages' keys and for the hashes of the files a stored run read.
        raw = (processed / "manifest.json").read_bytes()
        code.update(raw)
        shared = code.hexdigest()
        self.keys = {}
        for lang in self.languages:
            with_nav = hashlib.sha256(shared.encode())
            with_nav.update(json.dumps(self.nav[lang], sort_keys=True).encode())
            for p in pages:
                self.keys[p.name, lang] = page_key(p, with_nav.hexdigest(), lang)
        self.stale = [
            (p, lang)
            for lang in self.languages
            for p in pages
            if (only is None or p.name in only)
            and existing_key(self.target(p, lang)) != self.keys[p.name, lang]
        ]
        for lang in self.languages:
            for page in pages:
                if (page, lang) not in self.stale and self.target(page, lang).exists():
                    os.utime(self.target(page, lang))
        self.store = store
        self.hashes = {name: meta["sha256"] for name, meta in json.loads(raw)["outputs"].items()}
        self.hashes[data.MANIFEST] = hashlib.sha256(raw).hexdigest()
        self.run_keys = {
            (p.name, lang): run_key(p, run_code.hexdigest(), lang) for p, lang in self.stale
        }
        self.stored = {
            (p.name, lang): run
            for p, lang in self.stale
            if (run := self.stored_run(p, lang)) is not None
        }
        self.extras_key = {
            lang: extras_key(root, shared, self.nav[lang], lang) for lang in self.languages
        }
        self.extras_stale = [
            lang
            for lang in self.languages
            if not extras_current(self.folder(lang), self.extras_key[lang])
        ]

    def folder(self, lang: str) -> Path:
        return self.reports / i18n.FOLDERS[lang]

    def run_files(self, page: Page, lang: str) -> tuple[Path, Path]:
        """Where the run of ``page`` in ``lang`` is kept: what it read, and the notebook."""
        folder = self.store / lang
        return folder / f"{page.name}.json", folder / f"{page.name}.ipynb"

    def stored_run(self, page: Page, lang: str) -> dict | None:
        """The stored run of a stale page, if its notebook, the code, the language and every
        processed file it read are what this build has."""
        if self.store is None:
            return None
        meta, notebook = self.run_files(page, lang)
        try:
            run = json.loads(meta.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        current = run.get("key") == self.run_keys[page.name, lang] and all(
            self.hashes.get(name) == sha for name, sha in run.get("reads", {}).items()
        )
        return {**run, "notebook": notebook} if current and notebook.exists() else None

    def keep_run(self, page: Page, lang: str, notebook: str, reads: list[str], missing) -> None:
        """Store a run: the notebook first, then what it read (the run counts only once both
        are written, so a build stopped in between leaves no stale pair)."""
        if self.store is None:
            return
        meta, path = self.run_files(page, lang)
        meta.parent.mkdir(parents=True, exist_ok=True)
        meta.unlink(missing_ok=True)
        atomic.write_text(path, notebook)
        record = {
            "key": self.run_keys[page.name, lang],
            # A file this build does not have is recorded as None: its absence was read.
            "reads": {name: self.hashes.get(name) for name in reads},
            "missing": missing,
        }
        atomic.write_text(meta, json.dumps(record, indent=1, sort_keys=True) + "\n")

    def target(self, page: Page, lang: str) -> Path:
        return self.folder(lang) / page.html_name

    def shown(self, path: Path) -> str:
        """A path as the build log names it: reports/fr/index.html."""
        return f"reports/{path.relative_to(self.reports).as_posix()}"

    def written_last(self) -> list[str]:
        """The editions in the order their extra pages are written: make treats the English
        index as the target of the whole build, so it must be the final write."""
        return sorted(self.languages, key=lambda code: code == i18n.SOURCE_LANGUAGE)

    def extras_args(self, lang: str) -> tuple:
        return (
            self.root,
            self.processed,
            self.nav[lang],
            self.footer,
            self.listed[lang],
            self.extras_key[lang],
            lang,
        )


def navigation(pages: list[Page], titles: dict[str, str], lang: str) -> list[dict]:
    """The links every page of one edition carries, titles in that edition's language."""
    locale = i18n.get(lang)
    return [
        {"href": "index.html", "title": locale.gettext("Briefing")},
        *({"href": p.html_name, "title": titles[p.name]} for p in pages),
        {"href": "appendix.html", "title": locale.gettext("Incident appendix")},
        {"href": "methodology.html", "title": locale.gettext("Methodology")},
    ]


def extras(
    root: Path,
    processed: Path,
    nav: list[dict],
    footer: dict,
    listed: list[tuple[str, str]],
    key: str,
    lang: str = i18n.SOURCE_LANGUAGE,
    progress=None,
) -> dict[str, bytes]:
    """The pages of one edition built from the processed tables (``EXTRAS``), in the order
    they are written: the incident table for spreadsheet users (formula-like cells
    neutralised), the appendix, the methodology, and the index last (make treats it as the
    target, so it must be the final write). The HTML pages carry ``key`` (``extras_key``).
    Also run as a zygote job (which passes ``progress``; nothing to report here)."""
    from analysis.report import briefing, export
    from analysis.report.data import load

    with i18n.using(lang):
        env = environment(lang)
        built = {
            export.FILENAME: export.incidents_csv(load(processed)),
            "appendix.html": briefing.render_appendix(env, processed, nav, footer, key).encode(),
            "methodology.html": briefing.render_methodology(
                env, processed, nav, footer, root, key
            ).encode(),
            "index.html": briefing.render_index(env, processed, nav, footer, listed, key).encode(),
        }
    assert tuple(built) == EXTRAS
    return built


def _write_page(
    plan: Plan, page: Page, lang: str, html: str, missing: list[str], how: str = ""
) -> None:
    for message in missing:
        print(
            f"{page.notebook.name} ({lang}): not in the catalogue, shown in English: "
            f"{message[:70]!r} (run `make messages` and translate it)",
            file=sys.stderr,
        )
    target = plan.target(page, lang)
    atomic.fault_point(f"render: writing {page.html_name}")
    atomic.write_text(target, html)
    print(f"{plan.shown(target)}: built{how}", flush=True)


REEXPORTED = " (exported from its stored run: what the notebook reads is unchanged)"


def _finish(plan: Plan, failures: list[str], built: dict[str, dict[str, bytes]]) -> int:
    """Report failures (nothing else is written), or write each edition's extra pages; an
    edition missing from ``built`` has current ones."""
    # A notebook that fails fails in every edition, with the same message: report it once.
    failures = sorted(set(failures))
    if failures:
        print("\n" + "\n\n".join(failures), file=sys.stderr)
        print(
            f"\n{len(failures)} notebook(s) failed; their previous pages and the index were "
            "left as they were.",
            file=sys.stderr,
        )
        return len(failures)
    for lang in plan.written_last():
        folder = plan.folder(lang)
        if lang not in built:
            # Current extras: mark them so for make, the index (its target) last.
            for name in EXTRAS:
                os.utime(folder / name)
            continue
        for name, content in built[lang].items():
            if name.endswith(".html"):
                atomic.fault_point(f"render: writing {name}")
            atomic.write_bytes(folder / name, content)
            print(f"{plan.shown(folder / name)}: built", flush=True)
    return 0


def _render_zygote(zygote, plan: Plan, workers: int | None) -> int:
    from analysis.report.zygote import RemoteError, WorkerDied

    # Every job is a forked child doing real work: a few more than the cores keeps them busy
    # while this process writes what arrives.
    jobs = len(plan.stale) + len(plan.extras_stale)
    workers = workers or max(1, min(jobs, 2 * (os.cpu_count() or 1) + 2))
    failures: list[str] = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        extra = {
            lang: pool.submit(zygote.call, "analysis.render:extras", *plan.extras_args(lang))
            for lang in plan.extras_stale
        }
        futures = {}
        for page, lang in plan.stale:
            stored = plan.stored.get((page.name, lang))
            job, source = (
                ("analysis.report.notebooks:page_job", plan.processed)
                if stored is None
                else ("analysis.report.notebooks:export_job", stored["notebook"])
            )
            args = (source, lang, plan.keys[page.name, lang], plan.nav[lang], plan.footer)
            futures[pool.submit(run_in_zygote, zygote, page, job, *args)] = (page, lang, stored)
        for future in concurrent.futures.as_completed(futures):
            page, lang, stored = futures[future]
            try:
                result = future.result()
            except NotebookFailed as exc:
                failures.append(str(exc))
                continue
            if stored is not None:
                _write_page(plan, page, lang, result, stored["missing"], REEXPORTED)
                continue
            html, failure, missing, run = result
            if failure:
                failures.append(failure)
                continue
            plan.keep_run(page, lang, *run, missing)
            _write_page(plan, page, lang, html, missing)
        if failures:
            for future in extra.values():
                future.cancel()
            return _finish(plan, failures, {})
        built = {}
        for lang, future in extra.items():
            try:
                built[lang] = future.result()
            except (RemoteError, WorkerDied) as exc:
                print(f"make report: the index and appendix failed: {exc}", file=sys.stderr)
                return 1
    return _finish(plan, failures, built)


def _render_nbclient(plan: Plan, workers: int | None) -> int:
    from analysis.report.notebooks import execute_kernel, export_page, untranslated

    failures: list[str] = []
    # Kernels spend part of their time starting up and waiting on I/O, so running every stale
    # notebook at once (up to twice the cores) beats running them one core at a time.
    workers = workers or min(len(plan.stale), 2 * (os.cpu_count() or 1)) or 1
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {
            pool.submit(execute_kernel, page, plan.processed, plan.root, lang): (page, lang)
            for page, lang in plan.stale
        }
        for future in concurrent.futures.as_completed(futures):
            page, lang = futures[future]
            try:
                nb = future.result()
            except NotebookFailed as exc:
                failures.append(str(exc))
                continue
            missing = untranslated(nb)
            key = plan.keys[page.name, lang]
            html = export_page(nb, page, key, plan.nav[lang], plan.footer, lang)
            _write_page(plan, page, lang, html, missing)
    if failures:
        return _finish(plan, failures, {})
    built = {lang: extras(*plan.extras_args(lang)) for lang in plan.extras_stale}
    return _finish(plan, failures, built)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Execute notebooks and build HTML reports.")
    parser.add_argument("--root", type=Path, default=paths.ROOT)
    parser.add_argument("--processed", type=Path, default=None)
    parser.add_argument("--reports", type=Path, default=None)
    parser.add_argument("--only", nargs="*", help="notebook names to consider (default: all)")
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        default="zygote",
        help="zygote: forked children of one warm process (default); nbclient: a fresh kernel "
        "per notebook (the reference)",
    )
    parser.add_argument(
        "--data-step",
        metavar="COMMAND",
        help="a shell command that brings the processed data up to date (make report passes "
        "`make data`); it runs while the notebook workers warm up, and a failure stops the build",
    )
    parser.add_argument(
        "--store",
        type=Path,
        default=None,
        help=f"where each notebook's run is kept between builds (default: ROOT/{STORE})",
    )
    args = parser.parse_args(argv)
    root = args.root.resolve()
    processed = (args.processed or root / "data" / "processed").resolve()
    reports = args.reports or root / "reports"
    zygote = None
    if args.engine == "zygote":
        from analysis.report import zygote as zygotes

        # Either way the notebook processes import while the data step runs. The warm server
        # is connected to only under the build lock (see ``zygote.start_server``).
        if zygotes.server_enabled():
            zygotes.start_server(root)
        else:
            zygote = zygotes.Zygote(root)
    try:
        if args.data_step:
            step = subprocess.run(args.data_step, shell=True, cwd=root, check=False)
            if step.returncode != 0:
                return step.returncode if step.returncode > 0 else 2
        if not (processed / "manifest.json").exists():
            print(f"{processed}/manifest.json not found: run `make data` first", file=sys.stderr)
            return 2
        # Before: never build pages from stale data. After: a build only reads data/raw, so a
        # difference means it was edited while the pages were being built.
        manifest.verify_inputs(processed, root)
        with atomic.build_lock(reports):
            if args.engine == "zygote" and zygote is None:
                from analysis.report.zygote import Zygote

                zygote = Zygote.for_build(root)
            failed = render(
                root,
                processed,
                reports,
                set(args.only) if args.only else None,
                engine=args.engine,
                zygote=zygote,
                store=args.store or root / STORE,
            )
        manifest.verify_inputs(processed, root)
    except manifest.InputsChangedError as exc:
        print(f"make report: {exc}", file=sys.stderr)
        return 2
    finally:
        if zygote is not None:
            zygote.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
