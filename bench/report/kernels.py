"""The kernels workload's part of the run report: its table, its charts, the matmul peaks its
fractions of peak are relative to, and its findings.

Its pieces are `PIECES` at the end, named by the workload in bench/workloads/kernels.py.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import altair as alt

from bench.report.cases import fastest, group_by, setting, speed, workload_cases
from bench.report.charts import PANEL_WIDTH, Chart, bars_chart, finish, label
from bench.report.fields import (
    fmt_bytes,
    fmt_count,
    fmt_interval,
    fmt_percent,
    fmt_seconds,
    fmt_si,
    number,
    text,
)
from bench.report.section import ReportPieces
from bench.report.sentences import Finding, Rank, fmt_times, largest_speedup, short_times, where
from bench.report.tables import (
    SPEED_COLUMNS,
    TIMING_COLUMNS,
    Table,
    labels,
    mark_fastest,
    num_cell,
    numeric_params,
    param_cell,
    param_columns,
    speed_cells,
    timing_cells,
)
from bench.results import CaseResult, RunResults

WORKLOAD = "kernels"
PEAK_WORKLOAD = "matmul"  # the helper workload whose fastest size is each kernel's peak
SIZE_DIMENSIONS = [("hidden", "hidden size"), ("batch", "batch size"),
                   ("seq_len", "sequence length")]


# ------------------------------------------------------------------------------ table
def kernels_table(results: RunResults) -> Table | None:
    cases = workload_cases(results, WORKLOAD)
    if not cases:
        return None
    params, constants = param_columns(cases, always=("cell",))
    table = Table("kernels-table", labels(params) + SPEED_COLUMNS + [
                      "FLOP/s", "of GEMM ceiling", "of matmul peak", "peak memory"]
                  + TIMING_COLUMNS,
                  numeric_params(cases, params) + [True] * 6 + [True, True, True, False],
                  constants=constants)
    for case in cases:
        table.rows.append([param_cell(case, k) for k in params] + speed_cells(case) + [
            num_cell(case.metrics.flops_per_s, lambda x: fmt_si(x, "FLOP/s")),
            num_cell(case.metrics.ceiling_fraction,
                     lambda x, c=case: _with_interval(x, c.metrics.ceiling_fraction_ci)),
            num_cell(case.metrics.peak_fraction, fmt_percent),
            num_cell(case.metrics.peak_memory_bytes, fmt_bytes),
        ] + timing_cells(case))
    table.row_ids, table.param_count = [c.id for c in cases], len(params)
    table.brief = labels(params) + [*SPEED_COLUMNS, "of GEMM ceiling"]
    mark_fastest(table, cases, list(group_by(cases, ["cell", "impl"]).values()),
                 "★ fastest cell and implementation of its setting")
    return table


def _with_interval(fraction: float, interval: tuple[float, float] | None) -> str:
    if not interval:
        return fmt_percent(fraction)
    return f"{fmt_percent(fraction)} [{fmt_percent(interval[0])}, {fmt_percent(interval[1])}]"


# ------------------------------------------------------------------------------ notes
def peak_notes(results: RunResults) -> list[str]:
    """What the kernels are measured against: the GEMM ceiling at each case's own shapes, and
    the square-matmul peaks kept as context (one sentence per device, dtype and TF32 state)."""
    notes = []
    if any(c.metrics.ceiling_fraction is not None for c in workload_cases(results, WORKLOAD)):
        notes.append("The GEMM ceiling of a kernel case is the matrix products its layers must "
                     "do, at its own sizes and precision, with nothing around them (per layer "
                     "one input GEMM over all steps and one recurrent GEMM per step; in training "
                     "also the gradients' GEMMs), timed in the same rounds. Its fraction is the "
                     "median over rounds of ceiling time / kernel time, with its 95% CI; the "
                     "rest of a kernel's time is spent outside the products.")
    groups: dict[tuple, list[CaseResult]] = {}
    for case in workload_cases(results, PEAK_WORKLOAD):
        tf32 = case.metrics.tf32 if case.metrics.tf32 is not None else case.param("tf32")
        groups.setdefault((case.device, case.dtype, tf32), []).append(case)
    for (device, dtype, tf32), cases in groups.items():
        settings = ", ".join(text(v) for v in (device, dtype) if v)
        if tf32 is not None:
            settings += ", TF32 " + ("on" if tf32 else "off")
        rated = [(number(c.metrics.flops_per_s), c.param("n")) for c in cases]
        rated = [(flops, n) for flops, n in rated if flops is not None]
        if not rated:
            continue
        best, best_n = max(rated, key=lambda r: r[0])
        sizes = ", ".join(f"n={n}: {fmt_si(flops, 'FLOP/s')}" for flops, n in rated)
        notes.append(f"Matmul peak measured in this run ({settings}): {fmt_si(best, 'FLOP/s')} "
                     f"at n={best_n}, the fastest of {sizes}; the fractions of peak are "
                     "relative to it. It is context only: a kernel's small GEMMs can run "
                     "faster than a large square one when they fit in cache.")
    return notes


# ------------------------------------------------------------------------------ charts
def _scaling_row(case: CaseResult, dimension: str) -> dict[str, Any] | None:
    median, x = number(case.stats.median_s), number(setting(case, dimension))
    if median is None or x is None:
        return None
    ci = case.stats.ci95_s
    return {
        dimension: x, "median_s": median, "lo": number(ci[0]) if ci else median,
        "hi": number(ci[1]) if ci else median, "ci": fmt_interval(ci, fmt_seconds),
        "time": fmt_seconds(median), "n": int(case.stats.n or 0),
        "series": label(case, ["cell", "impl"]) or "case",
        "panel": label(case, ["device", "dtype", "mode"]) or "all",
        "flops": fmt_si(case.metrics.flops_per_s, "FLOP/s"),
        "peak": fmt_percent(case.metrics.peak_fraction),
    }


def scaling_chart(results: RunResults, dimension: str, title: str) -> Chart | None:
    """Median time against one size dimension, the others held at their most common value."""
    cases = workload_cases(results, WORKLOAD)
    if len({setting(c, dimension) for c in cases}) < 2:
        return None
    others = [d for d, _ in SIZE_DIMENSIONS + [("layers", "")] if d != dimension]
    common = {d: Counter(text(setting(c, d)) for c in cases).most_common(1)[0][0]
              for d in others}
    held = [c for c in cases if all(text(setting(c, d)) == v for d, v in common.items())]
    rows = [r for r in (_scaling_row(c, dimension) for c in held) if r]
    if len(rows) < 2:
        return None
    tooltip = [alt.Tooltip("series:N", title="cell · impl"), alt.Tooltip("panel:N",
                                                                         title="setting"),
               alt.Tooltip(f"{dimension}:Q", title=title), alt.Tooltip("time:N", title="median"),
               alt.Tooltip("median_s:Q", title="median (s)", format=".4g"),
               alt.Tooltip("ci:N", title="95% CI"), alt.Tooltip("n:Q", title="samples"),
               alt.Tooltip("flops:N", title="achieved"), alt.Tooltip("peak:N",
                                                                     title="of peak")]
    ticks = sorted({r[dimension] for r in rows})
    x = alt.X(f"{dimension}:Q", title=title, scale=alt.Scale(type="log", base=2),
              axis=alt.Axis(values=ticks, format="d"))
    base = alt.Chart().encode(x=x, color=alt.Color("series:N", title="cell · impl"))
    lines = base.mark_line(point=True).encode(
        y=alt.Y("median_s:Q", title="median time per step (s)", scale=alt.Scale(type="log")),
        tooltip=tooltip)
    bands = base.mark_rule().encode(y="lo:Q", y2="hi:Q", tooltip=tooltip)
    held_text = ", ".join(f"{d} {v}" for d, v in common.items() if v != "—")
    chart = alt.layer(lines, bands, data=alt.Data(values=rows)).properties(
        width=PANEL_WIDTH, height=200).facet(facet=alt.Facet("panel:N", title=None), columns=2)
    return Chart(f"kernels-{dimension}", f"Time per step against {title} (log scales"
                 f"{'; ' + held_text if held_text else ''})", finish(chart),
                 headline=dimension == "hidden")


def cell_chart(results: RunResults) -> Chart | None:
    """Tokens/s by cell and implementation with 95% CIs, for runs without a size grid; the
    fastest of each panel marked."""
    cases = workload_cases(results, WORKLOAD)
    best = {id(fastest(group)) for group in group_by(cases, ["cell", "impl"]).values()
            if len(group) > 1}
    rows = []
    for case in cases:
        measured, tokens = speed(case), number(case.metrics.tokens_per_s)
        if measured is None or tokens is None:
            continue
        lo, hi = measured[1] or (tokens, tokens)
        rows.append({"series": label(case, ["cell", "impl"]) or "case",
                     "panel": label(case, ["device", "dtype", "mode", "hidden", "batch"]),
                     "tokens_per_s": tokens, "lo": lo, "hi": hi,
                     "ci": fmt_interval(measured[1], fmt_count),
                     "n": int(case.stats.n or 0),
                     "mark": "★ fastest" if id(case) in best else ""})
    if not rows:
        return None
    order = list(dict.fromkeys(r["series"] for r in rows))
    return Chart("kernels-cells", "Tokens per second by cell and implementation (bars: "
                 "median, lines: 95% CI; ★ the fastest)",
                 finish(bars_chart(rows, "series", order, "tokens per second")), headline=True)


def kernels_charts(results: RunResults) -> list[Chart]:
    """Time against each size that varies; without a size grid, tokens/s by cell."""
    charts = [scaling_chart(results, d, t) for d, t in SIZE_DIMENSIONS]
    charts = [c for c in charts if c] or [cell_chart(results)]
    return [c for c in charts if c]


# ------------------------------------------------------------------------------ findings
def impl_finding(results: RunResults) -> list[Finding]:
    """The library kernel against rnnkit's hand-written loop, on the same settings."""
    best = largest_speedup(group_by(workload_cases(results, WORKLOAD), ["impl"]).values(),
                           lambda c: c.param("impl") == "torch",
                           lambda c: c.param("impl") == "loop")
    if best is None:
        return []
    ratio, case = best
    kernel = "cuDNN" if str(setting(case, "device")).startswith("cuda") else "torch"
    return [Finding(f"The {kernel} kernel is {fmt_times(ratio)} faster than rnnkit's "
                    f"hand-written loop for {where(case, with_distribution=False)}.",
                    f"{kernel} {short_times(ratio)} loop", Rank.IMPLEMENTATION)]


# Below this fraction of its GEMM ceiling a kernel spends most of its time outside the products.
DISPATCH_BOUND = 0.8


def ceiling_finding(results: RunResults) -> list[Finding]:
    """Where the time outside the GEMMs, not the arithmetic, sets a kernel's speed: the case
    furthest below its ceiling, with the time it spends per step outside the products."""
    rated = [c for c in workload_cases(results, WORKLOAD)
             if c.metrics.ceiling_fraction is not None and c.stats.median_s]
    if not rated:
        return []
    worst = min(rated, key=lambda c: c.metrics.ceiling_fraction)
    best = max(rated, key=lambda c: c.metrics.ceiling_fraction)
    fraction = worst.metrics.ceiling_fraction
    if fraction >= DISPATCH_BOUND:
        return [Finding(f"Every kernel runs at {fmt_percent(fraction)} or more of the GEMM "
                        "ceiling at its own shapes: arithmetic, not dispatch, sets their speed.",
                        "kernels at their GEMM ceiling", Rank.PEAK)]
    steps = (number(worst.param("seq_len")) or 1) * (number(worst.param("layers")) or 1)
    outside = number(worst.stats.median_s) * (1 - fraction) / steps
    return [Finding(f"The {where(worst, with_distribution=False)} ({text(worst.param('impl'))}, "
                    f"hidden {text(worst.param('hidden'))}) reaches "
                    f"{fmt_percent(fraction)} of the GEMM ceiling at its own shapes (the best "
                    f"case {fmt_percent(best.metrics.ceiling_fraction)}): about "
                    f"{fmt_seconds(outside)} per step go to what runs between the matrix "
                    "products (dispatch of small operations, gate arithmetic, copies), so "
                    "dispatch, not arithmetic, sets its speed.",
                    f"{fmt_percent(fraction)} of GEMM ceiling", Rank.PEAK)]


def ceiling_notes(results: RunResults) -> list[str]:
    """The ceiling finding in the section too, where the list of findings has no room for it."""
    return [f.sentence for f in ceiling_finding(results)]


def peak_finding(results: RunResults) -> list[Finding]:
    """The highest achieved FLOP/s and how close it came to the measured matmul peak."""
    rated = [c for c in workload_cases(results, WORKLOAD) if c.metrics.flops_per_s]
    if not rated:
        return []
    best = max(rated, key=lambda c: c.metrics.flops_per_s)
    flops = fmt_si(best.metrics.flops_per_s, "FLOP/s")
    sentence = (f"The best kernel achieves {flops} "
                f"({where(best, with_distribution=False)}, hidden {best.param('hidden')}")
    fraction = best.metrics.peak_fraction
    sentence += (f"), {fmt_percent(fraction)} of the matmul peak measured in the same run."
                 if fraction is not None else ").")
    return [Finding(sentence, f"{flops} best kernel", Rank.PEAK)]


# This workload's section of the run report (bench/report/pieces.py).
PIECES = ReportPieces(
    section="Kernels: RNN, GRU, LSTM", tables=(kernels_table,), charts=(kernels_charts,),
    notes=(peak_notes, ceiling_notes), findings=(impl_finding, ceiling_finding, peak_finding))
