"""The two primitive ways a probe touches the machine: read a file below a root, run a command.

Both never raise. A replayed machine is a folder used as the root plus stub executables put
first on PATH, so every probe that goes through these two functions can be replayed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

# A probe command that takes longer than this is treated as hung (nvidia-smi can hang for
# minutes when the driver is wedged); the doctor must still answer. RNNBENCH_PROBE_TIMEOUT
# (seconds) overrides it, which lets the replay tests of a hung nvidia-smi stay short.
DEFAULT_TIMEOUT_S = 5.0


def probe_timeout() -> float:
    try:
        return float(os.environ.get("RNNBENCH_PROBE_TIMEOUT", DEFAULT_TIMEOUT_S))
    except ValueError:
        return DEFAULT_TIMEOUT_S


@dataclass
class CommandOutput:
    """What running a command gave: stdout when it ran, else the reason it could not."""

    ok: bool
    stdout: str = ""
    stderr: str = ""
    returncode: int | None = None
    reason: str = ""


def below(root: Path, path: str) -> Path:
    """The machine path `path` (absolute, like "/etc/os-release") as seen under `root`."""
    return Path(root) / path.lstrip("/")


def read_text(root: Path, path: str, limit: int = 1_000_000) -> str | None:
    """The file's text (decoding errors replaced), or None when it is absent or unreadable."""
    try:
        with open(below(root, path), "rb") as handle:
            return handle.read(limit).decode("utf-8", errors="replace")
    except (OSError, ValueError):
        return None


def list_dir(root: Path, path: str) -> list[str]:
    """Sorted entry names of a folder, or an empty list when it cannot be listed."""
    try:
        return sorted(os.listdir(below(root, path)))
    except OSError:
        return []


def run_command(argv: list[str], timeout: float | None = None,
                env: dict[str, str] | None = None) -> CommandOutput:
    """Run argv[0] found on PATH (no shell) with a timeout; never raises."""
    timeout = probe_timeout() if timeout is None else timeout
    exe = shutil.which(argv[0], path=(env or os.environ).get("PATH"))
    if exe is None:
        return CommandOutput(ok=False, reason=f"{argv[0]} not found on PATH")
    try:
        # A session of its own lets a timeout kill the whole group: a stub script's `sleep`
        # child would otherwise keep the pipes open and block us after the parent died.
        proc = subprocess.Popen([exe, *argv[1:]], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                stdin=subprocess.DEVNULL, env=env, start_new_session=True)
    except OSError as exc:
        return CommandOutput(ok=False, reason=f"{argv[0]} could not run: {exc.strerror or exc}")
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        return CommandOutput(ok=False, reason=f"{argv[0]} did not answer within {timeout:g} s")
    done = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    stdout = done.stdout.decode("utf-8", errors="replace")
    stderr = done.stderr.decode("utf-8", errors="replace")
    if done.returncode != 0:
        first = (stderr.strip() or stdout.strip()).splitlines()[:1]
        why = f": {first[0]}" if first else ""
        return CommandOutput(ok=False, stdout=stdout, stderr=stderr, returncode=done.returncode,
                             reason=f"{argv[0]} exited with {done.returncode}{why}")
    return CommandOutput(ok=True, stdout=stdout, stderr=stderr, returncode=0)


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        proc.kill()
    with contextlib.suppress(subprocess.TimeoutExpired, OSError):
        proc.communicate(timeout=1.0)
