"""Where the doctor runs: WSL, a container, a Jetson, AMD GPUs with ROCm. What is found here
decides which of the later checks apply and what their fixes may touch."""

from __future__ import annotations

from provision import platform_fixes, tables
from provision.checks.base import (
    CheckResult,
    check,
    container_without_gpu,
    on_jetson,
    rocm,
)
from provision.facts import Facts
from provision.profile import Profile


def jetson_words(facts: Facts) -> str:
    p = facts.platform
    jetpack = tables.jetpack_major(p.jetson_l4t)
    release = f"L4T {p.jetson_l4t}" if p.jetson_l4t else "L4T release unknown"
    return (f"{p.jetson_model or 'NVIDIA Jetson'} ({release}"
            + (f", JetPack {jetpack}.x" if jetpack else "") + ")")


def amd_words(facts: Facts) -> str:
    p = facts.platform
    names = p.rocm_gpus or [g.name or f"AMD GPU {g.device_id or '?'}" for g in p.amd_gpus]
    count = len(names)
    listed = ", ".join(dict.fromkeys(names)) or "AMD GPU"
    hip = f"; torch built for ROCm (HIP {facts.torch.hip})" if facts.torch.hip else ""
    return f"{count} AMD GPU(s): {listed}" + hip if count else f"AMD GPU(s){hip}"


@check("os.platform")
def platform(facts: Facts, profile: Profile) -> CheckResult:
    p = facts.platform
    if p.wsl == "WSL1":
        return CheckResult("os.platform", "fail", "WSL1: CUDA needs WSL2",
                           detail="WSL1 has no GPU support; WSL2 runs the Windows NVIDIA "
                                  "driver's CUDA through /usr/lib/wsl/lib.",
                           fixes=platform_fixes.wsl1(facts))
    if container_without_gpu(facts):
        seen = "an NVIDIA GPU on the host's PCI bus" if facts.pci_gpus else \
            f"the host's driver {facts.driver.version}" if facts.driver.version else \
            f"a CUDA build of torch ({facts.torch.cuda})"
        return CheckResult(
            "os.platform", "fail",
            f"A {p.container} container without GPU access: no /dev/nvidia* devices, although "
            f"there is {seen}",
            detail=f"Container: {p.container_evidence}. A container sees the host's GPUs only "
                   "when started with them (NVIDIA Container Toolkit); the host's driver is the "
                   "one that matters, so no driver is installed inside the container.",
            fixes=platform_fixes.container_gpu_access(facts))
    parts, detail = [], []
    if p.wsl == "WSL2":
        driver = facts.driver.version
        parts.append("WSL2 on Windows" + (f", Windows NVIDIA driver {driver}" if driver else ""))
        detail.append("Under WSL2 the NVIDIA driver is the Windows one (nvidia-smi shows its "
                      "version) and CUDA reaches it through /usr/lib/wsl/lib "
                      f"({', '.join(p.wsl_libcuda) or 'no libcuda there'}); a Linux NVIDIA "
                      "driver must not be installed inside WSL2.")
    if p.container:
        parts.append(f"{p.container} container with GPU access"
                     if p.nvidia_devices or facts.driver.source in ("nvml", "nvidia-smi")
                     else f"{p.container} container")
        detail.append(f"Container: {p.container_evidence}; the host's NVIDIA driver is the one "
                      "that matters.")
    if on_jetson(facts):
        parts.append(jetson_words(facts))
        detail.append("A Jetson's GPU is part of the module (not on PCI); its driver and CUDA "
                      "come with L4T/JetPack, and torch must be one of NVIDIA's JetPack builds.")
    if rocm(facts) or p.amd_gpus:
        parts.append(amd_words(facts))
        detail.append("AMD GPUs run torch through ROCm/HIP (torch.cuda is HIP there); "
                      f"/sys/class/kfd {'present' if p.kfd else 'absent'}"
                      + (f"; {p.rocm_tool} answered" if p.rocm_tool else ""))
    shown = {k: v for k, v in p.environment.items() if k != "container"}
    if shown:
        detail.append("Environment: " + ", ".join(f"{k}={v!r}" for k, v in shown.items()))
    if not parts:
        return CheckResult("os.platform", "pass", "Not WSL, a container, a Jetson or an AMD "
                           "GPU machine", detail="\n".join(detail))
    return CheckResult("os.platform", "pass", "; ".join(parts), detail="\n".join(detail))
