"""The results file (schema `rnnbench.results/1`, docs/results-schema.md) and its typed records.

A run is a `RunResults`: its settings, the machine's facts and doctor checks, its cases (each a
`CaseResult` with `CaseStats`, `CaseMetrics` and `CaseChecks`) and the reference workload timed
beside them. Every module that reads or writes results works on these objects; only this module
knows the JSON keys.

Reading is strict about what makes a document a results file (the schema, an object per case, an
id per case) and forgiving about values: files come from other versions, other machines and
interrupted runs, so a malformed number reads as None (a report shows a dash) rather than
stopping the reader. Keys a reader does not know are kept, so a file read and written back keeps
them. Writes are atomic (temp file in the same folder, then os.replace), so a reader never sees
half a file, even when a run is interrupted.
"""

from __future__ import annotations

import dataclasses
import json
import math
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from bench.files import UnreadableFile, read_regular, write_atomic

SCHEMA = "rnnbench.results/1"
REQUIRED_KEYS = ("schema", "created", "rnnbench_version", "command", "facts", "settings", "cases")
CASE_KEYS = ("id", "suite", "workload", "params", "device", "dtype", "status")
CASE_STATUSES = ("ok", "failed", "skipped")


class ResultsError(Exception):
    """A results file that cannot be used; the message is one line naming the file and why."""


# ------------------------------------------------------------------------------ values
def _number(value: Any) -> float | int | None:
    """A finite int or float as it was written (so ints stay ints), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, int) and abs(value) > 2**63:  # a 5000-digit integer is not a count
        return None
    return value


def _whole(value: Any) -> int | None:
    number = _number(value)
    return number if isinstance(number, int) else None


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _numbers(value: Any) -> list[float] | None:
    """A list of finite numbers; None when it is not a list or holds anything else."""
    if not isinstance(value, list):
        return None
    numbers = [_number(v) for v in value]
    return None if any(v is None for v in numbers) else numbers


def _optional_numbers(value: Any) -> list[float | None] | None:
    """A list whose entries are numbers or null (an accuracy curve may hold a NaN epoch)."""
    return [_number(v) for v in value] if isinstance(value, list) else None


def _interval(value: Any) -> tuple[float, float] | None:
    """[lo, hi] with 0 < lo <= hi, else None."""
    if not isinstance(value, list | tuple) or len(value) != 2:
        return None
    lo, hi = _number(value[0]), _number(value[1])
    if lo is None or hi is None or lo <= 0 or hi < lo:
        return None
    return lo, hi


def _mapping(value: Any) -> dict:
    return dict(value) if isinstance(value, dict) else {}


def _scalars(value: Any) -> dict[str, Any]:
    """Parameters: names to plain values (nested objects and lists are dropped)."""
    if not isinstance(value, dict):
        return {}
    return {str(k): v for k, v in value.items()
            if v is None or isinstance(v, str | bool) or _number(v) is not None}


def _texts(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


# How a field of a record is read, by its annotation.
_READERS: dict[str, typing.Callable[[Any], Any]] = {
    "float | None": _number, "float": _number, "int | None": _whole, "int": _whole,
    "bool | None": _flag, "bool": _flag, "str | None": _text, "str": _text,
    "list[float] | None": _numbers, "list[float]": lambda v: _numbers(v) or [],
    "list[int] | None": _numbers, "list[float | None] | None": _optional_numbers,
    "tuple[float, float] | None": _interval, "dict": _mapping, "dict[str, Any]": _scalars,
    "list[str]": _texts,
}


_R = TypeVar("_R", bound="_Record")


class _Record:
    """Reading and writing of a flat record: known fields typed, unknown keys kept in `extra`.

    `_omit_none` names the fields left out of the JSON when they are None (a metric that does not
    apply to a workload is absent, not null).
    """

    _omit_none: typing.ClassVar[bool] = False
    _omit: typing.ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def _known(cls) -> dict[str, str]:
        return {f.name: str(f.type) for f in dataclasses.fields(cls) if f.name != "extra"}

    @classmethod
    def read(cls: type[_R], data: Any) -> _R:
        data = data if isinstance(data, dict) else {}
        known = cls._known()
        values = {name: _READERS[kind](data.get(name)) for name, kind in known.items()
                  if name in data}
        extra = {k: v for k, v in data.items() if k not in known}
        return cls(**values, extra=extra)

    def to_dict(self) -> dict:
        out = {}
        for name in self._known():
            value = getattr(self, name)
            if value is None and (self._omit_none or name in self._omit):
                continue
            out[name] = list(value) if isinstance(value, tuple) else value
        return out | self.extra


# ------------------------------------------------------------------------------ records
@dataclass
class CaseStats(_Record):
    """The timer's Measurement of one case (bench.timer.Measurement.to_stats)."""

    median_s: float | None = None
    iqr_s: float | None = None
    ci95_s: tuple[float, float] | None = None
    n: int | None = None
    target: float | None = None
    target_met: bool | None = None
    calls_per_block: int | None = None
    warmup_calls: int | None = None
    budget_s: float | None = None
    elapsed_s: float | None = None
    samples_s: list[float] = field(default_factory=list)
    schedule: str | None = None  # sequential | interleaved
    visits: int | None = None
    samples_per_visit: list[int] | None = None  # interleaved cases only
    # Replicates: the independent units a comparison tests. One median per visit of a worker
    # process (a round in a fresh process), in the order taken; `replicate_process` names the
    # process (0..processes-1) each came from. Absent in files written before --processes.
    replicates_s: list[float] | None = None
    replicate_process: list[int] | None = None
    processes: int | None = None
    # How median and CI were computed (over which replicates, what the CI leaves out); absent
    # in files written before every case was sampled in rounds.
    ci_method: str | None = None
    # The run-to-run drift (relative sd) the CI was widened for; absent when none was.
    drift: float | None = None
    extra: dict = field(default_factory=dict)

    _omit: typing.ClassVar[frozenset[str]] = frozenset({
        "schedule", "visits", "samples_per_visit", "replicates_s", "replicate_process",
        "processes", "ci_method", "drift"})

    @property
    def usable(self) -> bool:
        """A positive median and at least one sample: enough to compare and to plot."""
        return self.median_s is not None and self.median_s > 0 and bool(self.samples_s)


@dataclass
class CaseMetrics(_Record):
    """Work done, computed from the median step time by the case's workload."""

    tokens_per_s: float | None = None
    sequences_per_s: float | None = None
    time_per_epoch_s: float | None = None
    padding_efficiency: float | None = None
    real_tokens: int | None = None
    computed_tokens: int | None = None
    batches: int | None = None
    speedup_vs_padded: float | None = None
    fraction_of_ideal: float | None = None
    # Batching: the case's rate over its own batches with the padding removed (with a 95% CI
    # over the rounds both were timed in), and its gap to ideal (seconds per epoch) split into
    # padding, batch shape and per-call cost.
    fraction_of_limit: float | None = None
    fraction_of_limit_ci: tuple[float, float] | None = None
    gap_padding_s: float | None = None
    gap_shape_s: float | None = None
    gap_calls_s: float | None = None
    per_call_s: float | None = None
    padding_efficiency_seeds: tuple[float, float] | None = None  # [min, max] over 5 seeds
    flops_per_step: float | None = None
    flops_per_s: float | None = None
    tf32: bool | None = None
    peak_key: str | None = None
    peak_flops_per_s: float | None = None
    peak_fraction: float | None = None
    # The ceiling at a kernels case's own shapes (bench/workloads/ceiling.py), timed in the
    # same rounds: its FLOP/s, and the case's fraction of it with a 95% CI over the rounds.
    ceiling_flops_per_s: float | None = None
    ceiling_fraction: float | None = None
    ceiling_fraction_ci: tuple[float, float] | None = None
    epochs: int | None = None
    accuracy_curve: list[float | None] | None = None
    final_accuracy: float | None = None
    target_accuracy: float | None = None
    epochs_to_target: int | None = None
    time_to_accuracy_s: float | None = None
    peak_memory_bytes: int | None = None
    peak_memory_kind: str | None = None
    extra: dict = field(default_factory=dict)

    _omit_none: typing.ClassVar[bool] = True


@dataclass
class CaseChecks(_Record):
    """What was verified before timing: the variants compute the same function, or why not."""

    verified: bool | None = None
    against: str | None = None
    max_abs_diff: float | None = None
    tolerance: float | None = None
    why: str | None = None
    extra: dict = field(default_factory=dict)

    _omit_none: typing.ClassVar[bool] = True


@dataclass
class CaseSettings(_Record):
    """The run settings that change this case's numbers."""

    threads: int | None = None
    cudnn_benchmark: bool | None = None
    tf32_matmul: bool | None = None
    tf32_cudnn: bool | None = None
    # torch.set_flush_denormal: False is torch's default; batching cases may set it per case.
    flush_denormal: bool | None = None
    extra: dict = field(default_factory=dict)

    _omit_none: typing.ClassVar[bool] = True


@dataclass
class CaseResult:
    """One case of a run: what was measured (workload, params, device, dtype) and the outcome."""

    id: str
    suite: str | None = None
    workload: str | None = None
    env: str | None = None  # A/B runs: which Python environment (--python) measured it
    params: dict[str, Any] = field(default_factory=dict)
    device: str | None = None
    dtype: str | None = None
    settings: CaseSettings = field(default_factory=CaseSettings)
    status: str = "ok"
    error: str | None = None
    stats: CaseStats | None = None
    metrics: CaseMetrics = field(default_factory=CaseMetrics)
    checks: CaseChecks = field(default_factory=CaseChecks)
    extra: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Measured: not failed or skipped, and holding a median time."""
        return (self.status not in ("failed", "error", "skipped") and self.stats is not None
                and self.stats.median_s is not None)

    def param(self, name: str) -> Any:
        """A workload parameter by the name its workload gives it (None when absent)."""
        return self.params.get(name)

    def to_dict(self) -> dict:
        env = {"env": self.env} if self.env is not None else {}
        return {"id": self.id, "suite": self.suite, "workload": self.workload, **env,
                "params": dict(self.params), "device": self.device, "dtype": self.dtype,
                "settings": self.settings.to_dict(), "status": self.status, "error": self.error,
                "stats": self.stats.to_dict() if self.stats is not None else None,
                "metrics": self.metrics.to_dict(), "checks": self.checks.to_dict()} | self.extra

    @classmethod
    def from_dict(cls, data: Any, where: str = "case") -> CaseResult:
        if not isinstance(data, dict):
            raise ResultsError(f"{where} is not an object")
        case_id = data.get("id")
        if not isinstance(case_id, str) or not case_id:
            raise ResultsError(f"{where}: 'id' is not a non-empty string")
        status = data.get("status", "ok")
        stats = data.get("stats")
        known = {"id", "suite", "workload", "env", "params", "device", "dtype", "settings",
                 "status", "error", "stats", "metrics", "checks"}
        return cls(id=case_id, suite=_text(data.get("suite")),
                   workload=_text(data.get("workload")), env=_text(data.get("env")),
                   params=_scalars(data.get("params")),
                   device=_text(data.get("device")), dtype=_text(data.get("dtype")),
                   settings=CaseSettings.read(data.get("settings")),
                   status=str(status).lower() if isinstance(status, str) else "ok",
                   error=None if data.get("error") is None else str(data.get("error")),
                   stats=CaseStats.read(stats) if isinstance(stats, dict) else None,
                   metrics=CaseMetrics.read(data.get("metrics")),
                   checks=CaseChecks.read(data.get("checks")),
                   extra={k: v for k, v in data.items() if k not in known})


@dataclass
class Reference(_Record):
    """The small fixed workload timed in every interleaved round, per device: how far the
    machine's own speed moved during the run, and between runs."""

    device: str | None = None
    label: str | None = None
    workload: str | None = None
    dtype: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    median_s: float | None = None
    per_round_median_s: list[float] | None = None
    spread: float | None = None
    extra: dict = field(default_factory=dict)


@dataclass
class DataLengths(_Record):
    """The user's sequence lengths the batching cases ran on: where from, and their shape."""

    source: str | None = None  # rnnkit.data.lengths.LengthSource spec
    description: str | None = None
    sequences: int | None = None
    left_out_empty: int | None = None
    left_out_too_long: int | None = None
    mean: float | None = None
    median: float | None = None
    p90: float | None = None
    p99: float | None = None
    min: int | None = None
    max: int | None = None
    histogram_edges: list[float] | None = None
    histogram_counts: list[float] | None = None
    extra: dict = field(default_factory=dict)


@dataclass
class Advice(_Record):
    """The recommendation for one mode (inference or training) of one length distribution
    (bench/recommend.py): the batching to use, what it measured, and how to apply it."""

    mode: str | None = None
    dist: str | None = None
    device: str | None = None
    strategy: str | None = None
    batch: int | None = None
    max_tokens: int | None = None
    tokens_per_s: float | None = None
    speedup_vs_padded: float | None = None
    speedup_ci: tuple[float, float] | None = None
    padded_batch: int | None = None
    fraction_of_limit: float | None = None
    fraction_of_limit_ci: tuple[float, float] | None = None
    padding_efficiency: float | None = None
    padding_efficiency_seeds: tuple[float, float] | None = None
    peak_memory_bytes: int | None = None
    peak_memory_kind: str | None = None
    flush_denormal: bool | None = None
    flush_speedup: float | None = None  # keep -> flush, same case, where measured
    flush_advised: bool | None = None  # flushing measured clearly faster (CIs apart)
    why: str | None = None
    snippet: str | None = None
    snippet_plain: str | None = None
    extra: dict = field(default_factory=dict)

    _omit_none: typing.ClassVar[bool] = True


@dataclass
class RunSettings(_Record):
    """What was fixed for the whole run (torch threads and backends, budgets, the suite)."""

    threads: int | None = None
    interop_threads: int | None = None
    cudnn_benchmark: bool | None = None
    tf32_matmul: bool | None = None
    tf32_cudnn: bool | None = None
    float32_matmul_precision: str | None = None
    torch_version: str | None = None
    cudnn_version: int | None = None
    budget_s: float | None = None
    target: float | None = None
    rounds: int | None = None
    # The run-to-run drift (relative sd) every case's CI allows for (`drift` setting).
    drift: float | None = None
    # Worker processes per environment (`--processes`); absent for runs in one process.
    processes: int | None = None
    seed: int | None = None
    suite: str | None = None
    data: str | None = None
    load_average_1min_at_start: float | None = None
    load_average_1min_at_end: float | None = None
    extra: dict = field(default_factory=dict)

    # Present only where CUDA is (cudnn_version), in worker runs (processes) and in files written
    # since the drift allowance (drift); every other setting is written, null when unknown.
    _omit: typing.ClassVar[frozenset[str]] = frozenset({"cudnn_version", "processes", "drift"})


@dataclass
class RunResults:
    """A whole run: the document `rnnbench run` writes, and compare and the report read."""

    created: str | None = None
    rnnbench_version: str | None = None
    command: list[str] = field(default_factory=list)
    run_id: str | None = None
    status: str | None = None  # running | complete | interrupted | failed
    error: str | None = None  # why a "failed" run stopped (one line)
    facts: dict = field(default_factory=dict)  # provision.facts.Facts.to_dict() of the machine
    doctor: dict = field(default_factory=dict)  # {"profile", "checks": [CheckResult.to_dict()]}
    settings: RunSettings = field(default_factory=RunSettings)
    cases: list[CaseResult] = field(default_factory=list)
    references: list[Reference] | None = None
    data_lengths: DataLengths | None = None
    recommendation: list[Advice] | None = None
    extra: dict = field(default_factory=dict)

    @property
    def ok_cases(self) -> list[CaseResult]:
        return [c for c in self.cases if c.ok]

    def to_dict(self) -> dict:
        out = {"schema": SCHEMA, "created": self.created,
               "rnnbench_version": self.rnnbench_version, "command": list(self.command)}
        if self.run_id is not None:
            out["run_id"] = self.run_id
        if self.status is not None:
            out["status"] = self.status
        if self.error is not None:
            out["error"] = self.error
        out |= {"facts": self.facts, "doctor": self.doctor, "settings": self.settings.to_dict(),
                "cases": [c.to_dict() for c in self.cases]}
        if self.references is not None:
            out["references"] = [r.to_dict() for r in self.references]
        if self.data_lengths is not None:
            out["data_lengths"] = self.data_lengths.to_dict()
        if self.recommendation is not None:
            out["recommendation"] = [a.to_dict() for a in self.recommendation]
        return out | self.extra

    @classmethod
    def from_dict(cls, doc: Any, where: str = "results") -> RunResults:
        """Build the records of a results document; ResultsError names what makes it unusable."""
        _check_shape(doc, where)
        known = {"schema", "created", "rnnbench_version", "command", "run_id", "status", "error",
                 "facts", "doctor", "settings", "cases", "references", "data_lengths",
                 "recommendation"}
        references, advice = doc.get("references"), doc.get("recommendation")
        lengths = doc.get("data_lengths")
        return cls(created=_text(doc.get("created")),
                   rnnbench_version=_text(doc.get("rnnbench_version")),
                   command=_texts(doc.get("command")), run_id=_text(doc.get("run_id")),
                   status=_text(doc.get("status")), error=_text(doc.get("error")),
                   facts=_mapping(doc.get("facts")),
                   doctor=_mapping(doc.get("doctor")),
                   settings=RunSettings.read(doc.get("settings")),
                   cases=[CaseResult.from_dict(c, f"{where}: case {i}")
                          for i, c in enumerate(doc["cases"])],
                   references=[Reference.read(r) for r in references]
                   if isinstance(references, list) else None,
                   data_lengths=DataLengths.read(lengths) if isinstance(lengths, dict) else None,
                   recommendation=[Advice.read(a) for a in advice if isinstance(a, dict)]
                   if isinstance(advice, list) else None,
                   extra={k: v for k, v in doc.items() if k not in known})


def _check_shape(doc: Any, where: str, required: tuple[str, ...] = ()) -> None:
    if not isinstance(doc, dict):
        raise ResultsError(f"{where}: not a results file (top level is not an object)")
    schema = doc.get("schema")
    if schema != SCHEMA:
        raise ResultsError(f"{where}: schema is {schema!r}, expected {SCHEMA!r}")
    missing = [k for k in required if k not in doc]
    if missing:
        raise ResultsError(f"{where}: missing {', '.join(missing)}")
    if not isinstance(doc.get("cases"), list):
        raise ResultsError(f"{where}: 'cases' is not a list")


# ------------------------------------------------------------------------------ files
def write_results(doc: RunResults | dict, path: Path) -> None:
    """Write a run (or any JSON document) to `path` atomically."""
    data = doc.to_dict() if isinstance(doc, RunResults) else doc
    text = json.dumps(data, indent=1, allow_nan=False, default=str) + "\n"
    write_atomic(path, text)


def read_results(path: Path) -> RunResults:
    """Read, check and build the records of a results file; ResultsError has a one-line reason."""
    path = Path(path)
    return RunResults.from_dict(load_results(path), str(path))


def load_results(path: Path) -> dict:
    """Read and validate a results file as plain JSON; raise ResultsError with a one-line reason."""
    path = Path(path)
    text = _read_bounded(path)
    if not text.strip():
        raise ResultsError(f"{path}: empty file, not a results file")
    doc = _parse(text, path)
    validate(doc, str(path))
    return doc


# A results file of the largest suite is a few MB; anything far beyond is not one, and reading
# it whole would only exhaust memory.
MAX_RESULTS_BYTES = 256 * 1024 * 1024
# Python refuses to convert integers longer than this (sys.get_int_max_str_digits).
_MAX_INT_DIGITS = 4000


def _read_bounded(path: Path, limit: int = MAX_RESULTS_BYTES) -> str:
    """The text of a regular file of at most `limit` bytes: a device, a FIFO or a folder is
    refused before it is read (reading /dev/zero never ends; opening a FIFO waits)."""
    try:
        data = read_regular(path, limit, "a results file")
    except UnreadableFile as exc:
        raise ResultsError(str(exc)) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ResultsError(f"{path}: cannot read (not UTF-8 text)") from None


def _parse_int(digits: str) -> int | float:
    """A JSON integer; one too long for Python to convert reads as inf, which every reader
    treats as a malformed value (no count or time has thousands of digits)."""
    return int(digits) if len(digits) <= _MAX_INT_DIGITS else float(digits)


def _parse(text: str, path: Path) -> Any:
    try:
        return json.loads(text, parse_int=_parse_int)
    except json.JSONDecodeError as exc:
        # A cut-off file fails at its end, or inside a string that never closes.
        cut = exc.pos >= len(text.rstrip()) - 1 or exc.msg.startswith("Unterminated string")
        hint = "truncated" if cut else "not valid JSON"
        raise ResultsError(f"{path}: {hint} (line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:
        raise ResultsError(f"{path}: not a results file (JSON nested too deeply)") from None
    except ValueError as exc:  # defensive: any other refusal of the decoder, in one line
        raise ResultsError(f"{path}: not valid JSON ({str(exc).splitlines()[0][:80]})") from None


def validate(doc: object, where: str = "results") -> None:
    """Check the shape a file must have; raise ResultsError naming the first problem."""
    _check_shape(doc, where, REQUIRED_KEYS)
    for i, case in enumerate(doc["cases"]):
        _validate_case(case, f"{where}: case {i}")


def _validate_case(case: object, where: str) -> None:
    if not isinstance(case, dict):
        raise ResultsError(f"{where} is not an object")
    missing = [k for k in CASE_KEYS if k not in case]
    if missing:
        raise ResultsError(f"{where} ({case.get('id', '?')}): missing {', '.join(missing)}")
    if case["status"] not in CASE_STATUSES:
        raise ResultsError(f"{where} ({case['id']}): unknown status {case['status']!r}")
    if case["status"] == "ok":
        stats = case.get("stats")
        if not isinstance(stats, dict) or not isinstance(stats.get("samples_s"), list):
            raise ResultsError(f"{where} ({case['id']}): status ok but no stats.samples_s")
        if not stats["samples_s"] or not isinstance(stats.get("median_s"), (int, float)):
            raise ResultsError(f"{where} ({case['id']}): empty samples or no median")
