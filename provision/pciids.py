"""GPU names from the machine's own PCI ID database (pci.ids, shipped by hwdata / pciutils).

lspci names a device from this file; reading it directly names a GPU the same way when lspci
is absent and no driver is loaded. Only NVIDIA's block (vendor 10de) is parsed.
"""

from __future__ import annotations

import re
from pathlib import Path

from provision.probe import read_text

# Where distributions install the file: Fedora/RHEL (hwdata), Debian/Ubuntu (pci.ids package;
# older releases keep a compressed copy, which is not read here).
PCI_IDS_PATHS = ("/usr/share/hwdata/pci.ids", "/usr/share/misc/pci.ids")
NVIDIA = "10de"
_DEVICE = re.compile(r"^\t([0-9a-f]{4})\s+(.+?)\s*$")


def parse_vendor(text: str, vendor: str = NVIDIA) -> dict[str, str]:
    """Device id -> name for one vendor's block of a pci.ids text."""
    names: dict[str, str] = {}
    inside = False
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        if not line.startswith("\t"):  # a vendor line ends the previous block
            inside = line[:4].lower() == vendor
            if not inside and names:
                break
            continue
        if inside and (match := _DEVICE.match(line)):
            names[match.group(1)] = match.group(2)
    return names


def model_name(entry: str) -> str:
    """The model in a pci.ids name: "GA102GL [A10G]" -> "A10G"; "GH100" stays "GH100"."""
    bracketed = re.findall(r"\[([^\]]+)\]", entry)
    return bracketed[-1] if bracketed else entry


def nvidia_names(root: Path) -> dict[str, str]:
    """NVIDIA device id -> model name from the first pci.ids found below `root`."""
    for path in PCI_IDS_PATHS:
        text = read_text(root, path)
        if text:
            return {device: model_name(name) for device, name in parse_vendor(text).items()}
    return {}
