"""``make data`` and ``make report``: plan every output, then do only what the plan says.

``python -m analysis.render`` brings data/processed and both editions of reports/ up to date;
``--data-only`` stops after data/processed; ``--explain`` prints what would be done with every
output, and why, without doing it. docs/architecture.md explains the build.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

from analysis import atomic, keys, paths, plan
from analysis.pipeline import manifest
from analysis.report import i18n
from analysis.report.notebooks import ENGINES, NotebookFailed, Page, discover, kernel_env

# Where a build keeps its record (outputs' keys and hashes) and the notebooks' runs.
STORE = Path(".make")
# The files of an edition built from the processed tables rather than a notebook, index last.
EXTRAS = ("incidents.csv", "appendix.html", "methodology.html", "index.html")
REEXPORTED = " (exported from its stored run: what the notebook runs on is unchanged)"


class State:
    """The build's record: for each output, the export key and hash it was written with; and
    the stored runs (``executed/<lang>/<notebook>.ipynb`` with its run key beside it)."""

    def __init__(self, root: Path, folder: Path | None):
        self.root, self.folder = root, folder
        self.outputs: dict[str, dict] = {}
        if folder is not None and (folder / "state.json").exists():
            self.outputs = json.loads((folder / "state.json").read_text(encoding="utf-8"))

    def name(self, path: Path) -> str:
        path = path.resolve()
        return str(path.relative_to(self.root) if path.is_relative_to(self.root) else path)

    def have(self, path: Path, run: tuple[str, str] | None = None) -> plan.Have:
        record = self.outputs.get(self.name(path), {})
        stored = self.run_key(*run) if run else None
        return plan.Have(stored, record.get("key"), record.get("sha256"), keys.file_sha(path))

    def wrote(self, path: Path, key: str) -> None:
        if self.folder is not None:
            self.outputs[self.name(path)] = {"key": key, "sha256": keys.file_sha(path)}
            atomic.write_text(self.folder / "state.json", json.dumps(self.outputs, indent=1))

    def run_files(self, lang: str, name: str) -> tuple[Path, Path]:
        folder = self.folder / "executed" / lang
        return folder / f"{name}.key", folder / f"{name}.ipynb"

    def run_key(self, lang: str, name: str) -> str | None:
        if self.folder is None:
            return None
        key, notebook = self.run_files(lang, name)
        return key.read_text() if key.exists() and notebook.exists() else None

    def stored_run(self, lang: str, name: str) -> str:
        return self.run_files(lang, name)[1].read_text(encoding="utf-8")

    def keep_run(self, lang: str, name: str, key: str, notebook: str) -> None:
        """The notebook first, then its key: a build stopped in between leaves no pair."""
        if self.folder is not None:
            key_file, path = self.run_files(lang, name)
            key_file.unlink(missing_ok=True)
            atomic.write_text(path, notebook)
            atomic.write_text(key_file, key)


# ------------------------------------------------------------------------------- the data


def data_outputs(processed: Path) -> list[Path]:
    """Every file of data/processed: what its manifest lists, and the manifest."""
    try:
        listed = manifest.load(processed / "manifest.json")["outputs"]
    except (OSError, ValueError, KeyError):
        listed = {}
    return [processed / "manifest.json", *(processed / name for name in sorted(listed))]


def plan_data(root: Path, processed: Path, state: State) -> dict[Path, plan.Decision]:
    key = keys.data_key(root)
    return {
        path: plan.decide(plan.Want(key, key), state.have(path)) for path in data_outputs(processed)
    }


def build_data(root: Path, processed: Path, state: State) -> int:
    """Run the data step if any processed file needs it (it writes all of them at once)."""
    decisions = plan_data(root, processed, state)
    if all(d.action == plan.KEEP for d in decisions.values()):
        return 0
    command = [sys.executable, "-m", "analysis.clean", "--out", str(processed)]
    code = subprocess.run(command, cwd=root, check=False).returncode
    if code != 0:
        return code if code > 0 else 2
    key = keys.data_key(root)
    for path in data_outputs(processed):
        state.wrote(path, key)
    return 0


# ------------------------------------------------------------------------------- the pages


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


class Plan:
    """Every output of every edition with its keys and what to do with it."""

    def __init__(self, root, processed, reports, state, languages, only=None):
        self.root, self.processed, self.reports, self.state = root, processed, reports, state
        self.languages = tuple(languages)
        self.pages = discover(root / "notebooks")
        notebooks = [keys.Notebook(root, page.notebook) for page in self.pages]
        tables = keys.table_hashes(processed)
        self.footer = footer_context(processed)
        shared = keys.shared_export(root, notebooks, self.footer)
        self.wants: dict[Path, plan.Want] = {}
        self.decisions: dict[Path, plan.Decision] = {}
        for lang in self.languages:
            for page, nb in zip(self.pages, notebooks, strict=True):
                if only is None or page.name in only:
                    run = keys.run_key(root, nb, lang, tables)
                    want = plan.Want(run, keys.export_key(run, nb, shared), staged=True)
                    self._add(self.target(page, lang), want, (lang, page.name))
            extras = keys.extras_key(root, lang, shared, tables)
            for name in EXTRAS:
                self._add(self.folder(lang) / name, plan.Want(extras, extras))

    def _add(self, path: Path, want: plan.Want, run=None) -> None:
        self.wants[path] = want
        self.decisions[path] = plan.decide(want, self.state.have(path, run))

    def folder(self, lang: str) -> Path:
        return self.reports / i18n.FOLDERS[lang]

    def target(self, page: Page, lang: str) -> Path:
        return self.folder(lang) / page.html_name

    def page_jobs(self) -> list[tuple[Page, str, str]]:
        return [
            (page, lang, self.decisions[self.target(page, lang)].action)
            for lang in self.languages
            for page in self.pages
            if self.decisions.get(self.target(page, lang), plan.Decision(plan.KEEP, "")).action
            != plan.KEEP
        ]

    def extras_jobs(self) -> list[str]:
        return [
            lang
            for lang in self.languages
            if any(self.decisions[self.folder(lang) / n].action != plan.KEEP for n in EXTRAS)
        ]

    def idle(self) -> bool:
        return not self.page_jobs() and not self.extras_jobs()

    def explain(self) -> list[str]:
        return plan.explain({self.state.name(p): d for p, d in self.decisions.items()})


def titles(pages: list[Page], languages: tuple[str, ...], progress=None):
    from analysis.report.pages import navigation, titles

    found = titles(pages, languages)
    return {lang: (navigation(pages, found[lang], lang), found[lang]) for lang in languages}


def extras(root, processed, nav, footer, listed, key, lang, progress=None) -> dict[str, bytes]:
    """An edition's pages built from the processed tables (``EXTRAS``), in the order they are
    written: the incident table (formula-like cells neutralised), the appendix, the
    methodology, the index."""
    from analysis.report import briefing, export
    from analysis.report.data import load
    from analysis.report.pages import environment

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


_INLINE = threading.Lock()  # the reference engine exports one page at a time


def run_kernel(page, processed, lang, key, nav, footer, root, progress=None):
    """The reference engine's job: a fresh kernel (nbclient), then the export."""
    from analysis.report.notebooks import execute_kernel, untranslated
    from analysis.report.pages import export_page

    nb = execute_kernel(page, processed, root, lang)
    with _INLINE:
        missing = untranslated(nb)
        return export_page(nb, page, key, nav, footer, lang), None, missing, None


class Inline:
    """The reference engine's stand-in for the fork server: jobs run in this process."""

    def call(self, function: str, *args):
        import importlib

        module, _, name = function.partition(":")
        target = getattr(importlib.import_module(module), name)
        if target is run_kernel:
            return target(*args)
        with _INLINE:
            return target(*args)

    def close(self) -> None:
        pass


def build_pages(build: Plan, runner, engine: str, workers: int | None = None) -> int:
    """Do the plan's jobs; returns the number of failed notebooks."""
    from analysis.report.pool import RemoteError, WorkerDied

    jobs, editions = build.page_jobs(), build.extras_jobs()
    if not jobs and not editions:
        return 0
    try:
        nav = runner.call("analysis.render:titles", build.pages, build.languages)
    except (RemoteError, WorkerDied) as exc:
        print(f"make report: could not read the notebooks: {exc}", file=sys.stderr)
        return len(build.pages)
    workers = workers or max(1, min(len(jobs) + len(editions), 2 * (os.cpu_count() or 1) + 2))
    failures: list[str] = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        extra = {}
        for lang in editions:
            listed = [(p.html_name, nav[lang][1][p.name]) for p in build.pages]
            key = build.wants[build.folder(lang) / "index.html"].export_key
            args = (build.root, build.processed, nav[lang][0], build.footer, listed, key, lang)
            extra[lang] = pool.submit(runner.call, "analysis.render:extras", *args)
        futures = {}
        for page, lang, action in jobs:
            key = build.wants[build.target(page, lang)].export_key
            common = (lang, key, nav[lang][0], build.footer)
            if action == plan.EXPORT:
                stored = build.state.stored_run(lang, page.name)
                call = ("analysis.report.notebooks:export_stored", stored, *common)
            elif engine == "nbclient":
                call = ("analysis.render:run_kernel", build.processed, *common, build.root)
            else:
                call = ("analysis.report.notebooks:run_page", build.processed, *common)
            futures[pool.submit(_job, runner, page, *call)] = (page, lang, action)
        for future in concurrent.futures.as_completed(futures):
            page, lang, action = futures[future]
            try:
                result = future.result()
            except NotebookFailed as exc:
                failures.append(str(exc))
                continue
            if action == plan.EXPORT:
                html, missing = result
            else:
                html, failure, missing, notebook = result
                if failure:
                    failures.append(failure)
                    continue
                if notebook is not None:
                    run = build.wants[build.target(page, lang)].run_key
                    build.state.keep_run(lang, page.name, run, notebook)
            _write_page(build, page, lang, html, missing, REEXPORTED * (action == plan.EXPORT))
        if failures:
            for future in extra.values():
                future.cancel()
            failures = sorted(set(failures))  # a notebook fails alike in every edition
            print("\n" + "\n\n".join(failures), file=sys.stderr)
            print(
                f"\n{len(failures)} notebook(s) failed; their previous pages and the index "
                "were left as they were.",
                file=sys.stderr,
            )
            return len(failures)
        for lang, future in extra.items():
            try:
                built = future.result()
            except (RemoteError, WorkerDied) as exc:
                print(f"make report: the index and appendix failed: {exc}", file=sys.stderr)
                return 1
            for name, content in built.items():
                target = build.folder(lang) / name
                if name.endswith(".html"):
                    atomic.fault_point(f"render: writing {name}")
                atomic.write_bytes(target, content)
                build.state.wrote(target, build.wants[target].export_key)
                print(f"{_shown(build, target)}: built", flush=True)
    return 0


def _job(runner, page: Page, function: str, *args):
    """A page's job; a process that failed is named by its page."""
    from analysis.report.pool import RemoteError, WorkerDied

    try:
        return runner.call(function, page, *args)
    except WorkerDied as exc:
        where = "" if exc.last_progress is None else f" in cell {exc.last_progress}"
        raise NotebookFailed(
            page, f"notebook {page.notebook.name} failed{where}\n  DeadKernelError: {exc}"
        ) from None
    except RemoteError as exc:
        raise NotebookFailed(
            page, f"{page.notebook.name}: {exc.ename}: {exc}\n{exc.remote_traceback}"
        ) from None


def _shown(build: Plan, path: Path) -> str:
    return f"reports/{path.relative_to(build.reports).as_posix()}"


def _write_page(build: Plan, page: Page, lang: str, html: str, missing, how: str) -> None:
    for message in missing:
        print(
            f"{page.notebook.name} ({lang}): not in the catalogue, shown in English: "
            f"{message[:70]!r} (run `make messages` and translate it)",
            file=sys.stderr,
        )
    target = build.target(page, lang)
    atomic.fault_point(f"render: writing {page.html_name}")
    atomic.write_text(target, html)
    build.state.wrote(target, build.wants[target].export_key)
    print(f"{_shown(build, target)}: built{how}", flush=True)


def start(engine: str, root: Path):
    if engine == "nbclient":
        return Inline()
    from analysis.report.pool import Pool

    return Pool(kernel_env(root))


def render(
    root: Path,
    processed: Path,
    reports: Path,
    only: set[str] | None = None,
    workers: int | None = None,
    engine: str = "fork",
    store: Path | None = None,
    languages: tuple[str, ...] = i18n.LANGUAGES,
    runner=None,
) -> int:
    """Build what the plan says of both editions' pages. Without ``store`` nothing is on
    record, so every page is built. Returns the number of failed notebooks."""
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, not {engine!r}")
    build = Plan(root, processed, reports, State(root, store), languages, only)
    own = runner is None and not build.idle()
    runner = start(engine, root) if own else runner
    try:
        return build_pages(build, runner, engine, workers)
    finally:
        if own:
            runner.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build data/processed and the HTML reports.")
    parser.add_argument("--root", type=Path, default=paths.ROOT)
    parser.add_argument("--processed", type=Path, default=None)
    parser.add_argument("--reports", type=Path, default=None)
    parser.add_argument("--only", nargs="*", help="notebook names to consider (default: all)")
    parser.add_argument("--engine", choices=ENGINES, default="fork")
    parser.add_argument("--data-only", action="store_true", help="stop after data/processed")
    parser.add_argument(
        "--explain", action="store_true", help="print what would be done with each output, and why"
    )
    args = parser.parse_args(argv)
    root = args.root.resolve()
    processed = (args.processed or root / "data" / "processed").resolve()
    reports = (args.reports or root / "reports").resolve()
    only = set(args.only) if args.only else None
    with atomic.build_lock(root / STORE):
        state = State(root, root / STORE)
        if args.explain:
            decisions = plan_data(root, processed, state)
            lines = plan.explain({state.name(p): d for p, d in decisions.items()})
            if not args.data_only and (processed / "manifest.json").exists():
                lines += Plan(root, processed, reports, state, i18n.LANGUAGES, only).explain()
            print("\n".join(lines))
            return 0
        runner = None
        try:
            if not args.data_only:
                # The fork server imports while the data step runs, if there is work ahead.
                data = plan_data(root, processed, state).values()
                if (
                    any(d.action != plan.KEEP for d in data)
                    or not Plan(root, processed, reports, state, i18n.LANGUAGES, only).idle()
                ):
                    runner = start(args.engine, root)
            code = build_data(root, processed, state)
            if code or args.data_only:
                return code
            # Before: never build pages from stale data. After: a build only reads data/raw,
            # so a difference means it was edited while the pages were being built.
            manifest.verify_inputs(processed, root)
            failed = render(
                root,
                processed,
                reports,
                only,
                engine=args.engine,
                store=root / STORE,
                runner=runner,
            )
            manifest.verify_inputs(processed, root)
        except manifest.InputsChangedError as exc:
            print(f"make report: {exc}", file=sys.stderr)
            return 2
        finally:
            if runner is not None:
                runner.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
