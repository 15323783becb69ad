"""The doctor: run every check over Facts and a Profile, and build the `rnnbench.doctor/2` dict."""

from __future__ import annotations

from typing import Any

from provision.checks import CheckResult, ordered_checks
from provision.checks.readiness import readiness_checks
from provision.facts import Facts
from provision.profile import Profile, ProfileError, load_profile

# 2: a check's `fix` string became `fixes` (provision/fix.py) and `because`; readers of
# doctor documents (fleet) still read 1 (fix.fixes_from_json).
SCHEMA = "rnnbench.doctor/2"

__all__ = ["SCHEMA", "CheckResult", "Profile", "ProfileError", "doctor_document",
           "exit_code", "inferred_profile", "load_profile", "readiness_section", "run_checks",
           "tally"]


def inferred_profile(facts: Facts) -> Profile:
    """Expectations taken from the machine itself: a GPU is expected only where one is seen."""
    return Profile(name=None, description="inferred from this machine",
                   gpu_required=bool(facts.pci_gpus))


def run_checks(facts: Facts, profile: Profile | None = None) -> list[CheckResult]:
    """Every check in print order; a check that raises becomes that check's failure."""
    profile = profile or inferred_profile(facts)
    results = []
    for check_id, fn in ordered_checks():
        try:
            result = fn(facts, profile)
        except Exception as exc:  # one broken check must not hide the others
            result = CheckResult(check_id, "fail", f"check crashed: {type(exc).__name__}: {exc}",
                                 detail="This is a bug in rnnbench's doctor; the other checks "
                                        "still ran.")
        results.append(result)
    return results


def readiness_section(facts: Facts) -> list[dict[str, Any]]:
    """The benchmark-readiness section as plain data: one `CheckResult.to_dict()` per check
    (ids `bench.*`), for a results file to keep beside its figures. Warnings only: what moves
    benchmark numbers, not what breaks the machine, so it never changes the exit code."""
    return [c.to_dict() for c in readiness_checks(facts)]


def tally(checks: list[CheckResult]) -> dict[str, int]:
    """How many checks of each status."""
    return {status: sum(c.status == status for c in checks)
            for status in ("pass", "warn", "fail", "skip")}


def exit_code(checks: list[CheckResult]) -> int:
    """0 when nothing failed (warnings allowed), 1 when a check failed."""
    return 1 if any(c.status == "fail" for c in checks) else 0


def doctor_document(facts: Facts, profile: Profile | None,
                    checks: list[CheckResult]) -> dict[str, Any]:
    """The `rnnbench.doctor/2` document: profile name (None when inferred), facts, checks and
    the readiness section, each with its own tally."""
    readiness = readiness_checks(facts)
    return {
        "schema": SCHEMA,
        "profile": profile.name if profile else None,
        "expectations": (profile or inferred_profile(facts)).to_dict(),
        "facts": facts.to_dict(),
        "checks": [c.to_dict() for c in checks],
        "readiness": [c.to_dict() for c in readiness],
        "summary": tally(checks),
        "readiness_summary": tally(readiness),
        "exit_code": exit_code(checks),
    }
