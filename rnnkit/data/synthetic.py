"""Synthetic variable-length sequences drawn from named, seeded length distributions.

The benchmark's embedded default needs no download: it batches sequences whose lengths follow
these distributions, so padding costs what it would cost on real data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class LengthDistribution:
    """Integer lengths in [low, high]: rounded log-normal, uniform, or one fixed length."""

    kind: str  # "lognormal" | "uniform" | "fixed"
    low: int
    high: int
    mu: float = 0.0  # log-normal: mean of log(length)
    sigma: float = 0.0  # log-normal: standard deviation of log(length)

    def __post_init__(self) -> None:
        if self.kind not in ("lognormal", "uniform", "fixed"):
            raise ValueError(f"unknown length distribution kind {self.kind!r}")
        if not 1 <= self.low <= self.high:
            raise ValueError(f"need 1 <= low <= high, got low={self.low}, high={self.high}")
        if self.kind == "fixed" and self.low != self.high:
            raise ValueError("a fixed distribution has low == high")

    def sample(self, n: int, seed: int) -> np.ndarray:
        rng = np.random.default_rng(seed)
        if self.kind == "fixed":
            return np.full(n, self.low, dtype=np.int64)
        if self.kind == "uniform":
            return rng.integers(self.low, self.high + 1, size=n, dtype=np.int64)
        # Clipping (rather than redrawing) keeps the sample a pure function of (seed, n); the
        # clipped mass is below 0.1% for the parameters used here.
        raw = np.rint(rng.lognormal(self.mu, self.sigma, size=n))
        return np.clip(raw, self.low, self.high).astype(np.int64)


# `names` is fitted to the real names corpus (../shared/data/names, 18 files, 20,074 lines):
# every line passed through unicode_to_ascii, empty results dropped, leaving 20,074 names.
# Their lengths: mean 7.15, sd 2.10, median 7, min 2, max 19. Maximum-likelihood log-normal
# fit = mean and sd of log(length): mu = 1.923, sigma = 0.303. The rounded, clipped fit gives
# mean ~7.2 and sd ~2.2 (checked in tests/rnnkit/test_synthetic.py).
# `sentences` has no corpus behind it: median ~25 tokens with a long right tail (p99 ~ 140),
# capped at 400 so a batch stays in memory.
DISTRIBUTIONS: dict[str, LengthDistribution] = {
    "names": LengthDistribution("lognormal", low=2, high=19, mu=1.923, sigma=0.303),
    "sentences": LengthDistribution("lognormal", low=3, high=400, mu=3.2, sigma=0.75),
    "uniform": LengthDistribution("uniform", low=2, high=14),
    "fixed": LengthDistribution("fixed", low=7, high=7),
}


def _resolve(dist: str | LengthDistribution) -> LengthDistribution:
    if isinstance(dist, LengthDistribution):
        return dist
    try:
        return DISTRIBUTIONS[dist]
    except KeyError:
        known = ", ".join(DISTRIBUTIONS)
        raise ValueError(f"unknown length distribution {dist!r} (known: {known})") from None


def sample_lengths(dist: str | LengthDistribution, n: int, seed: int) -> list[int]:
    """`n` lengths from the named distribution (or a LengthDistribution); same seed, same list."""
    return _resolve(dist).sample(n, seed).tolist()


def synthetic_sequences(dist: str | LengthDistribution, n: int, vocab_size: int,
                        seed: int) -> list[torch.Tensor]:
    """`n` 1-D LongTensors with lengths from `dist` and ids uniform in [2, vocab_size)."""
    lengths = _resolve(dist).sample(n, seed)
    return sequences_for_lengths(lengths.tolist(), vocab_size, seed)


def sequences_for_lengths(lengths: list[int], vocab_size: int, seed: int) -> list[torch.Tensor]:
    """1-D LongTensors of the given lengths, ids uniform in [2, vocab_size) drawn with `seed`.

    Ids 0 and 1 are left out because the vocabulary reserves them for padding and unknown.
    """
    if vocab_size < 3:
        raise ValueError("vocab_size must be at least 3 (ids 0 and 1 are reserved)")
    # A separate stream for the ids keeps the lengths identical to sample_lengths(dist, n, seed).
    rng = np.random.default_rng([seed, 1])
    ids = torch.from_numpy(rng.integers(2, vocab_size, size=int(sum(lengths)), dtype=np.int64))
    return list(torch.split(ids, list(lengths)))
