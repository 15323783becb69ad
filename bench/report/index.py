"""reports/index.html: every run in a reports folder, newest first, led by the latest run's
findings and the doctor's verdict, so one page answers "what is fastest here, and is it sound?".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bench.files import write_atomic
from bench.report.fields import dig, fmt_when, text
from bench.report.findings import compute_findings
from bench.report.machine import doctor_verdict, machine_line
from bench.report.pages import suite_name
from bench.report.render import render_page
from bench.report.tables import Cell, Table, text_cell
from bench.results import ResultsError, RunResults, read_results

RESULTS_NAME = "results.json"


def _load(path: Path) -> tuple[RunResults | None, str]:
    """A run's records, or None and the one-line reason its file cannot be read."""
    try:
        return read_results(path), ""
    except ResultsError as exc:
        return None, str(exc)


def _when(run: RunResults | None, path: Path) -> str:
    if run is not None and run.created:
        return run.created
    stamp = datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.utc)
    return stamp.isoformat(timespec="seconds")


def _report_link(run_dir: Path, reports_dir: Path) -> str:
    page = run_dir / "index.html"
    target = page if page.is_file() else run_dir / RESULTS_NAME
    return target.relative_to(reports_dir).as_posix()


@dataclass(frozen=True)
class _Entry:
    """One run folder: its records (None when unreadable, with the reason), when and where."""

    run: RunResults | None
    problem: str
    when: str
    link: str
    name: str


def _entries(reports_dir: Path) -> list[_Entry]:
    entries = []
    for path in sorted(reports_dir.glob(f"*/{RESULTS_NAME}")):
        run, problem = _load(path)
        entries.append(_Entry(run, problem, _when(run, path),
                              _report_link(path.parent, reports_dir), path.parent.name))
    entries.sort(key=lambda e: e.when, reverse=True)
    return entries


def _runs_table(entries: list[_Entry]) -> Table:
    table = Table("runs-table", ["date", "machine", "suite", "headline", "cases", "report"],
                  [False] * 4 + [True, False])
    for entry in entries:
        run = entry.run
        if run is None:
            table.rows.append([Cell(fmt_when(entry.when), entry.when),
                               text_cell(entry.problem, "bad"),
                               text_cell(None), text_cell(None), Cell("—", None),
                               Cell(entry.link, entry.name, "link")])
            continue
        findings = compute_findings(run)
        table.rows.append([
            Cell(fmt_when(entry.when), entry.when),
            text_cell(machine_line(run.facts)),
            text_cell(suite_name(run)), text_cell(findings[0].short if findings else None),
            Cell(f"{len(run.ok_cases)} of {len(run.cases)}", len(run.cases)),
            Cell(entry.link, entry.name, "link")])
    return table


def _latest(entry: _Entry) -> dict[str, Any]:
    """The newest readable run, for the head of the page."""
    run = entry.run
    return {"when": fmt_when(entry.when), "link": entry.link, "suite": suite_name(run),
            "machine": machine_line(run.facts),
            "findings": [f.sentence for f in compute_findings(run)],
            "verdict": doctor_verdict(dig(run.doctor, "checks"))}


def update_index(reports_dir: Path) -> Path:
    """Rewrite reports_dir/index.html from the runs found in its subfolders."""
    reports_dir = Path(reports_dir)
    entries = _entries(reports_dir)
    latest = next((e for e in entries if e.run is not None), None)
    context = {
        "title": "rnnbench reports",
        "runs": _runs_table(entries),
        "count": len(entries),
        "latest": None if latest is None else _latest(latest),
        "folder": text(str(reports_dir)),
    }
    return write_atomic(reports_dir / "index.html",
                        render_page("index.html.j2", context, uses_charts=False))
