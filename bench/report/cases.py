"""Grouping benchmark cases and comparing them with confidence intervals.

The statistics of a single case (median, CI of the median) are the timer's; this module only
combines two cases' intervals into the interval of their ratio, conservatively
(`bench.stats.ratio_interval`: quotients of opposite ends, too wide rather than too narrow).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bench.report.fields import (
    case_metric,
    case_ok,
    case_param,
    case_stat,
    dig,
    number,
    rate_interval,
)
from bench.stats import ratio_interval

# Parameters that distinguish the alternatives compared within one group, not the group itself.
VARIANT_KEYS = {"strategy", "variant"}
# Per-case bookkeeping that is not a setting of the measurement.
NON_SETTING_KEYS = {"seed", "repeat", "tokens", "n_sequences", "label"}


@dataclass(frozen=True)
class Ratio:
    """How many times faster `fast` is than `slow`, with a conservative 95% interval."""

    value: float
    lo: float | None = None
    hi: float | None = None


def strategy(case: Mapping) -> str | None:
    value = case_param(case, "strategy") or case_param(case, "variant")
    return None if value is None else str(value)


def workload(case: Mapping) -> str | None:
    """batching, kernels, matmul or train. A case's `suite` names the preset it came from, so
    its `workload` says what was measured; `suite` is the fallback for older files."""
    value = dig(case, "workload") or dig(case, "suite")
    return None if value is None else str(value)


def suite_cases(results: Mapping, kind: str, ok_only: bool = True) -> list[dict]:
    """The cases of one workload kind (measured ones only, unless asked)."""
    cases = dig(results, "cases", default=[])
    if not isinstance(cases, list):
        return []
    return [c for c in cases if isinstance(c, dict) and workload(c) == kind
            and (case_ok(c) or not ok_only)]


def setting_items(case: Mapping, exclude: Iterable[str] = ()) -> tuple[tuple[str, str], ...]:
    """The case's settings as a hashable key, without the excluded parameters."""
    skip = set(exclude) | NON_SETTING_KEYS
    params = dig(case, "params", default={})
    items = {k: str(v) for k, v in params.items() if k not in skip} if isinstance(params,
                                                                                  dict) else {}
    for key in ("device", "dtype"):
        if key not in skip and key not in items and dig(case, key) is not None:
            items[key] = str(dig(case, key))
    return tuple(sorted(items.items()))


def group_by(cases: Iterable[dict], exclude: Iterable[str]) -> dict[tuple, list[dict]]:
    """Cases that share every setting but the excluded ones, keyed by those settings."""
    groups: dict[tuple, list[dict]] = {}
    exclude = list(exclude)
    for case in cases:
        groups.setdefault(setting_items(case, exclude), []).append(case)
    return groups


def speed(case: Mapping) -> tuple[float, tuple[float, float] | None] | None:
    """How fast a case ran, higher is better: tokens/s when known, else 1 / median time."""
    tokens = case_metric(case, "tokens_per_s")
    if tokens is not None and tokens > 0:
        return tokens, rate_interval(case, tokens)
    median = case_stat(case, "median_s")
    if median is None or median <= 0:
        return None
    return 1.0 / median, rate_interval(case, 1.0 / median)


def speedup(fast: Mapping, slow: Mapping) -> Ratio | None:
    """fast's speed over slow's, with the interval from the two speeds' intervals."""
    a, b = speed(fast), speed(slow)
    if a is None or b is None:
        return None
    value = a[0] / b[0]
    if a[1] is None or b[1] is None:
        return Ratio(value)
    return Ratio(value, *ratio_interval(a[1], b[1]))


def fastest(cases: Iterable[dict]) -> dict | None:
    """The case with the highest speed; on a tie, the first one."""
    best, best_speed = None, None
    for case in cases:
        measured = speed(case)
        if measured is not None and (best_speed is None or measured[0] > best_speed):
            best, best_speed = case, measured[0]
    return best


def epoch_seconds(case: Mapping) -> float | None:
    """Median wall time of one training epoch (the train workload's step)."""
    return case_metric(case, "time_per_epoch_s") or case_stat(case, "median_s")


def accuracy_curve(case: Mapping) -> list[tuple[float, float]]:
    """(wall seconds, test accuracy) after each epoch, at the median epoch time."""
    curve = dig(case, "metrics", "accuracy_curve", default=[])
    per_epoch = epoch_seconds(case)
    if not isinstance(curve, list) or per_epoch is None:
        return []
    return [(per_epoch * (k + 1), a) for k, value in enumerate(curve)
            if (a := number(value)) is not None]


def time_to_target(case: Mapping) -> float | None:
    """Seconds of training until the target accuracy was first reached; None if never."""
    return case_metric(case, "time_to_accuracy_s") or case_metric(case, "time_to_target_s")
