"""Number and text formatting for people, and defensive reading of the machine's documents.

A missing or malformed value shows as a dash, never a crash. Results cases are read through
their records (bench.results); `dig` is for the Facts and doctor documents, whose shape is
provision's and varies with its version.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

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


def fmt_count(value: Any) -> str:
    """1234567.8 -> '1,234,568': a rate in whole units, with thousands separators."""
    x = number(value)
    return DASH if x is None else f"{x:,.0f}"


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


def fmt_fraction_ci(value: Any, ci: tuple[float, float] | None) -> str:
    """'0.98 [0.96, 1.00]': a fraction with its 95% CI (alone without one)."""
    x = number(value)
    if x is None:
        return DASH
    return f"{x:.2f}" + (f" [{ci[0]:.2f}, {ci[1]:.2f}]" if ci else "")


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
