"""What every workload shares: the `Workload` declaration, `Prepared`, precisions, errors.

A workload never times itself: the runner hands `step` to bench.timer. After timing, the
workload turns the median step time into the work-done metrics (tokens/s, FLOP/s, ...).

The workload modules import this module and nothing else of bench.workloads but each other;
the package's __init__ (the registry) imports them, never the reverse.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple, TypeVar

import torch

from bench.report.section import ReportPieces
from bench.results import CaseChecks, CaseMetrics, CaseResult
from provision import tables

DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}
CELLS = ("rnn", "gru", "lstm")
ModuleOrTensor = TypeVar("ModuleOrTensor", torch.nn.Module, torch.Tensor)


class VerificationError(Exception):
    """The variants of a workload do not compute the same function: the case is not timed."""


@dataclass
class Prepared:
    """A case ready to time: `step()` does one unit of work (an epoch, a batch, a product)."""

    step: Callable[[], object]
    metrics: Callable[[float], CaseMetrics]  # median seconds per step -> work done
    checks: CaseChecks = field(default_factory=CaseChecks)  # what was verified before timing
    timing: dict = field(default_factory=dict)  # Timer options this workload needs fixed


# A run's `context` key that tells workloads their variants were verified by another process of
# the run (bench/workers.py: only each environment's first worker verifies).
SKIP_VERIFY = "skip_verify"
VERIFIED_ELSEWHERE = "verified by the first worker of this run"


def verifies(context: Mapping | None) -> bool:
    """Whether a workload checks its variants against each other before timing this case."""
    return not (context or {}).get(SKIP_VERIFY, False)


def in_precision(value: ModuleOrTensor, device: str, dtype: str) -> ModuleOrTensor:
    """A module (its floating-point parameters and buffers) or a float tensor on `device` in
    the case's precision: what a case labelled bf16 or fp16 computes in. Not autocast, which
    runs cuDNN's RNNs in fp16 when asked for bf16, so a "bf16" case would be an fp16 one.
    Integer tensors (ids, lengths) are moved with `.to(device)` instead: they keep their type."""
    return value.to(device=device, dtype=DTYPES[dtype])


def tf32_capable(device: str) -> bool:
    """Whether the GPU can run fp32 work in TF32 here: it has TF32 (compute capability 8.0,
    Ampere, and later; elsewhere torch's TF32 flags are on and change nothing) and NVIDIA's
    libraries are not told to refuse it (NVIDIA_TF32_OVERRIDE=0 wins over torch's flags)."""
    if os.environ.get("NVIDIA_TF32_OVERRIDE") == "0":
        return False
    return device.startswith("cuda") and (_capability(device) or (8, 0)) >= (8, 0)


# Compute capabilities whose half-precision arithmetic runs at least at the fp32 rate (before
# Volta): GP100 (6.0) and the Jetson parts (5.3, 6.2). Consumer Pascal (6.1) runs it at 1/64.
_FAST_HALF_BEFORE_VOLTA = ((5, 3), (6, 0), (6, 2))


def _capability(device: str) -> tuple[int, int] | None:
    """The GPU's compute capability; None where there is no GPU to ask (planning a CUDA run
    on a machine without one: then nothing is left out)."""
    if not torch.cuda.is_available():
        return None
    major, minor = torch.cuda.get_device_capability(device)
    return major, minor


def native_dtypes(device: str) -> tuple[str, ...]:
    """The precisions the device computes in natively: fp32 everywhere; on a GPU those its
    compute capability runs natively (provision.tables.native_precisions: fp16 from 5.3, bf16
    from 8.0; never `torch.cuda.is_bf16_supported()`, which counts emulation)."""
    if not device.startswith("cuda"):
        return ("fp32",)
    return tables.native_precisions(_capability(device) or (8, 0))


def fast_half(device: str) -> bool:
    """Whether the GPU's half-precision matrix products are at least as fast as its fp32 ones
    (tensor cores from Volta on, and a few earlier parts)."""
    capability = _capability(device) or (7, 0)
    return capability >= (7, 0) or capability in _FAST_HALF_BEFORE_VOLTA


def every_dtype(device: str) -> tuple[str, ...]:
    """fp32 on a CPU (its bf16/fp16 are emulated or slow); on a GPU every precision it runs
    natively (`native_dtypes`)."""
    return native_dtypes(device)


def fp32_only(device: str) -> tuple[str, ...]:
    """For workloads whose other precisions are asked for explicitly, never by default."""
    return ("fp32",)


class NeededCase(NamedTuple):
    """A case one workload needs planned before its own (the matmul peak before kernels)."""

    workload: str
    params: dict
    device: str
    dtype: str


Builder = Callable[[dict, str, str, int, dict], Prepared]


@dataclass(frozen=True)
class Workload:
    """Everything the engine knows about one workload, declared once in its own module.

    build(params, device, dtype, seed, context): the case ready to time; `context` carries
        run-wide values (the `--data` folder's contents, caches shared by a run's cases).
    id_keys: the parameters a case accepts, in the order its id names them.
    defaults: values for parameters a config entry leaves out.
    choices: the allowed values of a parameter, checked when a suite is planned.
    validate(params): any further check of one expanded entry; raises ValueError (one line).
    prune(params): the expanded entry without the parameters that do not apply to it (a token
        budget has no batch size); entries that then name the same case are planned once.
    default_dtypes(device): the precisions run when neither the entry nor --dtype names any.
    cell_key: the parameter that `--cells` filters on (None: the filter leaves it alone).
    needs(device, dtype, params): cases of other workloads this case is compared with (planned
        with it, once each: the matmul peak and the ceiling at its shapes for kernels).
    after_cases(records): refresh metrics relating several records, after every publish.
    in_config: a `[[name]]` table of a suite or config file; False for helper workloads.
    requires_data: planned only when --data is given.
    headline(case): the line `rnnbench run` prints for an ok results case, or None.
    report: its pieces of the run report.
    """

    name: str
    build: Builder
    id_keys: tuple[str, ...]
    defaults: Mapping[str, object] = field(default_factory=dict)
    choices: Mapping[str, tuple] = field(default_factory=dict)
    validate: Callable[[dict], None] | None = None
    prune: Callable[[dict], dict] | None = None
    default_dtypes: Callable[[str], tuple[str, ...]] = every_dtype
    cell_key: str | None = None
    needs: Callable[[str, str, dict], list[NeededCase]] | None = None
    after_cases: Callable[[list[CaseResult]], None] | None = None
    in_config: bool = True
    requires_data: bool = False
    headline: Callable[[CaseResult], str | None] | None = None
    report: ReportPieces | None = None

    def check(self, params: dict) -> None:
        """Raise ValueError (one line) unless `params` is a case this workload accepts."""
        unknown = set(params) - set(self.id_keys)
        if unknown:
            raise ValueError(f"unknown parameter(s) {', '.join(sorted(unknown))} for "
                             f"{self.name} (known: {', '.join(self.id_keys)})")
        for key, allowed in self.choices.items():
            if key in params and params[key] not in allowed:
                raise ValueError(f"{key}={params[key]!r} is not one of {', '.join(allowed)}")
        if self.validate is not None:
            self.validate(params)


def check_whole_numbers(params: dict, keys: tuple[str, ...]) -> None:
    """Raise ValueError unless each of `keys` that `params` holds is a whole number >= 1: these
    parameters count things, and a batch of 4.5 would run as something its label does not say."""
    for key in keys:
        value = params.get(key)
        if key in params and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise ValueError(f"{key} = {value!r} must be a whole number >= 1")


def whole_numbers(*keys: str) -> Callable[[dict], None]:
    """A `validate` for a workload whose parameters `keys` count things."""
    def validate(params: dict) -> None:
        check_whole_numbers(params, keys)
    return validate
