"""Writing files so that a reader never sees half of one, and so that nothing rnnbench does not
own is replaced: every writer of the project goes through `write_atomic`. Reading an input
file goes through `read_regular`: a regular file of bounded size, or one line saying why not.

- A regular file (or none yet) is written to a temporary file beside it, then renamed over it.
- A link is followed: its target is written, the link stays a link (`-o /dev/stdout`, a link
  into a shared folder).
- A character device or a pipe (`/dev/null`, `/dev/stdout`, a FIFO someone reads) is written
  through; a rename would replace the device node with a plain file (as root, `/dev/null`).
- A block device, a socket or a folder is refused, as is a pipe nobody reads (it would wait).
- A file that only rnnbench should replace (a folder's index.html, which may be the user's own
  page) is replaced only when it carries rnnbench's mark.
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path

# Every page rnnbench renders carries this (bench/report/templates/base.html.j2); a page without
# it was written by someone else.
GENERATOR_MARK = b'<meta name="generator" content="rnnbench">'
# The mark sits in the page's head: how much of a page is read to look for it.
_MARK_WINDOW = 16384


class OutputRefused(OSError):
    """An output path rnnbench will not write; `strerror` says why in words."""


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _existing_mode(path: Path) -> int | None:
    """The mode of what `path` names after following links; None when nothing is there
    (a dangling link included). A link loop or an over-long name raises OSError."""
    try:
        return os.stat(path).st_mode
    except FileNotFoundError:
        return None


def check_output(path: Path) -> None:
    """Raise the OSError that writing `path` would meet in its name (a loop of links, a name
    too long), before any work is spent on what would be written there."""
    _existing_mode(Path(path))


def marked_by_rnnbench(path: Path) -> bool:
    """Whether a regular file starts with rnnbench's page mark (a page rnnbench wrote)."""
    try:
        with open(path, "rb") as fh:
            return GENERATOR_MARK in fh.read(_MARK_WINDOW)
    except OSError:
        return False


def replaceable(path: Path) -> bool:
    """Whether an output that must carry rnnbench's mark may be written at `path`: nothing is
    there yet, or a page rnnbench wrote (a device or pipe is written through, never replaced)."""
    try:
        mode = _existing_mode(Path(path))
    except OSError:
        return True  # the write itself will say what is wrong with the name
    return mode is None or not stat.S_ISREG(mode) or marked_by_rnnbench(Path(path))


def is_stream(path: Path) -> bool:
    """Whether `path` names a character device or a pipe: a page written there has no folder
    to put its chart images in."""
    try:
        mode = _existing_mode(Path(path))
    except OSError:
        return False
    return mode is not None and (stat.S_ISCHR(mode) or stat.S_ISFIFO(mode))


def _write_through(path: Path, data: bytes) -> None:
    """Write into a character device or a pipe as it is, without replacing it."""
    try:
        # O_NONBLOCK: a FIFO nobody reads fails at once (ENXIO) instead of waiting forever.
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError as exc:
        if exc.errno == errno.ENXIO:
            raise OutputRefused(errno.ENXIO, "is a pipe that nobody reads", str(path)) from None
        raise
    try:
        flags = fcntl.fcntl(fd, fcntl.F_GETFL)
        fcntl.fcntl(fd, fcntl.F_SETFL, flags & ~os.O_NONBLOCK)  # then write at the reader's pace
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def write_atomic(path: Path, content: str | bytes, only_over_own: bool = False) -> Path:
    """Write `content` to `path` as the module docstring says; return `path`.

    An interrupted write leaves the old file (or none), never a truncated one. The file gets
    the permissions a plain open() would give it: mkstemp's private 0600 would surprise people
    who share reports and results. `only_over_own`: an existing regular file is replaced only
    when it carries rnnbench's page mark (else OutputRefused).
    """
    path = Path(path)
    data = content.encode("utf-8") if isinstance(content, str) else content
    mode = _existing_mode(path)
    if mode is not None and not stat.S_ISREG(mode):
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, "is a folder", str(path))
        if stat.S_ISCHR(mode) or stat.S_ISFIFO(mode):
            if not isinstance(data, bytes):
                raise TypeError("content must be str or bytes")
            _write_through(path, data)
            return path
        raise OutputRefused(errno.EINVAL, "is a block device or a socket; refusing to write "
                            "to it", str(path))
    if mode is not None and only_over_own and not marked_by_rnnbench(path):
        raise OutputRefused(errno.EEXIST, "was not written by rnnbench; refusing to replace it "
                            "(move it away or choose another folder)", str(path))
    # A link stays a link: its target is what gets replaced.
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name[:64]}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def same_file(a: Path, b: Path) -> bool:
    """Whether two paths name one file: by resolved path, or by inode where both exist (a
    hard link, a bind mount). A name that cannot be resolved (a link loop) names no input."""
    try:
        if Path(a).resolve() == Path(b).resolve():
            return True
        return os.path.samefile(a, b)
    except (OSError, RuntimeError):
        return False


def input_at(inputs: Iterable[Path], out: Path) -> Path | None:
    """The first of `inputs` that writing `out` would replace, or None."""
    return next((Path(p) for p in inputs if same_file(Path(p), Path(out))), None)


class UnreadableFile(ValueError):
    """An input file that is not read; the message is one line naming the file and why."""


def read_regular(path: Path, limit: int, what: str) -> bytes:
    """The bytes of `path` when it is a regular file of at most `limit` bytes (`what` names
    the kind of file in the message). A FIFO is refused without waiting for a writer, a device
    (/dev/zero) without reading it, a folder without an error from the reader."""
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer before it can be refused.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except FileNotFoundError:
        raise UnreadableFile(f"{path}: no such file") from None
    except OSError as exc:
        raise UnreadableFile(f"{path}: cannot read ({exc.strerror or exc})") from None
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise UnreadableFile(f"{path}: not a regular file")
        try:
            data = fh.read(limit + 1)
        except OSError as exc:
            raise UnreadableFile(f"{path}: cannot read ({exc.strerror or exc})") from None
    if len(data) > limit:
        raise UnreadableFile(f"{path}: too large for {what} (over {_size(limit)})")
    return data


def _size(limit: int) -> str:
    return f"{limit >> 20} MB" if limit >= 1 << 20 else f"{limit} bytes"
