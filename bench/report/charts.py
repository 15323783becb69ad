"""Vega-Lite chart specifications (built with altair) from the measured cases.

Each chart carries its own data; tooltips show the exact value, its 95% CI and the sample count.
Charts are returned as plain dicts so the page can embed them and vl-convert can draw them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import altair as alt

from bench.report.cases import accuracy_curve, epoch_seconds, speed, strategy, suite_cases
from bench.report.fields import (
    case_ci,
    case_metric,
    case_param,
    case_stat,
    dig,
    fmt_interval,
    fmt_percent,
    fmt_seconds,
    fmt_si,
    number,
    text,
)

STRATEGY_ORDER = ["padded", "packed", "bucketed", "bucketed+packed", "ideal"]
SIZE_DIMENSIONS = [("hidden", "hidden size"), ("batch", "batch size"),
                   ("seq_len", "sequence length")]
PANEL_WIDTH = 260


@dataclass(frozen=True)
class Chart:
    """One chart on a page: its title, a slug for file names, and the Vega-Lite spec."""

    slug: str
    title: str
    spec: dict
    headline: bool = False


def _label(case: Mapping, keys: list[str]) -> str:
    return " · ".join(str(case_param(case, k)) for k in keys if case_param(case, k) is not None)


# One grey for axes and labels that reads on white paper, a light page and a dark page alike,
# so charts need no separate dark theme (which would print light text on white paper).
INK = "#7a7f87"


def _finish(chart: alt.TopLevelMixin) -> dict:
    """Shared look: transparent background (the page's colours show through), neutral ink."""
    return (chart.configure(background="transparent")
            .configure_view(stroke=None)
            .configure_axis(labelColor=INK, titleColor=INK, domainColor=INK, tickColor=INK,
                            gridColor=INK, gridOpacity=0.25)
            .configure_legend(labelColor=INK, titleColor=INK)
            .configure_header(labelColor=INK, titleColor=INK)
            .configure_title(color=INK)
            .to_dict())


def batching_chart(results: Mapping) -> Chart | None:
    """Tokens/s per strategy with CI bars, one panel per cell/distribution/mode/device."""
    rows = []
    for case in suite_cases(results, "batching"):
        measured, tokens = speed(case), case_metric(case, "tokens_per_s")
        if measured is None or tokens is None:
            continue
        lo, hi = measured[1] or (tokens, tokens)
        rows.append({
            "strategy": text(strategy(case)),
            "panel": _label(case, ["cell", "distribution", "mode", "device", "dtype"]) or "all",
            "tokens_per_s": tokens, "lo": lo, "hi": hi,
            "ci": fmt_interval(measured[1], lambda x: fmt_si(x, "tok/s")),
            "n": int(case_stat(case, "n") or 0),
            "speedup": text(case_metric(case, "speedup_vs_padded")),
            "padding_efficiency": fmt_percent(case_metric(case, "padding_efficiency")),
        })
    if not rows:
        return None
    order = [s for s in STRATEGY_ORDER if any(r["strategy"] == s for r in rows)]
    order += sorted({r["strategy"] for r in rows} - set(order))
    tooltip = [alt.Tooltip("strategy:N"), alt.Tooltip("panel:N", title="setting"),
               alt.Tooltip("tokens_per_s:Q", title="tokens/s", format=",.0f"),
               alt.Tooltip("ci:N", title="95% CI"), alt.Tooltip("n:Q", title="samples"),
               alt.Tooltip("padding_efficiency:N", title="padding efficiency")]
    base = alt.Chart().encode(y=alt.Y("strategy:N", sort=order, title=None))
    bars = base.mark_bar().encode(
        x=alt.X("tokens_per_s:Q", title="real tokens per second"),
        color=alt.Color("strategy:N", sort=order, legend=None), tooltip=tooltip)
    whiskers = base.mark_rule(strokeWidth=2, color="#888").encode(x="lo:Q", x2="hi:Q",
                                                                  tooltip=tooltip)
    chart = alt.layer(bars, whiskers, data=alt.Data(values=rows)).properties(
        width=PANEL_WIDTH, height=alt.Step(18)).facet(
        facet=alt.Facet("panel:N", title=None), columns=2).resolve_scale(x="independent")
    return Chart("batching", "Tokens per second by batching strategy (bars: median, "
                 "lines: 95% CI)", _finish(chart), headline=True)


def _kernel_row(case: Mapping, dimension: str) -> dict[str, Any] | None:
    median, x = case_stat(case, "median_s"), number(case_param(case, dimension))
    if median is None or x is None:
        return None
    ci = case_ci(case)
    return {
        dimension: x, "median_s": median, "lo": ci[0] if ci else median,
        "hi": ci[1] if ci else median, "ci": fmt_interval(ci, fmt_seconds),
        "time": fmt_seconds(median), "n": int(case_stat(case, "n") or 0),
        "series": _label(case, ["cell", "impl"]) or "case",
        "panel": _label(case, ["device", "dtype", "mode"]) or "all",
        "flops": fmt_si(case_metric(case, "flops_per_s"), "FLOP/s"),
        "peak": fmt_percent(case_metric(case, "peak_fraction")),
    }


def kernel_scaling_chart(results: Mapping, dimension: str, title: str) -> Chart | None:
    """Median time against one size dimension, the others held at their most common value."""
    cases = suite_cases(results, "kernels")
    if len({case_param(c, dimension) for c in cases}) < 2:
        return None
    others = [d for d, _ in SIZE_DIMENSIONS + [("layers", "")] if d != dimension]
    common = {d: Counter(text(case_param(c, d)) for c in cases).most_common(1)[0][0]
              for d in others}
    held = [c for c in cases if all(text(case_param(c, d)) == v for d, v in common.items())]
    rows = [r for r in (_kernel_row(c, dimension) for c in held) if r]
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
                 f"{'; ' + held_text if held_text else ''})", _finish(chart),
                 headline=dimension == "hidden")


def kernel_cell_chart(results: Mapping) -> Chart | None:
    """Tokens/s by cell and implementation, for runs without a size grid."""
    rows = []
    for case in suite_cases(results, "kernels"):
        measured, tokens = speed(case), case_metric(case, "tokens_per_s")
        if measured is None or tokens is None:
            continue
        rows.append({"series": _label(case, ["cell", "impl"]) or "case",
                     "panel": _label(case, ["device", "dtype", "mode", "hidden", "batch"]),
                     "tokens_per_s": tokens,
                     "ci": fmt_interval(measured[1], lambda x: fmt_si(x, "tok/s")),
                     "n": int(case_stat(case, "n") or 0),
                     "peak": fmt_percent(case_metric(case, "peak_fraction"))})
    if not rows:
        return None
    chart = alt.Chart(alt.Data(values=rows)).mark_bar().encode(
        y=alt.Y("series:N", title=None), x=alt.X("tokens_per_s:Q", title="tokens per second"),
        color=alt.Color("series:N", legend=None),
        tooltip=[alt.Tooltip("series:N"), alt.Tooltip("panel:N", title="setting"),
                 alt.Tooltip("tokens_per_s:Q", title="tokens/s", format=",.0f"),
                 alt.Tooltip("ci:N", title="95% CI"), alt.Tooltip("n:Q", title="samples"),
                 alt.Tooltip("peak:N", title="of peak")],
    ).properties(width=PANEL_WIDTH, height=alt.Step(18)).facet(
        facet=alt.Facet("panel:N", title=None), columns=2).resolve_scale(y="independent")
    return Chart("kernels-cells", "Tokens per second by cell and implementation", _finish(chart),
                 headline=True)


def train_chart(results: Mapping) -> Chart | None:
    """Test accuracy against wall time per model and strategy."""
    rows = []
    for case in suite_cases(results, "train"):
        series = _label(case, ["model", "strategy", "device"]) or text(dig(case, "id"))
        points = accuracy_curve(case)
        if not points:
            final = (epoch_seconds(case), case_metric(case, "final_accuracy"))
            epochs = number(case_metric(case, "epochs")) or 1
            points = [(final[0] * epochs, final[1])] if None not in final else []
        for epoch, (wall, accuracy) in enumerate(points, start=1):
            rows.append({"series": series, "wall_s": wall, "accuracy": accuracy,
                         "epoch": epoch, "time": fmt_seconds(wall),
                         "acc": fmt_percent(accuracy)})
    if not rows:
        return None
    chart = alt.Chart(alt.Data(values=rows)).mark_line(point=True).encode(
        x=alt.X("wall_s:Q", title="wall time (s)"),
        y=alt.Y("accuracy:Q", title="test accuracy", axis=alt.Axis(format="%")),
        color=alt.Color("series:N", title="model · strategy"),
        tooltip=[alt.Tooltip("series:N", title="model · strategy"),
                 alt.Tooltip("epoch:Q"), alt.Tooltip("time:N", title="wall time"),
                 alt.Tooltip("acc:N", title="test accuracy")],
    ).properties(width=2 * PANEL_WIDTH, height=240)
    return Chart("train", "Test accuracy against wall time", _finish(chart))


def run_charts(results: Mapping) -> dict[str, list[Chart]]:
    """All charts of a run report, by section."""
    kernels = [kernel_scaling_chart(results, d, t) for d, t in SIZE_DIMENSIONS]
    kernels = [c for c in kernels if c] or [kernel_cell_chart(results)]
    return {"batching": [c for c in [batching_chart(results)] if c],
            "kernels": [c for c in kernels if c],
            "train": [c for c in [train_chart(results)] if c]}


def comparison_chart(rows: list[dict[str, Any]]) -> Chart | None:
    """New/base time ratio per case, coloured by whether the difference is real."""
    data = [r for r in rows if number(r.get("ratio")) is not None]
    if not data:
        return None
    chart = alt.Chart(alt.Data(values=data)).mark_point(filled=True, size=60).encode(
        x=alt.X("ratio:Q", title="new time / base time (log)", scale=alt.Scale(type="log")),
        y=alt.Y("id:N", title=None, sort="-x"),
        color=alt.Color("verdict:N", title="verdict",
                        scale=alt.Scale(domain=["faster", "same", "slower"],
                                        range=["#2a9d3a", "#888888", "#d3302f"])),
        tooltip=[alt.Tooltip("id:N", title="case"), alt.Tooltip("pair:N", title="runs"),
                 alt.Tooltip("base:N", title="base median"),
                 alt.Tooltip("new:N", title="new median"),
                 alt.Tooltip("ratio:Q", title="new / base", format=".3f"),
                 alt.Tooltip("verdict:N"), alt.Tooltip("real:N", title="real difference"),
                 alt.Tooltip("p:N", title="p (rank test)")],
    ).properties(width=2 * PANEL_WIDTH, height=alt.Step(16))
    return Chart("comparison", "Time ratio per case (right of 1: slower)", _finish(chart),
                 headline=True)
