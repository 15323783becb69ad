"""The report reaches the workloads' pieces without the workload registry, so rendering a
results file never imports torch (bench/report/pieces.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bench import workloads
from bench.report.pieces import REPORTS, report_pieces

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "results-0.1.0-quick.json"


def test_the_report_sections_follow_the_registry_and_are_the_workloads_own() -> None:
    declared = [(w.name, w.report) for w in workloads.REGISTRY.values() if w.report is not None]
    assert [name for name, _ in declared] == list(REPORTS)
    assert declared == report_pieces()


def test_rendering_a_results_file_imports_no_torch(tmp_path: Path) -> None:
    out = tmp_path / "page.html"
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "rnnbench", "report",
                           str(FIXTURE), "-o", str(out)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert out.stat().st_size > 0
    imported = [line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines()
                if line.startswith("import time:")]
    assert "bench.report.kernels" in imported  # the import log is what it seems
    assert not [m for m in imported if m == "torch" or m.startswith("torch.")]
