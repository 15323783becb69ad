"""The workloads' pieces of the run report (section, tables, charts, notes, findings), taken
from the workload registry in its order."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.workloads.base import ReportPieces


def report_pieces() -> list[tuple[str, ReportPieces]]:
    """(workload name, its pieces) for each workload that adds to the run report."""
    # Imported on use, for two reasons: each workload module imports its report module
    # (bench.report.<workload>), so the registry cannot be imported while bench.report loads;
    # and the doctor's page, which must render where torch is broken, never needs it.
    from bench.workloads import REGISTRY

    return [(w.name, w.report) for w in REGISTRY.values() if w.report is not None]
