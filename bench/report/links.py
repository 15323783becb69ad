"""Links between the files a report writes: relative paths, URL-quoted, never a URL scheme.

A run folder or an output file can be named anything, `javascript:alert(1)` included; placed in
an href raw, such a name is a script the reader runs by clicking. A link is therefore always
built from a relative path, each segment percent-quoted, and never starts with a scheme.
"""

from __future__ import annotations

from pathlib import PurePath
from urllib.parse import quote


def relative_href(path: PurePath | str) -> str:
    """The href of a file given by its path relative to the page (always '/'-separated)."""
    posix = PurePath(path).as_posix()
    if PurePath(posix).is_absolute():
        raise ValueError(f"a link must be a relative path, got {posix!r}")
    href = quote(posix, safe="/")
    # quote() leaves no ':' behind, but a first segment that held one would read as a scheme
    # if that ever changed: './' makes it a path whatever it holds.
    return f"./{href}" if ":" in href.split("/", 1)[0] else href
