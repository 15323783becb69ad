"""Compare two results documents case by case and say which differences are real.

Cases with replicates on both sides (one median per worker process and round) are compared on
those (bench/relative.py): relative to the whole-run shift (bench/shift.py), with a
Mann-Whitney rank test on log replicates and the Hodges-Lehmann ratio and CI, Holm's
correction across cases, and "slower"/"faster" only when the corrected test rejects and the CI
lies beyond the threshold.

Cases without replicates on both sides (files written before --processes) keep the per-sample
method below, which over-calls differences because samples of one process are not independent.
A difference is *real* when the 95% confidence intervals of the two medians do not overlap, or
when a two-sided Mann-Whitney U rank test on the raw samples gives p < 0.05. A real difference
counts as `slower`/`faster` only when the ratio of medians also moves beyond the threshold;
everything else is `same`. Cases present in one run only are `missing`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from bench.relative import (
    CaseTest,
    Replicates,
    processes_needed,
    replicates_needed,
    replicates_of,
    shift_corrected_test,
)
from bench.results import CaseResult, CaseStats, Reference, RunResults
from bench.shift import Shift, estimate_shift
from bench.stats import holm_adjust, intervals_overlap, mann_whitney_u, median_ci

ALPHA = 0.05
METHOD = (
    "real = 95% CIs of the medians (order statistics) do not overlap, or a two-sided "
    f"Mann-Whitney U test on the samples (normal approximation, tie-corrected) has p < {ALPHA}; "
    "slower/faster also needs the median ratio beyond the threshold"
)
REPLICATE_METHOD = (
    "cases with replicates (one median per worker process and round): Mann-Whitney U test on "
    "log replicates of new/shift against base (Hodges-Lehmann ratio and CI), Holm-corrected "
    "across cases at {alpha}; slower/faster only when the corrected test rejects and the 95% CI "
    "of the ratio {relative} lies beyond the threshold; uncertain when the ratio is beyond the "
    "threshold but its CI is not"
)
SAMPLE_NOTE = ("no replicates: the old per-sample method, which over-calls differences; "
               "rerun with --processes")
PROCESS_NOTE = "the replicates' process count is not recorded"


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
    # Replicate comparisons only (absent from the JSON of comparisons without replicates):
    method: str = "samples"  # replicates | samples
    replicates: tuple[int, int] | None = None  # (base, new)
    relative_ratio: float | None = None  # new/base over the shift (geometric mean of replicates)
    relative_ci: tuple[float, float] | None = None
    adjusted_p: float | None = None  # Holm across the replicate cases
    replicates_needed: int | None = None  # per side, when uncertain: an estimate
    processes_needed: int | None = None  # per side, when uncertain: an estimate


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
    # The whole-run shift; None when no case has replicates on both sides (the old output).
    shift: Shift | None = None
    # Both sides measured in the same rounds (an A/B run): no machine drift lies between them.
    same_rounds: bool = False

    @property
    def regressions(self) -> list[Row]:
        return [r for r in self.rows if r.verdict == "slower"]

    @property
    def fails(self) -> bool:
        """What --fail-on-regression exits 1 on: a case slower relative to the shift, or a
        whole-run slowdown beyond the machine's measured drift and the threshold."""
        return bool(self.regressions) or (self.shift is not None
                                          and self.shift.fails(self.threshold))

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
        doc = {"method": self.method, "threshold": self.threshold,
               "rows": [self._row_dict(r) for r in self.rows],
               "regressions": [r.id for r in self.regressions],
               "agreement": {"within_threshold": within, "matched": matched},
               "references": [{"device": d, "label": label, "base_median_s": b,
                               "new_median_s": m, "ratio": m / b}
                              for d, label, b, m in self.references]}
        if self.shift is not None:
            doc["shift"] = self.shift.to_dict(self.threshold)
            doc["fails"] = self.fails
        return _finite(doc)

    def _row_dict(self, row: Row) -> dict:
        out = asdict(row)
        if self.shift is None:  # files without replicates: the fields release 0.1.0 wrote
            for name in REPLICATE_FIELDS:
                out.pop(name)
        return out


REPLICATE_FIELDS = ("method", "replicates", "relative_ratio", "relative_ci", "adjusted_p",
                    "replicates_needed", "processes_needed")


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


def incomplete(base: RunResults, new: RunResults) -> list[str]:
    """Why the new run cannot pass a regression gate whatever its timings say (one phrase each):
    it did not finish, some of its cases failed, or cases the base run measured are missing
    from it. A run where nothing was measured has no regression to find, and is no pass."""
    problems = []
    # No status at all: a file from before runs recorded one, finished or not; not held against it.
    if new.status is not None and new.status != "complete":
        problems.append(f"the new run is {new.status}, not complete")
    failed = [c.id for c in new.cases if c.status == "failed"]
    if failed:
        problems.append(f"{len(failed)} case(s) failed in the new run (first: {failed[0]})")
    measured = _ok_cases(new)
    missing = [k for k in _ok_cases(base) if k not in measured and k not in failed]
    if missing:
        problems.append(f"{len(missing)} case(s) of the base run are missing from the new run "
                        f"(first: {missing[0]})")
    return problems


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


def compare_results(base: RunResults, new: RunResults, threshold: float = 0.05,
                    correct_shift: bool = True) -> Comparison:
    """Match the measured cases of two runs by id and judge each difference.

    `correct_shift=False` takes case verdicts as they are, not relative to the whole-run shift:
    right for two sides measured in the same rounds (A/B in one run), where drift hits both
    alike and a shift is a real difference of the two environments.
    """
    base_cases, new_cases = _ok_cases(base), _ok_cases(new)
    rows = []
    replicated: dict[int, tuple[Replicates, Replicates]] = {}
    for case_id in list(base_cases) + [k for k in new_cases if k not in base_cases]:
        if case_id in base_cases and case_id in new_cases:
            b_stats, n_stats = base_cases[case_id].stats, new_cases[case_id].stats
            rows.append(_compare_case(case_id, b_stats, n_stats, threshold))
            pair = replicates_of(b_stats), replicates_of(n_stats)
            if pair[0] is not None and pair[1] is not None and rows[-1].ratio is not None:
                replicated[len(rows) - 1] = pair  # type: ignore[assignment]
        else:
            present = base_cases.get(case_id) or new_cases[case_id]
            where = "base" if case_id in base_cases else "new"
            med = present.stats.median_s
            rows.append(Row(case_id, med if where == "base" else None,
                            med if where == "new" else None, None, False, "missing",
                            note=f"only in the {where} run"))
    cmp = Comparison(rows, threshold, base_facts=base.facts, new_facts=new.facts,
                     references=_references(base, new))
    if replicated:
        _judge_on_replicates(cmp, replicated, _reference_pairs(base, new), correct_shift)
    cmp.same_rounds = not correct_shift
    return cmp


def _judge_on_replicates(cmp: Comparison, replicated: dict[int, tuple[Replicates, Replicates]],
                         references: list[tuple[Reference, Reference]],
                         correct_shift: bool) -> None:
    """Estimate the shift over every matched case, then re-judge the replicated cases
    relative to it; the others keep their per-sample verdict, marked as such."""
    ratios = [r.ratio for r in cmp.rows if r.ratio is not None]
    shift = estimate_shift(ratios, references, correct_shift)
    assert shift is not None  # replicated rows have ratios
    cmp.shift = shift
    log_shift = math.log(shift.value) if shift.corrected else 0.0
    shift_se = shift.log_se if shift.corrected else 0.0
    tests = {i: shift_corrected_test(b.values, n.values, log_shift, shift_se)
             for i, (b, n) in replicated.items()}
    adjusted = dict(zip(tests, holm_adjust([t.p_value for t in tests.values()]), strict=True))
    for i, row in enumerate(cmp.rows):
        if i in tests:
            base_reps, new_reps = replicated[i]
            _replicate_verdict(row, tests[i], adjusted[i], cmp.threshold, base_reps, new_reps,
                               len(tests))
        elif row.verdict != "missing":
            row.note = "; ".join(x for x in (SAMPLE_NOTE, row.note) if x)
    relative = "relative to the whole-run shift" if shift.corrected else \
        "as measured (no shift correction)"
    cmp.method = REPLICATE_METHOD.format(alpha=ALPHA, relative=relative)
    if len(tests) < sum(r.ratio is not None for r in cmp.rows):
        cmp.method += f"; cases without replicates: {METHOD}"


def _replicate_verdict(row: Row, test: CaseTest, adjusted_p: float, threshold: float,
                       base: Replicates, new: Replicates, cases: int) -> None:
    lo, hi = test.ci
    up, down = 1.0 + threshold, 1.0 / (1.0 + threshold)
    row.method = "replicates"
    row.replicates = (len(base.values), len(new.values))
    row.relative_ratio, row.relative_ci = test.relative, test.ci
    row.p_value, row.adjusted_p = test.p_value, adjusted_p
    row.ci_overlap = None
    row.real = adjusted_p < ALPHA
    notes = [] if base.processes and new.processes else [PROCESS_NOTE]
    if row.real and lo > up:
        row.verdict = "slower"
    elif row.real and hi < down:
        row.verdict = "faster"
    elif test.relative > up or test.relative < down:
        row.verdict = "uncertain"
        # Holm's first step: the case must pass alpha / (cases tested) on its own.
        alpha = ALPHA / max(cases, 1)
        row.replicates_needed = replicates_needed(test, threshold, alpha)
        row.processes_needed = processes_needed(test, threshold, base, new, alpha)
        notes.append(_undecided_note(row, base, new))
    else:
        row.verdict = "same"
    row.note = "; ".join(notes)


def _undecided_note(row: Row, base: Replicates, new: Replicates) -> str:
    """How many more processes (or replicates) might decide an uncertain case, as an estimate,
    counted from the processes these runs actually used."""
    have = min(base.processes or 0, new.processes or 0)
    if row.processes_needed is not None and row.processes_needed > have:
        more = row.processes_needed - have
        return (f"beyond the threshold but the CI reaches within it: about {more} more worker "
                f"process(es) per side than the {have} these runs used "
                f"(--processes {row.processes_needed}) might decide it (estimate from the "
                "measured replicate spread)")
    if row.processes_needed is not None:
        # The estimate says the processes used should have sufficed; they did not, so it
        # cannot size the next run: say so rather than advise what was already done.
        return (f"beyond the threshold but the CI reaches within it, though the {have} worker "
                "processes per side these runs used should have decided it by the estimate from "
                f"the replicate spread; more (e.g. --processes {2 * have}) narrow the CI")
    if row.replicates_needed is not None:
        return (f"beyond the threshold but the CI reaches within it: about "
                f"{row.replicates_needed} replicates per side might decide it (estimate from "
                "the measured replicate spread)")
    return ("beyond the threshold but the CI reaches within it; the whole-run shift is too "
            "uncertain for more processes alone to decide it")


def _reference_pairs(base: RunResults, new: RunResults) -> list[tuple[Reference, Reference]]:
    """The two runs' reference records of the same device and description."""
    def by_key(run: RunResults) -> dict[tuple[str, str], Reference]:
        return {(ref.device, ref.label): ref for ref in run.references or []
                if ref.device is not None and ref.label is not None}

    b, n = by_key(base), by_key(new)
    return [(b[key], n[key]) for key in b if key in n]


def _references(base: RunResults, new: RunResults) -> list[tuple[str, str, float, float]]:
    """Pair the two runs' reference workloads of the same device and description."""
    def medians(run: RunResults) -> dict[tuple[str, str], float]:
        return {(ref.device, ref.label): ref.median_s for ref in run.references or []
                if ref.device is not None and ref.label is not None
                and ref.median_s is not None and ref.median_s > 0}

    b, n = medians(base), medians(new)
    return [(device, label, b[(device, label)], n[(device, label)])
            for device, label in b if (device, label) in n]
