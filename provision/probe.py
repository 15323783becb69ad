"""The two primitive ways a probe touches the machine: read a file below a root, run a command.

Both never raise. A replayed machine is a folder used as the root plus stub executables put
first on PATH, so every probe that goes through these two functions can be replayed.
"""

from __future__ import annotations

import contextlib
import math
import os
import selectors
import shutil
import signal
import stat
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

# A probe command that takes longer than this is treated as hung (nvidia-smi can hang for
# minutes when the driver is wedged); the doctor must still answer. RNNBENCH_PROBE_TIMEOUT
# (seconds) overrides it, which lets the replay tests of a hung nvidia-smi stay short.
DEFAULT_TIMEOUT_S = 5.0
# Bounds on what a probe takes in: a stub or broken `nvidia-smi` can print without end, and a
# replayed root can hold anything. Real outputs and files are kilobytes.
OUTPUT_LIMIT = 4 * 2**20
FILE_LIMIT = 4 * 2**20


def probe_timeout() -> float:
    """RNNBENCH_PROBE_TIMEOUT when it is a positive, finite number of seconds, else the default
    (inf or nan would make no deadline at all; 0 or less would fail every probe)."""
    try:
        value = float(os.environ.get("RNNBENCH_PROBE_TIMEOUT", DEFAULT_TIMEOUT_S))
    except ValueError:
        return DEFAULT_TIMEOUT_S
    return value if math.isfinite(value) and value > 0 else DEFAULT_TIMEOUT_S


@dataclass
class CommandOutput:
    """What running a command gave: stdout when it ran, else the reason it could not."""

    ok: bool
    stdout: str = ""
    stderr: str = ""
    returncode: int | None = None
    reason: str = ""


# Links followed while resolving one path below a root before it counts as a loop (Linux's own
# limit for one lookup).
_MAX_LINKS = 40
# What a path that cannot be resolved below a root becomes: below a file that is not a folder,
# every open, listing or readlink fails (ENOTDIR), as the probes' callers expect of a lost path.
_NOWHERE = Path(os.devnull) / "unresolvable"


def below(root: Path, path: str, follow_last: bool = True) -> Path:
    """The machine path `path` (absolute, like "/etc/os-release") as seen under `root`.

    Below any root but "/", links are resolved as if `root` were "/" (as chroot would): an
    absolute link target starts again at `root` and ".." stops there, so a replayed machine's
    `etc/os-release -> /usr/lib/os-release` reads the recording's file and never the host's.
    A loop gives a path that cannot be opened. `follow_last`: resolve a link in the last
    component too (False for readlink)."""
    root = Path(root)
    if os.path.realpath(root) == "/":
        return root / path.lstrip("/")
    parts = [p for p in path.split("/") if p not in ("", ".")]
    done: list[str] = []  # components resolved so far, below root
    links = 0
    while parts:
        part = parts.pop(0)
        if part == "..":
            if done:
                done.pop()
            continue
        candidate = root.joinpath(*done, part)
        if (parts or follow_last) and os.path.islink(candidate):
            links += 1
            try:
                if links > _MAX_LINKS:
                    raise OSError("a link loop")
                target = os.readlink(candidate)
            except OSError:
                return _NOWHERE
            if target.startswith("/"):
                done = []
            parts = [p for p in target.split("/") if p not in ("", ".")] + parts
            continue
        done.append(part)
    return root.joinpath(*done)


def read_bytes(root: Path, path: str, limit: int = FILE_LIMIT) -> bytes | None:
    """At most `limit` bytes of a regular file, or None when it is absent, unreadable or not a
    regular file. A FIFO or device in a replayed root (or /dev/zero behind a symlink) would
    otherwise block the doctor forever or feed it without end."""
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer before we can see what it is.
        fd = os.open(below(root, path), os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except (OSError, ValueError):
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        chunks, left = [], limit
        while left > 0:  # /proc files report size 0: read until EOF or the limit
            chunk = os.read(fd, min(left, 1 << 16))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(fd)


def read_text(root: Path, path: str, limit: int = FILE_LIMIT) -> str | None:
    """The file's text (decoding errors replaced), or None when it is absent, unreadable or not
    a regular file; at most `limit` bytes of it are read."""
    data = read_bytes(root, path, limit)
    return None if data is None else data.decode("utf-8", errors="replace")


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
    proc = start_command([exe, *argv[1:]], env)
    if isinstance(proc, CommandOutput):
        return proc
    return finish_command(proc, timeout, argv[0])


def start_command(argv: list[str], env: dict[str, str] | None = None
                  ) -> subprocess.Popen | CommandOutput:
    """Start argv (argv[0] a path) with piped output; the reason when it cannot start. Paired
    with `finish_command`, a probe can run while the others go on (the torch import)."""
    try:
        # A session of its own lets a timeout kill the whole group: a stub script's `sleep`
        # child would otherwise keep the pipes open and block us after the parent died.
        return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                stdin=subprocess.DEVNULL, env=env, start_new_session=True)
    except OSError as exc:
        return CommandOutput(ok=False, reason=f"{argv[0]} could not run: {exc.strerror or exc}")


def finish_command(proc: subprocess.Popen, timeout: float, name: str) -> CommandOutput:
    """Read a started command's output (bounded) until it exits or `timeout` seconds pass."""
    out, err, why = _collect(proc, timeout, OUTPUT_LIMIT)
    if why:
        _kill_group(proc)
        return CommandOutput(ok=False, stdout=out.decode("utf-8", errors="replace"),
                             reason=f"{name} {why}")
    done = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    stdout = done.stdout.decode("utf-8", errors="replace")
    stderr = done.stderr.decode("utf-8", errors="replace")
    if done.returncode != 0:
        first = (stderr.strip() or stdout.strip()).splitlines()[:1]
        why = f": {first[0]}" if first else ""
        return CommandOutput(ok=False, stdout=stdout, stderr=stderr, returncode=done.returncode,
                             reason=f"{name} exited with {done.returncode}{why}")
    return CommandOutput(ok=True, stdout=stdout, stderr=stderr, returncode=0)


def _collect(proc: subprocess.Popen, timeout: float, limit: int) -> tuple[bytes, bytes, str]:
    """(stdout, stderr, why it was stopped or "") of a running process: both pipes are read
    as output arrives, and reading stops at the deadline or once `limit` bytes came in all."""
    deadline = time.monotonic() + timeout
    buffers = {proc.stdout: bytearray(), proc.stderr: bytearray()}
    total = 0
    with selectors.DefaultSelector() as selector:
        for pipe in buffers:
            selector.register(pipe, selectors.EVENT_READ)
        while selector.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                return bytes(buffers[proc.stdout]), bytes(buffers[proc.stderr]), \
                    f"did not answer within {timeout:g} s"
            for key, _ in selector.select(left):
                chunk = os.read(key.fd, 1 << 16)
                if not chunk:
                    selector.unregister(key.fileobj)
                    continue
                buffers[key.fileobj] += chunk
                total += len(chunk)
                if total > limit:
                    return bytes(buffers[proc.stdout][:limit]), b"", \
                        f"printed more than {limit / 2**20:g} MiB; stopped reading it"
    try:
        proc.wait(timeout=max(deadline - time.monotonic(), 0.01))
    except subprocess.TimeoutExpired:  # closed its output but kept running
        return bytes(buffers[proc.stdout]), bytes(buffers[proc.stderr]), \
            f"did not answer within {timeout:g} s"
    for pipe in buffers:
        pipe.close()
    return bytes(buffers[proc.stdout]), bytes(buffers[proc.stderr]), ""


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        proc.kill()
    with contextlib.suppress(subprocess.TimeoutExpired, OSError):
        proc.communicate(timeout=1.0)
