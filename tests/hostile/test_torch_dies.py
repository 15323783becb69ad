"""A torch whose import kills the process (issue 21, item 7).

A build that needs newer CPU instructions dies with SIGILL inside `import torch`; MKL in a
deleted working folder ends the process with "Intel MKL FATAL ERROR". The doctor and the torch
advisor exist for exactly those machines, so they import torch in a child process and report a
failing torch.build that says what killed it. The hostile input here is a `torch` package first
on PYTHONPATH that dies the way those builds do (a signal, or a fatal message and exit 2): the
doctor under test runs for real, in a subprocess, on this machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

RNNBENCH = str(Path(sys.executable).with_name("rnnbench"))
DEATHS = {
    "SIGILL": "import os, signal\nos.kill(os.getpid(), signal.SIGILL)\n",
    "MKL FATAL": ("import os, sys\nsys.stderr.write('Intel MKL FATAL ERROR: Cannot load "
                  "libmkl_avx2.so.2 or libmkl_def.so.2.\\n')\nsys.stderr.flush()\nos._exit(2)\n"),
}


def dying_torch(folder: Path, death: str) -> dict[str, str]:
    package = folder / "site" / "torch"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(DEATHS[death])
    path = [str(folder / "site"), *filter(None, [os.environ.get("PYTHONPATH")])]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(path)}


@pytest.mark.parametrize("death", list(DEATHS))
def test_the_doctor_survives_a_torch_that_kills_its_process(tmp_path: Path, death: str) -> None:
    env = dying_torch(tmp_path, death)
    done = subprocess.run([RNNBENCH, "doctor", "--no-gpu-tests", "--json"], capture_output=True,
                          text=True, timeout=120, env=env)
    assert done.returncode == 1, (done.returncode, done.stderr[-1000:])
    checks = {c["id"]: c for c in json.loads(done.stdout)["checks"]}
    build = checks["torch.build"]
    assert build["status"] == "fail"
    assert death in build["summary"] + build["detail"], build


def test_the_advisor_survives_it_too(tmp_path: Path) -> None:
    done = subprocess.run([RNNBENCH, "doctor", "--advise-torch"], capture_output=True,
                          text=True, timeout=120, env=dying_torch(tmp_path, "SIGILL"))
    assert done.returncode in (0, 1), (done.returncode, done.stderr[-1000:])
    assert done.stdout.strip() and "Traceback" not in done.stderr
