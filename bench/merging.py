"""Merging what K worker processes measured of one case into one record with replicates.

A replicate is the unit a comparison tests: the median of one visit of a case in one worker
process, one per round the worker took (files written before every case was sampled in rounds
also hold "sequential" cases: there, one per block of consecutive samples). Samples inside one
process move together with the machine's state; medians of visits spread over several fresh
processes carry the process-level noise (allocator state, memory layout, thread placement, the
stretch of time the process ran in) that a later run will also have. The case's median and CI
are therefore computed over the replicates, never over the raw samples, and the CI is widened
to the spread between processes (bench.stats.clustered_median_ci). A run in one process cannot
see that spread: its CI says so (`ci_method`).
"""

from __future__ import annotations

import dataclasses
import statistics

from bench.relative import fraction_with_ci
from bench.results import CaseMetrics, CaseResult, CaseStats, Reference
from bench.stats import (
    clustered_median_ci,
    iqr,
    max_min_spread,
    median,
    relative_half_width,
    with_drift,
)
from bench.timer import MIN_SAMPLES
from bench.workloads.ceiling import ceiling_key, ceiling_params
from bench.workloads.matmul import keep_peak, peak_key


def replicates_of(stats: CaseStats, blocks: int) -> list[float]:
    """One worker's replicates of a case: its visit medians (interleaved), else the medians of
    `blocks` consecutive blocks of its samples (fewer when it took fewer samples)."""
    samples = list(stats.samples_s)
    if not samples:
        return []
    if stats.schedule == "interleaved" and stats.samples_per_visit:
        medians, start = [], 0
        for count in stats.samples_per_visit:
            if count:
                medians.append(statistics.median(samples[start:start + int(count)]))
            start += int(count)
        return medians
    parts = max(1, min(blocks, len(samples)))
    bounds = [round(i * len(samples) / parts) for i in range(parts + 1)]
    return [statistics.median(samples[a:b]) for a, b in zip(bounds, bounds[1:], strict=False)]


# The run-to-run drift a case's CI allows for by default (a relative standard deviation; the
# `drift` setting overrides it). Measured on this project's 2-core machine with
# scripts/ci_coverage.py over three sets of ten runs: every case of a run moved together by
# 1.4%, 2.1% and 2.6% (sd over the runs), a shift no run sees in itself.
DEFAULT_DRIFT = 0.02


def merge_stats(parts: list[tuple[int, CaseStats]], blocks: int, processes: int,
                drift: float = 0.0) -> CaseStats:
    """The stats of one case from (process index, that process's stats) pairs; `drift` widens
    the CI for what moves between runs (bench.stats.with_drift). Whether the sampling met its
    target is judged on the run's own interval: no amount of sampling narrows the drift."""
    samples: list[float] = []
    replicates: list[float] = []
    owners: list[int] = []
    visits: list[int] = []
    for process, stats in parts:
        samples += stats.samples_s
        mine = replicates_of(stats, blocks)
        replicates += mine
        owners += [process] * len(mine)
        visits += list(stats.samples_per_visit or [])
    first = parts[0][1]
    center = median(replicates)
    within = clustered_median_ci(replicates, owners)
    lo, hi = with_drift(center, within, drift)
    target = first.target if first.target is not None else 0.0
    met = len(replicates) >= MIN_SAMPLES and relative_half_width(center, within) <= target
    return CaseStats(
        median_s=center, iqr_s=iqr(samples) if len(samples) >= 2 else 0.0, ci95_s=(lo, hi),
        n=len(samples), target=target, target_met=met, calls_per_block=first.calls_per_block,
        warmup_calls=sum(s.warmup_calls or 0 for _, s in parts),
        budget_s=sum(s.budget_s or 0.0 for _, s in parts),
        elapsed_s=sum(s.elapsed_s or 0.0 for _, s in parts),
        samples_s=samples, schedule=first.schedule,
        visits=sum(s.visits or 0 for _, s in parts), samples_per_visit=visits or None,
        replicates_s=replicates, replicate_process=owners, processes=processes,
        drift=drift or None, ci_method=ci_method(len(replicates), len(set(owners)), drift))


def ci_method(replicates: int, processes: int, drift: float = 0.0) -> str:
    """How a case's CI was computed, in words a report can print."""
    allowance = (f"; widened for drift between runs of {drift:.1%} (sd), which one run cannot "
                 "see" if drift > 0 else "; no allowance for drift between runs")
    if processes >= 2:
        return (f"median and 95% CI over {replicates} replicates (round medians) from "
                f"{processes} worker processes, widened to the spread between the processes"
                f"{allowance}")
    return (f"median and 95% CI over {replicates} round medians of one process{allowance}: "
            "process-to-process variation is not in this CI (run with --processes 3 or more "
            "for an interval that holds across runs)")


def merge_case(parts: list[tuple[int, CaseResult]], blocks: int, processes: int,
               drift: float = 0.0) -> CaseResult:
    """One record from the ok records of the same case that the workers returned."""
    records = [r for _, r in parts]
    merged = dataclasses.replace(records[0], extra=dict(records[0].extra))
    merged.stats = merge_stats([(p, r.stats) for p, r in parts], blocks, processes, drift)
    merged.metrics = _rescaled(records[0].metrics, records[0].stats.median_s,
                               merged.stats.median_s)
    sizes = [r.metrics.peak_memory_bytes for r in records if r.metrics.peak_memory_bytes]
    merged.metrics.peak_memory_bytes = max(sizes) if sizes else None
    return merged


# Metrics that a workload computes from the median step time, and how they scale with it.
_PER_MEDIAN = ("time_per_epoch_s", "time_to_accuracy_s")
_PER_RATE = ("tokens_per_s", "sequences_per_s", "flops_per_s")


def _rescaled(metrics: CaseMetrics, was_s: float | None, now_s: float) -> CaseMetrics:
    """One worker's metrics restated for the merged median: rates scale with 1/median and
    times with the median; counts and efficiencies do not depend on it."""
    out = dataclasses.replace(metrics, extra=dict(metrics.extra))
    if not was_s or not now_s:
        return out
    for name in _PER_MEDIAN:
        if getattr(out, name) is not None:
            setattr(out, name, getattr(out, name) * now_s / was_s)
    for name in _PER_RATE:
        if getattr(out, name) is not None:
            setattr(out, name, getattr(out, name) * was_s / now_s)
    return out


def apply_peaks(cases: list[CaseResult]) -> None:
    """Restate every kernel case's fractions against the cases of the same run it is compared
    with: the square-matmul peak (the fastest matmul of its device, dtype and TF32 state; context
    only) and the ceiling at its own shapes (`ceiling_fraction`, with a CI over the rounds both
    were timed in), so achieved, peak and ceiling FLOP/s are all medians over the same processes."""
    peaks: dict[str, float] = {}
    ceilings: dict[tuple, CaseResult] = {}
    for case in cases:
        if case.workload == "matmul" and case.ok:
            keep_peak(peaks, case.metrics)
        if case.workload == "ceiling" and case.ok:
            ceilings[ceiling_key(case.device or "cpu", case.dtype or "fp32", case.params)] = case
    for case in cases:
        m = case.metrics
        if case.workload != "kernels" or not case.ok or m.flops_per_s is None:
            continue
        peak = peaks.get(peak_key(case.device or "cpu", case.dtype or "fp32", bool(m.tf32)))
        m.peak_flops_per_s = peak or None
        m.peak_fraction = m.flops_per_s / peak if peak else None
        own = m.extra.get("kernels", {})
        wanted = ceiling_params(case.params, bool(m.tf32), bool(own.get("fused_backward")))
        ceiling = ceilings.get(ceiling_key(case.device or "cpu", case.dtype or "fp32", wanted))
        _apply_ceiling(case, ceiling)


def _apply_ceiling(case: CaseResult, ceiling: CaseResult | None) -> None:
    m = case.metrics
    rate = ceiling.metrics.flops_per_s if ceiling is not None else None
    if ceiling is None or not rate:
        m.ceiling_flops_per_s = m.ceiling_fraction = m.ceiling_fraction_ci = None
        return
    m.ceiling_flops_per_s = rate
    fraction, m.ceiling_fraction_ci = fraction_with_ci(ceiling.stats, case.stats)
    # No replicates to pair: the ratio of the rates.
    m.ceiling_fraction = fraction if fraction is not None else m.flops_per_s / rate


def merge_references(parts: list[tuple[int, str | None, Reference]]) -> list[Reference]:
    """One reference entry per device (and env, in an A/B run), its per-round medians taken
    over every worker: (process index, env label, that worker's reference) triples."""
    grouped: dict[tuple[str | None, str | None], list[tuple[int, Reference]]] = {}
    for process, env, ref in parts:
        grouped.setdefault((ref.device, env), []).append((process, ref))
    merged = []
    for (_, env), refs in grouped.items():
        rounds: list[float] = []
        owners: list[int] = []
        for process, ref in refs:
            rounds += ref.per_round_median_s or []
            owners += [process] * len(ref.per_round_median_s or [])
        first = refs[0][1]
        # The reference's replicates: one median per round, from the process in `owners`.
        extra = dict(first.extra) | {"replicate_process": owners, "processes": len(refs)}
        if env is not None:
            extra["env"] = env
        merged.append(dataclasses.replace(
            first, median_s=median(rounds) if rounds else None,
            per_round_median_s=rounds or None,
            spread=max_min_spread(rounds) if rounds else None, extra=extra))
    return merged
