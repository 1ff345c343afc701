"""``make data`` and ``make report``: plan every output, then do only what the plan says.

``python -m analysis.render`` brings data/processed and both editions of reports/ up to date;
``--data-only`` stops after data/processed; ``--explain`` prints what would be done with every
output, and why. docs/architecture.md explains the build.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from analysis import atomic, keys, paths, plan
from analysis.pipeline import manifest
from analysis.report import i18n
from analysis.report.notebooks import Page, discover, kernel_env
from analysis.report.pages import EXTRAS, footer_context
from analysis.report.pool import JobFailed, Pool

STORE = Path(".make")  # the build's record and the notebooks' stored runs
REEXPORTED = " (exported from its stored run: what the notebook runs on is unchanged)"


class State:
    """What was built (``state.json``): for each output, the key it was written with and its
    hash as written. The stored runs (``executed/<lang>/<notebook>.ipynb``) are recorded alike,
    with their run key. Without a folder nothing is on record and no run is stored."""

    def __init__(self, root: Path, folder: Path | None):
        self.root, self.folder, self.outputs = root, folder, {}
        if folder is not None and (folder / "state.json").exists():
            self.outputs = json.loads((folder / "state.json").read_text(encoding="utf-8"))

    def name(self, path: Path) -> str:
        path = path.resolve()
        return str(path.relative_to(self.root) if path.is_relative_to(self.root) else path)

    def have(self, path: Path, run: Path | None = None) -> plan.Have:
        """What is on disk for ``path`` (and for its stored ``run``, if it has one)."""
        record = self.outputs.get(self.name(path), {})
        stored = self.key(run) if run else None
        return plan.Have(stored, record.get("key"), record.get("sha256"), keys.file_sha(path))

    def key(self, path: Path) -> str | None:
        """The key a file was written with, if it is still the file recorded."""
        record = self.outputs.get(self.name(path), {})
        return record.get("key") if record.get("sha256") == keys.file_sha(path) else None

    def run(self, lang: str, page: Page) -> Path | None:
        return self.folder and self.folder / "executed" / lang / f"{page.name}.ipynb"

    def wrote(self, path: Path, key: str) -> None:
        if self.folder is not None:
            self.outputs[self.name(path)] = {"key": key, "sha256": keys.file_sha(path)}
            self.save(durable=False)  # renamed into place now, flushed to disk by save()

    def save(self, durable: bool = True) -> None:
        if self.folder is not None:
            text = json.dumps(self.outputs, indent=1)
            atomic.write_text(self.folder / "state.json", text, durable)


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
    """The data step: it writes every file of data/processed at once."""
    command = [sys.executable, "-m", "analysis.clean", "--out", str(processed)]
    code = subprocess.run(command, cwd=root, check=False).returncode
    if code:
        return code if code > 0 else 2
    key = keys.data_key(root)
    for path in data_outputs(processed):
        state.wrote(path, key)
    state.save()
    return 0


@dataclass
class Job:
    """One child's work: a page in one edition (``page``), or the edition's ``EXTRAS`` (no
    ``page``); the outputs it writes, their keys, and what the plan says to do."""

    lang: str
    page: Page | None
    outputs: tuple[Path, ...]
    want: plan.Want
    action: str = plan.KEEP


class Build:
    """Every page and extra file of every edition (``only``: of these pages), with its keys
    and what to do with it."""

    def __init__(self, root, processed, reports, state, languages=i18n.LANGUAGES, only=None):
        self.root, self.processed, self.reports, self.state = root, processed, reports, state
        self.languages = tuple(languages)
        self.pages = discover(root / "notebooks")
        notebooks = [keys.Notebook(root, page.notebook) for page in self.pages]
        tables = keys.table_hashes(processed)
        self.footer = footer_context(processed)
        shared = keys.shared_export(root, notebooks, self.footer)
        jobs: list[Job] = []
        for lang in self.languages:
            folder = reports / i18n.FOLDERS[lang]
            for page, nb in zip(self.pages, notebooks, strict=True):
                if only is None or page.name in only:
                    run = keys.run_key(root, nb, lang, tables)
                    want = plan.Want(run, keys.export_key(run, nb, shared))
                    jobs.append(Job(lang, page, (folder / page.html_name,), want))
            extras = keys.extras_key(root, lang, shared, tables)
            outputs = tuple(folder / name for name in EXTRAS)
            jobs.append(Job(lang, None, outputs, plan.Want(extras, extras)))
        self.decisions: dict[Path, plan.Decision] = {}
        for job in jobs:
            run = job.page and state.run(job.lang, job.page)
            decided = {path: plan.decide(job.want, state.have(path, run)) for path in job.outputs}
            self.decisions.update(decided)
            job.action = plan.strongest(decided.values())
        # The extras first: the longest jobs start early.
        self.todo = sorted((j for j in jobs if j.action != plan.KEEP), key=lambda j: bool(j.page))


def _call(children: Pool, build: Build, job: Job, nav: dict):
    """``job`` in a child: an edition's extras (``{name: bytes}``), or a page's ``(html,
    untranslated messages, the run to store)``."""
    menu, titles = nav[job.lang]
    common = (job.lang, job.want.export_key, menu, build.footer)
    if job.page is None:
        listed = [(p.html_name, titles[p.name]) for p in build.pages]
        args = (build.root, build.processed, menu, build.footer, listed, job.want.export_key)
        return children.call("analysis.report.pages:extras", *args, job.lang)
    if job.action == plan.EXPORT:
        run = build.state.run(job.lang, job.page).read_text(encoding="utf-8")
        return children.call("analysis.report.notebooks:export_stored", job.page, run, *common)
    return children.call("analysis.report.notebooks:run_page", job.page, build.processed, *common)


def failure(page: Page, exc: JobFailed) -> str:
    """A page's failed job, named by its notebook (and the cell its child died in)."""
    where = "" if exc.progress is None else f" in cell {exc.progress}"
    return f"notebook {page.notebook.name} failed{where}\n  {exc}"


def _write(build: Build, target: Path, content: bytes, key: str, how: str = "") -> None:
    if target.suffix == ".html":
        atomic.fault_point(f"render: writing {target.name}")
    atomic.write_bytes(target, content)
    build.state.wrote(target, key)
    print(f"reports/{target.relative_to(build.reports).as_posix()}: built{how}", flush=True)


def build_pages(build: Build, children: Pool) -> int:
    """Do the plan's jobs, each in a child of the fork server; returns the number of failed
    notebooks (``JobFailed``: the navigation or an edition's extras failed)."""
    nav = children.call("analysis.report.pages:navigations", build.pages, build.languages)
    workers = max(1, min(len(build.todo), 2 * (os.cpu_count() or 1) + 2))
    failures: list[str] = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as threads:
        futures = {threads.submit(_call, children, build, job, nav): job for job in build.todo}
        pages = [future for future, job in futures.items() if job.page]
        for future in concurrent.futures.as_completed(pages):
            job = futures[future]
            try:
                html, missing, run = future.result()
            except JobFailed as exc:
                failures.append(failure(job.page, exc))
                continue
            stored = build.state.run(job.lang, job.page)
            if run is not None and stored is not None:  # the notebook, then its record
                atomic.write_text(stored, run)
                build.state.wrote(stored, job.want.run_key)
            how = REEXPORTED * (job.action == plan.EXPORT)
            _write(build, job.outputs[0], html.encode(), job.want.export_key, how)
            for message in missing:
                print(
                    f"{job.page.notebook.name} ({job.lang}): not in the catalogue, shown in "
                    f"English: {message[:70]!r} (run `make messages` and translate it)",
                    file=sys.stderr,
                )
        if failures:
            for future in futures:
                future.cancel()
            failures = sorted(set(failures))  # a notebook fails alike in every edition
            print("\n" + "\n\n".join(failures), file=sys.stderr)
            print(
                f"\n{len(failures)} notebook(s) failed; their previous pages and the index "
                "were left as they were.",
                file=sys.stderr,
            )
            return len(failures)
        for future, job in futures.items():
            if job.page is None:
                for path, content in zip(job.outputs, future.result().values(), strict=True):
                    _write(build, path, content, job.want.export_key)
    return 0


def render(
    root, processed, reports, only=None, store=None, languages=i18n.LANGUAGES, runner=None
) -> int:
    """Do what the plan says with the pages and extras, in children of ``runner`` (a fork
    server of its own if None). Without ``store`` nothing is on record, so everything is
    built. Returns the number of failed notebooks."""
    build = Build(root, processed, reports, State(root, store), languages, only)
    if not build.todo:
        return 0
    children = runner or Pool(kernel_env(root))
    try:
        return build_pages(build, children)
    finally:
        build.state.save()
        if runner is None:
            children.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build data/processed and the HTML reports.")
    parser.add_argument("--root", type=Path, default=paths.ROOT)
    parser.add_argument("--processed", type=Path, default=None)
    parser.add_argument("--reports", type=Path, default=None)
    parser.add_argument("--only", nargs="*", help="notebook names to consider (default: all)")
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
            decisions = dict(data)
            if not args.data_only and (processed / "manifest.json").exists():
                decisions |= Build(root, processed, reports, state, only=only).decisions
            print("\n".join(plan.explain({state.name(p): d for p, d in decisions.items()})))
            return 0
        stale = plan.strongest(data.values()) != plan.KEEP
        if args.data_only:
            return build_data(root, processed, state) if stale else 0
        if not stale and not Build(root, processed, reports, state, only=only).todo:
            return 0
        runner = Pool(kernel_env(root))  # it imports while the data step runs
        try:
            code = build_data(root, processed, state) if stale else 0
            if code:
                return code
            # Before: never pages from stale data. After: a build only reads data/raw, so a
            # difference means it was edited during the build.
            manifest.verify_inputs(processed, root)
            failed = render(root, processed, reports, only, store=root / STORE, runner=runner)
            manifest.verify_inputs(processed, root)
        except manifest.InputsChangedError as exc:
            print(f"make report: {exc}", file=sys.stderr)
            return 2
        except JobFailed as exc:  # the navigation or an edition's index and appendix
            print(f"make report: {exc}", file=sys.stderr)
            return 1
        finally:
            runner.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
