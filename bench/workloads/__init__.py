"""Workloads: build inputs and a model from rnnkit for one case and expose one `step()`.

A workload never times itself: the runner hands `step` to bench.timer. After timing, the
workload turns the median step time into the work-done metrics (tokens/s, FLOP/s, ...).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field

import torch

DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


class VerificationError(Exception):
    """The variants of a workload do not compute the same function: the case is not timed."""


@dataclass
class Prepared:
    """A case ready to time: `step()` does one unit of work (an epoch, a batch, a product)."""

    step: Callable[[], object]
    metrics: Callable[[float], dict]  # median seconds per step -> metrics of the results case
    checks: dict = field(default_factory=dict)  # what was verified before timing, and how
    timing: dict = field(default_factory=dict)  # Timer options this workload needs fixed


def autocast_for(device: str, dtype: str) -> AbstractContextManager:
    """fp32 runs as is; bf16/fp16 run under autocast, as mixed-precision training does."""
    if dtype == "fp32":
        return nullcontext()
    return torch.autocast(device_type=device.split(":")[0], dtype=DTYPES[dtype])


def build(workload: str, params: dict, device: str, dtype: str, seed: int,
          context: dict) -> Prepared:
    """Prepare the named workload. `context` carries run-wide values (matmul peaks, data)."""
    if workload == "batching":
        from bench.workloads.batching import build_batching

        return build_batching(params, device, dtype, seed)
    if workload == "kernels":
        from bench.workloads.kernels import build_kernel

        return build_kernel(params, device, dtype, seed, context)
    if workload == "matmul":
        from bench.workloads.kernels import build_matmul

        return build_matmul(params, device, dtype, seed)
    if workload == "train":
        from bench.workloads.train import build_train

        return build_train(params, device, dtype, seed, context)
    raise ValueError(f"unknown workload {workload!r}")
