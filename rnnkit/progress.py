"""A small progress bar on stderr, so that stdout stays free for tables and JSON."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """Redraws one line on a terminal; elsewhere (logs, pipes) prints a line per quarter."""

    def __init__(self, total: int, label: str, stream: TextIO | None = None,
                 enabled: bool = True) -> None:
        self.total = max(total, 1)
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.done = 0
        self._tty = self.stream.isatty()
        self._last_draw = 0.0
        self._last_quarter = 0
        self._start = time.perf_counter()

    def update(self, n: int = 1) -> None:
        self.done = min(self.done + n, self.total)
        if not self.enabled:
            return
        if self._tty:
            now = time.perf_counter()
            if now - self._last_draw >= 0.2 or self.done == self.total:
                self._last_draw = now
                self.stream.write("\r" + self._line())
                self.stream.flush()
        elif (quarter := 4 * self.done // self.total) > self._last_quarter:
            self._last_quarter = quarter
            self.stream.write(self._line() + "\n")

    def close(self) -> None:
        if self.enabled and self._tty:
            self.stream.write("\n")
            self.stream.flush()

    def _line(self) -> str:
        width = 30
        filled = width * self.done // self.total
        elapsed = time.perf_counter() - self._start
        return (f"{self.label} [{'#' * filled}{'.' * (width - filled)}] "
                f"{self.done}/{self.total} {elapsed:.1f}s")
