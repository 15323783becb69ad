"""reports/index.html: every run in a reports folder, newest first, led by the latest run's
findings and the doctor's verdict, so one page answers "what is fastest here, and is it sound?".
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bench.files import write_atomic
from bench.report.fields import dig, fmt_when, text
from bench.report.findings import compute_findings
from bench.report.links import relative_href
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
    try:  # lstat: a dangling link still has a date
        mtime = path.lstat().st_mtime
    except OSError:
        return ""
    return datetime.fromtimestamp(mtime, tz=timezone.utc).isoformat(timespec="seconds")


def _report_link(run_dir: Path, reports_dir: Path) -> str:
    """The run's page if it has one, else its results file, as a link (never a raw name)."""
    page = run_dir / "index.html"
    target = page if page.is_file() else run_dir / RESULTS_NAME
    return relative_href(target.relative_to(reports_dir))


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
    # lexists, not glob: a dangling link or a FIFO is a run to list with its reason too.
    folders = list(reports_dir.iterdir()) if reports_dir.is_dir() else []
    found = [d / RESULTS_NAME for d in folders
             if d.is_dir() and os.path.lexists(d / RESULTS_NAME)]
    for path in sorted(found):
        run, problem = _load(path)
        entries.append(_Entry(run, problem, _when(run, path),
                              _report_link(path.parent, reports_dir), path.parent.name))
    entries.sort(key=lambda e: e.when, reverse=True)
    return entries


def _problem_row(entry: _Entry, problem: str) -> list[Cell]:
    return [Cell(fmt_when(entry.when), entry.when), text_cell(problem, "bad"),
            text_cell(None), text_cell(None), Cell("—", None),
            Cell(entry.link, entry.name, "link")]


def _run_row(entry: _Entry) -> list[Cell]:
    run = entry.run
    findings = compute_findings(run)
    return [Cell(fmt_when(entry.when), entry.when),
            text_cell(machine_line(run.facts)),
            text_cell(suite_name(run)), text_cell(findings[0].short if findings else None),
            Cell(f"{len(run.ok_cases)} of {len(run.cases)}", len(run.cases)),
            Cell(entry.link, entry.name, "link")]


def _unsummarised(entry: _Entry, exc: Exception) -> str:
    return f"{entry.name}: read, but cannot be summarised ({exc.__class__.__name__})"


def _runs_table(entries: list[_Entry]) -> Table:
    table = Table("runs-table", ["date", "machine", "suite", "headline", "cases", "report"],
                  [False] * 4 + [True, False])
    for entry in entries:
        if entry.run is None:
            table.rows.append(_problem_row(entry, entry.problem))
            continue
        # One run's odd values must never stop the page that lists every other run.
        try:
            table.rows.append(_run_row(entry))
        except Exception as exc:  # noqa: BLE001
            table.rows.append(_problem_row(entry, _unsummarised(entry, exc)))
    return table


def _latest(entry: _Entry) -> dict[str, Any]:
    """The newest readable run, for the head of the page."""
    run = entry.run
    return {"when": fmt_when(entry.when), "link": entry.link, "suite": suite_name(run),
            "machine": machine_line(run.facts),
            "findings": [f.sentence for f in compute_findings(run)],
            "verdict": doctor_verdict(dig(run.doctor, "checks"), run.facts)}


def _first_latest(entries: list[_Entry]) -> dict[str, Any] | None:
    """The head of the page from the newest run that can be summarised, if any."""
    for entry in entries:
        if entry.run is None:
            continue
        try:
            return _latest(entry)
        except Exception:  # noqa: BLE001, S112 - listed in the table with its reason
            continue
    return None


def update_index(reports_dir: Path) -> Path:
    """Rewrite reports_dir/index.html from the runs found in its subfolders; a page of that
    name that rnnbench did not write (the user's own) is refused, never replaced."""
    reports_dir = Path(reports_dir)
    entries = _entries(reports_dir)
    context = {
        "title": "rnnbench reports",
        "runs": _runs_table(entries),
        "count": len(entries),
        "latest": _first_latest(entries),
        "folder": text(str(reports_dir)),
    }
    return write_atomic(reports_dir / "index.html",
                        render_page("index.html.j2", context, uses_charts=False),
                        only_over_own=True)
