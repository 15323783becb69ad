"""Probes of where the doctor runs: WSL, a container, a Jetson (L4T), AMD GPUs with ROCm, and
the user's shell environment. They decide which fixes can run at all: no Linux NVIDIA driver
inside WSL2 or a container, none on a Jetson (L4T brings it), no NVIDIA checks on an AMD machine.

Everything is read below the root (a replay's folder) or from commands on PATH; the environment
variables are the doctor's own, which a replay's test sets from the replay's env.txt.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from provision.facts import AmdGpu, PlatformFacts
from provision.probe import list_dir, read_text, run_command

AMD_VENDOR = "1002"
# Variables that change which GPUs CUDA/ROCm show, or where torch comes from and how it is
# reinstalled. `container` is set by systemd-nspawn, podman and LXC inside their containers;
# WSL sets WSL_DISTRO_NAME, the name `wsl --set-version` takes.
ENVIRONMENT = ("CUDA_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES",
               "CONDA_PREFIX", "CONDA_DEFAULT_ENV", "VIRTUAL_ENV", "WSL_DISTRO_NAME", "container")
# cgroup path words -> the container runtime they belong to (/proc/1/cgroup of a container's
# first process names its scope: docker-<id>.scope, /kubepods/..., /libpod-<id>, /lxc/<name>).
_CGROUP_WORDS = (("kubepods", "kubernetes"), ("docker", "docker"), ("libpod", "podman"),
                 ("containerd", "containerd"), ("lxc", "lxc"))


def probe_platform(root: Path, kernel: str | None) -> PlatformFacts:
    facts = PlatformFacts(environment={name: os.environ[name] for name in ENVIRONMENT
                                       if name in os.environ})
    facts.wsl, facts.wsl_libcuda = _wsl(root, kernel)
    facts.container, facts.container_evidence = _container(root, facts.environment)
    facts.nvidia_devices = [n for n in list_dir(root, "/dev") if n.startswith("nvidia")]
    facts.jetson_l4t = parse_tegra_release(read_text(root, "/etc/nv_tegra_release") or "")
    model = read_text(root, "/proc/device-tree/model")
    facts.jetson_model = model.strip("\x00 \n") or None if model else None
    if facts.jetson_model and "jetson" not in facts.jetson_model.lower() \
            and facts.jetson_l4t is None:
        facts.jetson_model = None  # a Raspberry Pi or another board's device tree
    facts.amd_gpus = amd_gpus(root)
    facts.kfd = bool(list_dir(root, "/sys/class/kfd"))
    if facts.amd_gpus or facts.kfd:
        facts.rocm_tool, facts.rocm_gpus = _rocm_smi()
    return facts


def parse_tegra_release(text: str) -> str | None:
    """"# R32 (release), REVISION: 4.3, GCID: ..." -> "R32.4.3"."""
    match = re.search(r"#\s*R(\d+)\s*\(release\),\s*REVISION:\s*(\d+(?:\.\d+)*)", text)
    return f"R{match.group(1)}.{match.group(2)}" if match else None


def _wsl(root: Path, kernel: str | None) -> tuple[str | None, list[str]]:
    """WSL2 from its kernel name ("5.15.90.1-microsoft-standard-WSL2") or the Windows driver's
    libraries under /usr/lib/wsl/lib; WSL1 from its "-Microsoft" kernel (no GPU there)."""
    libcuda = [n for n in list_dir(root, "/usr/lib/wsl/lib") if n.startswith("libcuda")]
    name = (kernel or "").lower()
    if "microsoft-standard" in name or "wsl2" in name or (libcuda and "microsoft" in name):
        return "WSL2", libcuda
    if name.endswith("-microsoft"):
        return "WSL1", libcuda
    return ("WSL2" if libcuda else None), libcuda


def _container(root: Path, environment: dict[str, str]) -> tuple[str | None, str]:
    if read_text(root, "/.dockerenv") is not None:
        return "docker", "/.dockerenv exists"
    if read_text(root, "/run/.containerenv") is not None:
        return "podman", "/run/.containerenv exists"
    cgroup = read_text(root, "/proc/1/cgroup", limit=64 * 1024) or ""
    for word, runtime in _CGROUP_WORDS:
        if re.search(rf"[/:-]{word}[/.-]", cgroup):
            return runtime, f"/proc/1/cgroup names {word}"
    if environment.get("container"):
        return environment["container"], f"container={environment['container']} is set"
    return None, ""


def amd_gpus(root: Path) -> list[AmdGpu]:
    """AMD display (03xx) and compute accelerator (1200: Instinct MI300) devices on PCI."""
    found = []
    for slot in list_dir(root, "/sys/bus/pci/devices"):
        base = f"/sys/bus/pci/devices/{slot}"
        vendor = (read_text(root, f"{base}/vendor") or "").strip().lower().removeprefix("0x")
        pci_class = (read_text(root, f"{base}/class") or "").strip().lower().removeprefix("0x")
        if vendor == AMD_VENDOR and pci_class.startswith(("03", "12")):
            device = (read_text(root, f"{base}/device") or "").strip().lower()
            found.append(AmdGpu(slot=slot, device_id=device.removeprefix("0x") or None))
    if found or list_dir(root, "/sys/bus/pci/devices"):
        return found
    out = run_command(["lspci", "-D", "-nn"])
    for line in out.stdout.splitlines() if out.ok else []:
        match = re.match(r"^(\S+)\s+.*?\[(03[0-9a-f]{2}|1200)\]:\s+(.*?)\s*\[1002:([0-9a-f]{4})\]",
                         line)
        if match:
            bracketed = re.findall(r"\[([^\]]+)\]", match.group(3))
            found.append(AmdGpu(slot=match.group(1), device_id=match.group(4),
                                name=bracketed[-1] if bracketed else match.group(3)))
    return found


def _rocm_smi() -> tuple[str | None, list[str]]:
    """Product names from `rocm-smi --showproductname` ("GPU[0] : Card series: Instinct MI210")
    or, where only the newer tool is installed, `amd-smi static --asic` (MARKET_NAME)."""
    out = run_command(["rocm-smi", "--showproductname"])
    if out.ok:
        names = re.findall(r"Card [Ss]eries\s*:\s*(.+)", out.stdout)
        return "rocm-smi", [n.strip() for n in names if n.strip()][:64]
    out = run_command(["amd-smi", "static", "--asic"])
    if out.ok:
        return "amd-smi", [n.strip() for n in re.findall(r"MARKET_NAME:\s*(.+)", out.stdout)][:64]
    return None, []
