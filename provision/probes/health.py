"""Fleet health beyond NVML's first answer: Xid errors in the kernel log, and the health
fields nvidia-smi reports where NVML could not be used (a replayed machine, no pynvml).

`probe_health(root, driver)` returns the XidFacts and fills `driver.gpus[*].health` from
nvidia-smi when the driver was read that way; NVML fills the same fields itself.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from provision.facts import DriverFacts, GpuHealth, GpuInfo, GpuProcess, XidEvent, XidFacts
from provision.probe import below, run_command

# Kernel logs grow for weeks before rotation: only their end is read, and only this many
# events are kept (the newest).
LOG_TAIL_BYTES = 2 * 2**20
MAX_EVENTS = 100
LOG_FILES = ("/var/log/kern.log", "/var/log/messages")  # Debian/Ubuntu, then RHEL-likes
_XID = re.compile(r"NVRM: Xid \((?:PCI:)?([0-9A-Fa-f:.]+)\): (\d+),\s*(.*)")

# nvidia-smi rejects a whole query for one field its driver lacks (MIG needs R450, row
# remapping R460), so fields are asked in small groups, each matched to its GPU by bus id.
_SMI_GROUPS: list[dict[str, str]] = [  # query field -> GpuHealth field
    {"compute_mode": "compute_mode"},
    {"ecc.mode.current": "ecc_enabled",
     "ecc.errors.corrected.volatile.total": "ecc_volatile_corrected",
     "ecc.errors.uncorrected.volatile.total": "ecc_volatile_uncorrected",
     "ecc.errors.uncorrected.aggregate.total": "ecc_aggregate_uncorrected"},
    {"ecc.errors.corrected.aggregate.total": "ecc_aggregate_corrected"},
    {"retired_pages.sbe": "retired_pages_sbe", "retired_pages.dbe": "retired_pages_dbe",
     "retired_pages.pending": "retired_pages_pending"},
    {"clocks.applications.graphics": "app_clock_sm_mhz",
     "clocks.default_applications.graphics": "app_clock_sm_default_mhz",
     "clocks.applications.memory": "app_clock_mem_mhz",
     "clocks.default_applications.memory": "app_clock_mem_default_mhz"},
    {"mig.mode.current": "mig_mode"},
    {"mig.mode.pending": "mig_mode_pending"},
    {"remapped_rows.correctable": "remapped_rows_correctable",
     "remapped_rows.uncorrectable": "remapped_rows_uncorrectable",
     "remapped_rows.pending": "remap_pending", "remapped_rows.failure": "remap_failed"},
]
_SMI_APPS = ["gpu_bus_id", "pid", "process_name", "used_memory"]


def probe_health(root: Path, driver: DriverFacts) -> XidFacts:
    if driver.source == "nvidia-smi" and driver.gpus:
        smi_health(driver.gpus)
    return probe_xid(root)


# --------------------------------------------------------------------------- Xid
# Newer drivers say a GPU fell off the bus in lines of their own, with no Xid ("NVRM: The NVIDIA
# GPU 0000:b3:00.0 / NVRM: (PCI ID: 10de:26b5) installed in this system has / NVRM: fallen off
# the bus and is not responding to commands.", NVIDIA/NVSentinel issue 155): read as Xid 79.
_FELL_OFF = re.compile(r"NVRM: The NVIDIA GPU ([0-9A-Fa-f:.]+)(?:(?!NVRM: The NVIDIA GPU).){0,400}?"
                       r"fallen off\s+(?:\S+\s+)?the bus", re.S)


def parse_xid(text: str) -> list[XidEvent]:
    """Xid events in kernel log text, oldest first, at most MAX_EVENTS (the newest)."""
    found = [(m.start(), XidEvent(pci=m.group(1).lower(), code=int(m.group(2)),
                                  message=m.group(3).strip())) for m in _XID.finditer(text)]
    seen = {same for _, e in found if e.code == 79 for same in [e.pci]}
    for m in _FELL_OFF.finditer(text):
        pci = m.group(1).lower().rstrip(".")
        if not any(same_pci(pci, other) for other in seen):
            found.append((m.start(), XidEvent(pci=pci, code=79,
                                              message="GPU has fallen off the bus")))
    return [event for _, event in sorted(found, key=lambda item: item[0])][-MAX_EVENTS:]


def probe_xid(root: Path) -> XidFacts:
    """Xids from `dmesg` (this boot), else from the end of the kernel log files below root."""
    out = run_command(["dmesg"])
    if out.ok:
        return XidFacts(source="dmesg", events=parse_xid(out.stdout))
    reasons = [out.reason]
    for path in LOG_FILES:
        text = read_tail(root, path, LOG_TAIL_BYTES)
        if text is not None:
            return XidFacts(source=path, events=parse_xid(text))
        reasons.append(f"no readable {path}")
    return XidFacts(reason="; ".join(reasons))


def read_tail(root: Path, path: str, limit: int) -> str | None:
    """The last `limit` bytes of a regular file below root, or None (absent, unreadable, or
    not a regular file: a FIFO in a replayed root must not be waited on)."""
    try:
        fd = os.open(below(root, path), os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except (OSError, ValueError):
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return None
        os.lseek(fd, max(info.st_size - limit, 0), os.SEEK_SET)
        chunks, left = [], limit
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 16))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks).decode("utf-8", errors="replace")
    except OSError:
        return None
    finally:
        os.close(fd)


def same_pci(a: str | None, b: str | None) -> bool:
    """Whether two PCI addresses name one device: NVML says "00000000:01:00.0", the kernel's
    Xid line "0000:01:00"; bus and device decide."""
    def key(address: str | None) -> tuple[str, ...]:
        parts = (address or "").lower().split(".")[0].split(":")
        return tuple(part.lstrip("0") or "0" for part in parts[-2:])
    return bool(a and b) and key(a) == key(b)


# --------------------------------------------------------------------------- nvidia-smi
def _cell(value: str) -> str | None:
    value = value.strip()
    return None if not value or value.startswith("[") or value in ("N/A",) else value


def _int(value: str | None) -> int | None:
    try:
        return int(float(value)) if value is not None else None
    except ValueError:
        return None


def _flag(value: str | None) -> bool | None:
    if value is None:
        return None
    return value.lower() in ("enabled", "yes", "1", "true")


def _rows(fields: list[str], extra: str) -> list[dict[str, str | None]]:
    out = run_command(["nvidia-smi", f"--{extra}={','.join(fields)}",
                       "--format=csv,noheader,nounits"])
    if not out.ok:
        return []
    rows = []
    for line in out.stdout.splitlines():
        cells = [_cell(cell) for cell in line.split(",")]
        if len(cells) >= len(fields):
            rows.append(dict(zip(fields, cells, strict=False)))
    return rows


def smi_health(gpus: list[GpuInfo]) -> None:
    """Fill each GPU's health fields from nvidia-smi (a field it reports "[N/A]" stays None)."""
    for gpu in gpus:
        gpu.health = gpu.health or GpuHealth()
    for group in _SMI_GROUPS:
        for row in _rows(["pci.bus_id", *group], "query-gpu"):
            for gpu in gpus:
                if same_pci(gpu.pci_bus_id, row["pci.bus_id"]):
                    for query, name in group.items():
                        setattr(gpu.health, name, _value(name, row[query]))
    for gpu in gpus:
        h = gpu.health
        h.ecc_uncorrected = h.ecc_volatile_uncorrected if h.ecc_uncorrected is None \
            else h.ecc_uncorrected
        if h.compute_mode:
            h.compute_mode = h.compute_mode.lower()
    for row in _rows(_SMI_APPS, "query-compute-apps"):
        pid = _int(row["pid"])
        for gpu in gpus:
            if pid and same_pci(gpu.pci_bus_id, row["gpu_bus_id"]):
                memory = _int(row["used_memory"])
                gpu.health.processes.append(GpuProcess(
                    pid=pid, name=row["process_name"],
                    used_memory_mib=float(memory) if memory is not None else None))


def _value(name: str, cell: str | None) -> object:
    """A GpuHealth field's value from an nvidia-smi cell, by the field's type."""
    if name.endswith("_mhz"):
        number = _int(cell)
        return float(number) if number else None  # 0: application clocks not set
    if name in ("compute_mode",):
        return cell
    if name.startswith(("ecc_enabled", "retired_pages_pending", "mig_mode", "remap_")):
        return _flag(cell)
    return _int(cell)
