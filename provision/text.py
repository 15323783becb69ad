"""Making text from the machine or from input files safe to print on a terminal.

os-release, GPU and CPU names, results files and corpus file names are written by someone
else: an ESC sequence in one would clear the screen, set the window title or hide text when
printed raw. Every string that reaches a terminal goes through `printable`.
"""

from __future__ import annotations

import unicodedata

# Bidirectional overrides and isolates reorder what follows them on screen ("Trojan Source").
_BIDI = {"\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068",
         "\u2069", "\u200e", "\u200f", "\u061c"}


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: object, keep_newlines: bool = True) -> str:
    """`text` with control characters, bidi overrides and stray surrogates shown as escapes
    (`\\x1b`), so it prints as what it is instead of acting on the terminal. Newlines and tabs
    stay unless `keep_newlines` is False (for one-line fields)."""
    text = str(text)
    kept = "\n\t" if keep_newlines else ""
    out = []
    for char in text:
        category = unicodedata.category(char)
        if char in kept:
            out.append(char)
        elif category in ("Cc", "Cs") or char in _BIDI:
            out.append(_escape(char))
        else:
            out.append(char)
    return "".join(out)
