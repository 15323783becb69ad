"""Checks of the operating system side: distribution, profile packages, pip, Term::ReadLine::Gnu."""

from __future__ import annotations

from provision import fixes
from provision.checks.base import OTHER_PROFILE, CheckResult, check, distro_differs
from provision.facts import Facts
from provision.fix import run, say
from provision.profile import Profile
from provision.tables import major_minor


@check("os.distro")
def distro(facts: Facts, profile: Profile) -> CheckResult:
    os_ = facts.os
    name = os_.pretty_name or " ".join(filter(None, [os_.id, os_.version_id])) or "unknown"
    kernel = f"kernel {os_.kernel}" if os_.kernel else "kernel unknown"
    summary = f"{name}, {kernel}"
    if not os_.id:
        return CheckResult("os.distro", "warn", f"Distribution unknown ({os_.reason}), {kernel}",
                           detail="Fixes below are generic because the package manager is "
                                  "unknown.",
                           fixes=(run(("cat /etc/os-release", "names the distribution the "
                                                              "fixes depend on")),))
    if distro_differs(facts, profile):
        expected = " ".join(filter(None, [profile.distro_id, profile.distro_version]))
        return CheckResult("os.distro", "warn", f"{summary}; profile expects {expected}",
                           detail="The checks still run; fixes are given for the distribution "
                                  "actually found.", fixes=(OTHER_PROFILE,))
    base = (f"; built on Ubuntu {os_.ubuntu_base}: its driver and package routes apply"
            if os_.ubuntu_base and os_.id != "ubuntu" else "")
    detail = f"Package manager family: {os_.family}{base}." if os_.family != "unknown" else \
        "This distribution is not one the doctor knows (Fedora, RHEL-likes, Debian and Ubuntu " \
        "with its derivatives, openSUSE, Arch); fixes are said in words."
    return CheckResult("os.distro", "pass", summary, detail=detail)


@check("os.packages")
def packages(facts: Facts, profile: Profile) -> CheckResult:
    if not profile.packages:
        return CheckResult("os.packages", "skip", "No package list to check (no profile)")
    found = facts.packages
    if found.tool is None or found.reason:
        return CheckResult("os.packages", "warn", "Could not query installed packages",
                           detail=found.reason, fixes=(say(
                               "check by hand that these are installed: "
                               + ", ".join(profile.packages)),))
    missing = [name for name in profile.packages if not found.installed.get(name)]
    if missing:
        return CheckResult("os.packages", "fail",
                           f"{len(missing)} of {len(profile.packages)} profile packages missing: "
                           f"{', '.join(missing)}",
                           fixes=(fixes.install_packages(facts.os, missing),))
    return CheckResult("os.packages", "pass",
                       f"All {len(profile.packages)} profile packages installed")


@check("python.pip")
def pip(facts: Facts, profile: Profile) -> CheckResult:
    py = facts.python
    python = f"Python {py.version}" if py.version else py.executable or "python3"
    if py.pip_version:
        return CheckResult("python.pip", "pass", f"pip {py.pip_version} for {python}")
    return CheckResult("python.pip", "fail", f"pip is missing for {python}",
                       detail=py.reason, fixes=(fixes.install(facts.os, "pip"),))


@check("perl.readline_gnu")
def readline_gnu(facts: Facts, profile: Profile) -> CheckResult:
    why = ("NVIDIA's CUDA runfile installer needs the Perl module Term::ReadLine::Gnu. It matters "
           "where the runfile is the way CUDA gets installed, typically Fedora and RHEL-likes "
           "whose base install lacks the module; on Debian/Ubuntu NVIDIA's apt repository is "
           "the usual route and does not need it.")
    if facts.perl.readline_gnu:
        return CheckResult("perl.readline_gnu", "pass", "Perl module Term::ReadLine::Gnu present",
                           detail=why)
    needs_runfile = runfile_route(facts, profile)
    if not needs_runfile:
        return CheckResult("perl.readline_gnu", "skip",
                           "Term::ReadLine::Gnu not needed: no CUDA runfile install planned",
                           detail=f"{why} A toolkit is installed or none is wanted, and pip's "
                                  "torch needs none.")
    logical = ("readline-gnu",) if facts.perl.installed else ("perl", "readline-gnu")
    what = "Perl module Term::ReadLine::Gnu missing" if facts.perl.installed else "Perl missing"
    return CheckResult("perl.readline_gnu", "fail", what + " (NVIDIA's runfile installer "
                       "needs it)", detail=f"{why} {facts.perl.reason}".strip(),
                       fixes=(fixes.install(facts.os, *logical),))


def runfile_route(facts: Facts, profile: Profile) -> bool:
    """Whether NVIDIA's runfile is how CUDA gets installed here: a profile asks for it, or a
    profile wants a toolkit that is not installed and names no other installer."""
    if profile.cuda_installer == "runfile":
        return True
    wanted = profile.cuda_toolkit
    if not wanted or profile.cuda_installer:
        return False
    return not any(major_minor(t.version) == major_minor(wanted) for t in facts.cuda.toolkits)
