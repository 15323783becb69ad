"""Export a results document in pytest-benchmark's JSON format.

`pytest-benchmark compare FILE.json` and its other tools then read our runs. Each successful
case becomes one benchmark whose rounds are our samples (seconds per call); pytest-benchmark's
own Stats class computes its fields from them, so they mean exactly what that tool expects.
"""

from __future__ import annotations

import platform
from pathlib import Path

from pytest_benchmark import __version__ as pytest_benchmark_version
from pytest_benchmark.stats import Stats

from bench.results import CaseResult, RunResults, write_results


def _machine_info(run: RunResults) -> dict:
    cpu = run.facts.get("cpu") if isinstance(run.facts.get("cpu"), dict) else {}
    return {"node": platform.node(), "machine": platform.machine(),
            "processor": cpu.get("model") or platform.processor(),
            "python_implementation": platform.python_implementation(),
            "python_version": platform.python_version(),
            "system": platform.system(), "release": platform.release(),
            "rnnbench_settings": run.settings.to_dict()}


def _benchmark(case: CaseResult) -> dict:
    measured = case.stats
    stats = Stats()
    for sample in measured.samples_s:
        stats.update(sample)
    return {
        "group": f"{case.workload}/{case.device}/{case.dtype}",
        "name": case.id,
        "fullname": f"rnnbench::{case.id}",
        "params": dict(case.params),
        "param": case.id.split("/", 3)[-1],
        "extra_info": {"metrics": case.metrics.to_dict(),
                       "ci95_s": list(measured.ci95_s) if measured.ci95_s else None,
                       "target_met": measured.target_met},
        "options": {"disable_gc": False, "timer": "bench.timer.Timer",
                    "min_rounds": measured.n, "max_time": measured.budget_s,
                    "min_time": 0, "warmup": (measured.warmup_calls or 0) > 0},
        "stats": stats.as_dict() | {"iterations": measured.calls_per_block or 1,
                                    "data": list(measured.samples_s)},
    }


def to_pytest_benchmark(run: RunResults) -> dict:
    """The pytest-benchmark document for the measured cases of a run."""
    return {
        "machine_info": _machine_info(run),
        "commit_info": {},
        "benchmarks": [_benchmark(c) for c in run.cases if c.status == "ok" and c.stats
                       and c.stats.samples_s],
        "datetime": run.created,
        "version": pytest_benchmark_version,
    }


def export_pytest_benchmark(run: RunResults, path: Path) -> None:
    write_results(to_pytest_benchmark(run), Path(path))
