"""The doctor's checklist as terminal text: one line per check, a summary, fixes indented."""

from __future__ import annotations

from provision.checks import CheckResult

MARKS = {"pass": "✓", "warn": "!", "fail": "✗", "skip": "–"}
COLOURS = {"pass": "32", "warn": "33", "fail": "31", "skip": "2"}


def _paint(text: str, status: str, colour: bool) -> str:
    return f"\033[{COLOURS[status]}m{text}\033[0m" if colour else text


def render_checklist(checks: list[CheckResult], profile_name: str | None = None,
                     verbose: bool = False, colour: bool = False) -> str:
    """The checklist text; `verbose` adds each check's detail, `colour` adds ANSI colours."""
    width = max((len(c.id) for c in checks), default=0)
    lines = [f"rnnbench doctor — profile: {profile_name or 'inferred from this machine'}"]
    for c in checks:
        mark = _paint(MARKS.get(c.status, "?"), c.status, colour)
        lines.append(f"{mark} {c.id.ljust(width)}  {c.summary}")
        if c.status in ("warn", "fail") and c.fix:
            lines.append(f"    fix: {c.fix}")
        if verbose and c.detail:
            lines.extend(f"    {line}" for line in c.detail.splitlines())
    counts = {s: sum(c.status == s for c in checks) for s in MARKS}
    verdict = "NOT READY" if counts["fail"] else "ready"
    summary = (f"{verdict}: {counts['pass']} passed, {counts['warn']} warnings, "
               f"{counts['fail']} failed, {counts['skip']} skipped")
    lines.append(_paint(summary, "fail" if counts["fail"] else "pass", colour))
    return "\n".join(lines)
