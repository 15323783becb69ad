"""bench.stats: known answers, and agreement with scipy/numpy on random samples."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench.stats import (
    ci_ranks,
    intervals_overlap,
    iqr,
    mann_whitney_u,
    max_min_spread,
    median,
    median_ci,
    quantiles,
    rate_interval,
    ratio_interval,
    relative_half_width,
)

scipy_stats = pytest.importorskip("scipy.stats")

FINITE = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


# -- the median and its confidence interval ---------------------------------------------------

def test_median_ci_of_ten_samples_uses_the_2nd_and_9th_order_statistics() -> None:
    # For n = 10, P(2 <= Binomial(10, 1/2) <= 8) = 1 - 2 * 11/1024 = 0.9785 >= 0.95, while the
    # next narrower pair (3rd, 8th) covers only 0.8906.
    samples = [10.0, 1.0, 9.0, 2.0, 8.0, 3.0, 7.0, 4.0, 6.0, 5.0]
    assert median_ci(samples) == (2.0, 9.0)


def test_median_ci_of_twenty_samples_uses_the_6th_and_15th() -> None:
    samples = [float(v) for v in range(100, 120)]
    assert median_ci(samples) == (105.0, 114.0)


def test_median_ci_with_too_few_samples_is_the_whole_range() -> None:
    assert median_ci([3.0, 1.0, 2.0, 5.0, 4.0]) == (1.0, 5.0)


def _coverage(n: int, j: int) -> float:
    """P(x_(j) <= true median <= x_(n-j+1)) = P(j <= Binomial(n, 1/2) <= n - j)."""
    binom = scipy_stats.binom(n, 0.5)
    return float(binom.cdf(n - j) - binom.cdf(j - 1))


@pytest.mark.parametrize("n", [1, 2, 5, 6, 7, 10, 11, 20, 21, 50, 99, 100, 500, 2000])
def test_ci_ranks_are_the_narrowest_with_95_percent_coverage(n: int) -> None:
    ranks = ci_ranks(n)
    if ranks is None:
        assert _coverage(n, 1) < 0.95  # even (min, max) is not enough
        return
    j, k = ranks
    assert k == n - j + 1
    assert _coverage(n, j) >= 0.95
    assert j + 1 > k - 1 or _coverage(n, j + 1) < 0.95


def test_ci_ranks_match_the_binomial_quantile_for_every_n_up_to_400() -> None:
    # The lower rank is the 2.5% quantile of Binomial(n, 1/2): the largest j with
    # P(B <= j - 1) <= 0.025 (the cdf is a multiple of 2^-n, never exactly 0.025).
    for n in range(1, 401):
        j = int(scipy_stats.binom.ppf(0.025, n, 0.5))
        assert ci_ranks(n) == ((j, n - j + 1) if j >= 1 else None), n


def test_median_ci_covers_the_true_median_of_a_lognormal_about_96_percent() -> None:
    # n = 20 uses the 6th and 15th order statistics: exact coverage 0.9586. An interval off by
    # one rank either way would cover 0.885 or 0.988.
    rng = np.random.default_rng(1)
    trials = 2000
    samples = rng.lognormal(mean=0.0, sigma=0.5, size=(trials, 20))
    covered = sum(lo <= 1.0 <= hi for lo, hi in (median_ci(list(row)) for row in samples))
    assert 0.94 <= covered / trials <= 0.975


@given(st.lists(FINITE, min_size=1, max_size=60))
def test_median_is_statistics_median(samples: list[float]) -> None:
    assert median(samples) == statistics.median(samples)
    assert median(samples) == pytest.approx(float(np.median(samples)), rel=1e-12, abs=1e-9)


def test_median_of_nothing_is_an_error() -> None:
    with pytest.raises(ValueError):
        median([])
    with pytest.raises(ValueError):
        median_ci([])


def test_relative_half_width_is_the_larger_side_over_the_center() -> None:
    assert relative_half_width(10.0, (9.0, 12.0)) == pytest.approx(0.2)
    assert relative_half_width(10.0, (7.0, 10.5)) == pytest.approx(0.3)
    assert relative_half_width(0.0, (-1.0, 1.0)) == math.inf


# -- quantiles ----------------------------------------------------------------------------------

@given(st.lists(FINITE, min_size=2, max_size=60), st.integers(min_value=2, max_value=10))
def test_quantiles_are_statistics_inclusive_quantiles_and_numpy_linear(
        samples: list[float], n: int) -> None:
    ours = quantiles(samples, n)
    assert ours == statistics.quantiles(samples, n=n, method="inclusive")
    expected = np.quantile(samples, [i / n for i in range(1, n)])
    assert ours == pytest.approx(list(expected), rel=1e-9, abs=1e-6)


def test_iqr_matches_scipy_on_random_samples() -> None:
    rng = np.random.default_rng(2)
    for size in (2, 3, 4, 7, 10, 33, 100):
        samples = list(rng.lognormal(size=size))
        assert iqr(samples) == pytest.approx(float(scipy_stats.iqr(samples)), rel=1e-12)
    assert iqr([5.0]) == 0.0


# -- Mann-Whitney U -----------------------------------------------------------------------------

def test_mann_whitney_on_separated_samples() -> None:
    # Complete separation of 5 vs 5: U = 0; normal approximation with continuity correction:
    # z = (12.5 - 0.5) / sqrt(5*5*11/12) = 2.5067, two-sided p = 0.01219.
    u, p = mann_whitney_u([1, 2, 3, 4, 5], [6, 7, 8, 9, 10])
    assert u == 0.0
    assert p == pytest.approx(0.01219, abs=1e-4)


def test_mann_whitney_with_ties_and_identical_samples() -> None:
    assert mann_whitney_u([1.0, 1.0, 1.0], [1.0, 1.0, 1.0]) == (4.5, 1.0)
    u, p = mann_whitney_u([1, 2, 2, 3], [2, 3, 3, 4])
    assert u == 3.0  # ranks of a: 1, 3, 3, 6 (three tied 2s share rank 3) -> 13 - 10
    assert 0.05 < p < 1.0


@pytest.mark.parametrize("ties", [False, True])
def test_mann_whitney_matches_scipy_asymptotic_with_continuity(ties: bool) -> None:
    rng = np.random.default_rng(3 + ties)
    for _ in range(200):
        n1, n2 = rng.integers(1, 40, size=2)
        a = rng.lognormal(0.0, 0.3, size=n1)
        b = rng.lognormal(rng.uniform(-0.3, 0.3), 0.3, size=n2)
        if ties:  # few distinct values, so most ranks are shared
            a, b = np.round(a, 1), np.round(b, 1)
        if n1 + n2 < 2 or len(set(a) | set(b)) < 2:
            continue  # every value tied: scipy's variance is 0 and its p is nan
        theirs = scipy_stats.mannwhitneyu(a, b, alternative="two-sided", method="asymptotic",
                                          use_continuity=True)
        u, p = mann_whitney_u(list(a), list(b))
        assert u == pytest.approx(float(theirs.statistic), abs=1e-9)
        assert p == pytest.approx(float(theirs.pvalue), abs=1e-9)


def test_mann_whitney_needs_two_samples() -> None:
    with pytest.raises(ValueError):
        mann_whitney_u([], [1.0])


def test_intervals_overlap_when_they_share_a_point() -> None:
    assert intervals_overlap((1.0, 2.0), (2.0, 3.0))
    assert intervals_overlap((1.0, 4.0), (2.0, 3.0))
    assert not intervals_overlap((1.0, 2.0), (2.5, 3.0))
    assert not intervals_overlap((2.5, 3.0), (1.0, 2.0))


# -- intervals carried through arithmetic -------------------------------------------------------

def test_rate_and_ratio_intervals_on_known_numbers() -> None:
    # 100 tokens/s at a median of 0.5 s; the time's CI 0.4-0.625 s gives 80-125 tokens/s.
    assert rate_interval(100.0, 0.5, (0.4, 0.625)) == pytest.approx((80.0, 125.0))
    assert ratio_interval((2.0, 4.0), (1.0, 2.0)) == (1.0, 4.0)


def _trial_intervals(rng: np.random.Generator, true_s: float, work: float,
                     n: int = 20) -> tuple[float, tuple[float, float]]:
    """Time `n` steps whose true median is `true_s`; the rate and its interval."""
    samples = list(true_s * rng.lognormal(0.0, 0.3, size=n))
    med, ci = median(samples), median_ci(samples)
    return work / med, rate_interval(work / med, med, ci)


def test_rate_interval_covers_the_true_rate_exactly_when_the_time_ci_covers() -> None:
    rng = np.random.default_rng(5)
    covered = 0
    for _ in range(500):
        rate, (lo, hi) = _trial_intervals(rng, 0.01, 1000.0)
        assert lo <= rate <= hi
        covered += lo <= 1000.0 / 0.01 <= hi
    # The true rate lies in the interval iff the true time lies in the time's CI: 0.9586.
    assert covered / 500 >= 0.93


def test_ratio_interval_covers_the_true_speedup_at_least_95_percent() -> None:
    # Known answer: 1000 tokens in 0.01 s against 1000 tokens in 0.04 s is 4x.
    rng = np.random.default_rng(6)
    covered = 0
    for _ in range(400):
        fast, fast_ci = _trial_intervals(rng, 0.01, 1000.0)
        slow, slow_ci = _trial_intervals(rng, 0.04, 1000.0)
        lo, hi = ratio_interval(fast_ci, slow_ci)
        assert lo <= fast / slow <= hi
        covered += lo <= 4.0 <= hi
    assert covered / 400 >= 0.95


def test_max_min_spread_is_the_largest_over_the_smallest_minus_one() -> None:
    values = [0.012, 0.010, 0.011, 0.0125]
    assert max_min_spread(values) == pytest.approx(0.25)
    assert max_min_spread(values) == pytest.approx(np.ptp(values) / np.min(values))
    assert max_min_spread([3.0]) == 0.0
    with pytest.raises(ValueError):
        max_min_spread([])
