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


# -- Student's t and Welch's test ---------------------------------------------------------------

def _beta_continued_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of the regularized incomplete beta function (modified Lentz)."""
    tiny, eps = 1e-300, 3e-16
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 1000):
        for numerator in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                          -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < eps:
            break
    return h


def incomplete_beta(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta function I_x(a, b), for a, b > 0 and 0 <= x <= 1."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    # The continued fraction converges fast only below this point; above it use the symmetry
    # I_x(a, b) = 1 - I_{1-x}(b, a).
    if x > (a + 1.0) / (a + b + 2.0):
        return 1.0 - incomplete_beta(b, a, 1.0 - x)
    log_front = (math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                 + a * math.log(x) + b * math.log1p(-x))
    return math.exp(log_front) * _beta_continued_fraction(a, b, x) / a


def t_sf(t: float, df: float) -> float:
    """P(T > t) for Student's t with `df` degrees of freedom (normal when df is infinite)."""
    if math.isinf(df):
        return 0.5 * math.erfc(t / math.sqrt(2.0))
    tail = 0.5 * incomplete_beta(df / 2.0, 0.5, df / (df + t * t))
    return tail if t >= 0 else 1.0 - tail


def t_quantile(p: float, df: float) -> float:
    """The t with P(T <= t) = p (0 < p < 1), by bisection on `t_sf`."""
    if not 0.0 < p < 1.0:
        raise ValueError("p must lie strictly between 0 and 1")
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    lo, hi = 0.0, 1.0
    while t_sf(hi, df) > 1.0 - p:
        hi *= 2.0
    for _ in range(200):
        mid = (lo + hi) / 2.0
        if t_sf(mid, df) > 1.0 - p:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-12 * max(1.0, hi):
            break
    return (lo + hi) / 2.0


def sample_variance(values: Sequence[float]) -> float:
    """Unbiased variance (n - 1 in the denominator); at least two values."""
    n = len(values)
    if n < 2:
        raise ValueError("a variance needs at least two values")
    mean = math.fsum(values) / n
    return math.fsum((v - mean) ** 2 for v in values) / (n - 1)


def welch_df(var_a: float, n_a: int, var_b: float, n_b: int) -> float:
    """Welch-Satterthwaite degrees of freedom of the difference of two means; when both
    variances are zero, the pooled n_a + n_b - 2."""
    qa, qb = var_a / n_a, var_b / n_b
    if qa + qb <= 0:
        return float(n_a + n_b - 2)
    return (qa + qb) ** 2 / (qa * qa / (n_a - 1) + qb * qb / (n_b - 1))


def welch_t_test(a: Sequence[float], b: Sequence[float]) -> tuple[float, float, float]:
    """Two-sided Welch t test of mean(b) - mean(a); returns (t, degrees of freedom, p).
    Each sample needs at least two values (scipy.stats.ttest_ind(b, a, equal_var=False))."""
    var_a, var_b = sample_variance(a), sample_variance(b)
    diff = math.fsum(b) / len(b) - math.fsum(a) / len(a)
    df = welch_df(var_a, len(a), var_b, len(b))
    se = math.sqrt(var_a / len(a) + var_b / len(b))
    if se == 0:
        return (0.0, df, 1.0) if diff == 0 else (math.copysign(math.inf, diff), df, 0.0)
    t = diff / se
    return t, df, min(1.0, 2.0 * t_sf(abs(t), df))


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
