"""The workloads' pieces of the run report (section, tables, charts, notes, findings).

Each workload with a section declares its pieces once, as `PIECES` in its report module
(bench/report/<workload>.py), and names them in its `Workload(report=...)`. The report reads
them from those modules, in the order of REPORTS, and never imports the workload registry:
the workload modules import torch (about a second) and a results file renders without it.
tests/report/test_pieces.py checks that REPORTS follows the registry.
"""

from __future__ import annotations

from bench.report.section import ReportPieces

# The workloads that have a report section, in registry order (bench/workloads/__init__.py);
# `report_pieces` imports their modules.
REPORTS = ("batching", "kernels", "train")


def report_pieces() -> list[tuple[str, ReportPieces]]:
    """(workload name, its pieces) for each workload that adds to the run report."""
    # Imported on use, as before (pages and findings import this module while bench.report
    # loads). Plain imports, so that `python -X importtime` lists them.
    from bench.report import batching, kernels, train

    modules = {"batching": batching, "kernels": kernels, "train": train}
    return [(name, modules[name].PIECES) for name in REPORTS]
