"""One benchmark run around its cases: the run's settings, the machine's state, the run folder,
and the results document that holds them, written as cases finish.

`rnnbench run` parses and checks the options, then calls these in turn: `run_settings`,
`start_session`, `run_session`, and `write_report` and `export_results` for the outputs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from bench import __version__
from bench.merging import DEFAULT_DRIFT
from bench.progress import Display, RunProgress
from bench.recommend import recommend
from bench.results import CaseSettings, DataLengths, RunResults, RunSettings, write_results
from bench.rounds import MIN_ROUNDS
from bench.runner import fix_settings, mark_failed, run_cases
from bench.suites import Plan
from bench.workers import environments, run_in_workers
from bench.workloads import get
from rnnkit.data.lengths import LengthSource, load_lengths, summarize

DEFAULT_TARGET = 0.02
EXPORT_FORMATS = ("pytest-benchmark",)


def load_average() -> float | None:
    """The 1-minute load average, or None where the platform has none."""
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def run_settings(plan: Plan, threads: int | None, seed: int, data: Path | None,
                 processes: int | None = None) -> RunSettings:
    """Fix torch's threads and cuDNN autotuning for the run, and return the run's settings.

    `processes` (else the plan's setting, else 1): worker processes per environment."""
    options = plan.settings
    settings = RunSettings.read(fix_settings(threads or options.get("threads"),
                                             bool(options.get("cudnn_benchmark", False))))
    settings.budget_s = float(options.get("budget_s", 1.0))
    settings.target = float(options.get("target", DEFAULT_TARGET))
    settings.rounds = int(options.get("rounds", MIN_ROUNDS))
    settings.drift = float(options.get("drift", DEFAULT_DRIFT))
    settings.processes = int(processes or options.get("processes", 1))
    settings.seed, settings.suite = seed, plan.name
    settings.data = str(data) if data else None
    settings.load_average_1min_at_start = load_average()
    return settings


def machine_state() -> tuple[dict, dict]:
    """The doctor's Facts and checks (no GPU tests: they would disturb the timings), with its
    benchmark-readiness section: governor, turbo, load, steal, SMT, GPU clocks, persistence,
    each of which moves the numbers this run is about to take."""
    try:
        from provision.doctor import readiness_section, run_checks
        from provision.gather import gather_facts

        facts = gather_facts(gpu_tests=False)
        checks = run_checks(facts)
        return facts.to_dict(), {"profile": None, "checks": [c.to_dict() for c in checks],
                                 "readiness": readiness_section(facts)}
    except Exception as exc:  # the benchmark is still worth running without them
        reason = f"{type(exc).__name__}: {exc}"
        return {"error": reason}, {"profile": None, "checks": [], "error": reason}


def run_folder(out: Path, suite: str) -> Path:
    """A new folder name under `out`: UTC time and suite, with -2, -3 ... if it is taken."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    base = out / f"{stamp}-{suite}"
    path, k = base, 2
    while path.exists():
        path, k = Path(f"{base}-{k}"), k + 1
    return path


@dataclass
class Session:
    """A run about to start or under way: its plan, folder and results document."""

    plan: Plan
    run_dir: Path
    doc: RunResults
    # Interpreters for the workers (`--python`): none means this one, in-process when
    # processes is 1.
    pythons: list[str] = field(default_factory=list)
    # The thread count asked for (--threads or the suite's), None for each interpreter's own
    # default: workers are told this, not what this process resolved it to.
    threads: int | None = None

    @property
    def results_path(self) -> Path:
        return self.run_dir / "results.json"


def data_lengths(source: LengthSource) -> DataLengths:
    """The user's lengths as the results file records them; CorpusError for a bad file."""
    corpus = load_lengths(source)
    summary = summarize(corpus.lengths)
    return DataLengths(source=source.spec, description=source.describe(),
                       sequences=summary.count, left_out_empty=corpus.blank,
                       left_out_too_long=corpus.too_long, mean=summary.mean,
                       median=summary.median, p90=summary.p90, p99=summary.p99,
                       min=summary.min, max=summary.max, histogram_edges=summary.edges,
                       histogram_counts=summary.counts)


def start_session(plan: Plan, settings: RunSettings, out: Path,
                  command: list[str], pythons: list[str] | None = None,
                  threads: int | None = None, lengths: DataLengths | None = None) -> Session:
    """Stamp the run settings into each case, take the machine's state, name the run folder and
    open the results document (nothing is written yet)."""
    # Run settings copied into each case, so a case read on its own still says how it was timed.
    stamp = CaseSettings(threads=settings.threads, cudnn_benchmark=settings.cudnn_benchmark,
                         tf32_matmul=settings.tf32_matmul, tf32_cudnn=settings.tf32_cudnn,
                         flush_denormal=False)
    for case in plan.cases:
        # torch has no getter for the flush-denormal state: it is off unless a case's own
        # `denormals` parameter turns it on for its steps (bench/workloads/batching.py).
        case.settings = stamp.to_dict() | {
            "flush_denormal": case.params.get("denormals") == "flush"}
        if get(case.workload).requires_data:
            case.params["data"] = settings.data
    facts, doctor = machine_state()
    run_dir = run_folder(out, plan.name)
    doc = RunResults(created=datetime.now(timezone.utc).isoformat(),
                     rnnbench_version=__version__, command=command, run_id=run_dir.name,
                     status="running", facts=facts, doctor=doctor, settings=settings,
                     data_lengths=lengths)
    return Session(plan, run_dir, doc, list(pythons or []),
                   threads or plan.settings.get("threads"))


def run_session(session: Session, progress: RunProgress | None = None) -> RunResults:
    """Run the cases, rewriting results.json as they finish, and return the run (status
    "complete", "interrupted" after Ctrl-C with the cases measured so far, or "failed" with
    the reason when results.json could not be written)."""
    settings = session.doc.settings
    processes = settings.processes or 1
    if processes == 1 and not session.pythons:  # today's in-process run, exactly
        doc = run_cases(session.plan.cases, session.doc, session.results_path, settings.seed,
                        settings.budget_s, settings.target, progress, rounds=settings.rounds)
    else:
        doc = run_in_workers(session.plan.cases, session.doc, session.results_path,
                             settings.seed, settings.budget_s, settings.target, settings.rounds,
                             processes, environments(session.pythons), session.threads,
                             progress if isinstance(progress, Display) else None)
    session.doc = doc
    if doc.status == "failed":
        return doc
    doc.settings.load_average_1min_at_end = load_average()
    doc.recommendation = recommend(doc) or None
    try:
        write_results(doc, session.results_path)
    except OSError as exc:
        mark_failed(doc, session.results_path,
                    f"cannot write {session.results_path}: {exc.strerror or exc}")
    return doc


def write_report(doc: RunResults, run_dir: Path, out: Path) -> Path | None:
    """Render the run's HTML page and refresh the index of `out`; None where the report package
    cannot be imported. Rendering errors are raised: the caller decides how loud to be."""
    try:
        from bench.report import render_run_report, update_index
    except ImportError:
        return None
    html = render_run_report(doc, run_dir / "index.html")
    update_index(out)
    return Path(html) if html else run_dir / "index.html"


def export_results(doc: RunResults, export_format: str, path: Path) -> None:
    """Write the run in another tool's format (one of EXPORT_FORMATS)."""
    if export_format != "pytest-benchmark":
        raise ValueError(f"unknown export format {export_format!r} "
                         f"(known: {', '.join(EXPORT_FORMATS)})")
    from bench.export import export_pytest_benchmark

    export_pytest_benchmark(doc, Path(path))
