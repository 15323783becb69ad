"""A fix as a typed record: steps a person can paste, one shell command each.

A `Fix` is what one problem needs: its `steps`, each exactly one shell command that runs as
printed on the detected distribution (no prose inside, no placeholders to fill in), with a short
`reason` where it helps. A step that reboots is marked `reboot` and is always the last of its
fix: what follows a reboot is a second fix whose `condition` says "after the reboot". Other ways
out are further fixes, each with its condition in words ("if you cannot change the driver").
Where no command is known (an unknown distribution, a card to reseat), the fix says what to do
in `words` and has no steps; `words` may also lead in before the steps ("first enable ...").

A check carries a tuple of fixes: the first is the way out, the others follow or replace it as
their conditions say. In JSON (doctor schema 2) a fix is
`{"condition": str, "words": str, "steps": [{"command": str, "reason": str, "reboot": bool}]}`;
`fixes_from_json` also reads schema 1's one-string `fix`, which it keeps as words (it was a
sentence that need not run as printed).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

REBOOTS = ("sudo reboot", "sudo dnf system-upgrade reboot")


@dataclass(frozen=True)
class Step:
    command: str  # one shell command, as it runs
    reason: str = ""  # why, in a few words; "" where the command says it
    reboot: bool = False  # the machine restarts: nothing of this fix comes after it

    def to_dict(self) -> dict[str, Any]:
        return {"command": self.command, "reason": self.reason, "reboot": self.reboot}


@dataclass(frozen=True)
class Fix:
    steps: tuple[Step, ...] = ()
    condition: str = ""  # when this fix applies, in words; "" for the first way out
    words: str = ""  # what to do where no command does it, or a lead-in before the steps

    def __post_init__(self) -> None:
        # A reboot ends a fix: a step after it would be pasted before the machine restarts.
        if any(step.reboot for step in self.steps[:-1]):
            raise ValueError(f"a reboot must be the last step of its fix: {self.steps}")
        if not self.steps and not self.words:
            raise ValueError("a fix needs steps or words")

    @property
    def first_command(self) -> str | None:
        return self.steps[0].command if self.steps else None

    def to_dict(self) -> dict[str, Any]:
        return {"condition": self.condition, "words": self.words,
                "steps": [step.to_dict() for step in self.steps]}


Fixes = tuple[Fix, ...]


def step(command: str, reason: str = "") -> Step:
    """One step; the reboot commands are marked as such by themselves."""
    return Step(command, reason, reboot=command in REBOOTS)


def reboot(reason: str = "") -> Step:
    return Step("sudo reboot", reason, reboot=True)


def run(*commands: str | Step | tuple[str, str], condition: str = "", words: str = "") -> Fix:
    """A fix from commands (a string, a (command, reason) pair, or a `Step`)."""
    steps = []
    for item in commands:
        if isinstance(item, Step):
            steps.append(item)
        elif isinstance(item, tuple):
            steps.append(step(*item))
        else:
            steps.append(step(item))
    return Fix(tuple(steps), condition, words)


def say(words: str, condition: str = "") -> Fix:
    """A fix in words only: what to do where no command does it."""
    return Fix((), condition, words)


def chain(*parts: Fix | Iterable[Fix]) -> Fixes:
    """Fixes in order, from single fixes and sequences of them."""
    out: list[Fix] = []
    for part in parts:
        out.extend([part] if isinstance(part, Fix) else part)
    return tuple(out)


def _on_first(fixes: Iterable[Fix], condition: str = "", words: str = "") -> Fixes:
    """`fixes` with `condition` put before the first one's ("if ..., after the reboot") and
    `words` before its words."""
    fixes = tuple(fixes)
    if not fixes:
        return ()
    first = fixes[0]
    return (replace(first, condition=", ".join(p for p in (condition, first.condition) if p),
                    words="; ".join(p for p in (words, first.words) if p)), *fixes[1:])


def when(condition: str, fixes: Iterable[Fix]) -> Fixes:
    """`fixes` as an alternative: the first takes `condition` (joined to its own, if any)."""
    return _on_first(fixes, condition=condition)


def lead(words: str, fixes: Iterable[Fix]) -> Fixes:
    """`fixes` with `words` said before the first one's steps."""
    return _on_first(fixes, words=words)


def commands(fixes: Iterable[Fix]) -> list[str]:
    """Every step's command, in order."""
    return [s.command for f in fixes for s in f.steps]


def first_command(fixes: Iterable[Fix]) -> str | None:
    """The first command of the first fix that has one."""
    return next((f.first_command for f in fixes if f.first_command), None)


def fixes_to_json(fixes: Iterable[Fix]) -> list[dict[str, Any]]:
    return [f.to_dict() for f in fixes]


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def fixes_from_json(check: dict[str, Any]) -> Fixes:
    """A check's fixes from its JSON: schema 2's `fixes`, or schema 1's `fix` string as words.
    Malformed entries are skipped (the file is someone else's), never raised on."""
    items = check.get("fixes")
    if not isinstance(items, list):
        legacy = _text(check.get("fix")).strip()
        return (say(legacy),) if legacy else ()
    out: list[Fix] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        raw = item.get("steps") if isinstance(item.get("steps"), list) else []
        steps = [Step(_text(s.get("command")), _text(s.get("reason")), s.get("reboot") is True)
                 for s in raw if isinstance(s, dict) and _text(s.get("command"))]
        # A reboot out of place in a file is dropped to the end rather than trusted.
        steps = [s for s in steps if not s.reboot] + [s for s in steps if s.reboot][-1:]
        words = _text(item.get("words"))
        if steps or words:
            out.append(Fix(tuple(steps), _text(item.get("condition")), words))
    return tuple(out)


def as_text(fixes: Iterable[Fix]) -> str:
    """The fixes as plain text, one line each ("condition: words: command; command"), for logs
    and searching. Not for a person to paste: the terminal and HTML show the steps one a line."""
    lines = []
    for f in fixes:
        said = ": ".join(p for p in (f.condition, f.words) if p)
        steps = "; ".join(s.command + (f" # {s.reason}" if s.reason else "") for s in f.steps)
        lines.append(": ".join(p for p in (said, steps) if p))
    return "\n".join(lines)


def as_script(fixes: Iterable[Fix], because: str = "") -> str:
    """The fixes as lines a shell reads as they are: one command a line, its reason as a
    trailing comment, conditions and words as comment lines; for a page's code block, where a
    person copies one line or several. `because` (a root cause's check id) when it has none."""
    if because:
        return f"# because of {because}: its fix mends this too"
    lines: list[str] = []
    for number, fix in enumerate(fixes):
        said = ": ".join(p for p in (fix.condition, fix.words) if p)
        if said or number:
            lines.append(f"# {said or 'then'}" + (":" if fix.steps else ""))
        lines += [s.command + (f"  # {s.reason}" if s.reason else "") for s in fix.steps]
    return "\n".join(lines)
