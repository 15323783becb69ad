"""`rnnbench run`: benchmark the chosen suite here and write results.json plus the HTML report."""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import typer

from bench.files import input_at, replaceable
from bench.results import RunResults
from bench.suites import ALL_DTYPES, CELLS, SuiteError, parse_list, plan
from provision.text import printable
from rnnbench.commands import UserError
from rnnkit.seeds import seed_problem
from rnnkit.threads import threads_problem


def _devices(text: str) -> list[str]:
    import torch

    from bench.runner import present_devices

    choice = text.strip().lower()
    if choice == "all":
        return present_devices()
    if choice == "cpu":
        return ["cpu"]
    if choice == "cuda":
        if not torch.cuda.is_available():
            raise UserError("--device cuda: torch sees no CUDA GPU here (run `rnnbench doctor` "
                            "to find out why)", 2)
        return ["cuda"]
    raise UserError(f"--device: {text!r} not understood (choose cpu, cuda or all)", 2)


@dataclass(frozen=True)
class LengthsOption:
    """The user's own lengths for the batching cases (--corpus/--lengths, --split, --count,
    --n, --with-synthetic)."""

    corpus: Path | None = None
    lengths: Path | None = None
    split: str = "lines"
    count: str = "chars"
    n: int | None = None
    with_synthetic: bool = False


def _length_source(option: LengthsOption):  # -> LengthSource | None
    from rnnkit.data.lengths import SPLITS, UNITS, LengthSource

    if option.corpus is not None and option.lengths is not None:
        raise UserError("give --corpus or --lengths, not both", 2)
    if option.split not in SPLITS:
        raise UserError(f"--split {option.split!r}: choose {' or '.join(SPLITS)}", 2)
    if option.count not in UNITS:
        raise UserError(f"--count {option.count!r}: choose {' or '.join(UNITS)}", 2)
    if option.lengths is not None:
        return LengthSource("lengths", str(option.lengths))
    if option.corpus is None:
        return None
    if Path(option.corpus).is_dir():
        return LengthSource("names", str(option.corpus))
    return LengthSource("text", str(option.corpus), option.split, option.count)


def _data_choice(option: LengthsOption):  # -> (DataChoice, DataLengths | None)
    from bench.session import data_lengths
    from bench.suites import DataChoice
    from rnnkit.data.errors import CorpusError

    source = _length_source(option)
    if source is None:
        if option.with_synthetic:
            raise UserError("--with-synthetic goes with --corpus or --lengths", 2)
        return DataChoice(n=option.n), None
    try:
        record = data_lengths(source)  # read now: a bad file stops the run before any work
    except CorpusError as exc:
        flag = "--lengths" if source.kind == "lengths" else "--corpus"
        raise UserError(f"{flag}: {exc}", 2) from None
    return DataChoice(source.spec, option.with_synthetic, option.n), record


def _render_report(doc: RunResults, run_dir: Path, out: Path) -> Path | None:
    from bench.session import write_report

    try:
        return write_report(doc, run_dir, out)
    except Exception as exc:  # the JSON is the record; a broken page must not lose it
        print(f"rnnbench: warning: HTML report not written "
              f"({type(exc).__name__}: {printable(exc, False)})", file=sys.stderr)
        return None


def _check_inputs(suite: str, config: Path | None, data: Path | None,
                  export_format: str | None) -> None:
    from bench.session import EXPORT_FORMATS

    if export_format is not None and export_format not in EXPORT_FORMATS:
        raise UserError(f"--export: unknown format {export_format!r} "
                        f"(known: {', '.join(EXPORT_FORMATS)})", 2)
    if data is not None and not Path(data).is_dir():
        raise UserError(f"--data {data}: not a folder (expected the names corpus folder)", 2)
    if suite == "train" and data is None and config is None:
        raise UserError("--suite train needs --data FOLDER (the names corpus)", 2)


def _check_workers(processes: int | None, pythons: list[str]) -> None:
    """Refuse worker counts beyond reason and interpreters that cannot be started."""
    from bench.suites import MAX_PROCESSES

    if processes is not None and not 1 <= processes <= MAX_PROCESSES:
        raise UserError(f"--processes {processes}: must be from 1 to {MAX_PROCESSES}", 2)
    for python in pythons:
        path = Path(python)
        if not path.is_file() or not os.access(path, os.X_OK):
            raise UserError(f"--python {python}: not an executable file", 2)
    if pythons:  # before any case runs: one line, not a traceback from every worker
        from bench.supervise import check_interpreter
        from bench.workers import worker_environ

        for python in pythons:
            if os.path.realpath(python) == os.path.realpath(sys.executable):
                continue  # this interpreter: it runs rnnbench with torch already
            problem = check_interpreter(python, worker_environ())
            if problem:
                raise UserError(f"--python {python}: cannot run the workers: {problem}", 2)


def _check_outputs(out: Path, export_path: Path | None, threads: int | None, seed: int,
                   inputs: tuple[Path | None, ...] = ()) -> None:
    """Refuse, before any work, outputs that could not be written or would replace what is
    not rnnbench's (an input, the user's own index.html), and absurd thread counts or seeds."""
    problem = threads_problem(threads) if threads is not None else None
    if problem:
        raise UserError(f"--threads {problem}", 2)
    problem = seed_problem(seed)
    if problem:
        raise UserError(f"--seed {problem}", 2)
    problem = _folder_problem(Path(out))
    if problem:
        raise UserError(f"--out {out}: {problem}", 2)
    if not replaceable(Path(out) / "index.html"):  # asked now, not after an hour of timing
        raise UserError(f"--out {out}: {Path(out) / 'index.html'} was not written by rnnbench "
                        "and would be replaced by the index of runs; move it away or choose "
                        "another --out", 2)
    if export_path is not None:
        export_path = Path(export_path)
        problem = ("is a folder; give the file to write" if export_path.is_dir()
                   else _folder_problem(export_path.parent))
        if problem:
            raise UserError(f"--export {export_path}: {problem}", 2)
        overwritten = input_at([p for p in inputs if p is not None], export_path)
        if overwritten is not None:
            raise UserError(f"--export {export_path}: is the input {overwritten}; refusing to "
                            "write over it", 2)


def _folder_problem(folder: Path) -> str | None:
    """Why files cannot be created in `folder`, or in the folder that would hold it where it
    does not exist yet; None when they can. Tried for real: permission bits say nothing of a
    read-only file system, nor of root."""
    existing = folder
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    if not existing.is_dir():
        return f"{existing} is not a folder"
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as exc:
        return f"cannot write in {existing} ({exc.strerror or exc})"
    return None


def _warn_if_busy(load: float | None) -> None:
    from provision.checks.readiness import LOAD_LIMIT  # the doctor's limit: one verdict

    if load is not None and load >= LOAD_LIMIT:
        # Other work competing for the cores skews timings (badly so for multi-threaded torch,
        # whose threads wait on each other), so say so where the user sees it.
        # One line of 80 columns at most; the report repeats it at the top of the page.
        print(f"rnnbench: warning: busy machine (load {load:.1f}, {os.cpu_count()} CPUs): "
              "timings noisy and slow", file=sys.stderr)


def _export(doc: RunResults, export_format: str, path: Path) -> None:
    from bench.session import export_results

    try:
        export_results(doc, export_format, path)
    except OSError as exc:  # results.json is written; only the copy is missing
        print(f"rnnbench: warning: --export {printable(path, False)} not written "
              f"({printable(exc.strerror or exc, False)})", file=sys.stderr)


def _print_summary(doc: RunResults, results_path: Path, html: Path | None, wall: float,
                   json_out: bool) -> None:
    failed = [c.id for c in doc.cases if c.status == "failed"]
    if json_out:
        typer.echo(json.dumps({"results": str(results_path), "report": str(html) if html else None,
                               "status": doc.status, "cases": len(doc.cases),
                               "failed": failed, "wall_s": wall}))
        return
    _print_recommendation(doc)  # the answer first, then the findings and tables behind it
    for line in _summary_lines(doc):
        typer.echo(line)
    typer.echo(f"\n{len(doc.cases):,} cases ({len(failed):,} failed) in {wall:,.0f} s, "
               f"{printable(doc.status, keep_newlines=False)}")
    typer.echo(f"results: {printable(results_path, keep_newlines=False)}")
    if html:
        typer.echo(f"report:  {printable(html, keep_newlines=False)}")


def _summary_lines(doc: RunResults) -> list[str]:
    """The answer first and each workload's table, as in the report (bench/report/terminal.py)."""
    from bench.report.terminal import run_summary

    return run_summary(doc)


def _print_recommendation(doc: RunResults) -> None:
    """The run's answer for the lengths measured (bench/recommend.py), where it has one."""
    import textwrap

    from bench.recommend import recommendation_lines

    for line in recommendation_lines(doc):
        line = printable(line, keep_newlines=False)
        if len(line) <= 80 or line.startswith("    "):  # a snippet's code keeps its lines
            typer.echo(line)
            continue
        indent = " " * (len(line) - len(line.lstrip()) + 2)
        for part in textwrap.wrap(line, 80, subsequent_indent=indent, break_on_hyphens=False):
            typer.echo(part)


def run_command(suite: str, device: str, cells: str | None, dtype: str | None,
                config: Path | None, data: Path | None, out: Path,
                export: tuple[str | None, Path | None], json_out: bool, seed: int,
                threads: int | None = None, processes: int | None = None,
                pythons: list[str] | None = None, lengths: LengthsOption | None = None) -> int:
    """Run a suite; exit 0 when every case ran, 1 when some failed, 130 when interrupted."""
    export_format, export_path = export if export else (None, None)
    _check_inputs(suite, config, data, export_format)
    _check_workers(processes, pythons or [])
    mine = lengths or LengthsOption()
    _check_outputs(out, export_path, threads, seed, (config, data, mine.corpus, mine.lengths))
    choice, length_record = _data_choice(mine)
    try:
        the_plan = plan(suite, _devices(device), parse_list(cells, CELLS, "--cells"),
                        parse_list(dtype, ALL_DTYPES, "--dtype"), config,
                        with_train=data is not None, data=choice)
    except SuiteError as exc:
        raise UserError(str(exc), 2) from None
    if not the_plan.cases:
        raise UserError("nothing to run: the suite and filters select no case", 2)

    from bench.progress import Display
    from bench.session import run_session, run_settings, start_session

    settings = run_settings(the_plan, threads, seed, data, processes)
    _warn_if_busy(settings.load_average_1min_at_start)
    # The suite's name is a config file's name when --config is given: shown as text.
    print(f"rnnbench: {len(the_plan.cases)} cases, suite {printable(the_plan.name, False)}; "
          "gathering machine facts ...", file=sys.stderr)
    session = start_session(the_plan, settings, out, ["rnnbench", *sys.argv[1:]], pythons,
                            threads, length_record)
    started = time.perf_counter()
    workers = (settings.processes or 1) * max(len(pythons or []), 1)
    display = Display(the_plan.cases, workers, settings.budget_s)
    try:
        doc = run_session(session, display)
    finally:
        display.close()
    wall = time.perf_counter() - started
    if doc.status == "failed":  # nowhere to write: no report, no export
        _print_summary(doc, session.results_path, None, wall, json_out)
        raise UserError(f"the run stopped: {doc.error}; {len(doc.cases)} finished cases kept, "
                        "run marked failed", 1)
    html = _render_report(doc, session.run_dir, out)
    if export_path is not None:
        _export(doc, export_format, Path(export_path))
    _print_summary(doc, session.results_path, html, wall, json_out)
    if doc.status == "interrupted":
        return 130
    return 1 if any(c.status == "failed" for c in doc.cases) else 0
