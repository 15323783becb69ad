"""Self-contained HTML reports: a run, a comparison of runs, the doctor's checklist, an index.

Pages are rendered from jinja2 templates (autoescaped) with the Vega JavaScript inlined, so each
file works offline and alone. See docs/interfaces.md for how the other parts call these.
"""

from bench.report.index import update_index
from bench.report.pages import render_comparison, render_doctor, render_run_report

__all__ = ["render_comparison", "render_doctor", "render_run_report", "update_index"]
