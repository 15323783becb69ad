"""The headline findings of a run: a few sentences, most useful first.

Each workload contributes its own findings (its report pieces, bench/workloads/<name>.py); the
findings here span workloads: which cell is fastest, CPU against GPU, and how far the numbers
can be trusted, which always closes the list.
"""

from __future__ import annotations

from bench.report.cases import fastest, group_by, setting, speedup, workload_cases
from bench.report.fields import fmt_percent, number
from bench.report.pieces import report_pieces
from bench.report.sentences import (
    Finding,
    Rank,
    fmt_times,
    largest_speedup,
    overlaps_one,
    short_times,
    where,
)
from bench.results import CaseResult, RunResults

MAX_FINDINGS = 5


def cell_finding(results: RunResults) -> list[Finding]:
    """Which cell runs fastest, in the configuration where most cells were measured: among the
    kernels, or else among padded batches (the plain RNN a model would run)."""
    cases = workload_cases(results, "kernels") or [
        c for c in workload_cases(results, "batching") if c.param("strategy") == "padded"]
    groups = [g for g in group_by(cases, ["cell"]).values()
              if len({c.param("cell") for c in g}) > 1]
    if not groups:
        return []

    def weight(group: list[CaseResult]) -> tuple[int, float]:
        size = (number(group[0].param("hidden")) or 0) * (number(group[0].param("batch")) or 0)
        return len(group), size

    group = max(groups, key=weight)
    best = fastest(group)
    if best is None:
        return []
    others = [c for c in group if c is not best]
    ratios = [(c.param("cell"), speedup(best, c)) for c in others]
    ratios = sorted([(str(n).upper(), r) for n, r in ratios if r], key=lambda t: -t[1].value)
    if not ratios:
        return []
    cell = str(best.param("cell")).upper()
    config = ", ".join(f"{k} {setting(best, k)}" for k in ("hidden", "batch", "impl", "dtype")
                       if setting(best, k) is not None)
    head = ratios[0]
    place = where(best, with_distribution=False, with_cell=False)
    sentence = (f"{cell} is the fastest cell for {place}"
                f"{' (' + config + ')' if config else ''}: {fmt_times(head[1])} the speed of "
                f"{head[0]}")
    sentence += "".join(f" and {short_times(r)} that of {n}" for n, r in ratios[1:])
    closest = ratios[-1]
    if overlaps_one(closest[1]):
        sentence += (f"; its lead over {closest[0]} is within the noise "
                     f"({fmt_times(closest[1])})")
        return [Finding(sentence + ".", f"{cell} ≈ {closest[0]} fastest cells", Rank.CELL)]
    return [Finding(sentence + ".", f"{cell} fastest cell, {short_times(head[1])} {head[0]}",
                    Rank.CELL)]


def device_finding(results: RunResults) -> list[Finding]:
    """CPU against GPU on the same settings of a kernel or a batching case, where the gap is
    largest."""
    groups = [group for name in ("kernels", "batching")
              for group in group_by(workload_cases(results, name), ["device"]).values()]
    best = largest_speedup(groups, lambda c: str(setting(c, "device")).startswith("cuda"),
                           lambda c: setting(c, "device") == "cpu")
    if best is None:
        return []
    ratio, case = best
    what = where(case).rsplit(" on ", 1)[0]
    if ratio.value >= 1:
        return [Finding(f"The GPU is up to {fmt_times(ratio)} faster than the CPU ({what}).",
                        f"GPU {short_times(ratio)} CPU", Rank.DEVICE)]
    return [Finding(f"The CPU beats the GPU on every shared setting; best GPU/CPU ratio "
                    f"{fmt_times(ratio)} ({what}).", "CPU faster than GPU", Rank.DEVICE)]


def method_finding(results: RunResults) -> Finding:
    """How far the numbers can be trusted, and what that means for the findings above."""
    measured = results.ok_cases
    met = sum(1 for c in measured if c.stats.target_met is True)
    failed = len(results.cases) - len(measured)
    target = number(results.settings.target)
    goal = f"within ±{fmt_percent(target)}" if target else "within the target"
    sentence = (f"{met} of {len(measured)} measured cases met the noise target (95% CI of the "
                f"median {goal})")
    if measured and met < len(measured):
        # A missed target is not a wrong number: the interval is wider, and every finding
        # above is stated with its interval, so a reader must not discount them wholesale.
        sentence += ("; the others stopped at their time budget with wider intervals, which "
                     "the findings above already include: they hold as stated")
    if failed:
        noun = "case" if failed == 1 else "cases"
        sentence += f"; {failed} {noun} did not complete (failed or skipped; listed below)."
    else:
        sentence += "; no case failed."
    return Finding(sentence, f"{met}/{len(measured)} cases met noise target", Rank.METHOD)


def compute_findings(results: RunResults) -> list[Finding]:
    """3–5 findings, most useful first (by rank, then in the order they were made: the
    workloads' in registry order); the method finding always closes the list."""
    makers = [cell_finding, device_finding]
    makers += [make for _, pieces in report_pieces() for make in pieces.findings]
    found = sorted((f for make in makers for f in make(results)), key=lambda f: f.rank)
    return found[: MAX_FINDINGS - 1] + [method_finding(results)]
