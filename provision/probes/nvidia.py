"""Probes of the NVIDIA side: GPUs on the PCI bus, kernel modules, the driver and its GPUs.

The driver is asked through NVML first (live machine only), then `nvidia-smi`, then
/proc/driver/nvidia/version; each source that fails leaves its reason in `DriverFacts.reasons`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from provision import pciids, tables
from provision.facts import DriverFacts, GpuHealth, GpuInfo, PciGpu
from provision.probe import below, list_dir, read_bytes, read_text, run_command
from provision.probes import nvml

NVIDIA_VENDOR = "10de"
_SMI_FIELDS = ["driver_version", "name", "pci.bus_id", "memory.total", "uuid", "temperature.gpu",
               "power.draw", "power.limit", "clocks.sm", "clocks.max.sm",
               "pcie.link.gen.current", "pcie.link.gen.max", "pcie.link.width.current",
               "pcie.link.width.max", "persistence_mode", "clocks_throttle_reasons.active",
               "display_active"]


# --------------------------------------------------------------------------- PCI bus
def probe_pci(root: Path) -> list[PciGpu]:
    """NVIDIA display/3D devices on the PCI bus, whether or not a driver is bound."""
    slots = list_dir(root, "/sys/bus/pci/devices")
    if slots:
        gpus = [gpu for slot in slots if (gpu := _sysfs_gpu(root, slot)) is not None]
    else:
        out = run_command(["lspci", "-D", "-nn", "-k"])
        gpus = parse_lspci(out.stdout) if out.ok else []
    _name_from_pci_ids(root, gpus)
    return gpus


def _name_from_pci_ids(root: Path, gpus: list[PciGpu]) -> None:
    """Name each GPU as the machine's own pci.ids does (what lspci would print), over the
    built-in table and over lspci's "Device 2b85" when its database predates the card."""
    if not any(g.device_id for g in gpus):
        return
    names = pciids.nvidia_names(root)
    for gpu in gpus:
        gpu.name = names.get(gpu.device_id or "") or gpu.name


def _sysfs_gpu(root: Path, slot: str) -> PciGpu | None:
    base = f"/sys/bus/pci/devices/{slot}"
    vendor = (read_text(root, f"{base}/vendor") or "").strip().lower().removeprefix("0x")
    pci_class = (read_text(root, f"{base}/class") or "").strip().lower().removeprefix("0x")
    if vendor != NVIDIA_VENDOR or not pci_class.startswith("03"):
        return None
    device = (read_text(root, f"{base}/device") or "").strip().lower().removeprefix("0x") or None
    try:
        driver = os.path.basename(os.readlink(below(root, f"{base}/driver", follow_last=False)))
    except OSError:
        driver = None
    return PciGpu(slot=slot, device_id=device, class_code=pci_class[:4], kernel_driver=driver,
                  name=tables.NVIDIA_PCI_NAMES.get(device or ""))


def parse_lspci(text: str) -> list[PciGpu]:
    """NVIDIA display devices from `lspci -D -nn -k` output."""
    gpus: list[PciGpu] = []
    head = re.compile(r"^(\S+)\s+.*?\[(03[0-9a-f]{2})\]:\s+(.*?)\s*\[([0-9a-f]{4}):([0-9a-f]{4})\]")
    current: PciGpu | None = None
    for line in text.splitlines():
        match = head.match(line)
        if match:
            current = None
            if match.group(4) == NVIDIA_VENDOR:
                described = match.group(3)
                bracketed = re.findall(r"\[([^\]]+)\]", described)
                current = PciGpu(slot=match.group(1), device_id=match.group(5),
                                 class_code=match.group(2),
                                 name=bracketed[-1] if bracketed else described)
                gpus.append(current)
        elif current is not None and "Kernel driver in use:" in line:
            current.kernel_driver = line.split(":", 1)[1].strip()
        elif line and not line[0].isspace():
            current = None
    return gpus


# --------------------------------------------------------------------------- driver
def loaded_modules(root: Path) -> set[str]:
    text = read_text(root, "/proc/modules") or ""
    return {line.split()[0] for line in text.splitlines() if line.strip()}


def probe_driver(root: Path, live: bool, pci_gpus: list[PciGpu] | None = None) -> DriverFacts:
    modules = loaded_modules(root)
    facts = DriverFacts(nvidia_module_loaded="nvidia" in modules,
                        nouveau_loaded="nouveau" in modules)
    if live:
        try:
            facts.version, facts.gpus = nvml.query()
            facts.source = "nvml"
        except nvml.NvmlUnavailable as exc:
            facts.reasons.append(str(exc))
    if facts.source is None:
        _from_nvidia_smi(facts, root)
    if facts.source is None:
        _from_proc(root, facts)
    if facts.library_version:  # a mismatch: is the module on disk the libraries' (a reboot ends
        # it) or a third version (only reinstalling one driver for both does)?
        out = run_command(["modinfo", "-F", "version", "nvidia"])
        word = out.stdout.strip() if out.ok else ""
        facts.module_file_version = word if re.fullmatch(r"\d+(\.\d+)+", word) else None
    if facts.version:
        facts.nvidia_module_loaded = True
    elif pci_gpus:  # a GPU without a working driver: find out whether Secure Boot is why
        _module_and_secure_boot(root, facts)
    return facts


def _none_if_missing(value: str) -> str | None:
    value = value.strip()
    return None if not value or value.startswith("[") or value in ("N/A",) else value


def _number(value: str) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def parse_smi_csv(text: str) -> tuple[str | None, list[GpuInfo]]:
    """(driver version, GPUs) from `nvidia-smi --query-gpu=<_SMI_FIELDS> --format=csv,...`."""
    version, gpus = None, []
    for index, line in enumerate(row for row in text.splitlines() if row.strip()):
        cells = [_none_if_missing(cell) for cell in line.split(",")]
        if len(cells) < len(_SMI_FIELDS):
            continue
        row = dict(zip(_SMI_FIELDS, cells, strict=False))
        version = version or row["driver_version"]
        throttle = row["clocks_throttle_reasons.active"]
        health = GpuHealth(
            temperature_c=_number(row["temperature.gpu"]), power_w=_number(row["power.draw"]),
            power_limit_w=_number(row["power.limit"]), sm_clock_mhz=_number(row["clocks.sm"]),
            max_sm_clock_mhz=_number(row["clocks.max.sm"]),
            throttle_reasons=nvml.decode_throttle(int(throttle, 16)) if throttle else [],
            pcie_gen=_int(row["pcie.link.gen.current"]),
            pcie_gen_max=_int(row["pcie.link.gen.max"]),
            pcie_width=_int(row["pcie.link.width.current"]),
            pcie_width_max=_int(row["pcie.link.width.max"]),
            persistence_mode=(row["persistence_mode"] == "Enabled")
            if row["persistence_mode"] else None,
            display_active=(row["display_active"] == "Enabled") if row["display_active"] else None)
        gpus.append(GpuInfo(index=index, name=row["name"], uuid=row["uuid"],
                            pci_bus_id=row["pci.bus_id"],
                            memory_total_mib=_number(row["memory.total"]), health=health))
    return version, gpus


def _int(value: str | None) -> int | None:
    number = _number(value) if value else None
    return int(number) if number is not None else None


# nvidia-smi's words for a GPU the driver lost ("Unable to determine the device handle for GPU
# 0000:0B:00.0: Unknown Error", open-gpu-kernel-modules issue 387) and for user-space libraries
# newer than the loaded module ("Failed to initialize NVML: Driver/library version mismatch",
# since R535 followed by "NVML library version: 570.124").
_LOST = re.compile(r"Unable to (?:determine|detect) the device handle for GPU\s*([0-9A-Fa-f:.]+)")
_NVML_LIBRARY = re.compile(r"NVML library version:\s*(\d+(?:\.\d+)+)")
# Where the driver's user-space libraries live (Debian/Ubuntu multiarch, RHEL-likes, Arch).
LIBRARY_DIRS = ("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64",
                "/usr/lib")


def _from_nvidia_smi(facts: DriverFacts, root: Path | None = None) -> None:
    out = run_command(["nvidia-smi", f"--query-gpu={','.join(_SMI_FIELDS)}",
                       "--format=csv,noheader,nounits"])
    said = f"{out.stdout}\n{out.stderr}"
    facts.lost_gpus = list(dict.fromkeys(m.group(1).rstrip(":.").lower()
                                         for m in _LOST.finditer(said)))
    if not out.ok:
        facts.reasons.append(out.reason)
        first = [line.strip() for line in said.splitlines() if line.strip()]
        facts.smi_error = first[0] if first and out.returncode is not None else None
        library = _NVML_LIBRARY.search(said)
        if "version mismatch" in said.lower():
            # nvidia-smi shortens the version ("570.124"): the library file's name has it whole.
            on_disk = library_version(root) if root is not None else None
            said_version = library.group(1) if library else None
            facts.library_version = on_disk if on_disk and (
                said_version is None or on_disk == said_version
                or on_disk.startswith(said_version + ".")) else said_version
        return
    version, gpus = parse_smi_csv(out.stdout)
    if not version:
        facts.reasons.append("nvidia-smi printed no driver version")
        return
    facts.version, facts.gpus, facts.source = version, gpus, "nvidia-smi"
    # compute_cap is a query field only in newer drivers; older ones use the table instead.
    caps = run_command(["nvidia-smi", "--query-gpu=compute_cap", "--format=csv,noheader"])
    cap_lines = caps.stdout.split() if caps.ok else []
    for gpu in gpus:
        cap = cap_lines[gpu.index] if gpu.index < len(cap_lines) else None
        gpu.compute_capability = cap if cap and re.fullmatch(r"\d+\.\d+", cap) \
            else tables.compute_capability_for(gpu.name)


def library_version(root: Path) -> str | None:
    """The version in the name of the installed libnvidia-ml.so.<version> (newest if several)."""
    found = []
    for folder in LIBRARY_DIRS:
        for name in list_dir(root, folder):
            match = re.fullmatch(r"libnvidia-ml\.so\.(\d+\.\d+(?:\.\d+)?)", name)
            if match:
                found.append(match.group(1))
    return max(found, key=lambda v: tables.version_tuple(v) or (0,)) if found else None


def parse_proc_version(text: str) -> str | None:
    match = re.search(r"Kernel Module(?: for \S+)?\s+(\d+\.\d+(?:\.\d+)?)", text)
    return match.group(1) if match else None


def _from_proc(root: Path, facts: DriverFacts) -> None:
    text = read_text(root, "/proc/driver/nvidia/version")
    version = parse_proc_version(text) if text else None
    if version:
        facts.version, facts.source = version, "proc"
    else:
        facts.reasons.append("no /proc/driver/nvidia/version" if text is None
                             else "unreadable /proc/driver/nvidia/version")


def _module_and_secure_boot(root: Path, facts: DriverFacts) -> None:
    out = run_command(["modinfo", "-F", "signer", "nvidia"])
    if out.ok:
        facts.module_installed, facts.module_signer = True, out.stdout.strip()
    elif out.returncode is not None:
        facts.module_installed = False
    else:
        facts.reasons.append(out.reason)
    sb = run_command(["mokutil", "--sb-state"])
    text = (sb.stdout + sb.stderr).lower()
    if "secureboot enabled" in text:
        facts.secure_boot = True
    elif "secureboot disabled" in text or "not supported" in text:
        facts.secure_boot = False
    else:
        facts.secure_boot = _secure_boot_efivar(root)
        if facts.secure_boot is None and sb.reason:
            facts.reasons.append(sb.reason)


def _secure_boot_efivar(root: Path) -> bool | None:
    # The SecureBoot EFI variable: 4 attribute bytes then one data byte, 1 = enabled.
    folder = "/sys/firmware/efi/efivars"
    for name in list_dir(root, folder):
        if name.startswith("SecureBoot-"):
            data = read_bytes(root, f"{folder}/{name}", limit=4096)
            return bool(data[-1]) if data is not None and len(data) >= 5 else None
    return None
