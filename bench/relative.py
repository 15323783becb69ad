"""A case's replicates and the test of its change relative to the whole-run shift.

The unit of replication is a replicate median: one per visit of a fresh worker process
(`CaseStats.replicates_s`, written by `rnnbench run --processes K`). Raw samples of one process
move together with the machine's state, so a test on them finds "significant" drift; replicate
medians from separate processes carry the process-level noise a comparison must allow for.

The test is Welch's t test on log replicates: log(new) - log(shift) against log(base), the
shift's own uncertainty added to the standard error. Its CI is that of the geometric-mean ratio
relative to the shift. Files written before --processes have no replicates and are compared
by bench/compare.py's per-sample method.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from bench.results import CaseStats
from bench.stats import Interval, sample_variance, t_quantile, t_sf, welch_df

MIN_REPLICATES = 2  # per side: fewer give no variance, and the case falls back to its samples
Z95 = 1.959963984540054


@dataclass
class Replicates:
    values: list[float]
    processes: int | None  # worker processes they came from (None: not recorded)


def replicates_of(stats: CaseStats) -> Replicates | None:
    """The case's stored replicate medians; None without at least MIN_REPLICATES positive ones.

    Per-visit medians of an interleaved case (`samples_per_visit`) are not used in their place:
    they come from one process, so they miss the process-level noise, and comparing files
    without replicates that way would change what release 0.1.0's files compare to.
    """
    stored = stats.replicates_s or []
    if len(stored) < MIN_REPLICATES or min(stored) <= 0:
        return None
    return Replicates(list(stored), stats.processes)


@dataclass
class CaseTest:
    relative: float  # geometric-mean ratio new/base divided by the shift
    ci: Interval  # its 95% CI (Welch, shift uncertainty included)
    p_value: float  # two-sided, before the multiple-testing correction
    log_sd: float  # pooled sd of one log replicate: the noise the power estimate uses
    shift_log_se: float


def shift_corrected_test(base: Sequence[float], new: Sequence[float], log_shift: float,
                  shift_log_se: float) -> CaseTest:
    """Welch's t test of mean log(new) - log(shift) against mean log(base)."""
    x, y = [math.log(v) for v in base], [math.log(v) for v in new]
    var_x, var_y = sample_variance(x), sample_variance(y)
    diff = math.fsum(y) / len(y) - math.fsum(x) / len(x) - log_shift
    se = math.sqrt(var_x / len(x) + var_y / len(y) + shift_log_se ** 2)
    df = welch_df(var_x, len(x), var_y, len(y))
    if se == 0:
        p = 1.0 if diff == 0 else 0.0
        half = 0.0
    else:
        p = min(1.0, 2.0 * t_sf(abs(diff) / se, df))
        half = t_quantile(0.975, df) * se
    return CaseTest(math.exp(diff), (math.exp(diff - half), math.exp(diff + half)), p,
                    math.sqrt((var_x + var_y) / 2.0), shift_log_se)


def replicates_needed(test: CaseTest, threshold: float) -> int | None:
    """Replicates per side for the CI half-width to shrink below the distance between the
    measured change and the threshold (normal approximation, same spread as measured): an
    estimate, not a guarantee. None when no number of replicates would do (the shift's own
    uncertainty is already larger than that distance) or the change is within the threshold."""
    margin = abs(math.log(test.relative)) - math.log1p(threshold)
    room = margin ** 2 - (Z95 * test.shift_log_se) ** 2
    if margin <= 0 or room <= 0:
        return None
    return max(MIN_REPLICATES, math.ceil(2.0 * (Z95 * test.log_sd) ** 2 / room))


def processes_needed(test: CaseTest, threshold: float, base: Replicates,
                     new: Replicates) -> int | None:
    """Worker processes per side (at the replicates per process these runs took) the
    estimate of `replicates_needed` asks for; None without a process count or an estimate."""
    needed = replicates_needed(test, threshold)
    if needed is None or not base.processes or not new.processes:
        return None
    per_process = min(len(base.values) / base.processes, len(new.values) / new.processes)
    return max(1, math.ceil(needed / max(per_process, 1.0)))
