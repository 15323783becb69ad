"""Compare two results documents case by case and say which differences are real.

A difference is *real* when the 95% confidence intervals of the two medians do not overlap, or
when a two-sided Mann-Whitney U rank test on the raw samples gives p < 0.05. A real difference
counts as `slower`/`faster` only when the ratio of medians also moves beyond the threshold;
everything else is `same`. Cases present in one run only are `missing`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

from bench.stats import intervals_overlap, mann_whitney_u

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
        within, matched = self.agreement
        return {"method": self.method, "threshold": self.threshold,
                "rows": [asdict(r) for r in self.rows],
                "regressions": [r.id for r in self.regressions],
                "agreement": {"within_threshold": within, "matched": matched},
                "references": [{"device": d, "label": label, "base_median_s": b,
                                "new_median_s": m, "ratio": m / b}
                               for d, label, b, m in self.references]}


def _ok_cases(doc: dict) -> dict[str, dict]:
    return {c["id"]: c for c in doc.get("cases", []) if c.get("status") == "ok"}


def _compare_case(case_id: str, base: dict, new: dict, threshold: float) -> Row:
    b_stats, n_stats = base["stats"], new["stats"]
    b_med, n_med = float(b_stats["median_s"]), float(n_stats["median_s"])
    ratio = n_med / b_med if b_med > 0 else math.inf
    b_lo, b_hi = b_stats["ci95_s"]
    n_lo, n_hi = n_stats["ci95_s"]
    overlap = intervals_overlap((b_lo, b_hi), (n_lo, n_hi))
    _, p = mann_whitney_u(b_stats["samples_s"], n_stats["samples_s"])
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


def compare_results(base: dict, new: dict, threshold: float = 0.05) -> Comparison:
    """Match the successful cases of two results documents by id and judge each difference."""
    base_cases, new_cases = _ok_cases(base), _ok_cases(new)
    rows = []
    for case_id in list(base_cases) + [k for k in new_cases if k not in base_cases]:
        if case_id in base_cases and case_id in new_cases:
            rows.append(_compare_case(case_id, base_cases[case_id], new_cases[case_id],
                                      threshold))
        else:
            present = base_cases.get(case_id) or new_cases[case_id]
            where = "base" if case_id in base_cases else "new"
            med = float(present["stats"]["median_s"])
            rows.append(Row(case_id, med if where == "base" else None,
                            med if where == "new" else None, None, False, "missing",
                            note=f"only in the {where} run"))
    return Comparison(rows, threshold, base_facts=base.get("facts") or {},
                      new_facts=new.get("facts") or {}, references=_references(base, new))


def _references(base: dict, new: dict) -> list[tuple[str, str, float, float]]:
    """Pair the two runs' reference workloads of the same device and description."""
    def medians(doc: dict) -> dict[tuple[str, str], float]:
        out = {}
        for ref in doc.get("references") or []:
            try:
                key = (str(ref["device"]), str(ref["label"]))
                median = float(ref["median_s"])
            except (KeyError, TypeError, ValueError):
                continue  # an older or partial file: no reference to show
            if median > 0:
                out[key] = median
        return out

    b, n = medians(base), medians(new)
    return [(device, label, b[(device, label)], n[(device, label)])
            for device, label in b if (device, label) in n]
