"""Benchmark readiness: what moves benchmark numbers on this machine (`pyperf system show` for
GPU benchmarks). A section of its own beside the doctor's checks: each finding is a warning
with its consequence and fix, never a failure, since the machine still works."""

from __future__ import annotations

from collections.abc import Callable

from provision.checks.base import CheckResult
from provision.facts import Facts, GpuHealth, GpuInfo
from provision.fix import Fix, run, say

ReadinessFn = Callable[[Facts], CheckResult]
READINESS: list[tuple[str, ReadinessFn]] = []
MOVES = "which moves benchmark numbers"
LOAD_LIMIT = 1.0  # runnable tasks (1-minute average) beyond the benchmark itself
STEAL_LIMIT = 0.01  # share of CPU time the hypervisor gave to other guests


def readiness_check(check_id: str) -> Callable[[ReadinessFn], ReadinessFn]:
    def register(fn: ReadinessFn) -> ReadinessFn:
        READINESS.append((check_id, fn))
        return fn
    return register


def readiness_checks(facts: Facts) -> list[CheckResult]:
    """Every readiness check in order; one that raises becomes that check's failure."""
    results = []
    for check_id, fn in READINESS:
        try:
            results.append(fn(facts))
        except Exception as exc:  # one broken check must not hide the others
            results.append(CheckResult(check_id, "fail", f"check crashed: "
                                       f"{type(exc).__name__}: {exc}",
                                       detail="This is a bug in rnnbench's doctor."))
    return results


@readiness_check("bench.governor")
def governor(facts: Facts) -> CheckResult:
    found = facts.readiness.governors
    if not found:
        return CheckResult("bench.governor", "skip", "No CPU frequency governor exposed "
                           "(virtual machine or container: the host sets the clocks)")
    others = sorted(set(found.values()) - {"performance"})
    if not others:
        return CheckResult("bench.governor", "pass", f"Governor performance on all {len(found)} "
                           "CPUs")
    slow = sum(gov != "performance" for gov in found.values())
    summary = (f"Governor {', '.join(others)} on {slow} of {len(found)} CPUs: the clock follows "
               f"the load, {MOVES}")
    if facts.cpu.governor == "powersave":  # the doctor's cpu.governor warns and fixes it
        return CheckResult("bench.governor", "warn", summary, because="cpu.governor")
    return CheckResult("bench.governor", "warn", summary,
                       fixes=(run("echo performance | sudo tee "
                                  "/sys/devices/system/cpu/cpu*/cpufreq/scaling_governor"),))


@readiness_check("bench.turbo")
def turbo(facts: Facts) -> CheckResult:
    r = facts.readiness
    why = f"the clock then depends on temperature and on how many cores are busy, {MOVES}"
    if r.intel_no_turbo is False:
        return CheckResult("bench.turbo", "warn", f"Intel Turbo Boost on: {why}",
                           fixes=(run(("echo 1 | sudo tee /sys/devices/system/cpu/intel_pstate/"
                                       "no_turbo", "undo: echo 0")),))
    if r.cpufreq_boost:
        return CheckResult("bench.turbo", "warn", f"CPU boost on: {why}",
                           fixes=(run(("echo 0 | sudo tee /sys/devices/system/cpu/cpufreq/boost",
                                       "undo: echo 1")),))
    if r.intel_no_turbo is None and r.cpufreq_boost is None:
        return CheckResult("bench.turbo", "skip", "Turbo/boost state not exposed")
    return CheckResult("bench.turbo", "pass", "Turbo/boost off")


@readiness_check("bench.load")
def load(facts: Facts) -> CheckResult:
    r = facts.readiness
    if r.load_1min is None:
        return CheckResult("bench.load", "skip", "Load average unknown", detail=r.reason)
    summary = f"Load average {r.load_1min:g} (1 min)" + (
        f", {r.load_5min:g} (5 min)" if r.load_5min is not None else "")
    if r.load_1min >= LOAD_LIMIT:
        return CheckResult("bench.load", "warn", f"{summary}: other work is running, {MOVES}",
                           fixes=(run(("ps -eo pid,pcpu,comm --sort=-pcpu | head",
                                       "finds it")),
                                  say("stop it or wait until it ends", condition="then")))
    return CheckResult("bench.load", "pass", summary)


@readiness_check("bench.steal")
def steal(facts: Facts) -> CheckResult:
    r = facts.readiness
    if r.steal_fraction is None:
        return CheckResult("bench.steal", "skip", "Steal time unknown", detail=r.reason)
    share = f"{r.steal_fraction * 100:.1f}% of CPU time stolen by the hypervisor since boot"
    if r.steal_fraction >= STEAL_LIMIT:
        return CheckResult("bench.steal", "warn", f"{share}: other guests on the host share "
                           f"its CPUs, {MOVES}",
                           fixes=(run(("vmstat 1 5", "column st: the share stolen now")),
                                  say("benchmark on a dedicated host or bare-metal instance",
                                      condition="to be rid of it")))
    return CheckResult("bench.steal", "pass", share)


@readiness_check("bench.smt")
def smt(facts: Facts) -> CheckResult:
    active = facts.readiness.smt_active
    if active is None:
        return CheckResult("bench.smt", "skip", "SMT state not exposed")
    if active:
        return CheckResult("bench.smt", "warn", "SMT (hyper-threading) on: two threads share "
                           f"one core's units, {MOVES} of multi-threaded CPU work",
                           fixes=(run(("echo off | sudo tee /sys/devices/system/cpu/smt/control",
                                       "until the next reboot")), _one_thread_per_core(facts)))
    return CheckResult("bench.smt", "pass", "SMT off")


def _one_thread_per_core(facts: Facts) -> Fix:
    cores = facts.cpu.physical_cores
    if cores:
        return run(f"export OMP_NUM_THREADS={cores}", condition="or instead, one torch thread "
                                                                 "per physical core")
    return say("run one torch thread per physical core (OMP_NUM_THREADS)", condition="or instead")


def _no_gpu(facts: Facts) -> str:
    """"nvidia.gpu" (the check that found none) where the machine has no NVIDIA GPU."""
    return "" if facts.pci_gpus or facts.driver.gpus else "nvidia.gpu"


def _gpus(facts: Facts) -> list[tuple[GpuInfo, GpuHealth]]:
    return [(gpu, gpu.health) for gpu in facts.driver.gpus if gpu.health is not None]


def _clocks_set(h: GpuHealth) -> bool | None:
    """Whether someone fixed the GPU's clocks: application clocks away from their default
    (`nvidia-smi -ac`), or NVML's applications-clocks event reason, which locked clocks
    (`nvidia-smi -lgc`, for which NVML has no getter) also raise."""
    if "applications_clocks_setting" in h.throttle_reasons:
        return True
    if h.app_clock_sm_mhz and h.app_clock_sm_default_mhz:
        return h.app_clock_sm_mhz != h.app_clock_sm_default_mhz
    return None


@readiness_check("bench.gpu_clocks")
def gpu_clocks(facts: Facts) -> CheckResult:
    gpus = _gpus(facts)
    if not gpus:
        return CheckResult("bench.gpu_clocks", "skip", "No GPU answering NVML or nvidia-smi",
                           because=_no_gpu(facts))
    known = [(g, h, _clocks_set(h)) for g, h in gpus]
    free = [(g, h) for g, h, fixed in known if fixed is False]
    if not free:
        if all(fixed is None for _, _, fixed in known):
            return CheckResult("bench.gpu_clocks", "skip", "GPU application clocks not reported")
        return CheckResult("bench.gpu_clocks", "pass", "GPU clocks set (application or locked "
                           "clocks)")
    steps = []
    for g, h in free:
        if h.max_sm_clock_mhz:
            mhz = f"{h.max_sm_clock_mhz:g}"
            steps.append((f"sudo nvidia-smi -i {g.index} --lock-gpu-clocks={mhz},{mhz}",
                          f"a lower value holds steadier when the card runs hot; undo: "
                          f"sudo nvidia-smi -i {g.index} --reset-gpu-clocks"))
        else:  # no maximum known: list the clocks to choose from rather than guess one
            steps.append((f"nvidia-smi -i {g.index} -q -d SUPPORTED_CLOCKS",
                          "lock at one of these with --lock-gpu-clocks"))
    return CheckResult("bench.gpu_clocks", "warn",
                       f"GPU clocks not locked on GPU {', '.join(str(g.index) for g, _ in free)}: "
                       f"boost clocks follow temperature and power, {MOVES}",
                       fixes=(run(*steps),))


@readiness_check("bench.gpu_persistence")
def gpu_persistence(facts: Facts) -> CheckResult:
    gpus = _gpus(facts)
    if not gpus or all(h.persistence_mode is None for _, h in gpus):
        return CheckResult("bench.gpu_persistence", "skip", "Persistence mode not reported",
                           because=_no_gpu(facts))
    # A display server holds its GPU open, so the driver stays loaded there without
    # persistence mode: the warning would be noise on every desktop.
    off = [g.index for g, h in gpus if h.persistence_mode is False and not h.display_active]
    if not off and any(h.display_active and h.persistence_mode is False for _, h in gpus):
        return CheckResult("bench.gpu_persistence", "pass",
                           "Persistence mode off, but the display keeps the driver loaded")
    if off:
        return CheckResult("bench.gpu_persistence", "warn",
                           f"Persistence mode off on GPU {', '.join(map(str, off))}: the driver "
                           "loads again as each program starts (seconds) and forgets clock "
                           f"settings, {MOVES}",
                           fixes=(run("sudo systemctl enable --now nvidia-persistenced"),
                                  run("sudo nvidia-smi -pm 1", condition="or, where that "
                                                                         "service is missing")))
    return CheckResult("bench.gpu_persistence", "pass", "Persistence mode on")
