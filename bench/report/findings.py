"""The headline findings of a run: a few sentences, each computed from the measured cases.

Every number in a finding comes from the results document; nothing here is written by hand
except the grammar around the numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from bench.report.cases import (
    Ratio,
    fastest,
    group_by,
    speedup,
    strategy,
    suite_cases,
    time_to_target,
)
from bench.report.fields import (
    case_metric,
    case_ok,
    case_param,
    dig,
    fmt_percent,
    fmt_si,
    number,
)

MAX_FINDINGS = 5
DISTRIBUTION_WORDS = {"names": "name-length", "sentences": "sentence-length",
                      "uniform": "uniform-length", "fixed": "fixed-length"}


@dataclass(frozen=True)
class Finding:
    """One sentence for the page, and a short form for the index of runs."""

    sentence: str
    short: str


def _decimals(*values: float) -> int:
    """One decimal, or more when the values would otherwise print alike (2.0–2.0×)."""
    for digits in (1, 2, 3):
        if len({round(v, digits) for v in values}) == len(set(values)):
            return digits
    return 3


def _short_times(ratio: Ratio) -> str:
    """Two decimals near 1, where one would print 1.02× as 1.0×; fewer for big ratios."""
    value = ratio.value
    return f"{value:.2f}×" if value < 2 else f"{value:.1f}×" if value < 10 else f"{value:.0f}×"


def fmt_times(ratio: Ratio) -> str:
    """'4.1×' or, with an interval, '4.1× (95% CI 3.9–4.3×)'."""
    if ratio.lo is None or ratio.hi is None:
        return _short_times(ratio)
    d = _decimals(ratio.lo, ratio.value, ratio.hi)
    return f"{ratio.value:.{d}f}× (95% CI {ratio.lo:.{d}f}–{ratio.hi:.{d}f}×)"


def _overlaps_one(ratio: Ratio) -> bool:
    """True when the interval cannot tell the two apart."""
    return ratio.lo is not None and ratio.hi is not None and ratio.lo <= 1.0 <= ratio.hi


def _word(value: object, default: str = "") -> str:
    return default if value is None else str(value)


def _where(case: Mapping, with_distribution: bool = True, with_cell: bool = True) -> str:
    """'sentence-length LSTM inference on cpu' from a case's parameters."""
    dist = _word(case_param(case, "distribution"))
    parts = [DISTRIBUTION_WORDS.get(dist, f"{dist}-length")] if dist and with_distribution else []
    cell = case_param(case, "cell")
    if cell and with_cell:
        parts.append(str(cell).upper())
    parts.append(_word(case_param(case, "mode"), "runs"))
    device = case_param(case, "device")
    return " ".join(parts) + (f" on {device}" if device else "")


def _invert(ratio: Ratio) -> Ratio:
    if ratio.lo is None or ratio.hi is None:
        return Ratio(1 / ratio.value)
    return Ratio(1 / ratio.value, 1 / ratio.hi, 1 / ratio.lo)


def _batching_sentence(ratio: Ratio, best: Mapping, seen: list[float]) -> str:
    """The sentence for one distribution: `best` is the fastest strategy other than padded."""
    name, where = strategy(best), _where(best)
    if _overlaps_one(ratio):
        return (f"No batching strategy is clearly faster than padded for {where}: the best "
                f"alternative, {name}, runs at {fmt_times(ratio)} padded's speed, an interval "
                f"that includes 1.")
    if ratio.value < 1:
        return (f"padded batching is the fastest for {where}: {fmt_times(_invert(ratio))} faster "
                f"than the best alternative, {name}.")
    sentence = f"{name} batching is {fmt_times(ratio)} faster than padded for {where}"
    low, high = f"{min(seen):.1f}", f"{max(seen):.1f}"
    if len(seen) > 1:
        spread = f"by {low}–{high}×" if low != high else f"by about {high}× in each"
        sentence += (f"; across {len(seen)} cell/mode/device combinations the best strategy "
                     f"beats padded {spread}")
    ideal = case_metric(best, "fraction_of_ideal")
    if ideal is not None:
        sentence += f", reaching {fmt_percent(ideal)} of the ideal equal-length batches"
    return sentence + "."


def batching_findings(results: Mapping) -> list[Finding]:
    """Per length distribution: the best strategy against padded, where it gains the most."""
    best_by_dist: dict[str, tuple[Ratio, dict]] = {}
    seen: dict[str, list[float]] = {}
    for group in group_by(suite_cases(results, "batching"), ["strategy", "variant"]).values():
        padded = next((c for c in group if strategy(c) == "padded"), None)
        best = fastest([c for c in group if strategy(c) not in {None, "padded", "ideal"}])
        ratio = speedup(best, padded) if padded is not None and best is not None else None
        if ratio is None:
            continue
        dist = _word(case_param(best, "distribution"), "?")
        seen.setdefault(dist, []).append(ratio.value)
        if dist not in best_by_dist or ratio.value > best_by_dist[dist][0].value:
            best_by_dist[dist] = (ratio, best)
    # strongest effect first: the index of runs shows the first finding as the run's headline
    ranked = sorted(best_by_dist.items(), key=lambda item: -item[1][0].value)
    findings = []
    for dist, (ratio, best) in ranked:
        clear_win = not _overlaps_one(ratio) and ratio.value > 1
        head = f"{strategy(best)} {_short_times(ratio)} padded" if clear_win else (
            "no clear winner over padded" if _overlaps_one(ratio) else "padded fastest")
        where = ", ".join(_word(case_param(best, k)).upper() if k == "cell" else
                          _word(case_param(best, k)) for k in ("cell", "device")
                          if case_param(best, k) is not None)
        findings.append(Finding(_batching_sentence(ratio, best, seen[dist]),
                                f"{head} ({dist}{', ' + where if where else ''})"))
    return findings


def cell_finding(results: Mapping) -> Finding | None:
    """Which cell runs fastest, in the configuration where most cells were measured."""
    cases = suite_cases(results, "kernels") or [
        c for c in suite_cases(results, "batching") if strategy(c) == "padded"]
    groups = [g for g in group_by(cases, ["cell"]).values()
              if len({case_param(c, "cell") for c in g}) > 1]
    if not groups:
        return None

    def weight(group: list[dict]) -> tuple[int, float]:
        size = (number(case_param(group[0], "hidden")) or 0) * (
            number(case_param(group[0], "batch")) or 0)
        return len(group), size

    group = max(groups, key=weight)
    best = fastest(group)
    if best is None:
        return None
    others = [c for c in group if c is not best]
    ratios = [(case_param(c, "cell"), speedup(best, c)) for c in others]
    ratios = sorted([(str(n).upper(), r) for n, r in ratios if r], key=lambda t: -t[1].value)
    if not ratios:
        return None
    cell = str(case_param(best, "cell")).upper()
    config = ", ".join(f"{k} {case_param(best, k)}" for k in ("hidden", "batch", "impl", "dtype")
                       if case_param(best, k) is not None)
    head = ratios[0]
    where = _where(best, with_distribution=False, with_cell=False)
    sentence = (f"{cell} is the fastest cell for {where}"
                f"{' (' + config + ')' if config else ''}: {fmt_times(head[1])} the speed of "
                f"{head[0]}")
    sentence += "".join(f" and {_short_times(r)} that of {n}" for n, r in ratios[1:])
    closest = ratios[-1]
    if _overlaps_one(closest[1]):
        sentence += (f"; its lead over {closest[0]} is within the noise "
                     f"({fmt_times(closest[1])})")
        return Finding(sentence + ".", f"{cell} ≈ {closest[0]} fastest cells")
    return Finding(sentence + ".", f"{cell} fastest cell, {_short_times(head[1])} {head[0]}")


def _largest_speedup(groups: Iterable[list[Mapping]], is_fast: Callable[[Mapping], bool],
                     is_slow: Callable[[Mapping], bool]) -> tuple[Ratio, Mapping] | None:
    """Over groups of cases that share settings, the largest speed-up of the first case passing
    `is_fast` over the first passing `is_slow`, with that fast case; None when no group has both.
    """
    pairs = []
    for group in groups:
        fast = [c for c in group if is_fast(c)]
        slow = [c for c in group if is_slow(c)]
        if fast and slow and (ratio := speedup(fast[0], slow[0])):
            pairs.append((ratio, fast[0]))
    return max(pairs, key=lambda p: p[0].value) if pairs else None


def device_finding(results: Mapping) -> Finding | None:
    """CPU against GPU on the same settings, where the gap is largest."""
    groups = [group for suite in ("kernels", "batching")
              for group in group_by(suite_cases(results, suite), ["device"]).values()]
    best = _largest_speedup(groups,
                            lambda c: str(case_param(c, "device")).startswith("cuda"),
                            lambda c: case_param(c, "device") == "cpu")
    if best is None:
        return None
    ratio, case = best
    what = _where(case).rsplit(" on ", 1)[0]
    if ratio.value >= 1:
        return Finding(f"The GPU is up to {fmt_times(ratio)} faster than the CPU ({what}).",
                       f"GPU {_short_times(ratio)} CPU")
    return Finding(f"The CPU beats the GPU on every shared setting; best GPU/CPU ratio "
                   f"{fmt_times(ratio)} ({what}).", "CPU faster than GPU")


def impl_finding(results: Mapping) -> Finding | None:
    """The library kernel against rnnkit's hand-written loop, on the same settings."""
    best = _largest_speedup(group_by(suite_cases(results, "kernels"), ["impl"]).values(),
                            lambda c: case_param(c, "impl") == "torch",
                            lambda c: case_param(c, "impl") == "loop")
    if best is None:
        return None
    ratio, case = best
    kernel = "cuDNN" if str(case_param(case, "device")).startswith("cuda") else "torch"
    return Finding(f"The {kernel} kernel is {fmt_times(ratio)} faster than rnnkit's hand-written "
                   f"loop for {_where(case, with_distribution=False)}.",
                   f"{kernel} {_short_times(ratio)} loop")


def peak_finding(results: Mapping) -> Finding | None:
    """The highest achieved FLOP/s and how close it came to the measured matmul peak."""
    rated = [c for c in suite_cases(results, "kernels") if case_metric(c, "flops_per_s")]
    if not rated:
        return None
    best = max(rated, key=lambda c: case_metric(c, "flops_per_s"))
    sentence = (f"The best kernel achieves {fmt_si(case_metric(best, 'flops_per_s'), 'FLOP/s')} "
                f"({_where(best, with_distribution=False)}, hidden {case_param(best, 'hidden')}")
    fraction = case_metric(best, "peak_fraction")
    sentence += (f"), {fmt_percent(fraction)} of the matmul peak measured in the same run."
                 if fraction is not None else ").")
    return Finding(sentence, f"{fmt_si(case_metric(best, 'flops_per_s'), 'FLOP/s')} best kernel")


def train_finding(results: Mapping) -> Finding | None:
    """Which model and strategy reached the target accuracy soonest (or that none did)."""
    cases = suite_cases(results, "train")
    if not cases:
        return None

    def label(case: Mapping) -> str:
        parts = [_word(case_param(case, k)) for k in ("model", "strategy")
                 if case_param(case, k) is not None]
        return " with ".join(parts) or str(dig(case, "id", default="?"))

    target = case_metric(cases[0], "target_accuracy")
    goal = f"{fmt_percent(target)} test accuracy" if target is not None else "the target accuracy"
    timed = [c for c in cases if time_to_target(c) is not None]
    if not timed:
        finals = [c for c in cases if case_metric(c, "final_accuracy") is not None]
        if not finals:
            return None
        best = max(finals, key=lambda c: case_metric(c, "final_accuracy"))
        return Finding(f"No model reached {goal}; the best final accuracy was "
                       f"{fmt_percent(case_metric(best, 'final_accuracy'))} ({label(best)}).",
                       "target accuracy not reached")
    best = min(timed, key=time_to_target)
    seconds = time_to_target(best)
    return Finding(f"{label(best)} reaches {goal} first, after {seconds:.3g} s of training.",
                   f"{label(best)}: target in {seconds:.3g} s")


def method_finding(results: Mapping) -> Finding:
    """How far the numbers can be trusted: noise target met, cases failed."""
    cases = [c for c in dig(results, "cases", default=[]) if isinstance(c, dict)]
    measured = [c for c in cases if case_ok(c)]
    met = sum(1 for c in measured if dig(c, "stats", "target_met") is True)
    failed = len(cases) - len(measured)
    sentence = (f"{met} of {len(measured)} measured cases met the noise target "
                f"(95% CI of the median within the target)")
    if failed:
        noun = "case" if failed == 1 else "cases"
        sentence += f"; {failed} {noun} did not complete (failed or skipped; listed below)."
    else:
        sentence += "; no case failed."
    return Finding(sentence, f"{met}/{len(measured)} cases met noise target")


def compute_findings(results: Mapping) -> list[Finding]:
    """3–5 findings, most useful first; the method finding always closes the list."""
    found: list[Finding] = batching_findings(results)[:2]
    for make in (cell_finding, device_finding, impl_finding, train_finding, peak_finding):
        finding = make(results)
        if finding is not None:
            found.append(finding)
    return found[: MAX_FINDINGS - 1] + [method_finding(results)]
