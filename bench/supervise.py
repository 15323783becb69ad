"""Supervising a worker process: what it may import, how long it may take, how much of its
output is taken in, and whether its interpreter can run a worker at all.

- A worker imports only installed packages: it is started with `-c`, whose first act is to drop
  the current folder from sys.path, so a `./bench` or a PyTorch source checkout (`./torch`) in
  the folder `rnnbench run` was started from never runs in its place. Its working folder stays
  the user's, so relative paths in the job keep their meaning.
- A deadline derived from the cases' budgets: a worker that stops talking is stopped, and the
  cases it did not return are failed with that reason, instead of the run waiting for ever.
- Bounded reads: a line is relayed up to MAX_LINE_CHARS, the rest of it dropped, so a worker
  printing 300 MB without a newline costs the parent nothing.
- Before any case runs, each interpreter is asked to import torch and the worker module: one
  line if it cannot, not a traceback per worker.
"""

from __future__ import annotations

import contextlib
import math
import os
import selectors
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from provision.text import printable

# What a worker may take beyond its cases' sampling budgets: starting the interpreter and
# importing torch (seconds cold), and each case's setup and correctness checks. The
# environment variable scales it (tests of a hung worker use a second).
DEFAULT_GRACE_S = 60.0
# Sampling runs in rounds with warm-up and untimed blocks: this many times its budget at most.
BUDGET_FACTOR = 20.0
MAX_LINE_CHARS = 2000
_CHUNK = 1 << 16
# -c puts "" (the current folder) first on sys.path; the worker must not import from it.
_SAFE_PATH = "import sys; sys.path[:] = [p for p in sys.path if p not in ('', '.')]; "
_RUN_WORKER = _SAFE_PATH + "import runpy; runpy.run_module('bench.worker', run_name='__main__')"
_CHECK = _SAFE_PATH + "import torch, bench.worker; print(torch.__version__)"


def grace_s() -> float:
    """RNNBENCH_WORKER_GRACE_S when it is a positive, finite number of seconds, else 60."""
    try:
        value = float(os.environ.get("RNNBENCH_WORKER_GRACE_S", DEFAULT_GRACE_S))
    except ValueError:
        return DEFAULT_GRACE_S
    return value if math.isfinite(value) and value > 0 else DEFAULT_GRACE_S


def deadline_s(cases: int, budget_s: float) -> float:
    """Seconds a worker may run for `cases` cases of `budget_s` sampling each."""
    grace = grace_s()
    return grace * (2 + cases) + BUDGET_FACTOR * cases * budget_s


def worker_argv(python: str, *args: str) -> list[str]:
    """The command line of a worker that imports bench.worker from the installed packages."""
    return [python, "-c", _RUN_WORKER, *args]


def check_interpreter(python: str, environ: dict[str, str]) -> str | None:
    """Why `python` cannot run workers (one line: it does not start, has no torch, cannot
    import bench), or None when it can."""
    try:
        done = subprocess.run([python, "-c", _CHECK], env=environ, capture_output=True,
                              stdin=subprocess.DEVNULL, timeout=grace_s() * 2)
    except subprocess.TimeoutExpired:
        return f"did not import torch within {grace_s() * 2:g} s"
    except OSError as exc:
        return f"cannot start ({exc.strerror or exc})"
    if done.returncode == 0:
        return None
    if done.returncode < 0:
        return f"killed by signal {-done.returncode} while importing torch"
    lines = [ln.strip() for ln in done.stderr[-20000:].decode("utf-8", "replace").splitlines()
             if ln.strip()]
    return printable(lines[-1][:300] if lines else f"exited with code {done.returncode}", False)


@dataclass
class Relayed:
    """What relaying a worker's output ended with: its last line, and whether it ran past its
    deadline (and was stopped)."""

    last_line: str = ""
    timed_out: bool = False


class _Lines:
    """Lines from a byte stream, each cut at MAX_LINE_CHARS (the rest of it dropped)."""

    def __init__(self) -> None:
        self.pending = bytearray()
        self.cut = False  # inside a line already cut: drop bytes up to its newline

    def feed(self, chunk: bytes) -> list[str]:
        lines = []
        self.pending += chunk
        while True:
            end = self.pending.find(b"\n")
            if end < 0:
                if len(self.pending) > MAX_LINE_CHARS * 4:  # 4: UTF-8 bytes per character
                    if not self.cut:
                        lines.append(self._text(self.pending) + " [line cut]")
                    self.cut = True
                    self.pending.clear()
                return lines
            line, self.pending = self.pending[:end], self.pending[end + 1:]
            if not self.cut:
                lines.append(self._text(line))
            self.cut = False

    def rest(self) -> list[str]:
        return [] if self.cut or not self.pending else [self._text(self.pending)]

    @staticmethod
    def _text(data: bytes | bytearray) -> str:
        return bytes(data).decode("utf-8", "replace").rstrip()[:MAX_LINE_CHARS]


def relay(proc: subprocess.Popen, name: str, stream: TextIO, deadline: float,
          events: Callable[[str], bool] | None = None,
          write: Callable[[str], None] | None = None) -> Relayed:
    """Print the worker's output lines with its name (as text, cut at MAX_LINE_CHARS) until
    it closes its output and exits, or until `deadline` seconds pass: then stop it.
    `events`: takes a line that is a progress event (True) before it is printed; `write`:
    prints the other lines instead of `stream` (the run's live display)."""
    outcome = Relayed()
    lines = _Lines()
    end = time.monotonic() + deadline
    fd = proc.stderr.fileno()
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while True:
            left = end - time.monotonic()
            if left <= 0:
                outcome.timed_out = True
                break
            if not selector.select(min(left, 1.0)):
                continue
            chunk = os.read(fd, _CHUNK)
            for line in lines.feed(chunk) if chunk else lines.rest():
                _show(line, name, stream, outcome, events, write)
            if not chunk:
                break
    if outcome.timed_out:
        stop(proc, grace=5.0)
    else:
        try:
            proc.wait(timeout=max(end - time.monotonic(), 1.0))
        except subprocess.TimeoutExpired:  # closed its output but kept running
            outcome.timed_out = True
            stop(proc, grace=5.0)
    return outcome


def _show(line: str, name: str, stream: TextIO, outcome: Relayed,
          events: Callable[[str], bool] | None = None,
          write: Callable[[str], None] | None = None) -> None:
    if not line.strip() or (events is not None and events(line)):
        return
    outcome.last_line = line.strip()[:300]
    shown = f"  [{name}] {printable(line, False)}"
    if write is not None:
        write(shown)
    else:
        print(shown, file=stream, flush=True)


def stop(proc: subprocess.Popen, grace: float) -> None:
    """Ask a worker to stop (SIGTERM: it keeps what it measured), then kill it after `grace`."""
    with contextlib.suppress(OSError):
        if proc.poll() is None:
            proc.terminate()
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
