"""The batching workload's part of the run report: its table, its chart and its findings.

Declared as the workload's report pieces in bench/workloads/batching.py.
"""

from __future__ import annotations

from bench.report.cases import (
    Ratio,
    fastest,
    group_by,
    setting,
    setting_items,
    speed,
    speedup,
    workload_cases,
)
from bench.report.charts import Chart, bars_chart, finish, label
from bench.report.fields import fmt_count, fmt_interval, fmt_percent, fmt_ratio, number, text
from bench.report.sentences import (
    Finding,
    Rank,
    fmt_times,
    invert,
    overlaps_one,
    short_times,
    where,
    word,
)
from bench.report.tables import (
    SPEED_COLUMNS,
    TIMING_COLUMNS,
    Cell,
    Table,
    labels,
    mark_fastest,
    num_cell,
    numeric_params,
    param_cell,
    param_columns,
    speed_cells,
    text_cell,
    timing_cells,
)
from bench.results import CaseResult, RunResults

WORKLOAD = "batching"
STRATEGY_ORDER = ["padded", "packed", "bucketed", "bucketed+packed", "ideal"]
MAX_FINDINGS = 2  # the strongest effects; the other workloads' findings come next


def strategy(case: CaseResult) -> str | None:
    value = case.param("strategy")
    return None if value is None else str(value)


# ------------------------------------------------------------------------------ table
COLUMNS = [*SPEED_COLUMNS, "speed-up vs padded", "fraction of ideal", "padding efficiency",
           "same results"]
BRIEF_COLUMNS = [*SPEED_COLUMNS, "speed-up vs padded", "fraction of ideal"]


def _speedup_cell(case: CaseResult, padded: CaseResult | None) -> Cell:
    """Speed-up over padded in the same setting, with its interval when both have one."""
    ratio = speedup(case, padded) if padded is not None else None
    if ratio is None:
        return num_cell(case.metrics.speedup_vs_padded, fmt_ratio)
    shown = fmt_ratio(ratio.value)
    if ratio.lo is not None and case is not padded:
        shown += f" ({ratio.lo:.2f}–{ratio.hi:.2f})"
    return Cell(shown, ratio.value)


def _verified_cell(case: CaseResult) -> Cell:
    """Whether the variant was checked to compute the same per-sequence results."""
    verified = case.checks.verified
    if verified is None:
        return text_cell(None)
    # One line per row: a wrapped reason made the unverified (ideal) rows twice as tall.
    if not verified:
        return text_cell(f"not checked: {text(case.checks.why)}", "nowrap")
    diff = number(case.checks.max_abs_diff)
    return text_cell("yes" + (f" (max diff {diff:.1e})" if diff is not None else ""), "nowrap")


def batching_table(results: RunResults) -> Table | None:
    cases = workload_cases(results, WORKLOAD)
    if not cases:
        return None
    params, constants = param_columns(cases, always=("cell", "dist", "strategy"))
    padded = {key: next((c for c in group if strategy(c) == "padded"), None)
              for key, group in group_by(cases, ["strategy"]).items()}
    table = Table("batching-table", labels(params) + COLUMNS + TIMING_COLUMNS,
                  numeric_params(cases, params) + [True] * 5 + [False, True, True, True, False],
                  constants=constants)
    for case in cases:
        table.rows.append([param_cell(case, k) for k in params] + speed_cells(case) + [
            _speedup_cell(case, padded.get(setting_items(case, ["strategy"]))),
            num_cell(case.metrics.fraction_of_ideal, fmt_percent),
            num_cell(case.metrics.padding_efficiency, fmt_percent),
            _verified_cell(case),
        ] + timing_cells(case))
    table.brief = labels(params) + BRIEF_COLUMNS
    # "ideal" is a reference, not a strategy one can pick: the mark goes to the fastest other.
    mark_fastest(table, cases, [[c for c in g if strategy(c) != "ideal"]
                                for g in group_by(cases, ["strategy"]).values()],
                 "★ fastest strategy of its setting (ideal, a reference, left out)")
    return table


# ------------------------------------------------------------------------------ chart
def batching_charts(results: RunResults) -> list[Chart]:
    """Tokens/s per strategy with CI bars, one panel per cell/distribution/mode/device, all on
    one x-scale so bars compare across panels; each panel lists only its own strategies, and
    the fastest (ideal, a reference, aside) is marked."""
    cases = workload_cases(results, WORKLOAD)
    best = {id(fastest([c for c in group if strategy(c) != "ideal"]))
            for group in group_by(cases, ["strategy"]).values()}
    rows, names = [], []
    for case in cases:
        measured, tokens = speed(case), number(case.metrics.tokens_per_s)
        if measured is None or tokens is None:
            continue
        lo, hi = measured[1] or (tokens, tokens)
        names.append(text(strategy(case)))
        rows.append({
            "strategy": names[-1],
            "panel": label(case, ["cell", "dist", "mode", "device", "dtype"]) or "all",
            "tokens_per_s": tokens, "lo": lo, "hi": hi,
            "ci": fmt_interval(measured[1], fmt_count),
            "n": int(case.stats.n or 0),
            "speedup": text(number(case.metrics.speedup_vs_padded)),
            "padding_efficiency": fmt_percent(case.metrics.padding_efficiency),
            "mark": "★ fastest" if id(case) in best else "",
        })
    if not rows:
        return []
    order = [s for s in STRATEGY_ORDER if s in names]
    order += sorted(set(names) - set(order))
    return [Chart("batching", "Tokens per second by batching strategy (bars: median, "
                  "lines: 95% CI; ★ the fastest strategy of its panel, ideal aside)",
                  finish(bars_chart(rows, "strategy", order, "real tokens per second")),
                  headline=True)]


# ------------------------------------------------------------------------------ findings
def _sentence(ratio: Ratio, best: CaseResult, seen: list[float]) -> str:
    """The sentence for one distribution: `best` is the fastest strategy other than padded."""
    name, place = strategy(best), where(best)
    if overlaps_one(ratio):
        return (f"No batching strategy is clearly faster than padded for {place}: the best "
                f"alternative, {name}, runs at {fmt_times(ratio)} padded's speed, an interval "
                f"that includes 1.")
    if ratio.value < 1:
        return (f"padded batching is the fastest for {place}: {fmt_times(invert(ratio))} faster "
                f"than the best alternative, {name}.")
    sentence = f"{name} batching is {fmt_times(ratio)} faster than padded for {place}"
    low, high = f"{min(seen):.1f}", f"{max(seen):.1f}"
    if len(seen) > 1:
        spread = f"by {low}–{high}×" if low != high else f"by about {high}× in each"
        sentence += (f"; across {len(seen)} cell/mode/device combinations the best strategy "
                     f"beats padded {spread}")
    ideal = number(best.metrics.fraction_of_ideal)
    if ideal is not None:
        sentence += f", reaching {fmt_percent(ideal)} of the ideal equal-length batches"
    return sentence + "."


def batching_findings(results: RunResults) -> list[Finding]:
    """Per length distribution: the best strategy against padded, where it gains the most."""
    best_by_dist: dict[str, tuple[Ratio, CaseResult]] = {}
    seen: dict[str, list[float]] = {}
    for group in group_by(workload_cases(results, WORKLOAD), ["strategy"]).values():
        padded = next((c for c in group if strategy(c) == "padded"), None)
        best = fastest([c for c in group if strategy(c) not in {None, "padded", "ideal"}])
        ratio = speedup(best, padded) if padded is not None and best is not None else None
        if ratio is None:
            continue
        dist = word(setting(best, "dist"), "?")
        seen.setdefault(dist, []).append(ratio.value)
        if dist not in best_by_dist or ratio.value > best_by_dist[dist][0].value:
            best_by_dist[dist] = (ratio, best)
    # strongest effect first: the index of runs shows the first finding as the run's headline
    ranked = sorted(best_by_dist.items(), key=lambda item: -item[1][0].value)
    findings = []
    for dist, (ratio, best) in ranked[:MAX_FINDINGS]:
        clear_win = not overlaps_one(ratio) and ratio.value > 1
        head = f"{strategy(best)} {short_times(ratio)} padded" if clear_win else (
            "no clear winner over padded" if overlaps_one(ratio) else "padded fastest")
        place = ", ".join(word(setting(best, k)).upper() if k == "cell" else
                          word(setting(best, k)) for k in ("cell", "device")
                          if setting(best, k) is not None)
        findings.append(Finding(_sentence(ratio, best, seen[dist]),
                                f"{head} ({dist}{', ' + place if place else ''})",
                                Rank.STRATEGY))
    return findings
