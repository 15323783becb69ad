"""The doctor's checklist as terminal text: one line per check, a summary, fixes indented.

Every string in it comes from the machine or a profile somewhere down the line, so each goes
through `printable` before it is written. Colour is rich's work, given only plain `Text`
objects: rich never parses machine text as markup ("[bold red]" in a GPU name prints as is).
"""

from __future__ import annotations

import os
from typing import Any, TextIO

from provision.checks import CheckResult
from provision.text import printable

MARKS = {"pass": "✓", "warn": "!", "fail": "✗", "skip": "–"}
ASCII_MARKS = {"pass": "+", "warn": "!", "fail": "x", "skip": "-"}
STYLES = {"pass": "green", "warn": "yellow", "fail": "red", "skip": "dim"}
DASH, ASCII_DASH = "—", "-"


def use_colour(stream: Any) -> bool:
    """Colour only on a terminal, and never when NO_COLOR holds any value (no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):  # a closed or odd stream: plain text
        return False


def can_encode(stream: TextIO | Any, text: str) -> bool:
    """Whether `stream`'s encoding can write `text` (a Latin-1 or ASCII terminal cannot ✓)."""
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def render_checklist(checks: list[CheckResult], profile_name: str | None = None,
                     verbose: bool = False, colour: bool = False, ascii_only: bool = False,
                     readiness: list[CheckResult] | None = None) -> str:
    """The checklist text; `verbose` adds each check's detail, `colour` adds ANSI colours and
    `ascii_only` swaps the marks and dash for ASCII ones. `readiness` (the benchmark-readiness
    section) is listed after the checks; it never changes the verdict."""
    marks, dash = (ASCII_MARKS, ASCII_DASH) if ascii_only else (MARKS, DASH)
    every = [*checks, *(readiness or [])]
    width = max((len(printable(c.id, keep_newlines=False)) for c in every), default=0)
    lines: list[tuple[str, str | None]] = [  # (text, style of its first word)
        (f"rnnbench doctor {dash} profile: "
         f"{printable(profile_name or 'inferred from this machine', keep_newlines=False)}", None)]
    lines += _check_lines(checks, marks, width, verbose)
    if readiness:
        lines.append((f"benchmark readiness {dash} settings that move timings, not readiness:",
                      None))
        lines += _check_lines(readiness, marks, width, verbose)
    counts = {s: sum(c.status == s for c in checks) for s in MARKS}
    verdict = "NOT READY" if counts["fail"] else "ready"
    summary = (f"{verdict}: {counts['pass']} passed, {counts['warn']} warnings, "
               f"{counts['fail']} failed, {counts['skip']} skipped")
    if not colour:
        return "\n".join([*(text for text, _ in lines), summary])
    return _coloured(lines, summary, "fail" if counts["fail"] else "pass")


def _check_lines(checks: list[CheckResult], marks: dict[str, str], width: int,
                 verbose: bool) -> list[tuple[str, str | None]]:
    lines: list[tuple[str, str | None]] = []
    for c in checks:
        check_id = printable(c.id, keep_newlines=False).ljust(width)
        lines.append((f"{marks.get(c.status, '?')} {check_id}  "
                      f"{printable(c.summary, keep_newlines=False)}", c.status))
        if c.status in ("warn", "fail") and c.fix:
            lines.append((f"    fix: {printable(c.fix, keep_newlines=False)}", None))
        if verbose and c.detail:
            lines.extend((f"    {printable(line)}", None)
                         for line in c.detail.splitlines())
    return lines


def _coloured(lines: list[tuple[str, str | None]], summary: str, summary_status: str) -> str:
    # Imported here: rich costs tens of milliseconds and plain output never needs it.
    from io import StringIO

    from rich.console import Console
    from rich.text import Text

    out = StringIO()
    console = Console(file=out, force_terminal=True, color_system="standard", no_color=False,
                      markup=False, emoji=False, highlight=False, width=10_000)
    for text, status in lines:
        line = Text(text)
        if status is not None:
            line.stylize(STYLES.get(status, ""), 0, 1)
        console.print(line, soft_wrap=True)
    console.print(Text(summary, style=STYLES[summary_status]), soft_wrap=True)
    return out.getvalue().rstrip("\n")
