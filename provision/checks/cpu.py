"""Checks of the CPU side: cores, memory, torch threads and the frequency governor."""

from __future__ import annotations

from provision.checks.base import CheckResult, check
from provision.facts import Facts
from provision.fix import run, say
from provision.profile import Profile

LOW_MEMORY_GIB = 2.0


@check("cpu.resources")
def resources(facts: Facts, profile: Profile) -> CheckResult:
    c = facts.cpu
    threads = facts.torch.num_threads
    summary = (f"{c.logical_cores or '?'} logical cores ({c.physical_cores or '?'} physical), "
               f"{c.memory_total_gib or '?'} GiB memory ({c.memory_available_gib or '?'} GiB "
               f"free), torch threads {threads or '?'}")
    detail = f"CPU: {c.model or 'unknown'}. {c.reason}".strip()
    if c.memory_available_gib is not None and c.memory_available_gib < LOW_MEMORY_GIB:
        return CheckResult("cpu.resources", "warn", summary + ": little free memory",
                           detail=detail,
                           fixes=(say("close memory-hungry programs before benchmarking"),))
    if threads and c.physical_cores and threads > c.physical_cores:
        return CheckResult("cpu.resources", "warn", summary + ": more torch threads than "
                           "physical cores", detail=detail,
                           fixes=(run(f"export OMP_NUM_THREADS={c.physical_cores}"),))
    return CheckResult("cpu.resources", "pass", summary, detail=detail)


@check("cpu.governor")
def governor(facts: Facts, profile: Profile) -> CheckResult:
    gov = facts.cpu.governor
    if gov is None:
        return CheckResult("cpu.governor", "skip", "No CPU frequency governor exposed "
                           "(virtual machine or container)")
    if gov == "powersave":
        tool = "linux-cpupower" if facts.os.family == "debian" else "kernel-tools"
        return CheckResult("cpu.governor", "warn", "CPU governor is powersave: CPU benchmark "
                           "figures will be low and noisy",
                           fixes=(run(("sudo cpupower frequency-set -g performance",
                                       f"cpupower is in the {tool} package")),))
    return CheckResult("cpu.governor", "pass", f"CPU governor is {gov}")
