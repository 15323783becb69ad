"""The `rnnbench` command line as a user meets it: the installed script and `python -m rnnbench`,
each run in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

RNNBENCH = Path(sys.executable).with_name("rnnbench")
COMMANDS = ("doctor", "run", "compare", "report", "data", "train")


def _call(*argv: str | Path) -> subprocess.CompletedProcess:
    # A wide terminal, so that typer's help table never wraps an option's name.
    env = {**os.environ, "COLUMNS": "160", "NO_COLOR": "1"}
    return subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=60,
                          env=env)


@pytest.mark.parametrize("argv", [[RNNBENCH], [sys.executable, "-m", "rnnbench"]],
                         ids=["script", "python -m"])
def test_version_is_the_installed_package_version(argv: list) -> None:
    result = _call(*argv, "--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"rnnbench {version('rnnbench')}"


def test_python_m_rnnbench_help_lists_the_commands_and_completion() -> None:
    result = _call(sys.executable, "-m", "rnnbench", "--help")
    assert result.returncode == 0, result.stderr
    listed = {line.strip("│ ").split(" ")[0] for line in result.stdout.splitlines()}
    assert set(COMMANDS) <= listed, result.stdout
    assert "--install-completion" in result.stdout
    assert "--show-completion" in result.stdout
    assert "--version" in result.stdout


def test_show_completion_prints_a_script_for_the_shell() -> None:
    result = _call(RNNBENCH, "--show-completion", "bash")
    assert result.returncode == 0, result.stderr
    assert "complete" in result.stdout and "rnnbench" in result.stdout
