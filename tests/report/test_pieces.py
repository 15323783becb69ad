"""The report reaches the workloads' pieces without the workload registry, so rendering a
results file never imports torch (bench/report/pieces.py)."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

from bench import workloads
from bench.report.pieces import REPORTS, report_pieces

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "results-0.1.0-quick.json"


def test_the_report_sections_follow_the_registry_and_are_the_workloads_own() -> None:
    declared = [(w.name, w.report) for w in workloads.REGISTRY.values() if w.report is not None]
    assert [name for name, _ in declared] == list(REPORTS)
    modules = [(name, importlib.import_module(f"bench.report.{module}").PIECES)
               for name, module in declared]
    assert modules == report_pieces()


def test_a_worker_process_loads_no_page_renderer() -> None:
    # The workloads name their report modules instead of importing them: jinja2 and altair
    # (about 0.3 s) stay out of every worker's start-up.
    code = ("import sys, bench.worker, bench.runner, bench.workloads\n"
            "print(sorted(m for m in ('altair', 'jinja2', 'bench.report.pages') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.stdout.strip() == "[]", out.stderr[-2000:]


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


def _kernel(cell: str, fraction: float):
    from bench.results import CaseMetrics, CaseResult, CaseStats

    return CaseResult(id=f"kernels/cpu/fp32/cell={cell}", workload="kernels", device="cpu",
                      dtype="fp32", status="ok",
                      params={"cell": cell, "impl": "torch", "mode": "inference",
                              "hidden": 256, "seq_len": 32, "layers": 1},
                      stats=CaseStats(median_s=0.0032, ci95_s=(0.003, 0.0034),
                                      samples_s=[0.0032]),
                      metrics=CaseMetrics(flops_per_s=1e11, ceiling_fraction=fraction,
                                          ceiling_fraction_ci=(fraction - 0.02,
                                                               fraction + 0.02)))


def test_the_kernels_section_says_where_dispatch_not_arithmetic_sets_the_speed() -> None:
    from bench.report.kernels import ceiling_notes, kernels_table
    from bench.results import RunResults

    run = RunResults(cases=[_kernel("lstm", 0.94), _kernel("rnn", 0.70)])
    [note] = ceiling_notes(run)
    assert "RNN inference on cpu" in note and "70%" in note and "best case 94%" in note
    # 30% of 3.2 ms over 32 steps: 30 µs per step outside the products
    assert "30 µs per step" in note and "dispatch, not arithmetic" in note
    table = kernels_table(run)
    assert "of GEMM ceiling" in table.columns
    column = table.columns.index("of GEMM ceiling")
    assert [row[column].text for row in table.rows] == ["94% [92%, 96%]", "70% [68%, 72%]"]
    at_ceiling = RunResults(cases=[_kernel("lstm", 0.94), _kernel("gru", 0.9)])
    assert "arithmetic, not dispatch" in ceiling_notes(at_ceiling)[0]
