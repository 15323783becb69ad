"""The doctor's checklist as terminal text, grouped by section, read in two seconds.

Layout (flutter doctor's spirit): a line per section, the checks under it with their marks, a
section whose checks all skip folded into one line (unless verbose), each problem's fix right
under it (commands one to a line, ready to paste; never wrapped, so a copy stays one command),
and at the end a recap of every ✗ and ! with the first command of its fix, then the tallies:
one for the checks (the verdict) and one for benchmark readiness, each counting the marks shown.
Text lines wrap at the terminal's width with a hanging indent under their text.

Every string in it comes from the machine or a profile somewhere down the line, so each goes
through `printable` before it is written. Colour is rich's work, given only plain `Text`
objects: rich never parses machine text as markup ("[bold red]" in a GPU name prints as is).
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TextIO

from provision.checks import CheckResult
from provision.fix import Fix
from provision.text import printable

MARKS = {"pass": "✓", "warn": "!", "fail": "✗", "skip": "–"}
ASCII_MARKS = {"pass": "+", "warn": "!", "fail": "x", "skip": "-"}
STYLES = {"pass": "green", "warn": "yellow", "fail": "red", "skip": "dim"}
DASH, ASCII_DASH = "—", "-"
# Sections in print order: (title, check id prefixes). Readiness is last and never in the verdict.
SECTIONS = [("System", ("os.", "python.", "perl.", "cpu.")), ("NVIDIA driver", ("nvidia.",)),
            ("CUDA", ("cuda.",)), ("PyTorch", ("torch.",)), ("GPU health", ("gpu.",))]
READINESS = "Benchmark readiness"
PROBLEMS = ("fail", "warn")
CHECK_INDENT = 2  # a check's mark under its section title
FIX_INDENT = 6  # a fix's label under its check


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


@dataclass
class Line:
    text: str
    mark_at: int | None = None  # where the status mark sits, for colour
    status: str | None = None
    span: int = 1  # how many characters from mark_at take the status colour


def _one(text: object) -> str:
    return printable(text, keep_newlines=False)


def sections(checks: list[CheckResult]) -> list[tuple[str, list[CheckResult]]]:
    """The checks grouped by section, in print order; a check of no known section goes last."""
    grouped: list[tuple[str, list[CheckResult]]] = [(title, []) for title, _ in SECTIONS]
    other: list[CheckResult] = []
    for c in checks:
        for (_, prefixes), (_, members) in zip(SECTIONS, grouped, strict=True):
            if c.id.startswith(prefixes):
                members.append(c)
                break
        else:
            other.append(c)
    return [(t, m) for t, m in grouped if m] + ([("Other", other)] if other else [])


def section_status(checks: list[CheckResult]) -> str:
    """The worst mark in a section: fail, then warn, then pass; skip when all skip."""
    for status in ("fail", "warn", "pass"):
        if any(c.status == status for c in checks):
            return status
    return "skip"


def skip_reasons(checks: list[CheckResult], every: list[CheckResult]) -> list[str]:
    """Why a section's checks skipped, each reason once: a skip `because` of another check
    gives that check's summary (one root cause, said once)."""
    by_id = {c.id: c for c in every}

    def root(c: CheckResult, seen: int = 0) -> CheckResult:
        # Follow "because" to the check that names the cause (a chain, never a loop).
        cause = by_id.get(c.because)
        return root(cause, seen + 1) if cause is not None and seen < len(by_id) else c

    return list(dict.fromkeys(root(c).summary for c in checks))


def _lower_first(text: str) -> str:
    # "No NVIDIA GPU" -> "no NVIDIA GPU", but "GPU computations" stays (an acronym).
    return text[0].lower() + text[1:] if len(text) > 1 and text[1].islower() else text


FOLD_STEPS = 4  # an alternative longer than this is one line unless verbose


def alternatives(fixes: Iterable[Fix]) -> list[list[Fix]]:
    """The fixes in groups: the way out (with what follows its reboots), then each alternative
    (a condition that starts with "or") with what follows it."""
    groups: list[list[Fix]] = []
    for fix in fixes:
        if not groups or fix.condition.startswith("or"):
            groups.append([fix])
        else:
            groups[-1].append(fix)
    return groups


def fold_words(group: list[Fix]) -> str:
    """How long fixes are ("18 steps in 7 parts"), where they are long enough to fold."""
    steps = sum(len(f.steps) for f in group)
    if steps <= FOLD_STEPS:
        return ""
    return f"{steps} steps" + (f" in {len(group)} parts" if len(group) > 1 else "")


def fix_lines(fixes: Iterable[Fix], indent: int, width: int, label: str = "fix",
              fold: bool = False) -> list[str]:
    """A check's fixes: the first after `label:`, each other under its condition; one command a
    line, its reason as a shell comment after it (or above it when the line would be too long),
    so that any line pasted runs as it is. With `fold`, an alternative of more than FOLD_STEPS
    steps is one line saying how many (the way out itself is always shown whole)."""
    lines: list[str] = []
    step_pad = " " * (indent + len(label) + 2)
    for number, group in enumerate(alternatives(fixes)):
        if fold and number and (folded := fold_words(group)):
            lines += _wrap(f"{_one(group[0].condition)}: {folded} (shown with -v)",
                           " " * indent, step_pad, width)
            continue
        lines += _fix_group(group, indent, width, label if number == 0 else "", step_pad)
    return lines


def _fix_group(fixes: list[Fix], indent: int, width: int, label: str,
               step_pad: str) -> list[str]:
    lines: list[str] = []
    for number, fix in enumerate(fixes):
        head = ", ".join(filter(None, [label if number == 0 else "", _one(fix.condition)]))
        said = _one(fix.words)
        steps = list(fix.steps)
        if steps and not said and label and head == label:
            # A plain first fix starts on its label's line: "fix: sudo dnf install …".
            lines += _step_lines(steps.pop(0), " " * indent + f"{label}: ", len(step_pad), width)
        else:
            text = f"{head}: {said}" if said else head
            lines += _wrap(text + (":" if steps else ""), " " * indent, step_pad, width)
        for step in steps:
            lines += _step_lines(step, step_pad, len(step_pad), width)
    return lines


def _step_lines(step: Any, first_pad: str, at: int, width: int) -> list[str]:
    command = _one(step.command)
    if not step.reason:
        return [first_pad + command]
    comment = f"  # {_one(step.reason)}"
    if len(first_pad) + len(command) + len(comment) <= width:
        return [first_pad + command + comment]
    # The reason above its command, as a comment of its own (still pastes as it is).
    above = _wrap(f"# {_one(step.reason)}", first_pad, " " * at + "# ", width)
    return [*above, " " * at + command]


def _wrap(text: str, first: str, rest: str, width: int) -> list[str]:
    """`text` wrapped at `width`, its later lines indented by `rest` (a hanging indent)."""
    room = max(width, len(first) + 20)
    return textwrap.wrap(text, room, initial_indent=first, subsequent_indent=rest,
                         break_long_words=False, break_on_hyphens=False) or [first.rstrip()]


def render_checklist(checks: list[CheckResult], profile_name: str | None = None,
                     verbose: bool = False, colour: bool = False, ascii_only: bool = False,
                     readiness: list[CheckResult] | None = None, width: int = 80) -> str:
    """The checklist text; `verbose` unfolds all-skipped sections and adds each check's detail
    (a paragraph once, however many checks carry it), `colour` adds ANSI colours, `ascii_only`
    swaps the marks and dash for ASCII ones, `width` is where text lines wrap. `readiness` (the
    benchmark-readiness section) is listed last; it never changes the verdict."""
    marks, dash = (ASCII_MARKS, ASCII_DASH) if ascii_only else (MARKS, DASH)
    readiness = readiness or []
    every = [*checks, *readiness]
    id_width = max((len(_one(c.id)) for c in every), default=0)
    lines = [Line(f"rnnbench doctor {dash} profile: "
                  f"{_one(profile_name or 'inferred from this machine')}")]
    seen_detail: set[str] = set()
    groups = sections(checks) + ([(READINESS + " (timings, not the verdict)", readiness)]
                                 if readiness else [])
    for title, members in groups:
        status = section_status(members)
        if status == "skip" and not verbose:
            reasons = "; ".join(_lower_first(_one(r)) for r in skip_reasons(members, every))
            count = f"{len(members)} checks" if len(members) > 1 else "1 check"
            lines += _marked(f"{marks['skip']} {title}: {count} skipped {dash} {reasons}", 0,
                             "skip", width, 2)
            continue
        lines.append(Line(f"{marks[status]} {title}", 0, status))
        for c in members:
            lines += _check_lines(c, marks, id_width, width, verbose, seen_detail)
    lines += _recap(every, marks, id_width, width)
    counts = {s: sum(c.status == s for c in checks) for s in MARKS}
    verdict = "NOT READY" if counts["fail"] else "ready"
    summary = f"{verdict}: {_tally(counts)}"
    lines.append(Line(summary, 0, "fail" if counts["fail"] else "pass", len(summary)))
    if readiness:
        ready = {s: sum(c.status == s for c in readiness) for s in MARKS}
        lines.append(Line(f"readiness (not the verdict): {_tally(ready)}"))
    if not colour:
        return "\n".join(line.text for line in lines)
    return _coloured(lines)


def _tally(counts: dict[str, int]) -> str:
    def n(k: int, one: str, many: str) -> str:
        return f"{k} {one if k == 1 else many}"
    return (f"{counts['pass']} passed, {n(counts['warn'], 'warning', 'warnings')}, "
            f"{counts['fail']} failed, {counts['skip']} skipped")


def _marked(text: str, at: int, status: str, width: int, hang: int) -> list[Line]:
    wrapped = _wrap(text, " " * at, " " * (at + hang), width)
    return [Line(wrapped[0], at, status), *(Line(t) for t in wrapped[1:])]


def _check_lines(c: CheckResult, marks: dict[str, str], id_width: int, width: int,
                 verbose: bool, seen_detail: set[str]) -> list[Line]:
    head = f"{marks.get(c.status, '?')} {_one(c.id).ljust(id_width)}  "
    lines = _marked(head + _one(c.summary), CHECK_INDENT, c.status, width,
                    len(head))
    if c.status in PROBLEMS:
        if c.because:
            lines.append(Line(" " * FIX_INDENT + f"because of {_one(c.because)} (its fix mends "
                              "this too)"))
        elif c.status == "warn" and not verbose and (folded := fold_words(list(c.fixes))):
            # A warning's long fix (a compiler from conda-forge) waits for -v; the recap below
            # still gives its first command.
            lines += [Line(t) for t in _wrap(f"fix: {folded} (shown with -v)", " " * FIX_INDENT,
                                             " " * (FIX_INDENT + 5), width)]
        else:
            lines += [Line(t) for t in fix_lines(c.fixes, FIX_INDENT, width, fold=not verbose)]
    if verbose and c.detail:
        for paragraph in printable(c.detail).splitlines():
            if paragraph.strip() and paragraph not in seen_detail:
                seen_detail.add(paragraph)
                lines += [Line(t) for t in _wrap(paragraph, " " * FIX_INDENT,
                                                 " " * FIX_INDENT, width)]
    return lines


def _recap(every: list[CheckResult], marks: dict[str, str], id_width: int,
           width: int) -> list[Line]:
    """Every ✗ and ! once more, with the first command of its fix, where the eye lands last."""
    problems = sorted((c for c in every if c.status in PROBLEMS),
                      key=lambda c: PROBLEMS.index(c.status))
    if not problems:
        return []
    lines = [Line("To do, in short:")]
    for c in problems:
        head = f"{marks[c.status]} {_one(c.id).ljust(id_width)}  "
        first = c.fixes[0] if c.fixes and not c.because else None
        if first is not None and first.first_command:
            # A command is never wrapped: a copy of it must stay one line.
            lines.append(Line(" " * CHECK_INDENT + head + _one(first.first_command),
                              CHECK_INDENT, c.status))
            continue
        text = (f"because of {_one(c.because)}" if c.because else
                _one(first.words) if first else "no fix known: see its detail (-v)")
        lines += _marked(head + text, CHECK_INDENT, c.status, width, len(head))
    return lines


def _coloured(lines: list[Line]) -> str:
    # Imported here: rich costs tens of milliseconds and plain output never needs it.
    from io import StringIO

    from rich.console import Console
    from rich.text import Text

    out = StringIO()
    console = Console(file=out, force_terminal=True, color_system="standard", no_color=False,
                      markup=False, emoji=False, highlight=False, width=10_000)
    for line in lines:
        text = Text(line.text)
        if line.status is not None and line.mark_at is not None:
            text.stylize(STYLES.get(line.status, ""), line.mark_at, line.mark_at + line.span)
        console.print(text, soft_wrap=True)
    return out.getvalue().rstrip("\n")
