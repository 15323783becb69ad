"""Defensive reading of results documents and number formatting for people.

Results files come from other versions, other machines and interrupted runs, so every read here
tolerates a missing or malformed field: the value becomes None and shows as a dash, never a crash.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from bench import stats

DASH = "—"


def _has(container: Any, step: str | int) -> bool:
    if isinstance(step, int):
        return isinstance(container, list) and -len(container) <= step < len(container)
    return isinstance(container, Mapping) and step in container


def dig(doc: Any, *path: str | int, default: Any = None) -> Any:
    """Follow keys/indices into nested dicts and lists; `default` when any step is missing."""
    cur = doc
    for step in path:
        if not _has(cur, step):
            return default
        cur = cur[step]
    return cur if cur is not None else default


def number(value: Any) -> float | None:
    """A finite float, or None for anything else (strings, NaN, booleans, missing)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def text(value: Any) -> str:
    """Any field as display text; the template escapes it."""
    if value is None or value == "":
        return DASH
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list | tuple):
        return ", ".join(text(v) for v in value)
    return str(value)


# Other names a parameter goes by in results files.
PARAM_ALIASES = {"distribution": "dist", "dist": "distribution", "strategy": "variant"}


def case_param(case: Mapping, key: str) -> Any:
    """A case parameter, looked up in `params` (under its alias too), then on the case itself."""
    for name in (key, PARAM_ALIASES.get(key)):
        value = dig(case, "params", name) if name else None
        if value is not None:
            return value
    return dig(case, key)


def case_stat(case: Mapping, key: str) -> float | None:
    return number(dig(case, "stats", key))


def case_metric(case: Mapping, key: str) -> float | None:
    return number(dig(case, "metrics", key))


def case_ci(case: Mapping) -> tuple[float, float] | None:
    """The 95% CI of the median time, when both ends are valid and ordered."""
    lo, hi = number(dig(case, "stats", "ci95_s", 0)), number(dig(case, "stats", "ci95_s", 1))
    if lo is None or hi is None or lo <= 0 or hi < lo:
        return None
    return lo, hi


def case_ok(case: Mapping) -> bool:
    """A case counts as measured unless it says it failed or has no median time."""
    status = str(dig(case, "status", default="ok")).lower()
    return status not in {"failed", "error", "skipped"} and case_stat(case, "median_s") is not None


def rate_interval(case: Mapping, rate: float) -> tuple[float, float] | None:
    """The CI of a per-second rate, carried over from the CI of the case's median time."""
    median, ci = case_stat(case, "median_s"), case_ci(case)
    if median is None or ci is None:
        return None
    return stats.rate_interval(rate, median, ci)


_SI = [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")]


def fmt_si(value: Any, unit: str = "") -> str:
    """1234567 -> '1.23 M<unit>'."""
    x = number(value)
    if x is None:
        return DASH
    for scale, prefix in _SI:
        if abs(x) >= scale:
            return f"{x / scale:.3g} {prefix}{unit}".rstrip()
    return f"{x:.3g} {unit}".rstrip()


def fmt_seconds(value: Any) -> str:
    x = number(value)
    if x is None:
        return DASH
    if abs(x) >= 1:
        return f"{x:.3g} s"
    if abs(x) >= 1e-3:
        return f"{x * 1e3:.3g} ms"
    return f"{x * 1e6:.3g} µs"


def fmt_ratio(value: Any) -> str:
    x = number(value)
    return DASH if x is None else f"{x:.2f}×" if x < 10 else f"{x:.1f}×"


def fmt_percent(value: Any) -> str:
    x = number(value)
    return DASH if x is None else f"{x * 100:.1f}%" if x < 0.1 else f"{x * 100:.0f}%"


def fmt_bytes(value: Any) -> str:
    x = number(value)
    if x is None:
        return DASH
    for scale, prefix in [(2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB")]:
        if abs(x) >= scale:
            return f"{x / scale:.3g} {prefix}"
    return f"{x:.0f} B"


def fmt_interval(bounds: tuple[float, float] | None, fmt: Callable[[Any], str]) -> str:
    return DASH if bounds is None else f"{fmt(bounds[0])} – {fmt(bounds[1])}"


def fmt_when(value: Any) -> str:
    """An ISO timestamp as '2026-11-22 21:00 UTC' (other zones keep their offset)."""
    if not isinstance(value, str) or not value:
        return DASH
    try:
        stamp = datetime.fromisoformat(value)
    except ValueError:
        return value
    if stamp.tzinfo is None:
        return stamp.strftime("%Y-%m-%d %H:%M")
    if stamp.utcoffset() == timedelta(0):
        return stamp.strftime("%Y-%m-%d %H:%M UTC")
    return stamp.strftime("%Y-%m-%d %H:%M UTC%z")
