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

from bench.results import write_results


def _machine_info(doc: dict) -> dict:
    facts = doc.get("facts") or {}
    cpu = facts.get("cpu") if isinstance(facts.get("cpu"), dict) else {}
    return {"node": platform.node(), "machine": platform.machine(),
            "processor": (cpu or {}).get("model") or platform.processor(),
            "python_implementation": platform.python_implementation(),
            "python_version": platform.python_version(),
            "system": platform.system(), "release": platform.release(),
            "rnnbench_settings": doc.get("settings", {})}


def _benchmark(case: dict) -> dict:
    stats = Stats()
    for sample in case["stats"]["samples_s"]:
        stats.update(sample)
    name = case["id"]
    return {
        "group": f"{case['workload']}/{case['device']}/{case['dtype']}",
        "name": name,
        "fullname": f"rnnbench::{name}",
        "params": dict(case["params"]),
        "param": name.split("/", 3)[-1],
        "extra_info": {"metrics": case.get("metrics", {}),
                       "ci95_s": case["stats"]["ci95_s"],
                       "target_met": case["stats"]["target_met"]},
        "options": {"disable_gc": False, "timer": "bench.timer.Timer",
                    "min_rounds": case["stats"]["n"], "max_time": case["stats"].get("budget_s"),
                    "min_time": 0, "warmup": case["stats"].get("warmup_calls", 0) > 0},
        "stats": stats.as_dict() | {"iterations": case["stats"].get("calls_per_block", 1),
                                    "data": list(case["stats"]["samples_s"])},
    }


def to_pytest_benchmark(doc: dict) -> dict:
    """The pytest-benchmark document for the successful cases of a results document."""
    return {
        "machine_info": _machine_info(doc),
        "commit_info": {},
        "benchmarks": [_benchmark(c) for c in doc["cases"] if c.get("status") == "ok"],
        "datetime": doc["created"],
        "version": pytest_benchmark_version,
    }


def export_pytest_benchmark(doc: dict, path: Path) -> None:
    write_results(to_pytest_benchmark(doc), Path(path))
