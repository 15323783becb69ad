"""Compare two results documents case by case and say which differences are real.

A difference is *real* when the 95% confidence intervals of the two medians do not overlap, or
when a two-sided Mann-Whitney U rank test on the raw samples gives p < 0.05. A real difference
counts as `slower`/`faster` only when the ratio of medians also moves beyond the threshold;
everything else is `same`. Cases present in one run only are `missing`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from bench.results import CaseResult, CaseStats, RunResults
from bench.stats import intervals_overlap, mann_whitney_u, median_ci

ALPHA = 0.05
METHOD = (
    "real = 95% CIs of the medians (order statistics) do not overlap, or a two-sided "
    f"Mann-Whitney U test on the samples (normal approximation, tie-corrected) has p < {ALPHA}; "
    "slower/faster also needs the median ratio beyond the threshold"
)


@dataclass
class Row:
    id: str
    base_median_s: float | None
    new_median_s: float | None
    ratio: float | None  # new / base: above 1 means the new run is slower
    real: bool
    verdict: str  # faster | slower | same | missing
    ci_overlap: bool | None = None
    p_value: float | None = None
    note: str = ""


@dataclass
class Comparison:
    rows: list[Row]
    threshold: float
    method: str = METHOD
    base_facts: dict = field(default_factory=dict)
    new_facts: dict = field(default_factory=dict)
    # The reference workload timed in every round of each run, per device: (device, label,
    # base median, new median). A ratio far from 1 hints that the machine itself changed speed;
    # on the 2-core VM the cases moved by up to 6% differently from it, so it is not a divisor.
    references: list[tuple[str, str, float, float]] = field(default_factory=list)

    @property
    def regressions(self) -> list[Row]:
        return [r for r in self.rows if r.verdict == "slower"]

    @property
    def agreement(self) -> tuple[int, int]:
        """(cases whose medians are within the threshold of each other, cases in both runs):
        how reproducible the runs are, significance aside."""
        matched = [r for r in self.rows if r.ratio is not None]
        within = sum(1 / (1 + self.threshold) <= r.ratio <= 1 + self.threshold for r in matched)
        return within, len(matched)

    def to_dict(self) -> dict:
        """Plain JSON values: a number that is not finite is written as null."""
        within, matched = self.agreement
        return _finite({"method": self.method, "threshold": self.threshold,
                        "rows": [asdict(r) for r in self.rows],
                        "regressions": [r.id for r in self.regressions],
                        "agreement": {"within_threshold": within, "matched": matched},
                        "references": [{"device": d, "label": label, "base_median_s": b,
                                        "new_median_s": m, "ratio": m / b}
                                       for d, label, b, m in self.references]})


def _finite(value: Any) -> Any:
    """`value` with every NaN or infinity replaced by None (JSON has no such numbers)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def _ok_cases(run: RunResults) -> dict[str, CaseResult]:
    return {c.id: c for c in run.cases if c.status == "ok" and c.stats is not None
            and c.stats.usable}


def _interval(stats: CaseStats) -> tuple[float, float]:
    """The stored CI of the median, or the one its samples give where the stored one is bad."""
    return stats.ci95_s or median_ci(stats.samples_s)


def _compare_case(case_id: str, base: CaseStats, new: CaseStats, threshold: float) -> Row:
    b_med, n_med = base.median_s, new.median_s
    ratio = n_med / b_med
    if not math.isfinite(ratio) or ratio <= 0:  # e.g. 1e308 against 1e-300: no usable ratio
        return Row(case_id, b_med, n_med, None, False, "same",
                   note="medians too far apart for a ratio: not compared")
    overlap = intervals_overlap(_interval(base), _interval(new))
    _, p = mann_whitney_u(base.samples_s, new.samples_s)
    real = (not overlap) or p < ALPHA
    if real and ratio > 1.0 + threshold:
        verdict = "slower"
    elif real and ratio < 1.0 / (1.0 + threshold):
        verdict = "faster"
    else:
        verdict = "same"
    beyond = ratio > 1.0 + threshold or ratio < 1.0 / (1.0 + threshold)
    note = "beyond the threshold but not significant: too few or too noisy samples" \
        if beyond and not real else ""
    return Row(case_id, b_med, n_med, ratio, real, verdict, overlap, p, note)


def compare_results(base: RunResults, new: RunResults, threshold: float = 0.05) -> Comparison:
    """Match the measured cases of two runs by id and judge each difference."""
    base_cases, new_cases = _ok_cases(base), _ok_cases(new)
    rows = []
    for case_id in list(base_cases) + [k for k in new_cases if k not in base_cases]:
        if case_id in base_cases and case_id in new_cases:
            rows.append(_compare_case(case_id, base_cases[case_id].stats,
                                      new_cases[case_id].stats, threshold))
        else:
            present = base_cases.get(case_id) or new_cases[case_id]
            where = "base" if case_id in base_cases else "new"
            med = present.stats.median_s
            rows.append(Row(case_id, med if where == "base" else None,
                            med if where == "new" else None, None, False, "missing",
                            note=f"only in the {where} run"))
    return Comparison(rows, threshold, base_facts=base.facts, new_facts=new.facts,
                      references=_references(base, new))


def _references(base: RunResults, new: RunResults) -> list[tuple[str, str, float, float]]:
    """Pair the two runs' reference workloads of the same device and description."""
    def medians(run: RunResults) -> dict[tuple[str, str], float]:
        return {(ref.device, ref.label): ref.median_s for ref in run.references or []
                if ref.device is not None and ref.label is not None
                and ref.median_s is not None and ref.median_s > 0}

    b, n = medians(base), medians(new)
    return [(device, label, b[(device, label)], n[(device, label)])
            for device, label in b if (device, label) in n]
