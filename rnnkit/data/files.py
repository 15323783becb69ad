"""Reading a corpus file: regular files only, and no more than a size limit.

A FIFO named `French.txt` would block a reader forever, /dev/zero would never end, and a folder
named like a file cannot be read at all; each is refused in one line instead.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from rnnkit.data.errors import CorpusError


def open_regular(path: Path) -> tuple[int, os.stat_result]:
    """An open file descriptor of `path` and its status; CorpusError unless a regular file."""
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer before it can be refused.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise CorpusError(f"{path}: cannot read ({exc.strerror or exc})") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise CorpusError(f"{path} is not a regular file")
    return fd, info


def read_regular(path: Path, limit: int) -> bytes:
    """The bytes of `path`; CorpusError unless it is a regular file of at most `limit` bytes."""
    fd, _ = open_regular(path)
    with os.fdopen(fd, "rb") as fh:
        try:
            data = fh.read(limit + 1)
        except OSError as exc:
            raise CorpusError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if len(data) > limit:
        raise CorpusError(f"{path} is larger than {limit} bytes, too large for a corpus file")
    return data
