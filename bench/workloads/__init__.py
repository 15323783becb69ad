"""The workload registry: one line per workload; each declares itself in its own module.

Adding a workload: write its module with a `WORKLOAD = Workload(...)` (bench/workloads/base.py
says what each field means), add it to REGISTRY below, and test it (docs/interfaces.md).
The order of REGISTRY is the order a plan runs the workloads in.
"""

from __future__ import annotations

from bench.results import CaseResult
from bench.workloads import batching, ceiling, kernels, matmul, train
from bench.workloads.base import DTYPES, Prepared, VerificationError, Workload

__all__ = ["DTYPES", "REGISTRY", "Prepared", "VerificationError", "Workload", "after_cases",
           "build", "config_workloads", "get", "headlines"]

REGISTRY: dict[str, Workload] = {w.name: w for w in (
    batching.WORKLOAD,
    kernels.WORKLOAD,
    matmul.WORKLOAD,
    ceiling.WORKLOAD,
    train.WORKLOAD,
)}


def get(name: str) -> Workload:
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown workload {name!r}") from None


def config_workloads() -> list[Workload]:
    """The workloads a suite or config file has a `[[name]]` table for, in run order."""
    return [w for w in REGISTRY.values() if w.in_config]


def build(workload: str, params: dict, device: str, dtype: str, seed: int,
          context: dict) -> Prepared:
    """Prepare the named workload. `context` carries run-wide values (matmul peaks, data)."""
    return get(workload).build(params, device, dtype, seed, context)


def after_cases(records: list[CaseResult]) -> None:
    """Run every workload's `after_cases` hook over the run's case records."""
    for workload in REGISTRY.values():
        if workload.after_cases is not None:
            workload.after_cases(records)


def headlines(cases: list[CaseResult]) -> list[str]:
    """The one-line summaries of the ok cases, in their order, for `rnnbench run` to print."""
    lines = []
    for case in cases:
        workload = REGISTRY.get(case.workload or "")
        if not case.ok or workload is None or workload.headline is None:
            continue
        line = workload.headline(case)
        if line is not None:
            lines.append(line)
    return lines
