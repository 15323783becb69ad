"""Grouping benchmark cases and comparing them with confidence intervals.

The statistics of a single case (median, CI of the median) are the timer's; this module only
combines two cases' intervals into the interval of their ratio, conservatively
(`bench.stats.ratio_interval`: quotients of opposite ends, too wide rather than too narrow).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from bench import stats
from bench.results import CaseResult, RunResults


@dataclass(frozen=True)
class Ratio:
    """How many times faster `fast` is than `slow`, with a conservative 95% interval."""

    value: float
    lo: float | None = None
    hi: float | None = None


def setting(case: CaseResult, name: str) -> Any:
    """A setting of the measurement: a parameter by its workload's name for it, or the case's
    device or dtype (which results files keep on the case, not among the parameters)."""
    value = case.param(name)
    if value is None and name in ("device", "dtype"):
        return case.device if name == "device" else case.dtype
    return value


def workload_cases(results: RunResults, name: str) -> list[CaseResult]:
    """The measured cases of one workload, in run order."""
    return [c for c in results.cases if c.workload == name and c.ok]


def setting_items(case: CaseResult, exclude: Iterable[str] = ()) -> tuple[tuple[str, str], ...]:
    """The case's settings as a hashable key, without the excluded parameters."""
    skip = set(exclude)
    items = {k: str(v) for k, v in case.params.items() if k not in skip}
    for key in ("device", "dtype"):
        value = setting(case, key)
        if key not in skip and key not in items and value is not None:
            items[key] = str(value)
    return tuple(sorted(items.items()))


def group_by(cases: Iterable[CaseResult], exclude: Iterable[str]
             ) -> dict[tuple, list[CaseResult]]:
    """Cases that share every setting but the excluded ones, keyed by those settings."""
    groups: dict[tuple, list[CaseResult]] = {}
    exclude = list(exclude)
    for case in cases:
        groups.setdefault(setting_items(case, exclude), []).append(case)
    return groups


def rate_interval(case: CaseResult, rate: float) -> tuple[float, float] | None:
    """The CI of a per-second rate, carried over from the CI of the case's median time."""
    if case.stats is None or case.stats.median_s is None or case.stats.ci95_s is None:
        return None
    # A file can hold a median of 0 or 1e308: such an interval has a zero or infinite end,
    # which no ratio can be carried through.
    interval = stats.rate_interval(rate, case.stats.median_s, case.stats.ci95_s) \
        if _positive(case.stats.median_s, *case.stats.ci95_s) else None
    return interval if interval is not None and _positive(*interval) else None


def _positive(*values: float) -> bool:
    return all(math.isfinite(v) and v > 0 for v in values)


def speed(case: CaseResult) -> tuple[float, tuple[float, float] | None] | None:
    """How fast a case ran, higher is better: tokens/s when known, else 1 / median time."""
    tokens = case.metrics.tokens_per_s
    if tokens is not None and _positive(tokens):
        return float(tokens), rate_interval(case, tokens)
    median = case.stats.median_s if case.stats is not None else None
    if median is None or not _positive(median, 1.0 / median):
        return None
    return 1.0 / median, rate_interval(case, 1.0 / median)


def speedup(fast: CaseResult, slow: CaseResult) -> Ratio | None:
    """fast's speed over slow's, with the interval from the two speeds' intervals."""
    a, b = speed(fast), speed(slow)
    if a is None or b is None:
        return None
    value = a[0] / b[0]
    if not _positive(value):  # 1e308 over 1e-308
        return None
    if a[1] is None or b[1] is None:
        return Ratio(value)
    return Ratio(value, *stats.ratio_interval(a[1], b[1]))


def fastest(cases: Iterable[CaseResult]) -> CaseResult | None:
    """The case with the highest speed; on a tie, the first one."""
    best, best_speed = None, None
    for case in cases:
        measured = speed(case)
        if measured is not None and (best_speed is None or measured[0] > best_speed):
            best, best_speed = case, measured[0]
    return best
