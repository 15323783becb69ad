"""Checks of the NVIDIA side: the GPU on the bus, the driver, nouveau and Secure Boot."""

from __future__ import annotations

from provision import fixes, platform_fixes, tables
from provision.advice import driver_ceiling, gpu_capabilities
from provision.checks.base import (
    OTHER_PROFILE,
    CheckResult,
    check,
    container_without_gpu,
    distro_differs,
    driver_mismatch,
    gpu_capability,
    gpu_name,
    has_nvidia_gpu,
    host_driver,
    lost_gpus,
    on_jetson,
    rocm,
)
from provision.facts import Facts
from provision.fix import chain, run, say, when
from provision.profile import Profile


@check("nvidia.gpu")
def gpu(facts: Facts, profile: Profile) -> CheckResult:
    if on_jetson(facts) and not facts.pci_gpus:
        p = facts.platform
        cap = tables.jetson_capability(p.jetson_model)
        return CheckResult("nvidia.gpu", "pass",
                           f"{p.jetson_model or 'Jetson'} integrated GPU (compute capability "
                           f"{cap or 'unknown'}), not on PCI")
    if container_without_gpu(facts) and not has_nvidia_gpu(facts):
        return CheckResult("nvidia.gpu", "skip", "No NVIDIA GPU visible: this container has no "
                           "GPU access (see os.platform)")
    if rocm(facts) and not has_nvidia_gpu(facts):
        return CheckResult("nvidia.gpu", "skip", "No NVIDIA GPU: AMD GPUs with ROCm (see "
                           "os.platform); NVIDIA checks skipped")
    if facts.platform.wsl == "WSL2" and not facts.pci_gpus and not facts.driver.gpus \
            and has_nvidia_gpu(facts):
        return CheckResult("nvidia.gpu", "pass", "WSL2: the Windows host's NVIDIA GPU (its "
                           "libcuda is in /usr/lib/wsl/lib); the Windows driver did not name it")
    if not has_nvidia_gpu(facts):
        if profile.gpu_required:
            return CheckResult(
                "nvidia.gpu", "fail",
                f"No NVIDIA GPU found; profile expects {profile.gpu_name or 'one'}",
                detail="Looked for vendor 0x10de display/3D devices in /sys/bus/pci and lspci.",
                fixes=(say("on a hybrid-graphics laptop, enable the discrete GPU in the firmware "
                           "setup"),
                       run(("lspci -nn | grep -i nvidia", "shows the GPU once the bus sees it"),
                           condition="then check")))
        return CheckResult("nvidia.gpu", "skip",
                           "No NVIDIA GPU on this machine (CPU only)")
    where = facts.pci_gpus[0].slot if facts.pci_gpus else (facts.driver.gpus[0].pci_bus_id or "")
    caps, unknown = gpu_capabilities(facts)
    cap = gpu_capability(facts) or (caps[0] if caps else None)
    count = max(len(facts.pci_gpus), len(facts.driver.gpus))
    summary = (f"{gpu_name(facts) or 'NVIDIA GPU'}"
               f" (compute capability {cap or 'unknown'})" + (f" at {where}" if where else "")
               + (f", {count} GPUs" if count > 1 else ""))
    if profile.compute_capability and cap and cap != profile.compute_capability:
        # Another distribution too: the profile is another machine's, said once (os.distro).
        other = distro_differs(facts, profile)
        return CheckResult("nvidia.gpu", "warn", summary + f"; profile expects compute "
                           f"capability {profile.compute_capability}",
                           fixes=() if other else (OTHER_PROFILE,),
                           because="os.distro" if other else "")
    others = sorted(set(caps) - {cap})
    if others:
        summary += f"; also compute capability {', '.join(others)}"
    detail = "" if cap and not unknown else f"{unknown or 1} GPU(s) not in the compute " \
        "capability tables (by name or PCI id); the driver or torch will name them once they work."
    return CheckResult("nvidia.gpu", "pass", summary, detail=detail)


def module_blocked(facts: Facts) -> bool:
    driver = facts.driver
    return bool(driver.secure_boot and driver.module_installed and not driver.module_signer)


@check("nvidia.driver")
def driver(facts: Facts, profile: Profile) -> CheckResult:
    d = facts.driver
    family = facts.os
    runfile = profile.cuda_installer == "runfile"
    if not has_nvidia_gpu(facts):
        if rocm(facts):
            return CheckResult("nvidia.driver", "skip", "No NVIDIA GPU: AMD GPUs use ROCm's "
                               "amdgpu driver", because="nvidia.gpu")
        return CheckResult("nvidia.driver", "skip", "No NVIDIA GPU: no driver needed",
                           because="nvidia.gpu")
    reasons = "; ".join(d.reasons)
    if driver_mismatch(facts):
        library = d.library_version or "a newer version"
        return CheckResult("nvidia.driver", "fail",
                           f"Driver/library version mismatch: kernel module {d.version or '?'} "
                           f"is loaded, the user-space libraries are {library}",
                           detail="The driver's user-space libraries and its loaded kernel "
                                  "module differ (packages upgraded while the old module stayed "
                                  "loaded, or two installs); nvidia-smi and CUDA refuse to start "
                                  f"until they match. nvidia-smi: {d.smi_error or '?'}; module on "
                                  f"disk: {d.module_file_version or 'not read'}",
                           fixes=platform_fixes.driver_mismatch(d.version, d.library_version,
                                                                d.module_file_version))
    if (lost := lost_gpus(facts)):
        return CheckResult("nvidia.driver", "fail",
                           f"GPU {', '.join(lost)} fell off the bus: the driver lost it "
                           f"(driver {d.version or 'version unknown'})",
                           detail="nvidia-smi: 'Unable to determine the device handle' or Xid "
                                  "79 in the kernel log. This is power, heat, the slot or the "
                                  "firmware, not the driver: reinstalling it does not help. "
                                  + reasons, fixes=platform_fixes.gpu_lost(lost))
    if (why := host_driver(facts)):
        return _host_driver(facts, why)
    install = fixes.nvidia_driver(family, runfile, max_branch=driver_ceiling(facts))
    if d.version:
        return CheckResult("nvidia.driver", "pass", f"NVIDIA driver {d.version} (from {d.source})",
                           detail=reasons)
    if d.nouveau_loaded:
        return CheckResult("nvidia.driver", "fail",
                           "nouveau is loaded instead of NVIDIA's driver",
                           detail="CUDA needs NVIDIA's proprietary driver; the open nouveau "
                                  f"driver holds the GPU. {reasons}",
                           because="nvidia.nouveau")
    if module_blocked(facts):
        return CheckResult("nvidia.driver", "fail",
                           "NVIDIA module installed but not loaded: Secure Boot refuses the "
                           "unsigned module",
                           detail=reasons, because="nvidia.secure_boot")
    if d.module_installed is False or not d.nvidia_module_loaded:
        what = "not installed" if d.module_installed is False else "not loaded"
        return CheckResult("nvidia.driver", "fail", f"NVIDIA driver {what}", detail=reasons,
                           fixes=install)
    return CheckResult("nvidia.driver", "fail", "NVIDIA module loaded but the driver does not "
                       "answer", detail=reasons,
                       fixes=chain(run("sudo reboot"), when("if it persists after the reboot, "
                                                            "reinstall", install)))


def _host_driver(facts: Facts, why: str) -> CheckResult:
    """The driver check where the driver is not this system's to install (WSL2, a container,
    a Jetson): what answered, and otherwise where the driver really lives."""
    d, p = facts.driver, facts.platform
    if d.version:
        return CheckResult("nvidia.driver", "pass", f"NVIDIA driver {d.version} (from "
                           f"{d.source}); {why}", detail="; ".join(d.reasons))
    if on_jetson(facts):
        return CheckResult("nvidia.driver", "pass", f"No desktop driver to report: {why}",
                           detail="Older JetPack releases have no nvidia-smi; the integrated "
                                  "GPU's driver (nvgpu) is part of L4T. " + "; ".join(d.reasons))
    if container_without_gpu(facts):
        return CheckResult("nvidia.driver", "skip", f"Not visible: {why}; the container has no "
                           "GPU access (see os.platform)", detail="; ".join(d.reasons))
    if p.wsl == "WSL2":
        return CheckResult("nvidia.driver", "fail", "WSL2: the Windows NVIDIA driver does not "
                           "answer (nvidia-smi failed)", detail=f"{why}. " + "; ".join(d.reasons),
                           fixes=platform_fixes.wsl_update())
    return CheckResult("nvidia.driver", "fail", f"No NVIDIA driver answers: {why}",
                       detail="; ".join(d.reasons),
                       fixes=platform_fixes.container_gpu_access(facts))


@check("nvidia.nouveau")
def nouveau(facts: Facts, profile: Profile) -> CheckResult:
    if not has_nvidia_gpu(facts):
        return CheckResult("nvidia.nouveau", "skip", "No NVIDIA GPU", because="nvidia.gpu")
    if (why := host_driver(facts)):
        return CheckResult("nvidia.nouveau", "skip", f"Not applicable: {why}")
    if facts.driver.nouveau_loaded:
        return CheckResult("nvidia.nouveau", "fail", "nouveau kernel module is loaded",
                           detail="nouveau and NVIDIA's driver cannot both drive the GPU.",
                           fixes=chain(fixes.blacklist_nouveau(facts.os), () if
                                       facts.driver.version else when(
                               "after the reboot, install NVIDIA's driver",
                               fixes.nvidia_driver(facts.os, profile.cuda_installer == "runfile",
                                                   max_branch=driver_ceiling(facts)))))
    return CheckResult("nvidia.nouveau", "pass", "nouveau is not loaded")


@check("nvidia.secure_boot")
def secure_boot(facts: Facts, profile: Profile) -> CheckResult:
    d = facts.driver
    if not has_nvidia_gpu(facts):
        return CheckResult("nvidia.secure_boot", "skip", "No NVIDIA GPU", because="nvidia.gpu")
    if (why := host_driver(facts)):
        return CheckResult("nvidia.secure_boot", "skip", f"Not applicable: {why}")
    if d.version:
        return CheckResult("nvidia.secure_boot", "pass", "Not in the way: the driver is loaded")
    if d.secure_boot is None:
        return CheckResult("nvidia.secure_boot", "skip", "Secure Boot state unknown",
                           detail="; ".join(d.reasons))
    if not d.secure_boot:
        return CheckResult("nvidia.secure_boot", "pass", "Secure Boot is disabled")
    if module_blocked(facts):
        return CheckResult("nvidia.secure_boot", "fail",
                           "Secure Boot is enabled and the nvidia module is unsigned",
                           detail="The kernel refuses to load unsigned modules under Secure Boot, "
                                  "which is why the driver is missing.",
                           fixes=fixes.enroll_module_key(facts.os))
    signer = f" (signed by {d.module_signer})" if d.module_signer else ""
    return CheckResult("nvidia.secure_boot", "warn",
                       f"Secure Boot is enabled; the nvidia module{signer} did not load",
                       detail="If the signing key is not enrolled, the kernel refuses the module.",
                       fixes=fixes.enroll_module_key(facts.os))
