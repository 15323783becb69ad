"""Results documents built in the test, with samples drawn from known distributions."""

from __future__ import annotations

import random

from bench.results import SCHEMA
from bench.timer import Measurement


def case(case_id: str, median_s: float, n: int = 30, spread: float = 0.01,
         seed: int = 0) -> dict:
    """An ok case whose samples scatter ±`spread` (uniformly) around `median_s`."""
    rng = random.Random(seed)
    samples = [median_s * (1.0 + rng.uniform(-spread, spread)) for _ in range(n)]
    stats = Measurement(samples, 1, 1, 0.02, 1.0).to_stats()
    return {"id": case_id, "suite": "test", "workload": "kernels", "params": {},
            "device": "cpu", "dtype": "fp32", "status": "ok", "error": None, "stats": stats,
            "metrics": {}}


def results(cases: list[dict]) -> dict:
    return {"schema": SCHEMA, "created": "2026-01-01T00:00:00+00:00", "rnnbench_version": "0",
            "command": ["rnnbench", "run"], "facts": {"cpu": {"model": "test cpu"}},
            "doctor": {"profile": None, "checks": []}, "settings": {}, "cases": cases}
