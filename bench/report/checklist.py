"""The doctor's checklist for a page: the terminal's sections (provision/terminal.py), each
problem's fix as shell lines, a recap of every ✗ and ! with its first command, and the tallies.

It reads a doctor document (schema 2, or 1's one-string fixes) through `CheckResult.from_dict`,
so a page and the terminal group, fold and count the same checks the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from provision.checks.base import CheckResult
from provision.fix import Fix
from provision.terminal import (
    MARKS,
    PROBLEMS,
    READINESS,
    alternatives,
    fold_words,
    section_status,
    sections,
    skip_reasons,
)


@dataclass(frozen=True)
class FixView:
    head: str  # "fix", or its condition and words
    lines: str  # its steps, one command a line, each reason as a trailing comment


@dataclass(frozen=True)
class FixGroup:
    """The way out, or one alternative, with the fixes that follow its reboots; `folded` says
    how long a long alternative is (the page shows it closed, as the terminal does)."""
    fixes: list[FixView]
    folded: str = ""


@dataclass(frozen=True)
class CheckView:
    id: str
    status: str
    mark: str
    summary: str
    detail: str
    because: str
    groups: list[FixGroup]


@dataclass
class SectionView:
    title: str
    status: str
    mark: str
    folded: str = ""  # "8 checks skipped — reason": the section shown as one line
    checks: list[CheckView] = field(default_factory=list)


@dataclass(frozen=True)
class RecapItem:
    id: str
    status: str
    mark: str
    first: str  # the first command of its fix, or its words, or "because of <check>"
    is_command: bool


@dataclass
class Checklist:
    sections: list[SectionView]
    recap: list[RecapItem]
    tally: str  # the verdict's checks
    readiness_tally: str  # benchmark readiness, apart from the verdict


def _checks(value: Any) -> list[CheckResult]:
    items = value if isinstance(value, list) else []
    return [CheckResult.from_dict(c) for c in items if isinstance(c, Mapping)]


def _fix_view(number: int, fix: Fix) -> FixView:
    head = ", ".join(p for p in ("fix" if number == 0 else "", fix.condition) if p)
    head = f"{head}: {fix.words}" if fix.words else head
    lines = "\n".join(s.command + (f"  # {s.reason}" if s.reason else "") for s in fix.steps)
    return FixView(head, lines)


def _check_view(c: CheckResult) -> CheckView:
    groups = []
    if c.status in PROBLEMS and not c.because:
        number = 0
        for index, group in enumerate(alternatives(c.fixes)):
            folded = fold_words(group) if index else ""
            groups.append(FixGroup([_fix_view(number + i, f) for i, f in enumerate(group)],
                                   folded))
            number += len(group)
    return CheckView(c.id, c.status, MARKS.get(c.status, "?"), c.summary, c.detail,
                     c.because if c.status in PROBLEMS else "", groups)


def _tally(checks: list[CheckResult]) -> str:
    n = {s: sum(c.status == s for c in checks) for s in MARKS}
    warnings = "1 warning" if n["warn"] == 1 else f"{n['warn']} warnings"
    return f"{n['pass']} passed, {warnings}, {n['fail']} failed, {n['skip']} skipped"


def checklist(doc: Mapping[str, Any]) -> Checklist:
    """The page's view of a doctor document's checks and readiness section."""
    checks, readiness = _checks(doc.get("checks")), _checks(doc.get("readiness"))
    every = [*checks, *readiness]
    groups = sections(checks) + ([(READINESS + " (timings, not the verdict)", readiness)]
                                 if readiness else [])
    views = []
    for title, members in groups:
        status = section_status(members)
        view = SectionView(title, status, MARKS[status],
                           checks=[_check_view(c) for c in members])
        if status == "skip":
            count = f"{len(members)} checks" if len(members) > 1 else "1 check"
            view.folded = f"{count} skipped — {'; '.join(skip_reasons(members, every))}"
        views.append(view)
    recap = []
    for c in sorted((c for c in every if c.status in PROBLEMS),
                    key=lambda c: PROBLEMS.index(c.status)):
        first = c.fixes[0] if c.fixes and not c.because else None
        if c.because:
            recap.append(RecapItem(c.id, c.status, MARKS[c.status], f"because of {c.because}",
                                   False))
        elif first is not None and first.first_command:
            recap.append(RecapItem(c.id, c.status, MARKS[c.status], first.first_command, True))
        else:
            recap.append(RecapItem(c.id, c.status, MARKS[c.status],
                                   first.words if first else "no fix known", False))
    verdict = "NOT READY" if any(c.status == "fail" for c in checks) else "ready"
    return Checklist(views, recap, f"{verdict}: {_tally(checks)}",
                     _tally(readiness) if readiness else "")
