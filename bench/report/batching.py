"""The batching workload's part of the run report: its table, its chart and its findings.

Its pieces are `PIECES` at the end, named by the workload in bench/workloads/batching.py.
"""

from __future__ import annotations

import altair as alt

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
from bench.report.charts import PANEL_WIDTH, Chart, bars_chart, finish, label
from bench.report.fields import (
    DASH,
    fmt_bytes,
    fmt_count,
    fmt_fraction_ci,
    fmt_interval,
    fmt_percent,
    fmt_ratio,
    fmt_seconds,
    number,
    text,
)
from bench.report.section import ReportPieces
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
from bench.results import Advice, CaseResult, RunResults

WORKLOAD = "batching"
STRATEGY_ORDER = ["padded", "packed", "bucketed", "bucketed+packed", "budget", "budget+packed",
                  "ideal", "padded-limit", "bucketed-limit", "budget-limit", "calls"]
RUN_STRATEGIES = STRATEGY_ORDER[:6]
MAX_FINDINGS = 2  # the strongest effects; the other workloads' findings come next


def strategy(case: CaseResult) -> str | None:
    value = case.param("strategy")
    return None if value is None else str(value)


# ------------------------------------------------------------------------------ table
COLUMNS = [*SPEED_COLUMNS, "speed-up vs padded", "fraction of ideal", "fraction of its limit",
           "padding efficiency", "padding efficiency, 5 seeds", "peak memory", "same results"]
BRIEF_COLUMNS = [*SPEED_COLUMNS, "speed-up vs padded", "fraction of ideal"]
# What a reader chooses among when the fastest is marked: the strategy with its batch size or
# token budget (a token budget has no batch size, a padded batch no budget).
CHOICE = ["strategy", "batch", "max_tokens"]


def fmt_fraction(value: object) -> str:
    x = number(value)
    return DASH if x is None else f"{x:.3f}"


def _limit_cell(fraction: float | None, ci: tuple[float, float] | None) -> Cell:
    return Cell(fmt_fraction_ci(fraction, ci), number(fraction))


def _seeds_cell(interval: tuple[float, float] | None) -> Cell:
    return Cell(fmt_interval(interval, fmt_fraction), interval[0] if interval else None)


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
                  numeric_params(cases, params) + [True] * 8 + [False]
                  + [True, True, True, False], constants=constants)
    for case in cases:
        m = case.metrics
        table.rows.append([param_cell(case, k) for k in params] + speed_cells(case) + [
            _speedup_cell(case, padded.get(setting_items(case, ["strategy"]))),
            num_cell(m.fraction_of_ideal, fmt_percent),
            _limit_cell(m.fraction_of_limit, m.fraction_of_limit_ci),
            num_cell(m.padding_efficiency, fmt_fraction),
            _seeds_cell(m.padding_efficiency_seeds),
            num_cell(m.peak_memory_bytes, fmt_bytes),
            _verified_cell(case),
        ] + timing_cells(case))
    table.row_ids, table.param_count = [c.id for c in cases], len(params)
    table.brief = labels(params) + BRIEF_COLUMNS
    # "ideal" is a reference, not a strategy one can pick: the mark goes to the fastest other.
    mark_fastest(table, cases, [[c for c in g if strategy(c) != "ideal"]
                                for g in group_by(cases, CHOICE).values()],
                 "★ fastest strategy of its setting (ideal, a reference, left out)")
    return table


# ------------------------------------------------------------------------------ chart
def batching_charts(results: RunResults) -> list[Chart]:
    """Tokens/s per strategy with CI bars, one panel per cell/distribution/mode/device, all on
    one x-scale so bars compare across panels; each panel lists only its own strategies, and
    the fastest (ideal, a reference, aside) is marked."""
    cases = workload_cases(results, WORKLOAD)
    best = {id(fastest([c for c in group if strategy(c) != "ideal"]))
            for group in group_by(cases, CHOICE).values()}
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
        sentence += (f", reaching {fmt_percent(ideal)} of the equal-length reference batches "
                     f"of {text(setting(best, 'batch') or 64)}")
    limit = number(best.metrics.fraction_of_limit)
    if limit is not None:
        sentence += (f" and {fmt_fraction_ci(limit, best.metrics.fraction_of_limit_ci)} of its "
                     "own batches without padding")
    spread = best.metrics.padding_efficiency_seeds
    if spread is not None and spread[1] - spread[0] > 0.05:
        sentence += (f" (a small sample: at n={text(setting(best, 'n'))} its padding efficiency "
                     f"ranges {spread[0]:.2f}–{spread[1]:.2f} over five seeds)")
    return sentence + "."


def batching_findings(results: RunResults) -> list[Finding]:
    """Per length distribution: the best strategy against padded, where it gains the most."""
    best_by_dist: dict[str, tuple[Ratio, CaseResult]] = {}
    seen: dict[str, list[float]] = {}
    for group in group_by(workload_cases(results, WORKLOAD),
                          ["strategy", "batch", "max_tokens"]).values():
        paddeds = [c for c in group if strategy(c) == "padded"]
        padded = next((c for c in paddeds if setting(c, "batch") == 64),
                      paddeds[0] if paddeds else None)
        best = fastest([c for c in group if strategy(c) in RUN_STRATEGIES[1:]])
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


# ------------------------------------------------------------------------------ the user's data
def data_table(results: RunResults) -> Table | None:
    """The user's lengths the batching cases ran on: where from and their summary."""
    d = results.data_lengths
    if d is None:
        return None
    table = Table("batching-data", ["lengths from", "sequences", "left out (empty, too long)",
                                    "mean", "median", "p90", "p99", "min", "max"],
                  [False, True, False, True, True, True, True, True, True])
    table.rows.append([text_cell(d.description or d.source), num_cell(d.sequences, text),
                       text_cell(f"{text(d.left_out_empty)}, {text(d.left_out_too_long)}"),
                       *(num_cell(v, lambda x: f"{x:.1f}") for v in (d.mean, d.median, d.p90,
                                                                    d.p99)),
                       num_cell(d.min, text), num_cell(d.max, text)])
    return table


def lengths_chart(results: RunResults) -> list[Chart]:
    """A histogram of the user's lengths."""
    d = results.data_lengths
    edges, counts = (d.histogram_edges or [], d.histogram_counts or []) if d else ([], [])
    if len(edges) != len(counts) + 1 or not counts:
        return []
    rows = [{"from": edges[i], "to": edges[i + 1], "sequences": counts[i]}
            for i in range(len(counts))]
    chart = alt.Chart(alt.Data(values=rows)).mark_bar().encode(
        x=alt.X("from:Q", bin="binned", title="length"), x2="to:Q",
        y=alt.Y("sequences:Q", title="sequences"),
        tooltip=[alt.Tooltip("from:Q", title="from"), alt.Tooltip("to:Q", title="below"),
                 alt.Tooltip("sequences:Q")]).properties(width=2 * PANEL_WIDTH, height=160)
    return [Chart("batching-lengths", f"Sequence lengths: {text(d.description)}",
                  finish(chart))]


# ------------------------------------------------------------------------------ the real limit
GAP_COLUMNS = ["time per epoch", "gap to ideal", "padding", "batch shape", "per-call cost",
               "fraction of its limit"]


def _share(part: float | None, gap: float | None) -> Cell:
    if part is None:
        return text_cell(None)
    shown = fmt_seconds(part)
    if gap:
        shown += f" ({part / gap:.0%})"
    return Cell(shown, part)


def gap_table(results: RunResults) -> Table | None:
    """Each strategy's gap to ideal split into padding (its batches against the same batches
    unpadded), batch shape and per-call cost (the number of calls against ideal's)."""
    cases = [c for c in workload_cases(results, WORKLOAD)
             if strategy(c) in RUN_STRATEGIES and c.metrics.gap_padding_s is not None]
    if not cases:
        return None
    params, constants = param_columns(cases, always=("strategy",))
    table = Table("batching-gaps", labels(params) + GAP_COLUMNS,
                  numeric_params(cases, params) + [True] * 6, constants=constants)
    for case in cases:
        m = case.metrics
        parts = [m.gap_padding_s, m.gap_shape_s, m.gap_calls_s]
        gap = sum(p for p in parts if p is not None)
        table.rows.append([param_cell(case, k) for k in params] + [
            num_cell(m.time_per_epoch_s, fmt_seconds), Cell(fmt_seconds(gap), gap),
            *(_share(p, gap) for p in parts),
            _limit_cell(m.fraction_of_limit, m.fraction_of_limit_ci)])
    return table


# ------------------------------------------------------------------------------ the answer
def _advice_size(a: Advice) -> str:
    return f"max_tokens {a.max_tokens}" if a.max_tokens else f"batch {text(a.batch)}"


def recommendation_table(results: RunResults) -> Table | None:
    """The recommendation (bench/recommend.py), one row per mode and length distribution."""
    if not results.recommendation:
        return None
    table = Table("batching-recommendation",
                  ["mode", "lengths", "device", "strategy", "size", "speed-up vs padded",
                   "fraction of its limit", "padding efficiency (5 seeds)", "peak memory",
                   "denormals", "why", "with rnnkit", "plain PyTorch"],
                  [False, False, False, False, False, True, True, True, True, False, False,
                   False, False])
    for a in results.recommendation:
        ratio = fmt_ratio(a.speedup_vs_padded)
        if a.speedup_ci:
            ratio += f" ({a.speedup_ci[0]:.2f}–{a.speedup_ci[1]:.2f})"
        ratio += f" over batches of {text(a.padded_batch)}"
        eff = fmt_fraction(a.padding_efficiency)
        if a.padding_efficiency_seeds:
            eff += f" ({fmt_interval(a.padding_efficiency_seeds, fmt_fraction)})"
        denormals = "kept"
        if a.flush_denormal:
            denormals = "flushed in this run"
            if a.flush_speedup is not None:
                denormals += (f"; flush: {fmt_ratio(a.flush_speedup)} the speed of keep"
                              + (" (advised)" if a.flush_advised else " (within noise)"))
        table.rows.append([text_cell(a.mode), text_cell(a.dist), text_cell(a.device),
                           text_cell(a.strategy), text_cell(_advice_size(a)),
                           Cell(ratio, number(a.speedup_vs_padded)),
                           _limit_cell(a.fraction_of_limit, a.fraction_of_limit_ci),
                           Cell(eff, None),
                           num_cell(a.peak_memory_bytes, fmt_bytes), text_cell(denormals),
                           text_cell(a.why, "wrap"), text_cell(a.snippet, "code"),
                           text_cell(a.snippet_plain, "code")])
    return table


def batching_notes(results: RunResults) -> list[str]:
    """What the references mean, and where a finding rests on a small sample."""
    cases = workload_cases(results, WORKLOAD)
    if not cases:
        return []
    notes = ["“ideal” is random-order batches of one batch size with every sequence at the mean "
             "length: a reference at that batch size, not a bound (a token budget, with larger "
             "batches of short sequences, can beat it). Each strategy's own limit is its own "
             "batches with the padding removed (same sizes, each batch at its mean length, the "
             "same token count); the gap table splits the distance to ideal into padding "
             "(strategy against its limit), per-call cost (calls beyond ideal's, at the "
             "measured cost of one call) and batch shape (the rest)."]
    if results.data_lengths is not None:
        notes.append(f"Lengths from {text(results.data_lengths.description)}, sampled to each "
                     "case's number of sequences with the run's seed (with repeats only where "
                     "the case asks for more sequences than the data has).")
    wide = [c for c in cases if c.metrics.padding_efficiency_seeds is not None
            and c.metrics.padding_efficiency_seeds[1] - c.metrics.padding_efficiency_seeds[0]
            > 0.05]
    if wide:
        worst = max(wide, key=lambda c: c.metrics.padding_efficiency_seeds[1]
                    - c.metrics.padding_efficiency_seeds[0])
        lo, hi = worst.metrics.padding_efficiency_seeds
        notes.append(f"{len(wide)} case(s) rest on a small sample: their padding efficiency "
                     "moves by more than 0.05 between five seeds at their number of sequences "
                     f"(most: {text(strategy(worst))} at n={text(worst.param('n'))}, "
                     f"{lo:.2f}–{hi:.2f}); a larger n settles them.")
    flushes = [a for a in results.recommendation or [] if a.flush_speedup is not None]
    for a in flushes:
        verdict = ("clearly faster: set it when training on such data" if a.flush_advised
                   else "not clearly different here: torch's default is fine")
        notes.append(f"Training on {text(a.dist)}: torch.set_flush_denormal(True) ran "
                     f"{fmt_ratio(a.flush_speedup)} the speed of the same case with denormals "
                     f"kept (torch's default), {verdict}. Gradients through long sequences "
                     "become denormal numbers, on which a CPU's backward pass can crawl.")
    return notes


# This workload's section of the run report (bench/report/pieces.py).
PIECES = ReportPieces(
    section="Batching: padded, packed, bucketed, token budgets",
    tables=(data_table, batching_table, gap_table, recommendation_table),
    charts=(lengths_chart, batching_charts), notes=(batching_notes,),
    findings=(batching_findings,))
