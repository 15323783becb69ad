"""Checks of the PyTorch build: installed, CUDA usable, and compiled for this GPU."""

from __future__ import annotations

import re

from provision import advice, platform_fixes, tables
from provision.checks.base import (
    CheckResult,
    check,
    container_without_gpu,
    driver_mismatch,
    gpu_capability,
    gpu_name,
    has_nvidia_gpu,
    lost_gpus,
    on_jetson,
    rocm,
)
from provision.checks.cuda import RUNTIME_NOTE
from provision.checks.nvidia import module_blocked
from provision.facts import Facts
from provision.fix import Fixes, lead, run, say
from provision.profile import Profile


@check("torch.build")
def build(facts: Facts, profile: Profile) -> CheckResult:
    t = facts.torch
    if t.import_error:
        return CheckResult("torch.build", "fail", "importing torch kills the process",
                           detail=_with_reasoning(t.import_error, facts),
                           fixes=_torch_fix(facts))
    if not t.installed:
        return CheckResult("torch.build", "fail", "torch is not installed",
                           detail=_with_reasoning(t.reason, facts), fixes=_torch_fix(facts))
    kind = f"CUDA {t.cuda} build" if t.cuda else f"ROCm build (HIP {t.hip})" if t.hip \
        else "CPU-only build"
    cudnn = f", cuDNN {t.cudnn}" if t.cudnn else ""
    how = f"; installed by {t.installer} ({t.installer_detail})" if t.installer else ""
    summary = f"torch {t.version}: {kind}{cudnn}"
    if t.hip:
        return CheckResult("torch.build", "pass", summary, detail=f"A ROCm build runs on AMD "
                           f"GPUs through HIP; torch.cuda is HIP there{how}.")
    if not t.cuda and on_jetson(facts):
        return CheckResult("torch.build", "fail", summary + " on a Jetson: it cannot use the "
                           "Jetson's GPU",
                           detail="PyPI's aarch64 torch is built without CUDA for Jetson; NVIDIA "
                                  "publishes JetPack builds of torch that use the integrated GPU"
                                  + how + ".", fixes=platform_fixes.jetson_torch(facts))
    if not t.cuda and has_nvidia_gpu(facts):
        return CheckResult("torch.build", "fail", summary + " on a machine with an NVIDIA GPU",
                           detail=_with_reasoning(RUNTIME_NOTE, facts),
                           fixes=_torch_fix(facts))
    if not t.cuda and rocm(facts):
        # AMD GPUs with amdgpu's compute interface: a ROCm build would use them. Which ROCm
        # release the machine has decides the wheel index, which the doctor does not know.
        return CheckResult("torch.build", "warn", summary + " on a machine with AMD GPUs "
                           "(ROCm): it runs on the CPU only",
                           detail="PyTorch publishes ROCm builds (download.pytorch.org/whl/"
                                  "rocm<version>) that run on AMD GPUs through HIP" + how + ".",
                           fixes=(say("install the ROCm build of torch for the ROCm release "
                                      "installed here (cat /opt/rocm/.info/version), from the "
                                      "index pytorch.org/get-started names for it"),))
    return CheckResult("torch.build", "pass", summary, detail=RUNTIME_NOTE)


def _torch_fix(facts: Facts) -> Fixes:
    """The advisor's answer for this machine (provision/advice.py), in the terms of the tool
    that installed the torch found here (conda, uv, the distribution, pip)."""
    if on_jetson(facts):
        return platform_fixes.jetson_torch(facts)
    answer = advice.advise_facts(facts)
    return platform_fixes.by_installer(facts, answer.fix(), answer.build)


def _with_reasoning(text: str, facts: Facts) -> str:
    steps = advice.advise_facts(facts).steps
    return "\n".join(filter(None, [text, "Torch advisor:", *steps])) if steps else text


def _likely_reason(facts: Facts) -> tuple[str, Fixes, str]:
    """(most likely reason CUDA is unusable, its fix, or the check whose fix it is), reading
    the other facts: a root cause another check names keeps its fix there."""
    t, d = facts.torch, facts.driver
    hidden = _hidden_by_visible_devices(facts)
    if hidden:
        return (*hidden, "")
    if not t.cuda:
        # torch.build names a CPU build only where it sees the GPU.
        return ("this torch is a CPU-only build", () if has_nvidia_gpu(facts) else
                _torch_fix(facts), "torch.build" if has_nvidia_gpu(facts) else "")
    if container_without_gpu(facts):
        return "this container was started without GPU access", (), "os.platform"
    if driver_mismatch(facts):
        return "the NVIDIA driver's kernel module and libraries differ", (), "nvidia.driver"
    if lost_gpus(facts):
        return "a GPU fell off the bus", (), "nvidia.driver"
    if facts.platform.wsl == "WSL2":
        said = (t.init_warning or "").splitlines()
        why = f"CUDA does not start inside WSL2{': ' + said[0] if said else ''}"
        if not d.version:  # nvidia.driver says the Windows driver does not answer
            return why, (), "nvidia.driver"
        return why, platform_fixes.wsl_cuda_failed(facts), ""
    if not has_nvidia_gpu(facts):
        return "there is no NVIDIA GPU", (), "nvidia.gpu"
    if d.nouveau_loaded:
        return "nouveau holds the GPU instead of NVIDIA's driver", (), "nvidia.nouveau"
    if not d.version:  # the root cause's check: Secure Boot's refusal, else the driver's
        return ("the NVIDIA driver is not loaded", (),
                "nvidia.secure_boot" if module_blocked(facts) else "nvidia.driver")
    need = tables.min_driver_for_cuda(t.cuda)
    floor = tables.CUDA_MINOR_COMPAT_DRIVER.get((tables.version_tuple(t.cuda) or (0,))[0])
    lowest = floor or need
    if lowest and tables.version_tuple(d.version) < tables.version_tuple(lowest):
        return (f"driver {d.version} is too old for torch's CUDA {t.cuda} runtime", (),
                "cuda.driver_compat")
    if t.init_warning:
        return (t.init_warning.splitlines()[0], (say("torch's own message, in the detail "
                                                     "(rnnbench doctor -v), names the cause"),),
                "")
    return ("unknown", (run(("python3 -c 'import torch; torch.zeros(1).cuda()'",
                             "shows the CUDA error")),), "")


def _hidden_by_visible_devices(facts: Facts) -> tuple[str, Fixes] | None:
    """CUDA_VISIBLE_DEVICES that leaves CUDA no GPU: empty, -1, or only ids that do not exist
    (CUDA stops reading the list at the first invalid entry)."""
    value = facts.platform.environment.get("CUDA_VISIBLE_DEVICES")
    if value is None or not facts.torch.cuda:
        return None
    count = len(facts.driver.gpus) or len(facts.pci_gpus)
    first = value.split(",")[0].strip()
    if first.startswith("GPU-") or first.startswith("MIG-"):
        return None  # UUIDs: not checked against the driver's list here
    exists = first.isdigit() and (not count or int(first) < count)
    if exists:
        return None
    effect = "hides every GPU from CUDA" if not first or first == "-1" else \
        f"names GPU {first}, which does not exist ({count} GPU(s) here): CUDA sees none"
    return (f"CUDA_VISIBLE_DEVICES='{value}' {effect}",
            platform_fixes.visible_devices(value, count))


@check("torch.cuda")
def cuda_available(facts: Facts, profile: Profile) -> CheckResult:
    t = facts.torch
    if not t.installed:
        return CheckResult("torch.cuda", "skip", "torch is not installed")
    if t.cuda_available and t.hip:
        names = ", ".join(d.name or "?" for d in t.devices) or "?"
        return CheckResult("torch.cuda", "pass", f"torch.cuda.is_available(): True through HIP "
                           f"(ROCm {t.hip}), {names}")
    if t.hip:
        return CheckResult("torch.cuda", "fail", "torch.cuda.is_available(): False for a ROCm "
                           "build: HIP sees no AMD GPU", detail=t.init_warning or "",
                           fixes=(run(("ls /sys/class/kfd", "there once the amdgpu driver is "
                                                            "loaded"),
                                      ('sudo usermod -aG render,video "$USER"',
                                       "the groups that may use the GPU; log in again after it"),
                                      words="check that the amdgpu driver is loaded and that "
                                            "you are in the render and video groups"),
                                  run(("rocminfo", "lists the AMD GPUs HIP sees"),
                                      condition="after logging in again")))
    if t.cuda_available:
        names = ", ".join(f"{d.name} ({d.capability})" for d in t.devices) or "?"
        visible = facts.platform.environment.get("CUDA_VISIBLE_DEVICES")
        count = len(facts.driver.gpus) or len(facts.pci_gpus)
        shown = (f"; CUDA_VISIBLE_DEVICES='{visible}' shows {len(t.devices)} of {count} GPU(s)"
                 if visible is not None and count else "")
        return CheckResult("torch.cuda", "pass", f"torch.cuda.is_available(): True, {names}"
                           + shown)
    if not has_nvidia_gpu(facts) and not profile.gpu_required \
            and not _hidden_by_visible_devices(facts) and not container_without_gpu(facts):
        return CheckResult("torch.cuda", "skip", "torch.cuda.is_available(): False (no NVIDIA "
                           "GPU; torch runs on the CPU)", because="nvidia.gpu")
    reason, fix, because = _likely_reason(facts)
    return CheckResult("torch.cuda", "fail", f"torch.cuda.is_available(): False; most likely "
                       f"{reason}", detail=t.init_warning or "", fixes=fix, because=because)


def parse_arch(entry: str) -> tuple[str, int, int, bool] | None:
    """"sm_61" -> ("sm", 6, 1, False); "compute_90" -> PTX; "sm_90a" -> arch-specific."""
    match = re.fullmatch(r"(sm|compute)_(\d+)(\d)([a-z]?)", entry)
    if not match:
        return None
    return match.group(1), int(match.group(2)), int(match.group(3)), bool(match.group(4))


def arch_supported(capability: str, arch_list: list[str]) -> str | None:
    """The arch list entry that runs on this capability, or None.

    A cubin for sm_XY runs on X.Z with Z >= Y (same major); PTX for compute_XY is JIT-compiled
    by the driver for any X.Y or newer ("PTX forward compatibility"); sm_90a-style entries run
    only on exactly that GPU. Source: CUDA C++ Programming Guide, "Binary Compatibility".
    """
    cap = tables.version_tuple(capability)
    if not cap or len(cap) < 2:
        return None
    for entry in arch_list:
        parsed = parse_arch(entry)
        if not parsed:
            continue
        kind, major, minor, specific = parsed
        if kind == "sm" and major == cap[0] and (minor == cap[1] if specific else minor <= cap[1]):
            return entry
    for entry in arch_list:
        parsed = parse_arch(entry)
        if parsed and parsed[0] == "compute" and (parsed[1], parsed[2]) <= (cap[0], cap[1]):
            return f"{entry} (PTX, compiled by the driver at first use)"
    return None


@check("torch.arch")
def arch(facts: Facts, profile: Profile) -> CheckResult:
    t = facts.torch
    cap = gpu_capability(facts) or profile.compute_capability
    if on_jetson(facts):
        cap = tables.jetson_capability(facts.platform.jetson_model) or cap
    if rocm(facts) and not t.cuda:
        return CheckResult("torch.arch", "skip", "ROCm build: AMD GPU targets (gfx) are not "
                           "checked here")
    if not has_nvidia_gpu(facts) or not t.installed or not t.cuda:
        return CheckResult("torch.arch", "skip", "No CUDA torch build and GPU to match",
                           because="" if has_nvidia_gpu(facts) else "nvidia.gpu")
    if not cap:
        return CheckResult("torch.arch", "skip", "GPU compute capability unknown")
    if not t.arch_list:
        return CheckResult("torch.arch", "skip", "torch did not report its architectures",
                           detail=t.reason)
    sm = "sm_" + cap.replace(".", "")
    match = arch_supported(cap, t.arch_list)
    if match and "PTX" in match and not tables.cuda_knows(t.cuda, cap):
        match = None  # PTX older than the architecture: the bundled libraries lack it
    built = " ".join(t.arch_list)
    if match:
        return CheckResult("torch.arch", "pass", f"torch {t.version} has kernels for {sm} "
                           f"via {match}", detail=f"Built for: {built}")
    return CheckResult(
        "torch.arch", "fail",
        f"torch {t.version} has no kernels for {gpu_name(facts) or 'this GPU'} ({sm}): expect "
        "'no kernel image is available for execution on the device'",
        detail=_with_reasoning(f"Built for: {built}", facts),
        fixes=(*lead(f"install a build that includes {sm}", _torch_fix(facts)),
               run(("python3 -c 'import torch; print(torch.cuda.get_arch_list())'",
                    f"lists {sm} once it is there"), condition="then check")))
