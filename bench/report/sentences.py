"""A finding, where it stands in the list, and the wording every finding shares: ratios with
their intervals and where a case ran. Every number in a finding comes from the results; nothing
is written by hand except the grammar around the numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import IntEnum

from bench.report.cases import Ratio, setting, speedup
from bench.results import CaseResult

DISTRIBUTION_WORDS = {"names": "name-length", "sentences": "sentence-length",
                      "uniform": "uniform-length", "fixed": "fixed-length"}


class Rank(IntEnum):
    """Where a finding stands among a run's findings, most useful first: what to change in a
    model (batching, cell), where to run it, which kernel, how long training takes, how close
    the kernels come to the hardware, and last how far the numbers can be trusted. A workload's
    findings take the rank of what they tell."""

    STRATEGY = 10
    CELL = 20
    DEVICE = 30
    IMPLEMENTATION = 40
    TRAINING = 50
    PEAK = 60
    METHOD = 100


@dataclass(frozen=True)
class Finding:
    """One sentence for the page, and a short form for the index of runs."""

    sentence: str
    short: str
    rank: Rank


def _decimals(*values: float) -> int:
    """One decimal, or more when the values would otherwise print alike (2.0–2.0×)."""
    for digits in (1, 2, 3):
        if len({round(v, digits) for v in values}) == len(set(values)):
            return digits
    return 3


def short_times(ratio: Ratio) -> str:
    """Two decimals near 1, where one would print 1.02× as 1.0×; fewer for big ratios."""
    value = ratio.value
    return f"{value:.2f}×" if value < 2 else f"{value:.1f}×" if value < 10 else f"{value:.0f}×"


def fmt_times(ratio: Ratio) -> str:
    """'4.1×' or, with an interval, '4.1× (95% CI 3.9–4.3×)'."""
    if ratio.lo is None or ratio.hi is None:
        return short_times(ratio)
    d = _decimals(ratio.lo, ratio.value, ratio.hi)
    return f"{ratio.value:.{d}f}× (95% CI {ratio.lo:.{d}f}–{ratio.hi:.{d}f}×)"


def overlaps_one(ratio: Ratio) -> bool:
    """True when the interval cannot tell the two apart."""
    return ratio.lo is not None and ratio.hi is not None and ratio.lo <= 1.0 <= ratio.hi


def word(value: object, default: str = "") -> str:
    return default if value is None else str(value)


def where(case: CaseResult, with_distribution: bool = True, with_cell: bool = True) -> str:
    """'sentence-length LSTM inference on cpu' from a case's parameters."""
    dist = word(setting(case, "dist"))
    parts = [DISTRIBUTION_WORDS.get(dist, f"{dist}-length")] if dist and with_distribution else []
    cell = setting(case, "cell")
    if cell and with_cell:
        parts.append(str(cell).upper())
    parts.append(word(setting(case, "mode"), "runs"))
    device = setting(case, "device")
    return " ".join(parts) + (f" on {device}" if device else "")


def invert(ratio: Ratio) -> Ratio:
    if ratio.lo is None or ratio.hi is None:
        return Ratio(1 / ratio.value)
    return Ratio(1 / ratio.value, 1 / ratio.hi, 1 / ratio.lo)


def largest_speedup(groups: Iterable[list[CaseResult]], is_fast: Callable[[CaseResult], bool],
                    is_slow: Callable[[CaseResult], bool]) -> tuple[Ratio, CaseResult] | None:
    """Over groups of cases that share settings, the largest speed-up of the first case passing
    `is_fast` over the first passing `is_slow`, with that fast case; None when no group has both.
    """
    pairs = []
    for group in groups:
        fast = [c for c in group if is_fast(c)]
        slow = [c for c in group if is_slow(c)]
        if fast and slow and (ratio := speedup(fast[0], slow[0])):
            pairs.append((ratio, fast[0]))
    return max(pairs, key=lambda p: p[0].value) if pairs else None
