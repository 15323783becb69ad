"""The runner: fixes the run's settings, works through the cases, and keeps the results file
current after every case, so an interrupted or crashed run still leaves a valid file.

A case that fails (out of memory, an error, variants that disagree) is recorded with its reason
and the run goes on. Ctrl-C stops after recording the cases finished so far.
"""

from __future__ import annotations

import contextlib
import gc
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import torch

from bench.results import write_results
from bench.suites import Case
from bench.timer import Timer
from bench.workloads import build
from bench.workloads.batching import add_relative_metrics


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


# ------------------------------------------------------------------------------- progress
@dataclass
class Progress:
    """One line per case on stderr: a bar, the case, elapsed time and an estimate of what is left.

    The estimate is the mean wall time of the finished cases times the cases left (before the
    first case finishes, each case's time budget stands in for it).
    """

    total: int
    budget_s: float
    stream: TextIO = field(default_factory=lambda: sys.stderr)
    started: float = field(default_factory=time.perf_counter)
    done: int = 0

    def start(self, case: Case) -> None:
        elapsed = time.perf_counter() - self.started
        per_case = elapsed / self.done if self.done else self.budget_s * 1.5
        left = per_case * (self.total - self.done)
        width = 20
        filled = int(width * self.done / max(self.total, 1))
        bar = "#" * filled + "." * (width - filled)
        print(f"[{bar}] {self.done + 1}/{self.total} {case.id}  "
              f"elapsed {_clock(elapsed)}, ETA {_clock(left)}", file=self.stream, flush=True)

    def finish(self, record: dict) -> None:
        self.done += 1
        if record["status"] != "ok":
            print(f"    {record['status']}: {record['error']}", file=self.stream, flush=True)


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


# ------------------------------------------------------------------------------- cases
def _case_record(case: Case) -> dict:
    return {"id": case.id, "suite": case.suite, "workload": case.workload,
            "params": dict(case.params), "device": case.device, "dtype": case.dtype,
            "settings": dict(case.settings), "status": "ok", "error": None, "stats": None,
            "metrics": {}, "checks": {}}


def run_case(case: Case, seed: int, budget_s: float, target: float, context: dict) -> dict:
    """Build, verify, time and measure one case; failures become a record, not an exception."""
    record = _case_record(case)
    try:
        _reset_peak_memory(case.device)
        prepared = build(case.workload, case.params, case.device, case.dtype, seed, context)
        record["checks"] = prepared.checks
        options = {"target": target, "budget_s": budget_s} | prepared.timing
        timer = Timer(prepared.step, device=case.device, label=case.id, **options)
        measurement = timer.measure()
        record["stats"] = measurement.to_stats()
        record["metrics"] = prepared.metrics(measurement.median_s) | _peak_memory(case.device)
    except KeyboardInterrupt:
        raise
    except Exception as exc:  # any failure of one case is recorded and the run goes on
        record.update(status="failed", error=_reason(exc), stats=None, metrics={})
    finally:
        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
    return record


def _reason(exc: BaseException) -> str:
    if isinstance(exc, torch.cuda.OutOfMemoryError):
        return "CUDA out of memory: " + str(exc).splitlines()[0]
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".strip()


def run_cases(cases: list[Case], doc: dict, path: Path, seed: int, budget_s: float,
              target: float, progress: Progress | None = None) -> dict:
    """Run every case, rewriting `path` after each; on Ctrl-C mark the run interrupted and stop.

    Returns the final document; `doc["status"]` is "complete" or "interrupted".
    """
    context: dict = {"peaks": {}}
    doc["status"] = "running"
    write_results(doc, path)
    try:
        for case in cases:
            if progress:
                progress.start(case)
            record = run_case(case, seed, budget_s, target, context)
            if record["workload"] == "matmul" and record["status"] == "ok":
                metrics = record["metrics"]
                context["peaks"][metrics["peak_key"]] = metrics["flops_per_s"]
            doc["cases"].append(record)
            add_relative_metrics(doc["cases"])
            write_results(doc, path)
            if progress:
                progress.finish(record)
    except KeyboardInterrupt:
        doc["status"] = "interrupted"
        write_results(doc, path)
        return doc
    doc["status"] = "complete"
    write_results(doc, path)
    return doc
