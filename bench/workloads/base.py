"""What every workload shares: the `Workload` declaration, `Prepared`, precisions, errors.

A workload never times itself: the runner hands `step` to bench.timer. After timing, the
workload turns the median step time into the work-done metrics (tokens/s, FLOP/s, ...).

The workload modules import this module and nothing else of bench.workloads but each other;
the package's __init__ (the registry) imports them, never the reverse.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import NamedTuple

import torch

from bench.results import CaseChecks, CaseMetrics, CaseResult

DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}
CELLS = ("rnn", "gru", "lstm")


class VerificationError(Exception):
    """The variants of a workload do not compute the same function: the case is not timed."""


@dataclass
class Prepared:
    """A case ready to time: `step()` does one unit of work (an epoch, a batch, a product)."""

    step: Callable[[], object]
    metrics: Callable[[float], CaseMetrics]  # median seconds per step -> work done
    checks: CaseChecks = field(default_factory=CaseChecks)  # what was verified before timing
    timing: dict = field(default_factory=dict)  # Timer options this workload needs fixed


def autocast_for(device: str, dtype: str) -> AbstractContextManager:
    """fp32 runs as is; bf16/fp16 run under autocast, as mixed-precision training does."""
    if dtype == "fp32":
        return nullcontext()
    return torch.autocast(device_type=device.split(":")[0], dtype=DTYPES[dtype])


def every_dtype(device: str) -> tuple[str, ...]:
    """fp32 on a CPU (its bf16/fp16 are emulated or slow), every precision on a GPU."""
    return ("fp32", "bf16", "fp16") if device.startswith("cuda") else ("fp32",)


def fp32_only(device: str) -> tuple[str, ...]:
    """For workloads whose other precisions are asked for explicitly, never by default."""
    return ("fp32",)


class NeededCase(NamedTuple):
    """A case one workload needs planned before its own (the matmul peak before kernels)."""

    workload: str
    params: dict
    device: str
    dtype: str


@dataclass(frozen=True)
class ReportPieces:
    """What a workload adds to the run report (bench/report/<workload>.py holds the functions).

    Each callable takes the run (bench.results.RunResults): a table returns a Table or None;
    charts, notes and findings return lists (of Chart, str and Finding). The tables, charts and
    notes make the workload's section, titled `section`, placed in registry order; findings are
    ordered by their rank among every workload's.
    """

    section: str = ""
    tables: tuple[Callable, ...] = ()
    charts: tuple[Callable, ...] = ()
    notes: tuple[Callable, ...] = ()
    findings: tuple[Callable, ...] = ()


Builder = Callable[[dict, str, str, int, dict], Prepared]


@dataclass(frozen=True)
class Workload:
    """Everything the engine knows about one workload, declared once in its own module.

    build(params, device, dtype, seed, context): the case ready to time; `context` carries
        run-wide values (the matmul peaks) that `on_result` hooks fill in.
    id_keys: the parameters a case accepts, in the order its id names them.
    defaults: values for parameters a config entry leaves out.
    choices: the allowed values of a parameter, checked when a suite is planned.
    validate(params): any further check of one expanded entry; raises ValueError (one line).
    prune(params): the expanded entry without the parameters that do not apply to it (a token
        budget has no batch size); entries that then name the same case are planned once.
    default_dtypes(device): the precisions run when neither the entry nor --dtype names any.
    cell_key: the parameter that `--cells` filters on (None: the filter leaves it alone).
    interleaved: its consecutive cases are sampled in interleaved rounds (bench/rounds.py).
    needs(device, dtype): cases of another workload to plan before this one's.
    on_result(record, context): called with each case record that finished ok.
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
    interleaved: bool = False
    needs: Callable[[str, str], list[NeededCase]] | None = None
    on_result: Callable[[CaseResult, dict], None] | None = None
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
