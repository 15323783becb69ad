"""The statistics rnnbench reports, as pure functions of plain floats.

- the distribution-free 95% confidence interval of a median (order statistics);
- the two-sided Mann-Whitney U rank test (normal approximation, tie- and continuity-corrected);
- quantiles by the inclusive method (`statistics.quantiles(..., method="inclusive")`), the IQR;
- intervals carried through arithmetic: of a rate from the interval of its time, and of a ratio
  from the intervals of its two terms, both conservative (opposite ends);
- spreads: the relative half-width of a CI, and max/min - 1 of a series.

Functions named `*_of_sorted` take samples already in ascending order, so a caller that reads
several statistics of the same samples sorts them once. Nothing here needs numpy or scipy;
tests/bench/test_stats.py checks every function against scipy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache

Interval = tuple[float, float]


# -- the median and its confidence interval ---------------------------------------------------

def median_of_sorted(ordered: Sequence[float]) -> float:
    """The middle value, or the mean of the two middle values (as `statistics.median`)."""
    n = len(ordered)
    if n == 0:
        raise ValueError("no samples")
    if n % 2 == 1:
        return ordered[n // 2]
    return (ordered[n // 2 - 1] + ordered[n // 2]) / 2


def median(samples: Sequence[float]) -> float:
    return median_of_sorted(sorted(samples))


def _binomial_half_pmf(n: int, k: int) -> float:
    """P(B = k) for B ~ Binomial(n, 1/2), in log space so large n does not overflow."""
    log_p = math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) - n * math.log(2)
    return math.exp(log_p)


@lru_cache(maxsize=4096)
def ci_ranks(n: int, confidence: float = 0.95) -> tuple[int, int] | None:
    """1-based ranks (j, n-j+1) of the order statistics bounding the median with >= confidence.

    The number of samples below the true median is Binomial(n, 1/2), so the interval
    [x_(j), x_(n-j+1)] covers it with probability sum_{i=j}^{n-j} C(n, i) / 2^n. Pick the
    largest j that keeps that coverage. None when n is too small for any j to reach it.
    """
    if n < 1:
        return None
    tail = 0.0  # P(B <= j - 1), accumulated as j grows
    best = None
    for j in range(1, (n + 1) // 2 + 1):
        tail += _binomial_half_pmf(n, j - 1)
        if 1.0 - 2.0 * tail < confidence:
            break
        best = j
    return (best, n - best + 1) if best is not None else None


def median_ci_of_sorted(ordered: Sequence[float], confidence: float = 0.95) -> Interval:
    """`median_ci` of samples already in ascending order."""
    if not ordered:
        raise ValueError("no samples")
    ranks = ci_ranks(len(ordered), confidence)
    if ranks is None:
        return ordered[0], ordered[-1]
    lo, hi = ranks
    return ordered[lo - 1], ordered[hi - 1]


def median_ci(samples: Sequence[float], confidence: float = 0.95) -> Interval:
    """Distribution-free confidence interval of the median (order statistics).

    With too few samples for the requested coverage it returns (min, max): honest, but wide.
    """
    return median_ci_of_sorted(sorted(samples), confidence)


# Student's t, two-sided 95% (the 0.975 quantile), for 1..30 degrees of freedom.
_T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
         2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
         2.060, 2.056, 2.052, 2.048, 2.045, 2.042)


Z_975 = 1.959963984540054  # the 0.975 quantile of the standard normal


def t_975(df: int) -> float:
    """The 0.975 quantile of Student's t with `df` degrees of freedom (>= 1)."""
    if df < 1:
        raise ValueError("t needs at least one degree of freedom")
    if df <= len(_T975):
        return _T975[df - 1]
    return Z_975 + 2.4 / df  # within 0.003 of the exact value beyond 30


def clustered_median_ci(values: Sequence[float], clusters: Sequence[int]) -> Interval:
    """95% CI of the median of `values` (positive) that come in clusters (replicates from
    worker processes), wide enough for the spread between clusters as well as within them.

    The order-statistic interval treats every value as independent; values from one process
    share its allocator state, memory layout and time window, so with two or more clusters
    the interval is widened to at least the median times exp(± t(K-1) · s / sqrt(K)), where s is
    the standard deviation of the clusters' log medians: a t interval over the K clusters,
    the only independent units when processes differ more than the rounds inside them do.
    """
    lo, hi = median_ci(values)
    groups: dict[int, list[float]] = {}
    for value, cluster in zip(values, clusters, strict=True):
        groups.setdefault(cluster, []).append(value)
    k = len(groups)
    if k < 2:
        return lo, hi
    logs = [math.log(median(g)) for g in groups.values()]
    mean = sum(logs) / k
    sd = math.sqrt(sum((v - mean) ** 2 for v in logs) / (k - 1))
    half = t_975(k - 1) * sd / math.sqrt(k)
    center = median(values)
    return min(lo, center * math.exp(-half)), max(hi, center * math.exp(half))


def with_drift(center: float, interval: Interval, drift_sd: float) -> Interval:
    """`interval` around `center`, widened for drift between runs: each end moves out, in log
    space, to the root sum of squares of its own distance and 1.96 * `drift_sd`.

    A run's interval holds only what varies inside that run. The whole machine also moves
    between runs (a laptop's temperature, a cloud host's neighbours): on this project's machine
    every case of a run shifted together by 1-5% from one minute to the next, which no run can
    see in itself. `drift_sd` is that shift's relative standard deviation, an allowance the
    run's settings carry (`scripts/ci_coverage.py` measures it for a machine).
    """
    lo, hi = interval
    if drift_sd <= 0 or center <= 0 or lo <= 0 or hi <= 0:
        return interval
    room = Z_975 * drift_sd
    return (center * math.exp(-math.hypot(math.log(center / lo), room)),
            center * math.exp(math.hypot(math.log(hi / center), room)))


def relative_half_width(center: float, interval: Interval) -> float:
    """Largest distance from `center` to an end of `interval`, as a fraction of `center`;
    infinite when `center` is not positive, since no relative width is meaningful then."""
    lo, hi = interval
    return max(center - lo, hi - center) / center if center > 0 else math.inf


# -- quantiles ----------------------------------------------------------------------------------

def quantiles_of_sorted(ordered: Sequence[float], n: int = 4) -> list[float]:
    """The n-1 cut points dividing the samples into n groups, by linear interpolation between
    order statistics with the minimum and maximum as the 0th and nth cut (the "inclusive"
    method of `statistics.quantiles`, numpy's default "linear"); at least two samples."""
    count = len(ordered)
    if count < 2:
        raise ValueError("quantiles need at least two samples")
    cuts = []
    for i in range(1, n):
        # Integer arithmetic for the position, so the weights are exact: the same floats as
        # statistics.quantiles gives.
        j, delta = divmod(i * (count - 1), n)
        cuts.append((ordered[j] * (n - delta) + ordered[j + 1] * delta) / n)
    return cuts


def quantiles(samples: Sequence[float], n: int = 4) -> list[float]:
    return quantiles_of_sorted(sorted(samples), n)


def iqr_of_sorted(ordered: Sequence[float]) -> float:
    """Interquartile range (inclusive quartiles); 0 for fewer than two samples."""
    if len(ordered) < 2:
        return 0.0
    q1, _, q3 = quantiles_of_sorted(ordered, 4)
    return q3 - q1


def iqr(samples: Sequence[float]) -> float:
    return iqr_of_sorted(sorted(samples))


# -- comparing two samples ----------------------------------------------------------------------

def mann_whitney_u(a: Sequence[float], b: Sequence[float]) -> tuple[float, float]:
    """Two-sided Mann-Whitney U test; returns (U of `a`, p-value).

    Ranks the pooled samples (ties get their average rank), then compares U with its normal
    approximation, with the variance corrected for ties and a continuity correction of 1/2.
    """
    n1, n2 = len(a), len(b)
    if n1 == 0 or n2 == 0:
        raise ValueError("both samples need at least one value")
    pooled = sorted([(v, 0) for v in a] + [(v, 1) for v in b])
    ranks = [0.0] * len(pooled)
    tie_term = 0.0  # sum of t^3 - t over groups of tied values
    i = 0
    while i < len(pooled):
        j = i
        while j + 1 < len(pooled) and pooled[j + 1][0] == pooled[i][0]:
            j += 1
        average_rank = (i + j + 2) / 2.0  # ranks are 1-based
        for k in range(i, j + 1):
            ranks[k] = average_rank
        t = j - i + 1
        tie_term += t**3 - t
        i = j + 1
    rank_sum_a = sum(r for r, (_, group) in zip(ranks, pooled, strict=True) if group == 0)
    u_a = rank_sum_a - n1 * (n1 + 1) / 2.0
    n = n1 + n2
    mean_u = n1 * n2 / 2.0
    var_u = n1 * n2 / 12.0 * ((n + 1) - tie_term / (n * (n - 1))) if n > 1 else 0.0
    if var_u <= 0:
        return u_a, 1.0  # every value tied: no evidence of a difference
    z = (abs(u_a - mean_u) - 0.5) / math.sqrt(var_u)
    p = math.erfc(max(z, 0.0) / math.sqrt(2.0))
    return u_a, min(1.0, p)


def intervals_overlap(a: Interval, b: Interval) -> bool:
    """Whether two closed intervals share a point."""
    return not (b[0] > a[1] or b[1] < a[0])


# -- intervals carried through arithmetic -------------------------------------------------------

def rate_interval(rate: float, median_s: float, ci_s: Interval) -> Interval:
    """The interval of a per-second rate measured at `median_s`, from the CI of that time.

    A rate is work / time, so its bounds are the rate scaled by median/ci_hi and median/ci_lo.
    """
    return rate * median_s / ci_s[1], rate * median_s / ci_s[0]


def ratio_interval(numerator: Interval, denominator: Interval) -> Interval:
    """Conservative interval of numerator / denominator (positive quantities): quotients of
    opposite ends, so it can only be too wide, never too narrow."""
    return numerator[0] / denominator[1], numerator[1] / denominator[0]


# -- spread of a series -------------------------------------------------------------------------

def max_min_spread(values: Sequence[float]) -> float:
    """How far the largest value is above the smallest, as a fraction of the smallest."""
    if not values:
        raise ValueError("no values")
    return max(values) / min(values) - 1


# -- multiple testing and robust spread ---------------------------------------------------------

def holm_adjust(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values (family-wise error), in the order given: reject
    where the adjusted value is below alpha."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def median_abs_deviation(values: Sequence[float]) -> float:
    """Median of the absolute deviations from the median, unscaled."""
    center = median(values)
    return median([abs(v - center) for v in values])
