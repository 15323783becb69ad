"""CheckResult and the registry that lists every check in the order the doctor prints them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from provision import tables
from provision.facts import Facts
from provision.fix import Fixes, commands, fixes_from_json, fixes_to_json, run
from provision.profile import Profile


@dataclass
class CheckResult:
    id: str
    status: str  # pass | warn | fail | skip
    summary: str
    detail: str = ""
    fixes: Fixes = ()  # provision/fix.py: the first is the way out, the others say when
    because: str = ""  # the check whose fix mends this one too (it repeats none of it)

    def commands(self) -> list[str]:
        """Every command of every fix, in order."""
        return commands(self.fixes)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CheckResult:
        """A check from a doctor document (schema 2, or 1's one-string `fix`); fields of the
        wrong type read as empty, since the document is someone else's file."""
        def text(key: str) -> str:
            value = d.get(key)
            return value if isinstance(value, str) else ""
        return cls(text("id"), text("status"), text("summary"), text("detail"),
                   fixes_from_json(dict(d)), text("because"))

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "status": self.status, "summary": self.summary,
                "detail": self.detail, "fixes": fixes_to_json(self.fixes),
                "because": self.because}


CheckFn = Callable[[Facts, Profile], CheckResult]
REGISTRY: list[tuple[str, CheckFn]] = []


def check(check_id: str) -> Callable[[CheckFn], CheckFn]:
    """Register a check under its stable id (the id its results carry)."""
    def register(fn: CheckFn) -> CheckFn:
        REGISTRY.append((check_id, fn))
        return fn
    return register


def distro_differs(facts: Facts, profile: Profile) -> bool:
    """The profile names a distribution (and release) other than this machine's."""
    os_, wanted_id, wanted_version = facts.os, profile.distro_id, profile.distro_version
    return bool(os_.id and wanted_id and (os_.id != wanted_id or (
        wanted_version and os_.version_id != wanted_version)))


# A profile that describes another machine: the doctor run without it, expecting this one.
OTHER_PROFILE = run(("rnnbench doctor", "without --profile: it expects what this machine has"),
                    condition="if the profile describes another machine")


def has_nvidia_gpu(facts: Facts) -> bool:
    """An NVIDIA GPU is here: on PCI, answering the driver, a Jetson's integrated one (not on
    PCI), or the Windows host's under WSL2 (its libcuda is in /usr/lib/wsl/lib)."""
    return bool(facts.pci_gpus or facts.driver.gpus or on_jetson(facts)
                or (facts.platform.wsl == "WSL2" and facts.platform.wsl_libcuda))


def on_jetson(facts: Facts) -> bool:
    return bool(facts.platform.jetson_l4t or facts.platform.jetson_model)


def host_driver(facts: Facts) -> str | None:
    """Why no Linux NVIDIA driver may be installed here, or None: under WSL2 the driver is the
    Windows one, in a container the host's, on a Jetson the one L4T brings."""
    p = facts.platform
    if p.wsl == "WSL2":
        return "WSL2: the NVIDIA driver is the Windows one (install no Linux driver inside WSL2)"
    if p.container:
        return (f"a {p.container} container: the host's NVIDIA driver is the one that matters "
                "(install no driver inside the container)")
    if on_jetson(facts):
        return (f"a Jetson (L4T {p.jetson_l4t or 'release unknown'}): the GPU driver comes "
                "with L4T/JetPack, not as a separate package")
    return None


def container_without_gpu(facts: Facts) -> bool:
    """A container started without the host's GPUs: no /dev/nvidia* and no driver answering,
    while the host shows an NVIDIA GPU (sysfs, /proc/driver/nvidia) or torch wants CUDA."""
    p, d = facts.platform, facts.driver
    if not p.container or p.nvidia_devices or d.source in ("nvml", "nvidia-smi"):
        return False
    return bool(facts.pci_gpus or d.version or facts.torch.cuda)


def rocm(facts: Facts) -> bool:
    """A ROCm build of torch, or AMD GPUs with the amdgpu compute interface and no NVIDIA GPU."""
    p = facts.platform
    return bool(facts.torch.hip) or (bool(p.amd_gpus or p.rocm_gpus) and p.kfd
                                     and not facts.pci_gpus and not facts.driver.gpus)


def lost_gpus(facts: Facts) -> list[str]:
    """PCI addresses of GPUs the driver lost: nvidia-smi's 'Unable to determine the device
    handle', or Xid 79 ('GPU has fallen off the bus') in this boot's kernel log."""
    found = list(facts.driver.lost_gpus)
    if facts.xid.source == "dmesg":  # log files reach back to boots before the last reset
        found += [e.pci or "?" for e in facts.xid.events if e.code == 79]
    return list(dict.fromkeys(found))


def driver_mismatch(facts: Facts) -> bool:
    d = facts.driver
    said = "version mismatch" in (d.smi_error or "").lower()
    short, long = sorted((d.library_version or "", d.version or ""), key=len)
    differ = bool(short and d.source == "proc" and long != short
                  and not long.startswith(short + "."))
    return said or differ


def gpu_capability(facts: Facts) -> str | None:
    """The first GPU's compute capability: torch's word, then the driver's, then the table."""
    for device in facts.torch.devices:
        if device.capability:
            return device.capability
    for gpu in facts.driver.gpus:
        if gpu.compute_capability:
            return gpu.compute_capability
        if (cap := tables.compute_capability_for(gpu.name)):
            return cap
    for gpu in facts.pci_gpus:
        if (cap := tables.compute_capability_for(gpu.name)):
            return cap
    return None


def gpu_name(facts: Facts) -> str | None:
    names = [g.name for g in facts.driver.gpus if g.name] + [g.name for g in facts.pci_gpus
                                                            if g.name]
    return names[0] if names else None
