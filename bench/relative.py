"""A case's replicates and the test of its change relative to the whole-run shift; and one
case's fraction of another, paired round by round (`paired_fraction`).

The unit of replication is a replicate median: one per visit of a fresh worker process
(`CaseStats.replicates_s`, written by `rnnbench run --processes K`). Raw samples of one process
move together with the machine's state, so a test on them finds "significant" drift; replicate
medians from separate processes carry the process-level noise a comparison must allow for.

The test is rank-based, so one replicate disturbed by other work on the machine cannot decide
it: a two-sided Mann-Whitney U test of log(new) - log(shift) against log(base), and the
Hodges-Lehmann estimate of the change (the median of all pairwise differences) with its
distribution-free 95% CI. The shift's own uncertainty is allowed for conservatively: the CI is
widened by the shift's half-width and the p-value is the largest over the shift's CI. Files
written before --processes have no replicates and are compared by bench/compare.py's
per-sample method.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from bench.results import CaseStats
from bench.stats import (
    Z_975,
    Interval,
    clustered_median_ci,
    mann_whitney_u,
    median,
    median_abs_deviation,
    ratio_interval,
)

MIN_REPLICATES = 2  # per side: fewer give no variance, and the case falls back to its samples


@dataclass
class Replicates:
    values: list[float]
    processes: int | None  # worker processes they came from (None: not recorded)


def replicates_of(stats: CaseStats) -> Replicates | None:
    """The case's stored replicate medians; None without at least MIN_REPLICATES positive ones.

    Per-visit medians of an interleaved case (`samples_per_visit`) are not used in their place:
    they come from one process, so they miss the process-level noise, and comparing files
    without replicates that way would change what release 0.1.0's files compare to.
    """
    stored = stats.replicates_s or []
    if len(stored) < MIN_REPLICATES or min(stored) <= 0:
        return None
    return Replicates(list(stored), stats.processes)


@dataclass
class CaseTest:
    relative: float  # Hodges-Lehmann ratio new/base divided by the shift
    ci: Interval  # its 95% CI (distribution-free; widened by the shift's uncertainty)
    p_value: float  # two-sided, before the multiple-testing correction
    log_sd: float  # robust sd of one log replicate (1.4826 MAD): what the power estimate uses
    shift_log_se: float


# The MAD of normal noise times this is its standard deviation.
MAD_TO_SD = 1.4826


def _robust_sd(logs: Sequence[float]) -> float:
    return MAD_TO_SD * median_abs_deviation(logs)


def _hodges_lehmann(x: Sequence[float], y: Sequence[float]) -> tuple[float, Interval]:
    """Median of the pairwise differences y_j - x_i, and the order statistics of those
    differences that bound it with 95% confidence (ranks from the normal approximation of the
    Mann-Whitney null distribution); (min, max) when the samples are too small for that."""
    diffs = sorted(b - a for a in x for b in y)
    m, n, total = len(x), len(y), len(diffs)
    k = math.floor(total / 2.0 - Z_975 * math.sqrt(m * n * (m + n + 1) / 12.0) - 0.5)
    lo, hi = (diffs[k], diffs[total - 1 - k]) if k >= 0 else (diffs[0], diffs[-1])
    return median(diffs), (lo, hi)


def shift_corrected_test(base: Sequence[float], new: Sequence[float], log_shift: float,
                         shift_log_se: float) -> CaseTest:
    """Is log(new) - log(shift) shifted against log(base)? Rank test and Hodges-Lehmann CI."""
    x = [math.log(v) for v in base]
    y = [math.log(v) - log_shift for v in new]
    estimate, (lo, hi) = _hodges_lehmann(x, y)
    margin = Z_975 * shift_log_se
    # Significant only if it is so wherever the shift lies within its CI.
    p = max(mann_whitney_u(x, [v + d for v in y])[1] for d in {-margin, 0.0, margin})
    sd = math.sqrt((_robust_sd(x) ** 2 + _robust_sd(y) ** 2) / 2.0)
    return CaseTest(math.exp(estimate), (math.exp(lo - margin), math.exp(hi + margin)), p, sd,
                    shift_log_se)


def fewest_for_rank_test(alpha: float) -> int:
    """Replicates per side below which even a complete separation of the two sides cannot give
    the rank test a p-value under `alpha` (normal approximation, as the test uses)."""
    n = MIN_REPLICATES
    while n < 1000:
        z = (n * n / 2.0 - 0.5) / math.sqrt(n * n * (2 * n + 1) / 12.0)
        if math.erfc(z / math.sqrt(2.0)) < alpha:
            return n
        n += 1
    return n


def replicates_needed(test: CaseTest, threshold: float, alpha: float = 0.05) -> int | None:
    """Replicates per side for the CI half-width to shrink below the distance between the
    measured change and the threshold (normal approximation, same spread as measured, with
    the rank test's efficiency of 3/pi), and at least as many as the rank test needs to reach
    `alpha` at all: an estimate, not a guarantee. None when no number of replicates would do
    (the shift's own uncertainty is already larger than that distance) or the change is within
    the threshold."""
    margin = abs(math.log(test.relative)) - math.log1p(threshold)
    room = margin ** 2 - (Z_975 * test.shift_log_se) ** 2
    if margin <= 0 or room <= 0:
        return None
    spread = math.ceil(math.pi / 3.0 * 2.0 * (Z_975 * test.log_sd) ** 2 / room)
    return max(fewest_for_rank_test(alpha), spread)


def processes_needed(test: CaseTest, threshold: float, base: Replicates,
                     new: Replicates, alpha: float = 0.05) -> int | None:
    """Worker processes per side (at the replicates per process these runs took) the
    estimate of `replicates_needed` asks for; None without a process count or an estimate."""
    needed = replicates_needed(test, threshold, alpha)
    if needed is None or not base.processes or not new.processes:
        return None
    per_process = min(len(base.values) / base.processes, len(new.values) / new.processes)
    return max(1, math.ceil(needed / max(per_process, 1.0)))


def paired_fraction(reference: CaseStats, case: CaseStats
                    ) -> tuple[float, tuple[float, float]] | None:
    """The case's fraction of a reference round by round (reference time / case time in each
    round both were timed in; a kernel's of its GEMM ceiling, a batching strategy's of its
    padding-free limit): its median and CI over those paired replicates. Pairing removes what
    a round's machine state does to both; None when the replicates do not pair up."""
    a, b = reference.replicates_s, case.replicates_s
    if not a or not b or len(a) != len(b) or reference.replicate_process != case.replicate_process:
        return None
    ratios = [r / c for r, c in zip(a, b, strict=True) if c > 0]
    if len(ratios) != len(a):
        return None
    owners = case.replicate_process or [0] * len(ratios)
    return median(ratios), clustered_median_ci(ratios, owners)


def fraction_with_ci(reference: CaseStats, case: CaseStats
                     ) -> tuple[float | None, Interval | None]:
    """`paired_fraction` where the replicates pair up; else no value (the caller states the
    ratio of the medians in its own units) and a conservative CI from the two cases' own
    (`ratio_interval`), None when either has none."""
    paired = paired_fraction(reference, case)
    if paired is not None:
        return paired
    if reference.ci95_s is None or case.ci95_s is None:
        return None, None
    return None, ratio_interval(reference.ci95_s, case.ci95_s)
