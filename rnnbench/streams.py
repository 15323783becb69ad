"""Standard output that cannot take what a command prints: a terminal whose encoding lacks a
character, a full disk (`> /dev/full`), a reader that went away (`| head -1`).

None of these is a bug in rnnbench, so none may end in a traceback: characters the encoding
lacks print as "?", and a failed write ends the command with one line on stderr.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import sys
from typing import Any


class _WatchedFile(io.FileIO):
    """stdout's file that remembers a failed write: a full disk drops the buffered text, so a
    later flush cannot tell that stdout, not some other file, was what failed."""

    failure: OSError | None = None

    def write(self, data: Any) -> int:
        try:
            return super().write(data)
        except OSError as exc:
            _WatchedFile.failure = exc
            raise


def watch_stdout() -> None:
    """Make stdout print "?" for characters its encoding lacks (a Latin-1 or ASCII terminal)
    and remember a failed write. A stdout that is not the process's own (a test harness
    capturing it) is left alone but for the encoding errors."""
    stream = sys.stdout
    try:
        if stream is None or stream is not sys.__stdout__:
            raise ValueError("not the process's stdout")
        stream.flush()
        raw = _WatchedFile(stream.fileno(), "w", closefd=False)
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        with contextlib.suppress(ValueError, OSError, AttributeError):
            stream.reconfigure(errors="replace")
        return
    sys.stdout = io.TextIOWrapper(io.BufferedWriter(raw), encoding=stream.encoding,
                                  errors="replace", line_buffering=stream.line_buffering)


def stdout_failure() -> OSError | None:
    """The error a write to stdout gave, or that writing out what is still buffered gives."""
    # On a broken pipe inside a command, typer (like click) swaps stdout for a wrapper that
    # swallows the error and exits 1: the wrapper is how that failure can still be told.
    if type(sys.stdout).__name__ == "PacifyFlushWrapper":
        return BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))
    try:
        sys.stdout.flush()
    except OSError as exc:
        return exc
    except (ValueError, AttributeError):  # already closed, or no stdout at all
        pass
    return _WatchedFile.failure


def abandon_stdout() -> None:
    """Send whatever is still buffered to /dev/null, so the interpreter's last flush at exit
    cannot fail a second time with an "Exception ignored" message."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def report_stdout_failure(exc: OSError) -> None:
    """One line on stderr saying why the output is incomplete (stderr may be gone as well)."""
    with contextlib.suppress(OSError, ValueError):
        print(f"rnnbench: error: cannot write to standard output: {exc.strerror or exc}",
              file=sys.stderr, flush=True)
