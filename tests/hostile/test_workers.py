"""Worker processes (issue 21, items 2 and 6): they import only the installed packages, and
they are supervised: a deadline from the cases' budgets, cases a worker did not return failed
with the reason, bounded reads of their output, and each interpreter checked before any case.

The hostile inputs are real: a `bench` package in the folder the run starts from, and
interpreters (`--python`) that hang, print a 100 MB line without a newline, exit 0 without
results, or have no torch. The run under test is the installed CLI, in a subprocess.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from tests.hostile.outcomes import assert_one_line_error

RNNBENCH = str(Path(sys.executable).with_name("rnnbench"))
TINY = """
[settings]
budget_s = 0.02
target = 0.2
threads = 1
rounds = 6

[[batching]]
dist = "names"
cell = "rnn"
strategy = "padded"
mode = "inference"
hidden = 8
n = 64
batch = 16
"""
# An "interpreter" that passes the check before the run (it answers the torch import) and then
# misbehaves as a worker. `exec`: the process stopped at the deadline is the one that hangs.
FAKE = """#!/bin/sh
case "$2" in *"import torch, bench.worker"*) echo 2.0; exit 0;; esac
{behaviour}
"""


def fake_python(folder: Path, name: str, behaviour: str) -> Path:
    path = folder / name
    path.write_text(FAKE.format(behaviour=behaviour))
    path.chmod(0o755)
    return path


def run(cwd: Path, *args: str | Path, env: dict[str, str] | None = None,
        config: str = "tiny.toml") -> subprocess.CompletedProcess:
    (cwd / config).write_text(TINY)
    return subprocess.run([RNNBENCH, "run", "--config", config, "--device", "cpu",
                           "--out", "out", *map(str, args)], capture_output=True, text=True,
                          timeout=300, cwd=cwd, env={**os.environ, **(env or {})})


def results_of(cwd: Path) -> dict:
    [path] = (cwd / "out").glob("*/results.json")
    return json.loads(path.read_text(encoding="utf-8"))


def test_a_bench_package_in_the_current_folder_never_runs_in_a_worker(tmp_path: Path) -> None:
    (tmp_path / "bench").mkdir()
    (tmp_path / "bench" / "__init__.py").write_text("")
    (tmp_path / "bench" / "worker.py").write_text(
        "open('PWNED', 'w').write('the current folder ran in a worker')\n")
    (tmp_path / "torch").mkdir()  # a PyTorch source checkout's package folder, half built
    (tmp_path / "torch" / "__init__.py").write_text("raise ImportError('source checkout')\n")
    done = run(tmp_path, "--processes", "1", "--python", sys.executable)
    assert done.returncode == 0, done.stderr[-3000:]
    assert not (tmp_path / "PWNED").exists()
    assert "nan" not in done.stdout  # a grid without an ideal strategy (issue 21, item 10)
    doc = results_of(tmp_path)
    assert doc["cases"] and all(c["status"] == "ok" for c in doc["cases"])


def test_a_hung_worker_and_a_worker_without_results_fail_their_cases(tmp_path: Path) -> None:
    hung = fake_python(tmp_path, "hung", "exec sleep 600")
    # A terminal escape, then 100 MB without a newline on stderr, then exit 0 without writing
    # any result.
    silent = fake_python(tmp_path, "silent", "printf '\\033]0;pwned\\007\\n' >&2\n"
                                             "head -c 100000000 /dev/zero | tr '\\0' x >&2\n"
                                             "exit 0")
    # The config's name is the suite's name on the terminal: it holds an escape too.
    done = run(tmp_path, "--processes", "1", "--python", hung, "--python", silent,
               env={"RNNBENCH_WORKER_GRACE_S": "1"}, config="grid\x1b[2J.toml")
    assert done.returncode == 1, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    assert "\x1b" not in done.stderr + done.stdout  # worker output and file names as text
    assert "pwned" in done.stderr
    assert len(done.stderr) < 200_000  # the long line is cut, not relayed whole
    cases = results_of(tmp_path)["cases"]
    by_env = {env: [c for c in cases if c["env"] == env] for env in ("A", "B")}
    assert by_env["A"] and all("deadline" in c["error"] for c in by_env["A"]), by_env["A"]
    assert by_env["B"] and all("without returning" in c["error"] for c in by_env["B"])
    assert all(c["status"] == "failed" for c in cases)


def test_an_interpreter_without_torch_is_one_line_before_any_case(tmp_path: Path) -> None:
    bare = shutil.which("python3", path="/usr/bin:/bin")
    if bare is None or subprocess.run([bare, "-c", "import torch"],
                                      capture_output=True).returncode == 0:
        bare = str(fake_python(tmp_path, "bare", "exit 0"))
        Path(bare).write_text("#!/bin/sh\necho \"ModuleNotFoundError: No module named "
                              "'torch'\" >&2\nexit 1\n")
    done = run(tmp_path, "--processes", "1", "--python", bare)
    assert_one_line_error(done, 2, "--python", "torch")
    assert not (tmp_path / "out").exists()


def test_a_parent_killed_with_sigkill_leaves_no_worker_folder(tmp_path: Path) -> None:
    (tmp_path / "tmp").mkdir()
    (tmp_path / "tiny.toml").write_text(TINY.replace("budget_s = 0.02", "budget_s = 30"))
    parent = subprocess.Popen([RNNBENCH, "run", "--config", "tiny.toml", "--device", "cpu",
                               "--out", "out", "--processes", "1", "--python", sys.executable],
                              cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env={**os.environ, "TMPDIR": str(tmp_path / "tmp")})
    try:
        deadline = time.monotonic() + 120
        while not list((tmp_path / "tmp").glob("rnnbench-worker-*/job.json")):
            assert time.monotonic() < deadline and parent.poll() is None, "no worker started"
            time.sleep(0.2)
        time.sleep(1.0)  # the worker is under way
    finally:
        parent.kill()
        parent.wait()
    # The worker removes its folder when it outlives its parent; should it die first, the
    # next run removes the folder of a parent that is gone.
    (tmp_path / "tiny.toml").write_text(TINY)
    again = subprocess.run([RNNBENCH, "run", "--config", "tiny.toml", "--device", "cpu",
                            "--out", "out2", "--processes", "1", "--python", sys.executable],
                           cwd=tmp_path, capture_output=True, text=True, timeout=300,
                           env={**os.environ, "TMPDIR": str(tmp_path / "tmp")})
    assert again.returncode == 0, again.stderr[-2000:]
    assert not list((tmp_path / "tmp").glob("rnnbench-worker-*"))
