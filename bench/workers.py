"""Running a plan in fresh worker processes (`rnnbench run --processes K`, `--python A --python B`).

Workers run one at a time, so they never compete for the cores: K per environment, and with two
environments their workers alternate (A0, B0, A1, B1, ...), so slow drift of the machine hits
both sides alike. Each worker builds every case, warms it up and takes a 1/K share of the run:
ceil(rounds/K) of the rounds, and budget/K of sampling per case. The
parent talks to a worker through two JSON files: the job in (bench/worker.py reads it), a results
document out, which the worker rewrites after every case, so a worker that dies still returns
what it finished. After each worker the parent merges everything returned so far
(bench/merging.py) and rewrites the run's results file.

A worker that exits with an error fails the cases it did not return, with its exit code and last
line of output as the reason; the run goes on with the next worker. Ctrl-C or SIGTERM stops the
worker under way and keeps what the finished workers returned.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import shutil
import string
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import bench
from bench.merging import apply_peaks, merge_case, merge_references
from bench.progress import Display, relay_line
from bench.results import CaseResult, ResultsError, RunResults, read_results
from bench.runner import ResultsNotWritten, _case_record, _write, mark_failed
from bench.suites import Case
from bench.supervise import Relayed, deadline_s, relay, stop, worker_argv
from bench.workloads import after_cases

# How long a worker asked to stop may take to write what it measured before it is killed.
STOP_GRACE_S = 30.0


@dataclass
class Environment:
    """A Python interpreter the workers run in; `label` names its side in an A/B run."""

    label: str | None
    python: str


def environments(pythons: list[str] | None) -> list[Environment]:
    """The environments of a run: this interpreter when none is given; one given interpreter
    without a label; two or more labelled A, B, C ... in the order given."""
    if not pythons:
        return [Environment(None, sys.executable)]
    if len(pythons) == 1:
        return [Environment(None, pythons[0])]
    return [Environment(string.ascii_uppercase[i % 26], p) for i, p in enumerate(pythons)]


@dataclass
class Schedule:
    """How the run is shared among the workers of one environment."""

    processes: int
    rounds: int  # rounds each worker takes
    budget_s: float  # sampling budget per case and worker

    @classmethod
    def split(cls, processes: int, rounds: int, budget_s: float) -> Schedule:
        return cls(processes, max(1, math.ceil(rounds / processes)), budget_s / processes)


@dataclass
class WorkerOutcome:
    """What one finished worker returned: its results (None when it wrote none) and, when it
    exited with an error, why (one line)."""

    process: int
    env: Environment
    doc: RunResults | None
    failure: str | None
    last_line: str = ""  # the worker's last line of output, which often says why it died


def run_in_workers(cases: list[Case], doc: RunResults, path: Path, seed: int, budget_s: float,
                   target: float, rounds: int, processes: int, envs: list[Environment],
                   threads: int | None = None, progress: Display | None = None) -> RunResults:
    """Run `cases` in `processes` workers per environment, rewriting `path` after each worker.

    `threads`: torch threads each worker sets; None leaves each interpreter's own default.
    `progress`: the run's display, which the workers' events feed (default: lines on stderr).

    Returns the run with status "complete", "interrupted" (Ctrl-C/SIGTERM: what the finished
    workers returned is kept) or "failed" when `path` could not be written.
    """
    schedule = Schedule.split(processes, rounds, budget_s)
    settings = doc.settings
    job = {"cases": [dataclasses.asdict(c) for c in cases], "seed": seed,
           "budget_s": schedule.budget_s, "target": target, "rounds": schedule.rounds,
           "threads": threads, "cudnn_benchmark": bool(settings.cudnn_benchmark)}
    settings.extra["rounds_per_process"] = schedule.rounds
    outcomes: list[WorkerOutcome] = []
    progress = progress or Display(cases, processes * len(envs), budget_s, live=False)
    doc.status = "running"
    sweep_stale_folders()
    try:
        try:
            _write(doc, path)
            for process in range(processes):
                for env in envs:
                    outcomes.append(_run_worker(job, process, env, schedule, progress))
                    _merge(doc, cases, outcomes, envs, schedule)
                    _write(doc, path)
        except KeyboardInterrupt:
            doc.status = "interrupted"
        else:
            doc.status = "complete"
        _merge(doc, cases, outcomes, envs, schedule)
        _write(doc, path)
    except ResultsNotWritten as exc:
        mark_failed(doc, path, str(exc))
    return doc


# ------------------------------------------------------------------------------- one worker
def _name(process: int, env: Environment, schedule: Schedule) -> str:
    side = f" env {env.label}" if env.label else ""
    return f"worker {process + 1}/{schedule.processes}{side}"


def worker_job(job: dict, process: int, env: Environment) -> dict:
    """The job one worker reads. Only each environment's first worker verifies that a
    workload's variants compute the same function: every worker builds them from the same seed,
    data and code, so the later ones would repeat the same check with the same result (about 3 s
    each in the quick suite). A variant that disagrees fails its case in the first worker, and a
    case one worker failed is failed in the merged run (`_merged_case`)."""
    return job | {"process": process, "env": env.label, "parent": os.getpid(),
                  "verify": process == 0}


def worker_environ() -> dict[str, str]:
    """This environment, with this checkout of bench importable from any interpreter."""
    root = str(Path(bench.__file__).resolve().parents[1])
    environ = dict(os.environ)
    environ["PYTHONPATH"] = os.pathsep.join(p for p in (root, environ.get("PYTHONPATH")) if p)
    return environ


def _run_worker(job: dict, process: int, env: Environment, schedule: Schedule,
                progress: Display) -> WorkerOutcome:
    name = _name(process, env, schedule)
    progress.worker(name, f"{env.python}: {len(job['cases'])} cases, {schedule.rounds} "
                    f"rounds, {schedule.budget_s:.3g} s of sampling per case")
    with tempfile.TemporaryDirectory(prefix=f"{FOLDER_PREFIX}{os.getpid()}-") as folder:
        job_path, out_path = Path(folder) / "job.json", Path(folder) / "out.json"
        job_path.write_text(json.dumps(worker_job(job, process, env)), encoding="utf-8")
        try:
            proc = subprocess.Popen(worker_argv(env.python, str(job_path), str(out_path)),
                                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE, env=worker_environ())
        except OSError as exc:
            return WorkerOutcome(process, env, None,
                                 f"{name}: cannot start {env.python} ({exc.strerror or exc})")
        limit = deadline_s(len(job["cases"]), schedule.budget_s)
        try:
            # Progress events feed the run's one display; other lines show above it.
            relayed = relay(proc, name, progress.stream, limit,
                            events=lambda line: relay_line(line, progress),
                            write=progress.message)
        except KeyboardInterrupt:  # Ctrl-C or SIGTERM: stop it, keep nothing it wrote
            stop(proc, STOP_GRACE_S)
            raise
        returned = _read_output(out_path)
    return _outcome(job, process, env, name, proc.returncode, returned, relayed, limit)


# A worker's temporary folder: the parent's pid in its name tells whose it is.
FOLDER_PREFIX = "rnnbench-worker-"


def sweep_stale_folders() -> None:
    """Remove the worker folders of parents that are gone (killed with SIGKILL, which no
    cleanup survives; the worker removes its folder itself when it outlives its parent, and
    this catches a worker that died first)."""
    for folder in Path(tempfile.gettempdir()).glob(f"{FOLDER_PREFIX}*-*"):
        pid = folder.name[len(FOLDER_PREFIX):].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except OSError:  # alive, another user's
            continue


def _outcome(job: dict, process: int, env: Environment, name: str, code: int,
             returned: RunResults | None, relayed: Relayed, limit: float) -> WorkerOutcome:
    """What the worker gave, and why it failed: stopped at its deadline, exited with an error,
    or exited 0 without returning every case (its cases are then failed, never dropped)."""
    if relayed.timed_out:
        failure = f"{name} stopped after its deadline of {limit:.0f} s (no answer)"
    elif code != 0:
        how = f"killed by signal {-code}" if code < 0 else f"exited with code {code}"
        failure = f"{name} {how}"
    else:
        got = {c.id for c in returned.cases} if returned is not None else set()
        missing = [c for c in job["cases"] if Case(**c).id not in got]
        failure = (f"{name} exited without returning {len(missing)} of {len(job['cases'])} "
                   "cases" if missing else None)
    return WorkerOutcome(process, env, returned, failure, relayed.last_line)


def _read_output(path: Path) -> RunResults | None:
    """The worker's results, read as any results file is (regular file, bounded size)."""
    try:
        return read_results(path)
    except ResultsError:
        return None


# ------------------------------------------------------------------------------- merging
def _merge(doc: RunResults, cases: list[Case], outcomes: list[WorkerOutcome],
           envs: list[Environment], schedule: Schedule) -> None:
    """Rebuild the run's cases, references and environments from the workers finished so far."""
    merged: list[CaseResult] = []
    for env in envs:
        mine = [o for o in outcomes if o.env is env]
        records = [_merged_case(case, mine, env, schedule, doc.settings.drift or 0.0)
                   for case in cases]
        side = [r for r in records if r is not None]
        after_cases(side)  # relative metrics within one environment only
        apply_peaks(side)
        merged += side
    # Plan order, sides of one case next to each other.
    order = {c.id: i for i, c in enumerate(cases)}
    doc.cases = sorted(merged, key=lambda r: order.get(r.id, len(order)))
    refs = [(o.process, o.env.label, r) for o in outcomes if o.doc for r in o.doc.references or []]
    doc.references = merge_references(refs) if refs else doc.references
    doc.settings.processes = schedule.processes
    doc.settings.extra["environments"] = [_environment_entry(env, outcomes) for env in envs]


def _merged_case(case: Case, outcomes: list[WorkerOutcome], env: Environment,
                 schedule: Schedule, drift: float = 0.0) -> CaseResult | None:
    ok: list[tuple[int, CaseResult]] = []
    for outcome in outcomes:
        record = _find(outcome.doc, case.id)
        if record is not None and record.status == "failed":
            return _failed(case, env, f"{_name(outcome.process, env, schedule)}: {record.error}")
        if record is not None and record.ok:
            ok.append((outcome.process, record))
        elif outcome.failure is not None:
            last = f": {outcome.last_line}" if outcome.last_line else ""
            return _failed(case, env, f"{outcome.failure} before returning this case{last}")
    if not ok:
        return None
    merged = merge_case(ok, schedule.rounds, schedule.processes, drift)
    merged.env = env.label
    return merged


def _find(doc: RunResults | None, case_id: str) -> CaseResult | None:
    if doc is None:
        return None
    return next((c for c in doc.cases if c.id == case_id), None)


def _failed(case: Case, env: Environment, reason: str) -> CaseResult:
    record = _case_record(case)
    record.env, record.status, record.error = env.label, "failed", reason.splitlines()[0]
    record.stats = None
    return record


def _environment_entry(env: Environment, outcomes: list[WorkerOutcome]) -> dict:
    """The interpreter, torch version, threads and setting variables an environment ran with."""
    entry = {"label": env.label, "python": env.python}
    for outcome in outcomes:
        if outcome.env is env and outcome.doc is not None:
            worker = outcome.doc.extra.get("worker", {})
            entry |= {k: worker.get(k) for k in ("torch_version", "threads", "env_vars",
                                                 "python_version", "torch_cuda")}
            entry["executable"] = worker.get("python")
            break
    return entry
