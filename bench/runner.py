"""The runner: fixes the run's settings, works through the cases, and keeps the results file
current after every case, so an interrupted or crashed run still leaves a valid file.

A case that fails (out of memory, an error, variants that disagree) is recorded with its reason
and the run goes on. Ctrl-C stops after recording the cases finished so far.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import json
import os
from dataclasses import dataclass
from pathlib import Path

import torch

from bench.files import write_atomic
from bench.merging import apply_peaks, merge_stats
from bench.progress import RunProgress as Progress
from bench.results import (
    CaseMetrics,
    CaseResult,
    CaseSettings,
    Reference,
    RunResults,
    write_results,
)
from bench.rounds import MIN_ROUNDS, Slot, sample_in_rounds
from bench.stats import max_min_spread, median
from bench.suites import Case
from bench.timer import Timer
from bench.workloads import Prepared, after_cases, build
from bench.workloads.base import SKIP_VERIFY


def present_devices() -> list[str]:
    return ["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"]


def fix_settings(threads: int | None = None, cudnn_benchmark: bool = False) -> dict:
    """Fix what changes a timing for the whole run, and return it for the results file."""
    if threads:
        torch.set_num_threads(int(threads))
    torch.backends.cudnn.benchmark = bool(cudnn_benchmark)
    settings = {
        "threads": torch.get_num_threads(),
        "interop_threads": torch.get_num_interop_threads(),
        "cudnn_benchmark": torch.backends.cudnn.benchmark,
        "tf32_matmul": torch.backends.cuda.matmul.allow_tf32,
        "tf32_cudnn": torch.backends.cudnn.allow_tf32,
        "float32_matmul_precision": torch.get_float32_matmul_precision(),
        "torch_version": torch.__version__,
    }
    if torch.cuda.is_available():
        settings["cudnn_version"] = torch.backends.cudnn.version()
    return settings


# ------------------------------------------------------------------------------- memory
def _reset_peak_memory(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats(device)
        return
    # Writing 5 to clear_refs resets the kernel's peak-RSS mark (VmHWM) for this process.
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _peak_memory(device: str) -> dict:
    if device.startswith("cuda"):
        return {"peak_memory_bytes": torch.cuda.max_memory_allocated(device),
                "peak_memory_kind": "cuda max_memory_allocated"}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return {"peak_memory_bytes": int(line.split()[1]) * 1024,
                        "peak_memory_kind": "process peak RSS"}
    except OSError:
        pass
    import psutil

    return {"peak_memory_bytes": psutil.Process().memory_info().rss,
            "peak_memory_kind": "process RSS at end of case"}


# ------------------------------------------------------------------------------- cases
def _case_record(case: Case) -> CaseResult:
    return CaseResult(id=case.id, suite=case.suite, workload=case.workload,
                      params=dict(case.params), device=case.device, dtype=case.dtype,
                      settings=CaseSettings.read(case.settings))


def _build(case: Case, record: CaseResult, seed: int, budget_s: float, target: float,
           context: dict) -> tuple[Prepared, Timer]:
    prepared = build(case.workload, case.params, case.device, case.dtype, seed, context)
    record.checks = prepared.checks
    options = {"target": target, "budget_s": budget_s} | prepared.timing
    return prepared, Timer(prepared.step, device=case.device, label=case.id, **options)


def _record_measurement(record: CaseResult, slot: Slot, prepared: Prepared,
                        drift: float) -> None:
    """The case's stats over its replicates (one per round) and its metrics at that median."""
    own = slot.measurement.to_record(schedule="interleaved", visits=slot.visits,
                                     samples_per_visit=list(slot.samples_per_visit))
    record.stats = merge_stats([(0, own)], blocks=slot.visits, processes=1, drift=drift)
    record.metrics = prepared.metrics(record.stats.median_s)


def _add_memory(metrics: CaseMetrics, memory: dict) -> None:
    metrics.peak_memory_bytes = memory.get("peak_memory_bytes")
    metrics.peak_memory_kind = memory.get("peak_memory_kind")


def _record_failure(record: CaseResult, exc: BaseException) -> None:
    record.status, record.error = "failed", _reason(exc)
    record.stats, record.metrics = None, CaseMetrics()


def _release_memory() -> None:
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def _reason(exc: BaseException) -> str:
    if isinstance(exc, torch.cuda.OutOfMemoryError):
        return "CUDA out of memory: " + str(exc).splitlines()[0]
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".strip()


def run_cases(cases: list[Case], doc: RunResults, path: Path, seed: int, budget_s: float,
              target: float, progress: Progress | None = None,
              rounds: int = MIN_ROUNDS, verify: bool = True) -> RunResults:
    """Run every case, rewriting `path` as rounds finish; on Ctrl-C mark the run interrupted
    and stop, keeping what was measured so far.

    Every case is built and warmed up first, then all of them are sampled in the same
    interleaved rounds (bench/rounds.py): one sampling path for every workload, so that no
    case's numbers describe only the few seconds in which it happened to run.

    `verify`: False in a worker whose variants another worker of the run already verified.

    Returns the run; its status is "complete" or "interrupted", or "failed" (with `doc.error`)
    when `path` could not be written: the run stops there, as there is nowhere to keep results.
    """
    context: dict = {} if verify else {SKIP_VERIFY: True}
    doc.status = "running"
    try:
        try:
            _write(doc, path)
            _run_rounds(cases, doc, path, seed, budget_s, target, context, progress, rounds)
        except KeyboardInterrupt:
            doc.status = "interrupted"
        else:
            doc.status = "complete"
        _write(doc, path)
    except ResultsNotWritten as exc:
        mark_failed(doc, path, str(exc))
    return doc


class ResultsNotWritten(Exception):
    """The results file could not be written (a full disk, a file-size limit); one line."""


def _write(doc: RunResults, path: Path) -> None:
    try:
        write_results(doc, path)
    except OSError as exc:
        raise ResultsNotWritten(f"cannot write {path}: {exc.strerror or exc}") from None


def mark_failed(doc: RunResults, path: Path, reason: str) -> None:
    """Mark the run failed with `reason`, in memory and, as far as the disk allows, in `path`.

    The file is written compactly, which is enough smaller than the indented file to fit where
    that one no longer did: first the whole run, else the last file written (every case it
    held), else it is left as it was and `doc.error` says so.
    """
    doc.status, doc.error = "failed", reason
    try:
        _write_compact(doc.to_dict(), path)
        return
    except (OSError, ValueError):
        pass
    try:
        last = json.loads(path.read_text(encoding="utf-8"))
        _write_compact(last | {"status": "failed", "error": reason}, path)
        doc.cases = doc.cases[:len(last["cases"])]
    except (OSError, ValueError, TypeError, KeyError):
        doc.error = f"{reason}; {path.name} could not be marked failed either"


def _write_compact(data: dict, path: Path) -> None:
    write_atomic(path, json.dumps(data, separators=(",", ":"), allow_nan=False, default=str))


def _publish(doc: RunResults, path: Path, *records: CaseResult) -> None:
    """Add records not yet in the document, refresh the relative metrics, and write it out."""
    for record in records:
        if not any(r is record for r in doc.cases):
            doc.cases.append(record)
    after_cases(doc.cases)
    apply_peaks(doc.cases)
    _write(doc, path)


@dataclass
class _Entry:
    """A case of the run: its record, its place in the rotation, its workload."""

    record: CaseResult
    slot: Slot | None  # None when the case failed before it could be sampled
    prepared: Prepared | None
    memory: dict


def _run_rounds(cases: list[Case], doc: RunResults, path: Path, seed: int, budget_s: float,
                target: float, context: dict, progress: Progress | None, rounds: int) -> None:
    """Build and warm up every case, then sample them all in rounds."""
    entries: list[_Entry] = []
    drift = doc.settings.drift or 0.0
    try:
        for index, case in enumerate(cases, 1):
            if progress:
                progress.preparing(case, index, len(cases))
            entry = _prepare_entry(case, seed, budget_s, target, context)
            if entry.slot is None:  # it failed to build or warm up
                _publish(doc, path, entry.record)
                if progress:
                    progress.finish(entry.record)
                continue
            entries.append(entry)

        references = _reference_slots(cases, seed, rounds)

        def after_round(number: int, sampling: list[Slot], seconds_left: float) -> None:
            doc.references = [_reference_record(d, slot) for d, slot in references.items()]
            _publish(doc, path, *_refresh(entries, drift))
            if progress:
                cases_sampling = sum(1 for e in entries if e.slot in sampling)
                progress.round(number, cases_sampling, len(entries), seconds_left)

        sample_in_rounds([e.slot for e in entries] + list(references.values()), seed, rounds,
                         after_round)
        _publish(doc, path, *_refresh(entries, drift))
        if progress:
            for entry in entries:
                progress.finish(entry.record)
    except KeyboardInterrupt:
        _publish(doc, path, *_refresh(entries, drift))  # keep every sample taken so far
        raise
    finally:
        entries.clear()
        _release_memory()


# A small fixed workload timed in every round beside the cases, per device: how much the
# machine's own speed moved during the rounds, and (in `rnnbench compare`) between two runs. It
# is a short batching epoch rather than a matmul, because a matmul that fits in cache missed a
# 5% shift that every batching case showed between two runs (the epoch tracks better, but cases
# can still move a few percent differently from it). About a quarter second per round.
REFERENCE_PARAMS = {"dist": "names", "n": 256, "cell": "lstm", "mode": "inference",
                    "strategy": "padded", "batch": 64, "hidden": 256}
REFERENCE_LABEL = ("one LSTM inference epoch over 256 names-length sequences "
                   "(padded batches of 64, hidden 256, fp32)")
REFERENCE_VISIT_S = 0.25


def _reference_slots(cases: list[Case], seed: int, rounds: int) -> dict[str, Slot]:
    slots = {}
    for device in dict.fromkeys(c.device for c in cases):
        try:
            prepared = build("batching", REFERENCE_PARAMS, device, "fp32", seed, {})
            timer = Timer(prepared.step, device=device, budget_s=REFERENCE_VISIT_S * rounds,
                          label=f"reference on {device}")
            slots[device] = Slot(timer, timer.prepare())
        except Exception:  # the reference is a help, never a reason to stop the run
            continue
    return slots


def _reference_record(device: str, slot: Slot) -> Reference:
    """The `references` entry of the results file for one device."""
    per_round = slot.visit_medians()
    samples = slot.measurement.samples_s
    return Reference(device=device, label=REFERENCE_LABEL, workload="batching", dtype="fp32",
                     params=dict(REFERENCE_PARAMS), median_s=median(samples) if samples else None,
                     per_round_median_s=per_round,
                     spread=max_min_spread(per_round) if per_round else None)


def _prepare_entry(case: Case, seed: int, budget_s: float, target: float,
                   context: dict) -> _Entry:
    record = _case_record(case)
    try:
        before = _allocated(case.device)
        _reset_peak_memory(case.device)
        prepared, timer = _build(case, record, seed, budget_s, target, context)
        measurement = timer.prepare()
        # The case's peak is read now, over its build and warm-up: once the group is sampled in
        # rounds, the process's peak belongs to all of its cases at once.
        memory = _peak_memory(case.device)
        if case.device.startswith("cuda"):
            memory["peak_memory_bytes"] -= before
            memory["peak_memory_kind"] += " above what earlier cases hold"
        elif before and memory["peak_memory_kind"] == "process peak RSS":
            # The process's peak holds every case built before this one; what this case adds
            # is what a user sizing a batch wants (memory freed earlier can be reused, so this
            # can fall short of what the case needs in a fresh process).
            memory["peak_memory_bytes"] = max(0, memory["peak_memory_bytes"] - before)
            memory["peak_memory_kind"] += " above the process's RSS before this case"
        memory["peak_memory_kind"] += " (build and warm-up)"
        return _Entry(record, Slot(timer, measurement), prepared, memory)
    except KeyboardInterrupt:
        raise
    except Exception as exc:  # recorded; the group goes on without it
        _record_failure(record, exc)
        _release_memory()
        return _Entry(record, None, None, {})


def _allocated(device: str) -> int:
    """What the process holds now: CUDA's allocated bytes, or on the CPU the resident set."""
    if device.startswith("cuda"):
        return torch.cuda.memory_allocated(device)
    _trim_heap()
    try:
        resident_pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0
    return resident_pages * os.sysconf("SC_PAGE_SIZE")


def _trim_heap() -> None:
    """Hand the memory freed so far back to the system (glibc's malloc_trim), so that a case's
    allocations raise the resident set instead of refilling freed blocks unseen."""
    gc.collect()
    # Not glibc: no malloc_trim, and the delta is only a lower bound there.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)


def _refresh(entries: list[_Entry], drift: float) -> list[CaseResult]:
    """Bring each entry's record up to date with its samples; return the records that have any.
    `drift`: the run's allowance for drift between runs (a worker's records get theirs when the
    parent merges them)."""
    ready = []
    for entry in entries:
        if entry.slot.error is not None:
            if entry.record.status != "failed":
                _record_failure(entry.record, entry.slot.error)
            ready.append(entry.record)
        elif entry.slot.measurement.n:
            _record_measurement(entry.record, entry.slot, entry.prepared, drift)
            _add_memory(entry.record.metrics, entry.memory)
            ready.append(entry.record)
    return ready
