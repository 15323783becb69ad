"""Fleet-grade GPU health: memory errors and their repair, Xid errors, modes, the PCIe link and
other processes on the GPU. A metric a GPU does not report (None) is "not reported", never a
fault: GeForce cards have no ECC counters, row remapper or MIG."""

from __future__ import annotations

from collections.abc import Callable

from provision.checks.base import CheckResult, check, has_nvidia_gpu, lost_gpus
from provision.facts import Facts, GpuHealth, GpuInfo, XidEvent
from provision.fix import Fix, Step, run
from provision.profile import Profile

# Xid codes and what they mean (NVIDIA, "Xid Errors", docs.nvidia.com/deploy/xid-errors).
# Raised for a program's own fault, not the card's, unless they follow every program.
XID_PROGRAM = {13: "graphics engine exception", 31: "GPU memory page fault",
               43: "GPU stopped processing", 45: "preemptive cleanup after earlier errors"}
# The card or its link: these want a GPU reset at least, and service if they come back.
XID_RESET = {48: "double-bit ECC error", 62: "internal micro-controller halt",
             64: "ECC page retirement or row remapping failure", 74: "NVLink error",
             79: "GPU has fallen off the bus", 95: "uncontained ECC error",
             119: "GSP RPC timeout", 120: "GSP error"}
# Worth a look: the driver contained them, or they report memory repair under way.
XID_WATCH = {61: "internal micro-controller warning",
             63: "ECC page retirement or row remapping recorded",
             92: "high single-bit ECC error rate", 94: "contained ECC error"}

Finding = tuple[str, str, Fix | None]  # (status, summary, its fix)


def reset(index: int | str) -> Step:
    """The GPU reset that applies what waits for one."""
    return Step(f"sudo nvidia-smi -r -i {index}", "no process may use the GPU; a reboot does "
                                                   "the same")


def _counts(index: int | str | None = None) -> str:
    where = f" -i {index}" if index is not None else ""
    return f"nvidia-smi -q -d ECC,PAGE_RETIREMENT,ROW_REMAPPER{where}"


def _gpus(facts: Facts) -> list[tuple[GpuInfo, GpuHealth]]:
    return [(gpu, gpu.health) for gpu in facts.driver.gpus if gpu.health is not None]


def _skip_without_gpus(check_id: str, facts: Facts) -> CheckResult | None:
    if not has_nvidia_gpu(facts) or not _gpus(facts):
        return CheckResult(check_id, "skip", "No GPU answering NVML or nvidia-smi",
                           because="" if has_nvidia_gpu(facts) else "nvidia.gpu")
    return None


def _not_reported(check_id: str, what: str, facts: Facts) -> CheckResult:
    names = ", ".join(sorted({gpu.name or f"GPU {gpu.index}" for gpu, _ in _gpus(facts)}))
    return CheckResult(check_id, "skip", f"{what} not reported by {names}",
                       detail="GeForce and most workstation GPUs have no ECC counters, page "
                              "retirement or row remapping; that is no fault.")


def _worst(check_id: str, found: list[Finding], passed: str,
           detail: str) -> CheckResult:
    """The result for a list of (status, summary, fix) findings: the worst status leads."""
    if not found:
        return CheckResult(check_id, "pass", passed, detail=detail)
    rank = {"fail": 0, "warn": 1}
    found.sort(key=lambda item: rank.get(item[0], 2))
    status = found[0][0]
    fixes = tuple(dict.fromkeys(fix for _, _, fix in found if fix))
    return CheckResult(check_id, status, "; ".join(summary for _, summary, _ in found),
                       detail=detail, fixes=fixes)


def _each(facts: Facts, look: Callable[[GpuInfo, GpuHealth], list[Finding]]
          ) -> list[Finding]:
    return [item for gpu, health in _gpus(facts) for item in look(gpu, health)]


@check("gpu.ecc")
def ecc(facts: Facts, profile: Profile) -> CheckResult:
    if (skipped := _skip_without_gpus("gpu.ecc", facts)) is not None:
        return skipped
    reporting = [(g, h) for g, h in _gpus(facts) if h.ecc_enabled is not None]
    if not reporting:
        return _not_reported("gpu.ecc", "ECC", facts)

    def look(gpu: GpuInfo, h: GpuHealth) -> list[Finding]:
        i, found = gpu.index, []
        if h.ecc_volatile_uncorrected:
            found.append(("fail", f"GPU {i}: {h.ecc_volatile_uncorrected} uncorrected ECC "
                          "errors since the driver loaded (a program on it got wrong data or "
                          "was stopped)", run(reset(i))))
        elif h.ecc_aggregate_uncorrected:
            found.append(("warn", f"GPU {i}: {h.ecc_aggregate_uncorrected} uncorrected ECC "
                          "errors over its life",
                          run((_counts(i), "run it again later: growing counts mean the card "
                                           "needs service"))))
        if h.ecc_pending:
            found.append(("warn", f"GPU {i}: ECC mode changes at the next reset",
                          run(reset(i))))
        return found

    detail = "\n".join(
        f"GPU {g.index}: ECC {'on' if h.ecc_enabled else 'off'}; corrected "
        f"{h.ecc_volatile_corrected} since the driver loaded, {h.ecc_aggregate_corrected} over "
        f"its life; uncorrected {h.ecc_volatile_uncorrected} / {h.ecc_aggregate_uncorrected}"
        for g, h in reporting)
    return _worst("gpu.ecc", _each(facts, look),
                  f"{len(reporting)} GPU(s) report ECC: no uncorrected errors", detail)


@check("gpu.memory_repair")
def memory_repair(facts: Facts, profile: Profile) -> CheckResult:
    if (skipped := _skip_without_gpus("gpu.memory_repair", facts)) is not None:
        return skipped
    reporting = [(g, h) for g, h in _gpus(facts)
                 if h.retired_pages_pending is not None or h.remap_pending is not None]
    if not reporting:
        return _not_reported("gpu.memory_repair", "Page retirement and row remapping", facts)

    def look(gpu: GpuInfo, h: GpuHealth) -> list[Finding]:
        i, found = gpu.index, []
        if h.remap_failed:
            found.append(("fail", f"GPU {i}: row remapping failed (no spare rows left)",
                          run((f"nvidia-smi -q -d ROW_REMAPPER -i {i}", "the details"),
                              words=f"drain GPU {i} and have the card serviced")))
        if h.remap_pending or h.retired_pages_pending:
            what = "row remapping" if h.remap_pending else "page retirement"
            found.append(("warn", f"GPU {i}: {what} waits for a GPU reset (the bad memory "
                          "is still in use until then)", run(reset(i))))
        return found

    detail = "\n".join(
        f"GPU {g.index}: retired pages {h.retired_pages_sbe} single-bit, {h.retired_pages_dbe} "
        f"double-bit, pending {h.retired_pages_pending}; remapped rows "
        f"{h.remapped_rows_correctable} correctable, {h.remapped_rows_uncorrectable} "
        f"uncorrectable, pending {h.remap_pending}, failed {h.remap_failed}"
        for g, h in reporting)
    return _worst("gpu.memory_repair", _each(facts, look),
                  f"{len(reporting)} GPU(s): no memory repair pending or failed", detail)


def pci_key(address: str | None) -> tuple[str, ...]:
    """Bus and device of a PCI address: NVML's "00000000:01:00.0" and the kernel's Xid
    "0000:01:00" give the same key."""
    parts = (address or "").lower().split(".")[0].split(":")
    return tuple(part.lstrip("0") or "0" for part in parts[-2:])


def _xid_gpu(facts: Facts, event: XidEvent) -> str:
    for gpu in facts.driver.gpus:
        if gpu.pci_bus_id and pci_key(gpu.pci_bus_id) == pci_key(event.pci):
            return f"GPU {gpu.index}"
    return f"PCI {event.pci}"


@check("gpu.xid")
def xid(facts: Facts, profile: Profile) -> CheckResult:
    x = facts.xid
    if not has_nvidia_gpu(facts):
        return CheckResult("gpu.xid", "skip", "No NVIDIA GPU", because="nvidia.gpu")
    if x.source is None:
        return CheckResult("gpu.xid", "skip", "Kernel log not readable: Xid errors unknown",
                           detail=x.reason)
    since = "this boot" if x.source == "dmesg" else f"{x.source}, earlier boots included"
    if not x.events:
        return CheckResult("gpu.xid", "pass", f"No NVIDIA Xid errors ({since})")
    lines = [f"Xid {e.code} on {_xid_gpu(facts, e)}: {e.message}" for e in x.events[-20:]]
    detail = f"From {since}; the newest {len(lines)}:\n" + "\n".join(lines)
    codes = sorted({e.code for e in x.events})
    serious = [c for c in codes if c in XID_RESET]
    watch = [c for c in codes if c in XID_WATCH or c not in XID_PROGRAM and c not in XID_RESET]
    named = ", ".join(f"{c} ({XID_RESET.get(c) or XID_WATCH.get(c) or XID_PROGRAM.get(c) or '?'})"
                      for c in (serious or watch or codes))
    where = sorted({_xid_gpu(facts, e) for e in x.events if e.code in (serious or watch)})
    resets = [reset(w.split()[-1]) for w in where if w.startswith("GPU ")]
    mend = run(*resets) if resets else run("sudo reboot")
    if serious == [79] and lost_gpus(facts):
        # The GPU fell off the bus: nvidia.driver names it with the hardware fix; not repeated.
        return CheckResult("gpu.xid", "fail", f"Xid {named} on {', '.join(where)} ({since})",
                           detail=detail, because="nvidia.driver")
    if serious:
        # A log file reaches back to earlier boots, which a reset or reboot may have mended.
        status = "fail" if x.source == "dmesg" else "warn"
        return CheckResult("gpu.xid", status, f"Xid {named} on {', '.join(where)} ({since})",
                           detail=detail, fixes=(mend, run(
                               ("sudo nvidia-bug-report.sh", "for the vendor; then have the card "
                                                             "serviced"),
                               condition="if it comes back")))
    if watch:
        return CheckResult("gpu.xid", "warn", f"Xid {named} on {', '.join(where)} ({since})",
                           detail=detail, fixes=(
                               run((_counts(), "look at the counts")),
                               Fix(mend.steps, "if they grow")))
    return CheckResult("gpu.xid", "pass", f"Only program-raised Xid {named} ({since}): a "
                       "program's own fault, not the card's", detail=detail)


@check("gpu.modes")
def modes(facts: Facts, profile: Profile) -> CheckResult:
    if (skipped := _skip_without_gpus("gpu.modes", facts)) is not None:
        return skipped

    def look(gpu: GpuInfo, h: GpuHealth) -> list[Finding]:
        i, found = gpu.index, []
        default = run(f"sudo nvidia-smi -i {i} -c DEFAULT")
        if h.compute_mode == "prohibited":
            found.append(("fail", f"GPU {i}: compute mode Prohibited (no program can use "
                          "CUDA on it)", default))
        elif h.compute_mode in ("exclusive_process", "exclusive_thread"):
            found.append(("warn", f"GPU {i}: compute mode {h.compute_mode} (a second process "
                          "gets 'all CUDA-capable devices are busy or unavailable')", default))
        if h.mig_mode:
            found.append(("warn", f"GPU {i}: MIG on (CUDA sees slices, not the whole GPU)",
                          run(f"sudo nvidia-smi -i {i} -mig 0", reset(i))))
        if h.mig_mode_pending is not None and h.mig_mode is not None \
                and h.mig_mode_pending != h.mig_mode:
            found.append(("warn", f"GPU {i}: a MIG mode change waits for a reset",
                          run(reset(i))))
        return found

    detail = "\n".join(
        f"GPU {g.index}: compute mode {h.compute_mode or 'not reported'}, MIG "
        f"{_word(h.mig_mode)}, persistence {_word(h.persistence_mode)}" for g, h in _gpus(facts))
    return _worst("gpu.modes", _each(facts, look),
                  "Compute mode Default, MIG off where reported", detail)


def _word(flag: bool | None) -> str:
    return "not reported" if flag is None else "on" if flag else "off"


def _idle(h: GpuHealth) -> bool:
    if "gpu_idle" in h.throttle_reasons:
        return True
    return bool(h.sm_clock_mhz and h.max_sm_clock_mhz and h.sm_clock_mhz < 0.5 * h.max_sm_clock_mhz)


@check("gpu.pcie")
def pcie(facts: Facts, profile: Profile) -> CheckResult:
    if (skipped := _skip_without_gpus("gpu.pcie", facts)) is not None:
        return skipped

    def look(gpu: GpuInfo, h: GpuHealth) -> list[Finding]:
        i, found = gpu.index, []
        under_load = (f"nvidia-smi -i {i} --query-gpu=pcie.link.gen.current,"
                      "pcie.link.width.current --format=csv -lms 500",
                      "while a job runs: the link under load")
        if h.pcie_width and h.pcie_width_max and h.pcie_width < h.pcie_width_max:
            found.append(("warn", f"GPU {i}: PCIe link x{h.pcie_width} of x{h.pcie_width_max} "
                          "(host-GPU copies get that fraction of their bandwidth)",
                          run(under_load, words="reseat the card or move it to a full-width "
                                                "slot, then check")))
        if h.pcie_gen and h.pcie_gen_max and h.pcie_gen < h.pcie_gen_max:
            if _idle(h):
                found.append(("warn", f"GPU {i}: PCIe gen {h.pcie_gen} of {h.pcie_gen_max} "
                              "while idle (idle GPUs lower the link to save power; if it stays "
                              "low under load, copies run slower)", run(under_load)))
            else:
                found.append(("warn", f"GPU {i}: PCIe gen {h.pcie_gen} of {h.pcie_gen_max} "
                              "while busy (copies run slower)",
                              run(under_load, words="check the slot's PCIe speed setting in the "
                                                    "firmware and any riser cable, then")))
        return found

    detail = "\n".join(
        f"GPU {g.index}: PCIe gen {h.pcie_gen}/{h.pcie_gen_max} (GPU's own maximum "
        f"{h.pcie_gen_gpu_max}), width x{h.pcie_width}/x{h.pcie_width_max}"
        for g, h in _gpus(facts))
    slot_limited = [g.index for g, h in _gpus(facts) if h.pcie_gen_gpu_max and h.pcie_gen_max
                    and h.pcie_gen_max < h.pcie_gen_gpu_max]
    passed = "PCIe links at their maximum generation and width" + (
        f" (the slot limits GPU {', '.join(map(str, slot_limited))} below the card's own "
        "generation)" if slot_limited else "")
    return _worst("gpu.pcie", _each(facts, look), passed, detail)


@check("gpu.processes")
def processes(facts: Facts, profile: Profile) -> CheckResult:
    if (skipped := _skip_without_gpus("gpu.processes", facts)) is not None:
        return skipped
    held = [(g.index, p) for g, h in _gpus(facts) for p in h.processes]
    if not held:
        return CheckResult("gpu.processes", "pass", "No other process holds GPU memory")
    listed = ", ".join(f"pid {p.pid} ({p.name or '?'}, "
                       f"{f'{p.used_memory_mib:g} MiB' if p.used_memory_mib else '? MiB'}) on "
                       f"GPU {i}" for i, p in held)
    pids = " ".join(str(p.pid) for _, p in held)
    return CheckResult("gpu.processes", "warn", f"{len(held)} other process(es) hold GPU "
                       f"memory: {listed}",
                       detail="They share the GPU's time and memory with a benchmark: that "
                              "moves benchmark numbers and can run it out of memory.",
                       fixes=(run(("nvidia-smi --query-compute-apps=pid,process_name,"
                                   "used_memory --format=csv", "lists them"),
                                  (f"kill {pids}", "stops those that are yours")),))
