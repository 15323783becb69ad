"""The real doctor on this machine, in a subprocess, as a user runs it."""

from __future__ import annotations

import json
import re
import subprocess
import sys


def _collect_env() -> dict[str, str]:
    done = subprocess.run([sys.executable, "-m", "torch.utils.collect_env"], capture_output=True,
                          text=True, timeout=180, check=False)
    fields = dict(re.findall(r"^([A-Za-z][^:\n]*):\s*(.*)$", done.stdout, re.M))
    return {"torch": fields.get("PyTorch version", ""),
            "cuda_available": fields.get("Is CUDA available", "")}


def test_real_doctor_json_agrees_with_collect_env(rnnbench):
    done = subprocess.run([*rnnbench, "doctor", "--json"], capture_output=True, text=True,
                          timeout=300, check=False)
    doc = json.loads(done.stdout)
    assert doc["schema"] == "rnnbench.doctor/2" and doc["facts"]["root"] == "/"
    statuses = {c["id"]: c["status"] for c in doc["checks"]}
    assert done.returncode == (1 if "fail" in statuses.values() else 0) == doc["exit_code"]
    torch_facts = doc["facts"]["torch"]
    reference = _collect_env()
    assert torch_facts["version"] == reference["torch"]
    assert str(torch_facts["cuda_available"]) == reference["cuda_available"]
    if not doc["facts"]["pci_gpus"] and not doc["facts"]["driver"]["gpus"]:
        # Without an NVIDIA GPU the doctor says so and is satisfied (no profile demands one).
        assert statuses["nvidia.gpu"] == "skip" and done.returncode == 0
