"""The only code in rnnbench that times anything.

`Timer(step).measure()` warms `step` up until its timings settle, then samples it until the 95%
confidence interval of the median is within `target` (default ±2%) or the time budget runs out
(a check of one step; a run samples every case in rounds instead, bench/rounds.py).
Very short steps are timed in blocks of calls so that reading the clock costs under 1% of a
sample. On CUDA every block is bracketed by CUDA events on the case's device and synchronised
before it is read, so an unfinished launch is never timed. The garbage collector is off inside
a timed block.

The statistics live on the returned `Measurement`, in the spirit of torch.utils.benchmark; the
arithmetic behind them is bench/stats.py's.
"""

from __future__ import annotations

import contextlib
import gc
import math
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import torch

from bench.results import CaseStats
from bench.stats import (
    iqr_of_sorted,
    median_ci_of_sorted,
    median_of_sorted,
    relative_half_width,
)

# A block of calls must last this long, so that the clock's own cost (tens of ns on the host,
# a few µs for a CUDA event pair) stays far below 1% of what is measured.
MIN_BLOCK_S = 1e-3
# The distribution-free CI of the median needs at least 6 samples to reach 95% coverage.
MIN_SAMPLES = 6


@dataclass
class Measurement:
    """Per-call timings of one step and the statistics an expert asks for."""

    samples_s: list[float]  # one entry per block: block time divided by calls per block
    calls_per_block: int
    warmup_calls: int
    target: float
    budget_s: float
    label: str = ""
    elapsed_s: float = 0.0  # wall time spent measuring, warm-up included
    # Samples sorted once per new sample rather than on every statistic read. Samples are only
    # ever appended (Timer.sample), so the same list at the same length holds the same values.
    _ordered: list[float] = field(init=False, default_factory=list, repr=False, compare=False)
    _ordered_from: list[float] | None = field(init=False, default=None, repr=False,
                                              compare=False)

    @property
    def n(self) -> int:
        return len(self.samples_s)

    def _sorted(self) -> list[float]:
        if self._ordered_from is not self.samples_s or len(self._ordered) != len(self.samples_s):
            self._ordered = sorted(self.samples_s)
            self._ordered_from = self.samples_s
        return self._ordered

    @property
    def median_s(self) -> float:
        return median_of_sorted(self._sorted())

    @property
    def iqr_s(self) -> float:
        return iqr_of_sorted(self._sorted())

    @property
    def ci95_s(self) -> tuple[float, float]:
        return median_ci_of_sorted(self._sorted())

    @property
    def ci_relative(self) -> float:
        """Largest distance from the median to an end of its CI, as a fraction of the median."""
        return relative_half_width(self.median_s, self.ci95_s)

    @property
    def target_met(self) -> bool:
        return self.n >= MIN_SAMPLES and self.ci_relative <= self.target

    def to_stats(self) -> dict:
        """The `stats` object of a results case (docs/results-schema.md)."""
        lo, hi = self.ci95_s
        return {
            "median_s": self.median_s,
            "iqr_s": self.iqr_s,
            "ci95_s": [lo, hi],
            "n": self.n,
            "target": self.target,
            "target_met": self.target_met,
            "calls_per_block": self.calls_per_block,
            "warmup_calls": self.warmup_calls,
            "budget_s": self.budget_s,
            "elapsed_s": self.elapsed_s,
            "samples_s": list(self.samples_s),
        }

    def to_record(self, schedule: str = "sequential", visits: int = 1,
                  samples_per_visit: list[int] | None = None) -> CaseStats:
        """The stats record of a results case, with how the samples were scheduled."""
        record = CaseStats.read(self.to_stats())
        record.schedule, record.visits = schedule, visits
        record.samples_per_visit = list(samples_per_visit) if samples_per_visit else None
        return record

    @classmethod
    def from_stats(cls, stats: CaseStats, label: str = "") -> Measurement:
        """Rebuild a measurement from a stored case, so its statistics can be recomputed (the
        stored ones are what the writer computed; these are computed here, from the samples)."""
        return cls(list(stats.samples_s), stats.calls_per_block or 1, stats.warmup_calls or 0,
                   stats.target if stats.target is not None else 0.0, stats.budget_s or 0.0,
                   label, stats.elapsed_s or 0.0)

    def __repr__(self) -> str:
        lo, hi = self.ci95_s
        return (f"Measurement({self.label or 'step'}: median {self.median_s * 1e3:.4g} ms, "
                f"CI95 [{lo * 1e3:.4g}, {hi * 1e3:.4g}] ms, n={self.n}, "
                f"target_met={self.target_met})")


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """The garbage collector off for a timed block (as `timeit` does), so that a collection
    triggered by earlier work does not land in one block's time; restored as it was."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass
class Timer:
    """Times `step()` on `device` ("cpu" or "cuda[:i]").

    budget_s bounds the sampling phase; warm-up may add up to `warmup_fraction` of it.
    """

    step: Callable[[], object]
    device: str = "cpu"
    target: float = 0.02
    budget_s: float = 2.0
    min_samples: int = 10
    max_samples: int = 2000
    warmup_fraction: float = 0.3
    label: str = ""
    call_s: float = field(init=False, default=0.0)  # typical call time, known after prepare()
    _clock: Callable[[int], float] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._clock = self._cuda_block if self.device.startswith("cuda") else self._host_block

    # -- clocks -------------------------------------------------------------------------------
    def _host_block(self, calls: int) -> float:
        step = self.step
        with _gc_paused():
            start = time.perf_counter()
            for _ in range(calls):
                step()
            return time.perf_counter() - start

    def _cuda_block(self, calls: int) -> float:
        # The events are recorded on the current stream of the case's own device (not of the
        # current device, which for cuda:1 is another GPU); synchronising on the end event waits
        # for every kernel the block launched, so no unfinished work is left out of the time.
        step = self.step
        with torch.cuda.device(self.device), _gc_paused():
            begin = torch.cuda.Event(enable_timing=True)
            end = torch.cuda.Event(enable_timing=True)
            torch.cuda.synchronize()
            begin.record()
            for _ in range(calls):
                step()
            end.record()
            end.synchronize()
        return begin.elapsed_time(end) / 1e3

    # -- phases -------------------------------------------------------------------------------
    def _warm_up(self, deadline: float) -> tuple[int, float]:
        """Call until the step stops getting faster; return (calls made, typical call time).

        First calls pay for lazy init, allocator growth and cuDNN algorithm search. The step
        counts as settled once two calls in a row are no more than 5% faster than the best
        seen before them.
        """
        times = [self._clock(1)]
        settled_in_a_row = 0
        while settled_in_a_row < 2 and time.perf_counter() < deadline:
            t = self._clock(1)
            settled_in_a_row = settled_in_a_row + 1 if t >= 0.95 * min(times) else 0
            times.append(t)
        return len(times), statistics.median(times[-3:])

    def _calls_per_block(self, single_call_s: float) -> int:
        if single_call_s >= MIN_BLOCK_S:
            return 1
        calls = max(1, math.ceil(MIN_BLOCK_S / max(single_call_s, 1e-9)))
        # Refine once from a real block: a single call of a µs step is mostly clock overhead.
        block = self._clock(calls)
        return max(1, math.ceil(calls * 1.2 * MIN_BLOCK_S / max(block, 1e-9)))

    def prepare(self) -> Measurement:
        """Warm up and choose the block size; return an empty Measurement to sample into.

        Sets `call_s`, the typical time of one call after warm-up, which tells a scheduler how
        many samples fit in a slot of time.
        """
        started = time.perf_counter()
        warmup_calls, single = self._warm_up(started + self.warmup_fraction * self.budget_s)
        calls = self._calls_per_block(single)
        self.call_s = single
        m = Measurement([], calls, warmup_calls, self.target, self.budget_s, self.label)
        m.elapsed_s = time.perf_counter() - started
        return m

    def sample(self, m: Measurement, blocks: int = 1) -> None:
        """Time `blocks` more blocks of calls into `m`."""
        started = time.perf_counter()
        for _ in range(blocks):
            m.samples_s.append(self._clock(m.calls_per_block) / m.calls_per_block)
        m.elapsed_s += time.perf_counter() - started

    def warm_block(self, m: Measurement) -> None:
        """One untimed block (its wall time counted in `m.elapsed_s`, not in its samples)."""
        started = time.perf_counter()
        self._clock(m.calls_per_block)
        m.elapsed_s += time.perf_counter() - started

    def measure(self) -> Measurement:
        """Warm up, then sample until the CI target is met or the budget is spent."""
        m = self.prepare()
        sampling_deadline = time.perf_counter() + self.budget_s
        while m.n < self.max_samples:
            self.sample(m)
            if m.n >= self.min_samples and m.n % 2 == 0 and m.target_met:
                break
            if time.perf_counter() >= sampling_deadline and m.n >= min(3, self.min_samples):
                break
        return m
