"""Real GPU paths: they run wherever CUDA works and are skipped (with a reason) elsewhere."""

from __future__ import annotations

import json
import subprocess

import pytest

from provision.probes import gpu_work, nvml

pytestmark = pytest.mark.gpu


def test_computations_agree_with_cpu_and_report_figures():
    import torch

    work = gpu_work.run_gpu_work()
    assert work.ran and len(work.results) == torch.cuda.device_count()
    for result in work.results:
        assert result.error is None
        assert result.matmul_ok and result.matmul_max_rel_err < 1e-4
        assert result.lstm_ok and result.lstm_max_abs_err < 1e-4
        assert min(result.h2d_gb_s, result.d2h_gb_s, result.d2d_gb_s) > 0
        assert result.fp32_tflops > 0 and result.half_tflops > 0
        native_bf16 = torch.cuda.get_device_capability(result.index) >= (8, 0)
        assert result.half_dtype == ("bfloat16" if native_bf16 else "float16")
        assert result.seconds < 60


def test_nvml_reports_each_gpu_with_health():
    import torch

    version, gpus = nvml.query()
    assert version and len(gpus) == torch.cuda.device_count()
    for gpu in gpus:
        assert gpu.name and gpu.compute_capability
        assert gpu.health is not None and gpu.health.temperature_c is not None


def test_doctor_on_a_gpu_machine(rnnbench):
    done = subprocess.run([*rnnbench, "doctor", "--json"], capture_output=True, text=True,
                          timeout=300, check=False)
    checks = {c["id"]: c for c in json.loads(done.stdout)["checks"]}
    assert checks["nvidia.driver"]["status"] == "pass"
    assert "nvml" in checks["nvidia.driver"]["summary"]
    assert checks["torch.cuda"]["status"] == "pass"
    assert checks["gpu.compute"]["status"] == "pass", checks["gpu.compute"]
    assert checks["gpu.health"]["status"] in ("pass", "warn")
