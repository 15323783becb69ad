"""The seeds a run or a training may be given.

numpy's legacy seeding takes 0 .. 2**32 - 1 and torch's generators at most 2**64 - 1; within the
narrower range one seed means the same thing to every generator, and a seed outside it is one
error before any work instead of a failure in every case.
"""

from __future__ import annotations

MAX_SEED = 2**32 - 1


def seed_problem(seed: object) -> str | None:
    """Why `seed` cannot seed a run (one phrase), or None when it can."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        return f"{seed!r} must be a whole number from 0 to {MAX_SEED}"
    return None
