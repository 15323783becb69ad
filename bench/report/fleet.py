"""The fleet page: a node × check matrix with each problem's fix one click away, configuration
drift in sentences, performance outliers with their ratio and CI, and each node's run report.

Links are relative to the page and URL-quoted, so the fleet folder can be moved or served as
it is; a node's report with no relative path to the page (another drive) is not linked.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from bench.files import write_atomic
from bench.fleet.merge import FleetView
from bench.fleet.nodes import NodeRecord
from bench.report.fields import fmt_seconds
from bench.report.pages import render_run_report
from bench.report.render import render_page
from bench.report.tables import Cell, Table, text_cell
from provision.fix import as_script

SYMBOLS = {"pass": "✓", "warn": "!", "fail": "✗", "skip": "–"}


@dataclass(frozen=True)
class MatrixCell:
    status: str  # pass | warn | fail | skip | none (the node did not run this check)
    symbol: str
    summary: str = ""
    detail: str = ""
    fix: str = ""


@dataclass(frozen=True)
class MatrixRow:
    node: str
    problem: str | None
    cells: list[MatrixCell]
    report: str | None


def relative_link(target: str | None, page: Path) -> str | None:
    """`target` as a URL-quoted path relative to the page's folder; None when not possible."""
    if not target:
        return None
    try:
        relative = os.path.relpath(Path(target).resolve(), Path(page).resolve().parent)
    except ValueError:  # another drive: no relative path exists
        return None
    return quote(Path(relative).as_posix())


@dataclass(frozen=True)
class MatrixColumn:
    check_id: str
    fails: int
    warns: int


def columns(view: FleetView) -> list[MatrixColumn]:
    """The checks as the grid's columns: those that fail somewhere first (most failing nodes
    first), then those that warn, then the rest, each in the order the nodes list them, so a
    problem is on screen without scrolling."""
    fails: Counter[str] = Counter()
    warns: Counter[str] = Counter()
    for node in view.nodes:  # one pass: a fleet of thousands of nodes stays linear
        for check in node.checks:
            if check.status == "fail":
                fails[check.id] += 1
            elif check.status == "warn":
                warns[check.id] += 1
    found = [MatrixColumn(i, fails[i], warns[i]) for i in view.check_ids]
    return sorted(found, key=lambda c: (-c.fails, -c.warns))


def matrix(view: FleetView, page: Path, order: list[MatrixColumn]) -> list[MatrixRow]:
    rows = []
    check_ids = [c.check_id for c in order]  # once: per node, it made the page quadratic
    for node in view.nodes:
        by_id = {c.id: c for c in node.checks}
        cells = []
        for check_id in check_ids:
            check = by_id.get(check_id)
            if check is None:
                cells.append(MatrixCell("none", ""))
            else:
                cells.append(MatrixCell(check.status, SYMBOLS[check.status], check.summary,
                                        check.detail, as_script(check.fixes, check.because)))
        rows.append(MatrixRow(node.name, node.problem, cells, relative_link(node.report, page)))
    return rows


def outliers_table(view: FleetView) -> Table:
    table = Table("fleet-outliers", ["node", "measure", "ratio to siblings", "95% CI of ratio",
                                     "node median", "siblings' median", "siblings"],
                  [False, False, True, False, True, True, True])
    for o in view.outliers:
        table.rows.append([text_cell(o.node), text_cell(o.measure, "wrap"),
                           Cell(f"{o.ratio:.2f}×", o.ratio),
                           Cell(f"{o.ratio_ci[0]:.2f}–{o.ratio_ci[1]:.2f}×", o.ratio_ci[0]),
                           Cell(fmt_seconds(o.median_s), o.median_s),
                           Cell(fmt_seconds(o.siblings_median_s), o.siblings_median_s),
                           Cell(str(o.siblings), o.siblings)])
    return table


def summary_sentence(view: FleetView) -> str:
    nodes = view.nodes
    answered = [n for n in nodes if n.ok]
    failing = [n for n in answered if n.failed_checks]
    missing = len(nodes) - len(answered)
    return (f"{len(answered)} of {len(nodes)} nodes answered; {len(failing)} fail a check, "
            f"{missing} could not be read or reached, {len(view.drift)} drifting fact value(s), "
            f"{len({o.node for o in view.outliers})} performance outlier node(s).")


def render_node_reports(nodes: list[NodeRecord]) -> None:
    """Each results node's own run report, next to its results.json, where none is yet."""
    for node in nodes:
        if node.results is None or not node.source or node.report:
            continue
        page = Path(node.source).with_name("index.html")
        try:
            node.report = str(render_run_report(node.results, page))
        except Exception:  # noqa: BLE001 -- one node's broken page must not lose the fleet page
            node.report = None


def render_fleet(view: FleetView, out_html: Path, title: str = "rnnbench fleet") -> Path:
    """Write the fleet page; return its path."""
    out_html = Path(out_html)
    order = columns(view)
    context = {
        "title": title,
        "summary": summary_sentence(view),
        "columns": order,
        "rows": matrix(view, out_html, order),
        "drift": [d.sentence for d in view.drift],
        "outliers": outliers_table(view),
        "outlier_sentences": [o.sentence for o in view.outliers],
        "groups": view.groups,
        "threshold": f"{view.threshold:.0%}",
        "failing": view.exit_code != 0,
    }
    return write_atomic(out_html, render_page("fleet.html.j2", context, uses_charts=False))
