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
                    want = plan.Want(run, keys.export_key(run, nb, shared), staged=True)
                    jobs.append(Job(lang, page, (folder / page.html_name,), want))
            extras = keys.extras_key(root, lang, shared, tables)
            outputs = tuple(folder / name for name in EXTRAS)
            jobs.append(Job(lang, None, outputs, plan.Want(extras, extras)))
        haves = {
            path: state.have(path, job.page and (job.lang, job.page.name))
            for job in jobs
            for path in job.outputs
        }
        self.decisions = plan.plan({p: j.want for j in jobs for p in j.outputs}, haves)
        actions = plan.group(self.decisions, {i: job.outputs for i, job in enumerate(jobs)})
        for i, job in enumerate(jobs):
            job.action = actions[i]
        # The extras first: the longest jobs start early.
        self.todo = sorted((j for j in jobs if j.action != plan.KEEP), key=lambda j: bool(j.page))

    def explain(self) -> list[str]:
        return plan.explain({self.state.name(p): d for p, d in self.decisions.items()})


def build_pages(build: Build, runner) -> int:
    """Do the plan's jobs, each in a child of ``runner``; returns the number of failed
    notebooks."""
    try:
        nav = runner.call("analysis.report.pages:navigations", build.pages, build.languages)
    except JobFailed as exc:
        print(f"make report: could not read the notebooks: {exc}", file=sys.stderr)
        return len(build.pages)
    workers = max(1, min(len(build.todo), 2 * (os.cpu_count() or 1) + 2))
    failures: list[str] = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(_call, runner, build, job, nav): job for job in build.todo}
        pages = [future for future, job in futures.items() if job.page]
        for future in concurrent.futures.as_completed(pages):
            job = futures[future]
            html, failure, missing, run = future.result()
            if failure:
                failures.append(failure)
                continue
            if run is not None:
                build.state.keep_run(job.lang, job.page.name, job.want.run_key, run)
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
                try:
                    built = future.result()
                except JobFailed as exc:
                    print(f"make report: the index and appendix failed: {exc}", file=sys.stderr)
                    return 1
                for path, content in zip(job.outputs, built.values(), strict=True):
                    _write(build, path, content, job.want.export_key)
    return 0


def _call(runner, build: Build, job: Job, nav: dict):
    """``job`` in a child: an edition's extras (``{name: bytes}``), or a page's ``(html,
    failure, untranslated messages, the run to store)``, its failure named by its notebook."""
    menu, titles = nav[job.lang]
    common = (job.lang, job.want.export_key, menu, build.footer)
    if job.page is None:
        listed = [(p.html_name, titles[p.name]) for p in build.pages]
        args = (build.root, build.processed, menu, build.footer, listed, job.want.export_key)
        return runner.call("analysis.report.pages:extras", *args, job.lang)
    try:
        if job.action == plan.EXPORT:
            run = build.state.run_files(job.lang, job.page.name)[1].read_text(encoding="utf-8")
            return runner.call("analysis.report.notebooks:export_stored", job.page, run, *common)
        return runner.call("analysis.report.notebooks:run_page", job.page, build.processed, *common)
    except JobFailed as exc:
        return None, failure(job.page, exc), [], None


def failure(page: Page, exc: JobFailed) -> str:
    """A page's failed job, named by its notebook (and the cell its child died in)."""
    if not exc.died:
        return f"{page.notebook.name}: {exc}"
    where = "" if exc.progress is None else f" in cell {exc.progress}"
    return f"notebook {page.notebook.name} failed{where}\n  DeadKernelError: {exc}"


def _write(build: Build, target: Path, content: bytes, key: str, how: str = "") -> None:
    if target.suffix == ".html":
        atomic.fault_point(f"render: writing {target.name}")
    atomic.write_bytes(target, content)
    build.state.wrote(target, key)
    print(f"reports/{target.relative_to(build.reports).as_posix()}: built{how}", flush=True)


def render(
    root, processed, reports, only=None, store=None, languages=i18n.LANGUAGES, runner=None
) -> int:
    """Build what the plan says of the pages, in children of ``runner`` (a fork server of its
    own if None). Without ``store`` nothing is on record, so every page is built. Returns the
    number of failed notebooks."""
    build = Build(root, processed, reports, State(root, store), languages, only)
    if not build.todo:
        return 0
    pool = runner or Pool(kernel_env(root))
    try:
        return build_pages(build, pool)
    finally:
        build.state.save()
        if runner is None:
            pool.close()


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
            lines = plan.explain({state.name(p): d for p, d in data.items()})
            if not args.data_only and (processed / "manifest.json").exists():
                lines += Build(root, processed, reports, state, only=only).explain()
            print("\n".join(lines))
            return 0
        runner = None
        try:
            # The fork server imports while the data step runs, if there is work ahead.
            pending = any(d.action != plan.KEEP for d in data.values())
            if not args.data_only and (
                pending or Build(root, processed, reports, state, only=only).todo
            ):
                runner = Pool(kernel_env(root))
            code = build_data(root, processed, state)
            if code or args.data_only:
                return code
            # Before: never pages from stale data. After: a build only reads data/raw, so a
            # difference means it was edited during the build.
            manifest.verify_inputs(processed, root)
            failed = render(root, processed, reports, only, store=root / STORE, runner=runner)
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
