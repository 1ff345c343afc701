"""``make data`` and ``make report``: plan every output, then do only what the plan says.

``python -m analysis.render`` brings data/processed and both editions of reports/ up to date;
``--data-only`` stops after data/processed; ``--explain`` prints what would be done with every
output, and why. docs/architecture.md explains the build.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import importlib
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
from analysis.report.pages import EXTRAS, footer_context

STORE = Path(".make")  # the build's record and the notebooks' stored runs
REEXPORTED = " (exported from its stored run: what the notebook runs on is unchanged)"


class State:
    """What was built: each output's export key and hash as written (``state.json``), and
    the stored runs (``executed/<lang>/<notebook>.ipynb``, its run key in ``.key`` beside it).
    Without a folder nothing is on record."""

    def __init__(self, root: Path, folder: Path | None):
        self.root, self.folder, self.outputs = root, folder, {}
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
            self.save(durable=False)  # renamed into place now, flushed to disk by save()

    def save(self, durable: bool = True) -> None:
        if self.folder is not None:
            text = json.dumps(self.outputs, indent=1)
            atomic.write_text(self.folder / "state.json", text, durable)

    def run_files(self, lang: str, name: str) -> tuple[Path, Path]:
        folder = self.folder / "executed" / lang
        return folder / f"{name}.key", folder / f"{name}.ipynb"

    def run_key(self, lang: str, name: str) -> str | None:
        if self.folder is None:
            return None
        key, notebook = self.run_files(lang, name)
        return key.read_text() if key.exists() and notebook.exists() else None

    def keep_run(self, lang: str, name: str, key: str, notebook: str) -> None:
        """The notebook first, then its key: a build stopped in between leaves no pair."""
        if self.folder is not None:
            key_file, path = self.run_files(lang, name)
            key_file.unlink(missing_ok=True)
            atomic.write_text(path, notebook)
            atomic.write_text(key_file, key)


def data_outputs(processed: Path) -> list[Path]:
    """Every file of data/processed: the manifest and what it lists."""
    try:
        listed = manifest.load(processed / "manifest.json")["outputs"]
    except (OSError, ValueError, KeyError):
        listed = {}
    return [processed / "manifest.json", *(processed / name for name in sorted(listed))]


def plan_data(root: Path, processed: Path, state: State) -> dict[Path, plan.Decision]:
    key = keys.data_key(root)
    want = plan.Want(key, key)
    return {path: plan.decide(want, state.have(path)) for path in data_outputs(processed)}


def build_data(root: Path, processed: Path, state: State) -> int:
    """The data step, if any processed file needs it (it writes all of them at once)."""
    if all(d.action == plan.KEEP for d in plan_data(root, processed, state).values()):
        return 0
    command = [sys.executable, "-m", "analysis.clean", "--out", str(processed)]
    code = subprocess.run(command, cwd=root, check=False).returncode
    if code:
        return code if code > 0 else 2
    key = keys.data_key(root)
    for path in data_outputs(processed):
        state.wrote(path, key)
    state.save()
    return 0


class Plan:
    """Every page and extra file of every edition, with its keys and what to do with it."""

    def __init__(self, root, processed, reports, state, languages=i18n.LANGUAGES, only=None):
        self.root, self.processed, self.reports, self.state = root, processed, reports, state
        self.languages = tuple(languages)
        self.pages = discover(root / "notebooks")
        notebooks = [keys.Notebook(root, page.notebook) for page in self.pages]
        tables = keys.table_hashes(processed)
        self.footer = footer_context(processed)
        shared = keys.shared_export(root, notebooks, self.footer)
        self.wants, self.decisions = {}, {}
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

    def action(self, path: Path) -> str:
        return self.decisions[path].action if path in self.decisions else plan.KEEP

    def page_jobs(self) -> list[tuple[Page, str, str]]:
        jobs = [(p, lang) for lang in self.languages for p in self.pages]
        jobs = [(p, lang, self.action(self.target(p, lang))) for p, lang in jobs]
        return [job for job in jobs if job[2] != plan.KEEP]

    def extras_jobs(self) -> list[str]:
        stale = {
            lang
            for lang in self.languages
            for name in EXTRAS
            if self.action(self.folder(lang) / name) != plan.KEEP
        }
        return [lang for lang in self.languages if lang in stale]

    def idle(self) -> bool:
        return not self.page_jobs() and not self.extras_jobs()

    def explain(self) -> list[str]:
        return plan.explain({self.state.name(p): d for p, d in self.decisions.items()})


_INLINE = threading.Lock()  # the reference engine exports one page at a time


def run_kernel(page, processed, lang, key, nav, footer, root, progress=None):
    """The reference engine's job: a fresh kernel (nbclient), then the export."""
    from analysis.report.notebooks import execute_kernel, untranslated
    from analysis.report.pages import export_page

    nb = execute_kernel(page, processed, root, lang)
    with _INLINE:
        return export_page(nb, page, key, nav, footer, lang), None, untranslated(nb), None


class Inline:
    """The reference engine's stand-in for the fork server: jobs run in this process."""

    def call(self, function: str, *args):
        module, _, name = function.partition(":")
        target = getattr(importlib.import_module(module), name)
        if target is run_kernel:  # kernels run in parallel; exports one at a time
            return target(*args)
        with _INLINE:
            return target(*args)

    def close(self) -> None:
        pass


def build_pages(build: Plan, runner, engine: str, workers: int | None = None) -> int:
    """Do the plan's jobs; returns the number of failed notebooks."""
    from analysis.report.pool import RemoteError, WorkerDied

    jobs, editions = build.page_jobs(), build.extras_jobs()
    try:
        nav = runner.call("analysis.report.pages:navigations", build.pages, build.languages)
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
            extra[lang] = pool.submit(runner.call, "analysis.report.pages:extras", *args)
        futures = {}
        for page, lang, action in jobs:
            common = (lang, build.wants[build.target(page, lang)].export_key, nav[lang][0])
            if action == plan.EXPORT:
                stored = build.state.run_files(lang, page.name)[1].read_text(encoding="utf-8")
                call = ("analysis.report.notebooks:export_stored", stored, *common, build.footer)
            elif engine == "nbclient":
                call = ("analysis.render:run_kernel", build.processed, *common, build.footer)
                call += (build.root,)
            else:
                call = ("analysis.report.notebooks:run_page", build.processed, *common)
                call += (build.footer,)
            futures[pool.submit(_job, runner, page, *call)] = (page, lang, action)
        for future in concurrent.futures.as_completed(futures):
            page, lang, action = futures[future]
            try:
                html, failure, missing, notebook = future.result()
            except NotebookFailed as exc:
                html, failure = None, str(exc)
            if failure:
                failures.append(failure)
                continue
            if notebook is not None:
                run = build.wants[build.target(page, lang)].run_key
                build.state.keep_run(lang, page.name, run, notebook)
            _write(
                build, build.target(page, lang), html.encode(), REEXPORTED * (action == plan.EXPORT)
            )
            for message in missing:
                print(
                    f"{page.notebook.name} ({lang}): not in the catalogue, shown in English: "
                    f"{message[:70]!r} (run `make messages` and translate it)",
                    file=sys.stderr,
                )
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
                _write(build, build.folder(lang) / name, content)
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


def _write(build: Plan, target: Path, content: bytes, how: str = "") -> None:
    if target.suffix == ".html":
        atomic.fault_point(f"render: writing {target.name}")
    atomic.write_bytes(target, content)
    build.state.wrote(target, build.wants[target].export_key)
    print(f"reports/{target.relative_to(build.reports).as_posix()}: built{how}", flush=True)


def start(engine: str, root: Path):
    if engine == "nbclient":
        return Inline()
    from analysis.report.pool import Pool

    return Pool(kernel_env(root))


def render(
    root,
    processed,
    reports,
    only=None,
    workers=None,
    engine="fork",
    store=None,
    languages=i18n.LANGUAGES,
    runner=None,
) -> int:
    """Build what the plan says of the pages (``engine``: ``fork`` or ``nbclient``). Without
    ``store`` nothing is on record, so every page is built. Returns the failed notebooks."""
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, not {engine!r}")
    build = Plan(root, processed, reports, State(root, store), languages, only)
    if build.idle():
        return 0
    own = runner is None
    runner = start(engine, root) if own else runner
    try:
        return build_pages(build, runner, engine, workers)
    finally:
        build.state.save()
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
    parser.add_argument("--explain", action="store_true", help="say what would be done, and why")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    processed = (args.processed or root / "data" / "processed").resolve()
    reports = (args.reports or root / "reports").resolve()
    only = set(args.only) if args.only else None
    with atomic.build_lock(root / STORE):
        state = State(root, root / STORE)
        data = plan_data(root, processed, state)
        if args.explain:
            lines = plan.explain({state.name(p): d for p, d in data.items()})
            if not args.data_only and (processed / "manifest.json").exists():
                lines += Plan(root, processed, reports, state, only=only).explain()
            print("\n".join(lines))
            return 0
        runner = None
        try:
            # The fork server imports while the data step runs, if there is work ahead.
            pending = any(d.action != plan.KEEP for d in data.values())
            if not args.data_only and (
                pending or not Plan(root, processed, reports, state, only=only).idle()
            ):
                runner = start(args.engine, root)
            code = build_data(root, processed, state)
            if code or args.data_only:
                return code
            # Before: never pages from stale data. After: a build only reads data/raw, so a
            # difference means it was edited during the build.
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
