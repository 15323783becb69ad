"""The whole-run shift between two runs, and whether the machine's own drift explains it.

A drifting machine moves every case of a run together (3-9% between runs on the 2-core VM), so
the median over all matched cases of new/base is an estimate of that whole-run shift. Its CI is
the distribution-free order-statistic CI of that median. The reference workload timed in every
round of both runs says how far the machine itself moved: between runs (its ratio) and within
each run (max/min - 1 of its per-round medians). A shift outside that band is more than the
drift the machine showed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from bench.results import Reference
from bench.stats import Interval, max_min_spread, median, median_abs_deviation, median_ci

# Without a reference workload in both runs, the drift is not measured; assume what the 2-core
# development VM showed between runs (3-9%), rounded up.
ASSUMED_DRIFT = 0.10
# Fewer matched cases than this give no usable shift: every case would be measured against
# itself, so the comparison is made without correcting for a shift.
MIN_SHIFT_CASES = 5
# Scale from the MAD to a normal standard deviation, and the asymptotic efficiency factor of
# the median (sqrt(pi / 2)): the standard error of a median of k log ratios.
_MAD_TO_SD = 1.4826
_MEDIAN_SE = math.sqrt(math.pi / 2.0)


@dataclass
class Shift:
    value: float  # median over the matched cases of new/base
    ci: Interval  # 95% CI of that median (order statistics over cases)
    cases: int
    log_se: float  # standard error of log(value), robust (MAD), for the case tests
    drift_band: Interval  # the machine's measured (or assumed) drift, as a ratio band
    drift_measured: bool  # False: no reference in both runs, ASSUMED_DRIFT used
    reference_ratio: float | None  # new/base of the reference workload(s)
    corrected: bool  # whether case verdicts are taken relative to this shift

    @property
    def beyond_drift(self) -> bool:
        """The whole CI lies outside the band of drift the machine showed."""
        lo, hi = self.drift_band
        return self.ci[0] > hi or self.ci[1] < lo

    def fails(self, threshold: float) -> bool:
        """A slowdown of the whole run that the drift does not explain and that matters: beyond
        the drift band and with its CI above 1 + threshold."""
        return self.beyond_drift and self.ci[0] > max(self.drift_band[1], 1.0 + threshold)

    def to_dict(self, threshold: float) -> dict:
        return {"value": self.value, "ci95": list(self.ci), "cases": self.cases,
                "reference_ratio": self.reference_ratio, "drift_band": list(self.drift_band),
                "drift_measured": self.drift_measured, "beyond_drift": self.beyond_drift,
                "corrected": self.corrected, "fails": self.fails(threshold)}


def estimate_shift(ratios: Sequence[float], references: Sequence[tuple[Reference, Reference]],
                   correct: bool = True) -> Shift | None:
    """The whole-run shift from the matched cases' new/base ratios; None without any ratio."""
    if not ratios:
        return None
    logs = [math.log(r) for r in ratios]
    log_se = _MEDIAN_SE * _MAD_TO_SD * median_abs_deviation(logs) / math.sqrt(len(logs))
    band, measured, ref_ratio = drift_band(references)
    return Shift(median(ratios), median_ci(ratios), len(ratios), log_se, band, measured,
                 ref_ratio, correct and len(ratios) >= MIN_SHIFT_CASES)


def drift_band(references: Sequence[tuple[Reference, Reference]]
               ) -> tuple[Interval, bool, float | None]:
    """(band, measured, reference ratio): from 1 to the reference's new/base ratio, widened by
    the largest within-run spread of its per-round medians; the assumed drift without one."""
    ratios, spreads = [], [0.0]
    for base, new in references:
        if base.median_s and new.median_s and base.median_s > 0 and new.median_s > 0:
            ratios.append(new.median_s / base.median_s)
        for ref in (base, new):
            rounds = [v for v in ref.per_round_median_s or [] if v > 0]
            if len(rounds) >= 2:
                spreads.append(max_min_spread(rounds))
    if not ratios:
        return (1.0 / (1.0 + ASSUMED_DRIFT), 1.0 + ASSUMED_DRIFT), False, None
    widen = 1.0 + max(spreads)
    band = (min([1.0, *ratios]) / widen, max([1.0, *ratios]) * widen)
    return band, True, median(ratios)
