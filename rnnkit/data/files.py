"""Reading a corpus file: regular files only, and no more than a size limit.

A FIFO named `French.txt` would block a reader forever, /dev/zero would never end, and a folder
named like a file cannot be read at all; each is refused in one line instead. This is the one
bounded reader of the project: bench reads results, configs and fleet files through it too,
with its own error class and kind of file.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from rnnkit.data.errors import CorpusError


def open_regular(path: Path, error: type[Exception] = CorpusError
                 ) -> tuple[int, os.stat_result]:
    """An open file descriptor of `path` and its status; `error` unless a regular file."""
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer before it can be refused.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except FileNotFoundError:
        raise error(f"{path}: no such file") from None
    except OSError as exc:
        raise error(f"{path}: cannot read ({exc.strerror or exc})") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):  # before fdopen, which refuses a folder
        os.close(fd)
        raise error(f"{path}: not a regular file")
    return fd, info


def read_regular(path: Path, limit: int, what: str = "a corpus file",
                 error: type[Exception] = CorpusError) -> bytes:
    """The bytes of `path` when it is a regular file of at most `limit` bytes; else `error`
    with one line naming the file and why (`what` names the kind of file)."""
    fd, _ = open_regular(path, error)
    with os.fdopen(fd, "rb") as fh:
        try:
            data = fh.read(limit + 1)
        except OSError as exc:
            raise error(f"{path}: cannot read ({exc.strerror or exc})") from None
    if len(data) > limit:
        size = f"{limit >> 20} MB" if limit >= 1 << 20 else f"{limit} bytes"
        raise error(f"{path}: larger than {size}, too large for {what}")
    return data
