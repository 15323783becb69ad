"""`ReportPieces`: the record a workload's section of the run report is declared with (as
`PIECES` in bench/report/<workload>.py; bench/report/pieces.py collects them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ReportPieces:
    """What a workload adds to the run report (bench/report/<workload>.py holds the functions).

    Each callable takes the run (bench.results.RunResults): a table returns a Table or None;
    charts, notes and findings return lists (of Chart, str and Finding). The tables, charts and
    notes make the workload's section, titled `section`, placed in registry order; findings are
    ordered by their rank among every workload's.
    """

    section: str = ""
    tables: tuple[Callable, ...] = ()
    charts: tuple[Callable, ...] = ()
    notes: tuple[Callable, ...] = ()
    findings: tuple[Callable, ...] = ()
