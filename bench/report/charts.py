"""Vega-Lite chart specifications (built with altair): the shared look and the comparison chart.

Each chart carries its own data; tooltips show the exact value, its 95% CI and the sample count.
Charts are returned as plain dicts so the page can embed them and vl-convert can draw them. Each
workload's charts are in its report module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import altair as alt

from bench.report.cases import setting
from bench.report.fields import number
from bench.results import CaseResult

PANEL_WIDTH = 400


@dataclass(frozen=True)
class Chart:
    """One chart on a page: its title, a slug for file names, and the Vega-Lite spec."""

    slug: str
    title: str
    spec: dict
    headline: bool = False


def label(case: CaseResult, keys: list[str]) -> str:
    """The case's values of `keys`, joined: a chart's series or panel name."""
    return " · ".join(str(setting(case, k)) for k in keys if setting(case, k) is not None)


def bars_chart(rows: list[dict[str, Any]], series: str, order: list[str],
               title: str) -> alt.TopLevelMixin:
    """Horizontal bars of `tokens_per_s` per `series` with 95% CI whiskers (`lo`, `hi`), one
    panel per `panel`, every panel on one x-scale (bars compare across panels) and with only
    its own rows (no empty row where a panel lacks a series); a row's `mark` is written at the
    end of its whisker (the fastest)."""
    tooltip = [alt.Tooltip(f"{series}:N"), alt.Tooltip("panel:N", title="setting"),
               alt.Tooltip("tokens_per_s:Q", title="tokens/s", format=",.0f"),
               alt.Tooltip("ci:N", title="95% CI"), alt.Tooltip("n:Q", title="samples")]
    base = alt.Chart().encode(y=alt.Y(f"{series}:N", sort=order, title=None))
    bars = base.mark_bar().encode(
        x=alt.X("tokens_per_s:Q", title=title, axis=alt.Axis(format="~s")),
        color=alt.Color(f"{series}:N", sort=order, legend=None), tooltip=tooltip)
    whiskers = base.mark_rule(strokeWidth=2, color=INK).encode(x="lo:Q", x2="hi:Q",
                                                               tooltip=tooltip)
    marks = base.mark_text(align="left", dx=4, fontSize=12, fontWeight="bold",
                           color=INK).encode(x="hi:Q", text="mark:N")
    return alt.layer(bars, whiskers, marks, data=alt.Data(values=rows)).properties(
        width=PANEL_WIDTH, height=alt.Step(22)).facet(
        facet=alt.Facet("panel:N", title=None), columns=2).resolve_scale(y="independent")


# One grey for axes and labels that reads on white paper, a light page and a dark page alike,
# so charts need no separate dark theme (which would print light text on white paper).
INK = "#7a7f87"


def finish(chart: alt.TopLevelMixin) -> dict:
    """Shared look: transparent background (the page's colours show through), neutral ink,
    labels large enough to read beside the page's text."""
    return (chart.configure(background="transparent")
            .configure_view(stroke=None)
            .configure_axis(labelColor=INK, titleColor=INK, domainColor=INK, tickColor=INK,
                            gridColor=INK, gridOpacity=0.25, labelFontSize=12,
                            titleFontSize=12)
            .configure_legend(labelColor=INK, titleColor=INK, labelFontSize=12,
                              titleFontSize=12)
            .configure_header(labelColor=INK, titleColor=INK, labelFontSize=13,
                              titleFontSize=13)
            .configure_title(color=INK)
            .to_dict())


VERDICT_COLOURS = {"faster": "#2a9d3a", "same": "#6b7280", "uncertain": "#c98a00",
                   "slower": "#d3302f"}
VERDICT_SHAPES = {"faster": "triangle-left", "same": "circle", "uncertain": "diamond",
                  "slower": "triangle-right"}


def ratio_domain(points: list[dict[str, Any]], threshold: float) -> tuple[float, float]:
    """A log axis fitted to the points, their intervals and the threshold band around 1, with
    a little room on both sides, so no mark sits on the edge and none is clipped."""
    values = [v for p in points for v in (p.get("ratio"), p.get("lo"), p.get("hi"))
              if number(v) is not None and v > 0]
    low = min(values + [1 / (1 + threshold)])
    high = max(values + [1 + threshold])
    pad = (high / low) ** 0.04
    return low / pad, high * pad


def comparison_chart(points: list[dict[str, Any]], threshold: float = 0.05) -> Chart | None:
    """New/base time ratio per case with its 95% CI, coloured and shaped by verdict (every
    verdict drawn), on a log axis fitted to the data; the band is the threshold around 1.
    Cases in one run only are named at the left edge. Labels are the settings that tell the
    cases apart, not their ids."""
    measured = [p for p in points if number(p.get("ratio")) is not None]
    if not measured:
        return None
    low, high = ratio_domain(measured, threshold)
    order = list(dict.fromkeys(p["label"] for p in points))
    scale = alt.Scale(type="log", domain=[low, high], nice=False)
    y = alt.Y("label:N", sort=order, title=None,
              axis=alt.Axis(labelLimit=320, labelFontSize=12))
    verdicts = list(VERDICT_COLOURS)
    colour = alt.Color("verdict:N", title="verdict", legend=alt.Legend(orient="bottom", columns=2),
                       scale=alt.Scale(domain=verdicts, range=list(VERDICT_COLOURS.values())))
    shape = alt.Shape("verdict:N", scale=alt.Scale(domain=verdicts,
                                                   range=list(VERDICT_SHAPES.values())))
    tooltip = [alt.Tooltip("label:N", title="case"), alt.Tooltip("id:N", title="id"),
               alt.Tooltip("pair:N", title="runs"), alt.Tooltip("base:N", title="base median"),
               alt.Tooltip("new:N", title="new median"),
               alt.Tooltip("ratio:Q", title="ratio", format=".3f"),
               alt.Tooltip("ci:N", title="95% CI"), alt.Tooltip("verdict:N"),
               alt.Tooltip("p:N", title="p")]
    band = alt.Chart(alt.Data(values=[{"lo": 1 / (1 + threshold), "hi": 1 + threshold}])
                     ).mark_rect(opacity=0.12, color=INK).encode(
        x=alt.X("lo:Q", scale=scale), x2="hi:Q")
    one = alt.Chart(alt.Data(values=[{"x": 1.0}])).mark_rule(color=INK).encode(
        x=alt.X("x:Q", scale=scale))
    cases = alt.Chart(alt.Data(values=points)).encode(y=y)
    whiskers = cases.transform_filter("isValid(datum.lo) && isValid(datum.hi)").mark_rule(
        strokeWidth=2).encode(x=alt.X("lo:Q", scale=scale), x2="hi:Q", color=colour,
                              tooltip=tooltip)
    marks = cases.transform_filter("isValid(datum.ratio)").mark_point(
        filled=True, size=90, opacity=1).encode(
        x=alt.X("ratio:Q", scale=scale, title="new / base time (log)",
                axis=alt.Axis(labelFontSize=12, titleFontSize=12)),
        color=colour, shape=shape, tooltip=tooltip)
    missing = cases.transform_filter("!isValid(datum.ratio)").mark_text(
        align="left", color=VERDICT_COLOURS["slower"], fontSize=12).encode(
        x=alt.value(4), text=alt.value("in one run only"), tooltip=tooltip)
    chart = alt.layer(band, one, whiskers, marks, missing).properties(
        width=560, height=alt.Step(22))
    return Chart("comparison", "Time ratio per case, new / base, with its 95% CI (right of 1: "
                 "slower; shaded band: within the threshold)",
                 finish(chart), headline=True)
