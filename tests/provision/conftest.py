"""Helpers for the provision tests: replaying a recorded machine through the real CLI."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

MACHINES = Path(__file__).parent / "machines"


def replay_names() -> list[str]:
    """Every replay folder (`_stub` holds the shared stub, not a machine)."""
    return sorted(p.name for p in MACHINES.iterdir() if p.is_dir() and not p.name.startswith("_"))


def rnnbench_argv() -> list[str]:
    """The installed console script next to this Python, as a user would run it."""
    script = Path(sys.executable).with_name("rnnbench")
    return [str(script)] if script.exists() else [sys.executable, "-m", "rnnbench.cli"]


def replay_env(scenario: str, probe_timeout: float = 2.0) -> dict[str, str]:
    """An environment whose PATH holds only the scenario's stubs (and the toolkit folders its
    path.txt names, mapped below its root), so no real tool of this machine answers."""
    folder = MACHINES / scenario
    path = [str(folder / "bin")]
    listed = folder / "path.txt"
    if listed.exists():
        path += [str(folder / "root") + line.strip() for line in listed.read_text().splitlines()
                 if line.strip()]
    env = {"PATH": os.pathsep.join(path), "HOME": os.environ.get("HOME", "/tmp"),
           "LANG": "C.UTF-8", "RNNBENCH_PROBE_TIMEOUT": str(probe_timeout)}
    return {**replay_shell_environment(scenario), **env}


def replay_shell_environment(scenario: str) -> dict[str, str]:
    """The shell environment the recorded machine ran in (its env.txt: NAME=value lines, an
    empty value kept as set-but-empty, e.g. CUDA_VISIBLE_DEVICES=), passed to the doctor as its
    own environment. Values are machine paths (CONDA_PREFIX=/opt/conda): the doctor reads them
    below the replay's root like any other path."""
    listed = MACHINES / scenario / "env.txt"
    found: dict[str, str] = {}
    for line in listed.read_text().splitlines() if listed.exists() else []:
        name, sep, value = line.partition("=")
        if sep and name.strip() and not line.lstrip().startswith("#"):
            found[name.strip()] = value
    return found


def run_replay(scenario: str, *args: str, json_out: bool = True,
               probe_timeout: float = 2.0) -> tuple[int, dict | str]:
    """Run `rnnbench doctor --root <scenario>/root` with the scenario's PATH."""
    argv = [*rnnbench_argv(), "doctor", "--root", str(MACHINES / scenario / "root"),
            "--no-gpu-tests", *(["--json"] if json_out else []), *args]
    done = subprocess.run(argv, env=replay_env(scenario, probe_timeout), capture_output=True,
                          text=True, timeout=120, check=False)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, json.loads(done.stdout) if json_out else done.stdout


@functools.cache
def replay_document(scenario: str) -> dict:
    """The doctor's JSON document for one replay, run once per test session (several modules
    read the same replays)."""
    return run_replay(scenario)[1]


@pytest.fixture
def replay():
    return run_replay


@pytest.fixture
def rnnbench() -> list[str]:
    return rnnbench_argv()
