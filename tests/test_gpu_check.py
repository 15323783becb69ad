"""scripts/gpu_check.sh and scripts/gpu_summary.py: the parts a machine without a GPU can check
(the script itself runs only where CUDA works)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench.suites import load_config, plan

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "gpu_check.sh"
SUMMARY = REPO / "scripts" / "gpu_summary.py"
FIXTURE = REPO / "tests" / "fixtures" / "results-0.1.0-quick.json"


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck not installed")
def test_the_script_is_shellcheck_clean() -> None:
    proc = subprocess.run(["shellcheck", str(SCRIPT)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout


def test_without_a_gpu_it_says_so_in_one_line_and_writes_nothing(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present: the script would run for real")
    doc = tmp_path / "gpu-validation.md"
    env = dict(os.environ, GPU_VALIDATION_DOC=str(doc), RNNBENCH_PYTHON=sys.executable)
    proc = subprocess.run([str(SCRIPT), str(tmp_path / "out")], capture_output=True, text=True,
                          env=env, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "no CUDA GPU" in proc.stderr
    assert not doc.exists() and not (tmp_path / "out").exists()


def _heredoc(marker: str) -> str:
    text = SCRIPT.read_text(encoding="utf-8")
    return re.search(rf"<<'{marker}'\n(.*?)\n{marker}\n", text, re.S).group(1)


def test_the_kernels_grid_plans_every_precision_on_a_gpu_that_has_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import bench.workloads.base as base

    monkeypatch.setattr(base, "_capability", lambda device: (9, 0))  # an H100
    config = tmp_path / "kernels.toml"
    config.write_text(_heredoc("TOML"), encoding="utf-8")
    assert load_config(config)["settings"]["processes"] == 3
    cases = plan("k", ["cuda"], None, None, config, False).cases
    kernels = [c for c in cases if c.workload == "kernels"]
    assert {c.dtype for c in kernels} == {"fp32", "fp16", "bf16"}
    # cuDNN's TF32 flag is on by default (torch cases), the matmul flag off (loop cases)
    assert {c.params["tf32"] for c in cases if c.workload == "ceiling"
            and c.dtype == "fp32"} == {True, False}
    monkeypatch.setenv("NVIDIA_TF32_OVERRIDE", "0")  # the second pass: TF32 off, said so
    cases = plan("k", ["cuda"], None, None, config, False).cases
    assert {c.params["tf32"] for c in cases if c.workload in ("ceiling", "matmul")} == {False}


def test_the_summary_records_what_each_step_left(tmp_path: Path) -> None:
    machine = tmp_path / "machine.json"
    machine.write_text(json.dumps({"gpu": "NVIDIA H100 80GB HBM3", "capability": "9.0",
                                   "torch": "2.5.1", "cuda": "12.4"}))
    log = tmp_path / "pytest.out"
    log.write_text("FAILED tests/x.py::test_y - boom\n=== 1 failed, 9 passed in 12.0s ===\n")
    doctor = tmp_path / "doctor.json"
    doctor.write_text(json.dumps({"checks": [
        {"id": "gpu.compute", "status": "pass", "summary": "ok"},
        {"id": "nvidia.persistence", "status": "warn", "summary": "persistence | off"}]}))
    proc = subprocess.run([sys.executable, str(SUMMARY), "--machine", str(machine),
                           "--pytest", str(log), "--doctor", str(doctor),
                           "--run", f"quick={FIXTURE}", "--run", f"kernels={tmp_path / 'no'}",
                           "--step", "quick: exit 0"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.startswith("## ") and "scripts/gpu_check.sh on NVIDIA H100 80GB HBM3" in out
    assert "`1 failed, 9 passed in 12.0s`" in out and "FAILED tests/x.py::test_y" in out
    assert "1 pass, 1 warn" in out and "persistence / off" in out  # no stray table pipe
    assert "| `kernels/cpu/fp32/cell=lstm" in out  # a row per case of the quick run
    assert "### kernels" in out and "No results:" in out  # a step that wrote nothing
    assert "- step `quick: exit 0`" in out
