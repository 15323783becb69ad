"""Checks of the NVIDIA side: the GPU on the bus, the driver, nouveau and Secure Boot."""

from __future__ import annotations

from provision import fixes
from provision.advice import driver_ceiling, gpu_capabilities
from provision.checks.base import CheckResult, check, gpu_capability, gpu_name, has_nvidia_gpu
from provision.facts import Facts
from provision.fix import chain, run, say, when
from provision.profile import Profile


@check("nvidia.gpu")
def gpu(facts: Facts, profile: Profile) -> CheckResult:
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
        return CheckResult("nvidia.gpu", "warn", summary + f"; profile expects compute "
                           f"capability {profile.compute_capability}")
    others = sorted(set(caps) - {cap})
    if others:
        summary += f"; also compute capability {', '.join(others)}"
    detail = "" if cap and not unknown else f"{unknown or 1} GPU(s) not in the compute " \
        "capability tables (by name or PCI id); the driver or torch will name them once they work."
    return CheckResult("nvidia.gpu", "pass", summary, detail=detail)


def _module_blocked(facts: Facts) -> bool:
    driver = facts.driver
    return bool(driver.secure_boot and driver.module_installed and not driver.module_signer)


@check("nvidia.driver")
def driver(facts: Facts, profile: Profile) -> CheckResult:
    d = facts.driver
    family = facts.os
    runfile = profile.cuda_installer == "runfile"
    if not has_nvidia_gpu(facts):
        return CheckResult("nvidia.driver", "skip", "No NVIDIA GPU: no driver needed",
                           because="nvidia.gpu")
    install = fixes.nvidia_driver(family, runfile, max_branch=driver_ceiling(facts))
    reasons = "; ".join(d.reasons)
    if d.version:
        return CheckResult("nvidia.driver", "pass", f"NVIDIA driver {d.version} (from {d.source})",
                           detail=reasons)
    if d.nouveau_loaded:
        return CheckResult("nvidia.driver", "fail",
                           "nouveau is loaded instead of NVIDIA's driver",
                           detail="CUDA needs NVIDIA's proprietary driver; the open nouveau "
                                  f"driver holds the GPU. {reasons}",
                           because="nvidia.nouveau")
    if _module_blocked(facts):
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


@check("nvidia.nouveau")
def nouveau(facts: Facts, profile: Profile) -> CheckResult:
    if not has_nvidia_gpu(facts):
        return CheckResult("nvidia.nouveau", "skip", "No NVIDIA GPU", because="nvidia.gpu")
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
    if d.version:
        return CheckResult("nvidia.secure_boot", "pass", "Not in the way: the driver is loaded")
    if d.secure_boot is None:
        return CheckResult("nvidia.secure_boot", "skip", "Secure Boot state unknown",
                           detail="; ".join(d.reasons))
    if not d.secure_boot:
        return CheckResult("nvidia.secure_boot", "pass", "Secure Boot is disabled")
    if _module_blocked(facts):
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
