"""reports/index.html: every run in a reports folder, newest first, led by the latest run's
findings and the doctor's verdict, so one page answers "what is fastest here, and is it sound?".
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bench.files import write_atomic
from bench.report.fields import case_ok, dig, fmt_when, text
from bench.report.findings import compute_findings
from bench.report.machine import doctor_verdict, machine_line
from bench.report.pages import suite_name
from bench.report.render import render_page
from bench.report.tables import Cell, Table, text_cell

RESULTS_NAME = "results.json"


def _load(path: Path) -> tuple[dict | None, str]:
    """A results document, or None and the one-line reason it cannot be read."""
    from bench.results import ResultsError, load_results

    try:
        return load_results(path), ""
    except ResultsError as exc:
        return None, str(exc)


def _when(doc: dict | None, path: Path) -> str:
    created = dig(doc, "created")
    if isinstance(created, str) and created:
        return created
    stamp = datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.utc)
    return stamp.isoformat(timespec="seconds")


def _report_link(run_dir: Path, reports_dir: Path) -> str:
    page = run_dir / "index.html"
    target = page if page.is_file() else run_dir / RESULTS_NAME
    return target.relative_to(reports_dir).as_posix()


def _entries(reports_dir: Path) -> list[dict[str, Any]]:
    entries = []
    for path in sorted(reports_dir.glob(f"*/{RESULTS_NAME}")):
        doc, problem = _load(path)
        entries.append({"doc": doc, "problem": problem, "when": _when(doc, path),
                        "link": _report_link(path.parent, reports_dir),
                        "name": path.parent.name})
    entries.sort(key=lambda e: e["when"], reverse=True)
    return entries


def _runs_table(entries: list[dict[str, Any]]) -> Table:
    table = Table("runs-table", ["date", "machine", "suite", "headline", "cases", "report"],
                  [False] * 4 + [True, False])
    for entry in entries:
        doc = entry["doc"]
        if doc is None:
            table.rows.append([Cell(fmt_when(entry["when"]), entry["when"]),
                               text_cell(entry["problem"], "bad"),
                               text_cell(None), text_cell(None), Cell("—", None),
                               Cell(entry["link"], entry["name"], "link")])
            continue
        findings = compute_findings(doc)
        cases = [c for c in dig(doc, "cases", default=[]) if isinstance(c, Mapping)]
        table.rows.append([
            Cell(fmt_when(entry["when"]), entry["when"]),
            text_cell(machine_line(dig(doc, "facts", default={}))),
            text_cell(suite_name(doc)), text_cell(findings[0].short if findings else None),
            Cell(f"{sum(map(case_ok, cases))} of {len(cases)}", len(cases)),
            Cell(entry["link"], entry["name"], "link")])
    return table


def update_index(reports_dir: Path) -> Path:
    """Rewrite reports_dir/index.html from the runs found in its subfolders."""
    reports_dir = Path(reports_dir)
    entries = _entries(reports_dir)
    latest = next((e for e in entries if e["doc"] is not None), None)
    context = {
        "title": "rnnbench reports",
        "runs": _runs_table(entries),
        "count": len(entries),
        "latest": None if latest is None else {
            "when": fmt_when(latest["when"]), "link": latest["link"],
            "suite": suite_name(latest["doc"]),
            "machine": machine_line(dig(latest["doc"], "facts", default={})),
            "findings": [f.sentence for f in compute_findings(latest["doc"])],
            "verdict": doctor_verdict(dig(latest["doc"], "doctor", "checks")),
        },
        "folder": text(str(reports_dir)),
    }
    return write_atomic(reports_dir / "index.html",
                        render_page("index.html.j2", context, uses_charts=False))
