"""Self-contained HTML reports: a run, a comparison of runs, the doctor's checklist, an index.

Pages are rendered from jinja2 templates (autoescaped) with the Vega JavaScript inlined, so each
file works offline and alone. See docs/interfaces.md for how the other parts call these.
"""

from __future__ import annotations

from typing import Any

__all__ = ["render_comparison", "render_doctor", "render_run_report", "update_index"]


def __getattr__(name: str) -> Any:
    """The page renderers, imported on first use: a worker process imports modules of this
    package (bench.report.section, through the workloads) and has no use for jinja2 and altair,
    which cost about 0.3 s of its start-up."""
    if name == "update_index":
        from bench.report.index import update_index

        return update_index
    if name in ("render_comparison", "render_doctor", "render_run_report"):
        from bench.report import pages

        return getattr(pages, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
