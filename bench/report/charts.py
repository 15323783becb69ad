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

PANEL_WIDTH = 260


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


# One grey for axes and labels that reads on white paper, a light page and a dark page alike,
# so charts need no separate dark theme (which would print light text on white paper).
INK = "#7a7f87"


def finish(chart: alt.TopLevelMixin) -> dict:
    """Shared look: transparent background (the page's colours show through), neutral ink."""
    return (chart.configure(background="transparent")
            .configure_view(stroke=None)
            .configure_axis(labelColor=INK, titleColor=INK, domainColor=INK, tickColor=INK,
                            gridColor=INK, gridOpacity=0.25)
            .configure_legend(labelColor=INK, titleColor=INK)
            .configure_header(labelColor=INK, titleColor=INK)
            .configure_title(color=INK)
            .to_dict())


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
    return Chart("comparison", "Time ratio per case (right of 1: slower)", finish(chart),
                 headline=True)
