"""The most torch CPU threads a run may ask for.

Far more threads than cores only slows torch down, and tens of thousands crash it (a segfault
at 100000, an abort inside libgomp at 20000), so thread counts are bounded before torch sees them.
"""

from __future__ import annotations

import os

THREADS_PER_CORE = 4


def thread_limit() -> int:
    """The largest thread count accepted: a few per logical core."""
    return THREADS_PER_CORE * (os.cpu_count() or 1)


def threads_problem(threads: object) -> str | None:
    """Why `threads` is not a usable thread count (one phrase), or None when it is."""
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        return f"{threads!r} must be a whole number >= 1"
    if threads > thread_limit():
        return (f"{threads} is more than this machine can use (at most {thread_limit()}: "
                f"{THREADS_PER_CORE} per logical core, {os.cpu_count() or 1} cores)")
    return None
