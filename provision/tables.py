"""Compatibility tables the checks consult, each with the place its figures come from.

Versions are compared as tuples of ints: "410.48" -> (410, 48), "10.0" -> (10, 0).
"""

from __future__ import annotations

import re
from collections.abc import Iterable


def version_tuple(text: str | None) -> tuple[int, ...] | None:
    """Leading dotted digits of `text` as a tuple ("12.1.105" -> (12, 1, 105)), else None."""
    if not text:
        return None
    match = re.match(r"\s*v?(\d+(?:\.\d+)*)", str(text))
    if not match:
        return None
    return tuple(int(part) for part in match.group(1).split("."))


def major_minor(text: str | None) -> str | None:
    """"10.0.130" -> "10.0"; None when `text` holds no version."""
    parts = version_tuple(text)
    if not parts:
        return None
    return f"{parts[0]}.{parts[1] if len(parts) > 1 else 0}"


# CUDA toolkit (major.minor) -> minimum Linux x86_64 driver of its first (GA) release.
# Source: NVIDIA CUDA Toolkit Release Notes, Table 3 "CUDA Toolkit and Corresponding Driver
# Versions" (docs.nvidia.com/cuda/cuda-toolkit-release-notes), column "Toolkit Driver Version".
CUDA_MIN_DRIVER: dict[str, str] = {
    "8.0": "367.48",  # 8.0.44 GA; 8.0.61 GA2 needs 375.26 (same table)
    "9.0": "384.81",
    "9.1": "387.26",  # the driver the 9.1.85 runfile bundles (cuda_9.1.85_387.26_linux);
    # later copies of table 3 say 390.46, yet 9.1 ran on 390.12 (rhel74-2xp100 capture)
    "9.2": "396.26",
    "10.0": "410.48",
    "10.1": "418.39",
    "10.2": "440.33",
    "11.0": "450.51.05",
    "11.1": "455.23",
    "11.2": "460.27.03",
    "11.3": "465.19.01",
    "11.4": "470.42.01",
    "11.5": "495.29.05",
    "11.6": "510.39.01",
    "11.7": "515.43.04",
    "11.8": "520.61.05",
    "12.0": "525.60.13",
    "12.1": "530.30.02",
    "12.2": "535.54.03",
    "12.3": "545.23.06",
    "12.4": "550.54.14",
    "12.5": "555.42.02",
    "12.6": "560.28.03",
    "12.8": "570.26",
    "12.9": "575.51.03",
    "13.0": "580.65.06",
    # Table 3 of the 13.1 and 13.2 release notes ("CUDA 13.1 GA >=590.44.01", "CUDA 13.2 GA
    # >=595.45.04"), as copied in public repositories (index files 70889381901, 55335308248).
    "13.1": "590.44.01",
    "13.2": "595.45.04",
}

# From CUDA 11 on, a runtime of one major family runs on any driver of that family's first
# release ("minor version compatibility"), with limits (no PTX JIT of newer code).
# Source: NVIDIA CUDA Toolkit Release Notes, Table 2 "CUDA Toolkit and Minimum Required Driver
# Version for CUDA Minor Version Compatibility", and the CUDA Compatibility guide.
CUDA_MINOR_COMPAT_DRIVER: dict[int, str] = {
    11: "450.80.02",
    12: "525.60.13",
    13: "580.65.06",
}

# CUDA toolkit (major.minor) -> newest GCC major version its nvcc accepts as host compiler.
# Source: NVIDIA CUDA Installation Guide for Linux of each version, table "Supported Linux
# Distributions" (the GCC column), which is what crt/host_config.h enforces with its
# "unsupported GNU version" error.
CUDA_MAX_GCC: dict[str, int] = {
    "9.0": 6,
    "9.1": 6,
    "9.2": 7,
    "10.0": 7,
    "10.1": 8,
    "10.2": 8,
    "11.0": 9,
    "11.1": 10,
    "11.2": 10,
    "11.3": 10,
    "11.4": 11,  # from 11.4.1 (Update 1) on; 11.4.0 GA: gcc <= 10, see CUDA_MAX_GCC_RELEASE
    "11.5": 11,
    "11.6": 11,
    "11.7": 11,
    "11.8": 11,
    "12.0": 12,
    "12.1": 12,
    "12.2": 12,
    "12.3": 12,
    "12.4": 13,
    "12.5": 13,
    "12.6": 13,
    "12.8": 14,
    "12.9": 14,
    "13.0": 15,  # crt/host_config.h of CUDA 13.0 errors on __GNUC__ > 15
    # 13.1 and 13.2: not listed; their supported-GCC rows could not be sourced here.
}

# Exact releases whose host compiler limit differs from their major.minor row: CUDA 11.4.0 GA
# (version.json "11.4.0", nvcc "V11.4.48") accepts gcc <= 10; GCC 11 support arrived with 11.4
# Update 1. Source: CUDA Installation Guide for Linux 11.4.0 vs 11.4.1, "Supported Linux
# Distributions" (GCC column), and the 11.4 Update 1 release notes.
CUDA_MAX_GCC_RELEASE: dict[str, int] = {
    "11.4.0": 10,
    "11.4.48": 10,
}

# GPU name fragment -> compute capability. Longer fragments are tried first, so "1050 ti"
# wins over "1050". Source: NVIDIA's "CUDA GPUs - Compute Capability" page
# (developer.nvidia.com/cuda-gpus); Pascal through Blackwell plus a few older cards.
COMPUTE_CAPABILITY: dict[str, str] = {
    "gtx 750": "5.0", "gtx 950m": "5.0", "gtx 960m": "5.0",
    "gtx 950": "5.2", "gtx 960": "5.2", "gtx 970": "5.2", "gtx 980": "5.2",
    "gtx titan x": "5.2", "tesla m40": "5.2", "tesla m60": "5.2",
    "tesla k80": "3.7", "k80": "3.7",
    "mx130": "5.0", "mx110": "5.0",
    "tesla p100": "6.0", "p100": "6.0", "quadro gp100": "6.0",
    "gtx 1050": "6.1", "gtx 1050 ti": "6.1", "gtx 1060": "6.1", "gtx 1070": "6.1",
    "gtx 1080": "6.1", "gtx 1080 ti": "6.1", "titan xp": "6.1", "titan x (pascal)": "6.1",
    "tesla p4": "6.1", "tesla p40": "6.1", "mx150": "6.1", "mx250": "6.1", "quadro p1000": "6.1",
    "quadro p2000": "6.1", "quadro p4000": "6.1", "quadro p5000": "6.1", "quadro p6000": "6.1",
    "tesla v100": "7.0", "v100": "7.0", "titan v": "7.0", "quadro gv100": "7.0",
    "gtx 1650": "7.5", "gtx 1660": "7.5", "rtx 2060": "7.5", "rtx 2070": "7.5",
    "rtx 2080": "7.5", "titan rtx": "7.5", "tesla t4": "7.5", "t4": "7.5",
    "quadro rtx": "7.5",
    "a100": "8.0", "a30": "8.0",
    "rtx 3050": "8.6", "rtx 3060": "8.6", "rtx 3070": "8.6", "rtx 3080": "8.6",
    "rtx 3090": "8.6", "rtx a2000": "8.6", "rtx a4000": "8.6", "rtx a5000": "8.6",
    "rtx a6000": "8.6", "a10": "8.6", "a10g": "8.6", "a16": "8.6", "a40": "8.6", "a2": "8.6",
    "rtx 4060": "8.9", "rtx 4070": "8.9", "rtx 4080": "8.9", "rtx 4090": "8.9",
    "rtx 6000 ada": "8.9", "l4": "8.9", "l40": "8.9", "l40s": "8.9",
    "h100": "9.0", "h200": "9.0", "gh200": "9.0", "h800": "9.0",
    "b200": "10.0", "b100": "10.0", "gb200": "10.0",
    "rtx 5050": "12.0", "rtx 5060": "12.0", "rtx 5070": "12.0", "rtx 5080": "12.0",
    "rtx 5090": "12.0",
    # RTX PRO Blackwell workstation/server parts (GB20x): 12.0 on the same NVIDIA page; a
    # public doctor printout of "NVIDIA RTX PRO 6000 Blackwell Workstation Edition" shows 12.0.
    "rtx pro 6000 blackwell": "12.0", "rtx pro 5000 blackwell": "12.0",
    "rtx pro 4500 blackwell": "12.0", "rtx pro 4000 blackwell": "12.0",
    "rtx pro 2000 blackwell": "12.0",
}

# Compute capability major.minor -> first CUDA release that knows it. PTX of an older build
# does not serve such a GPU in practice: the build's runtime and bundled libraries (cuBLAS,
# cuDNN) predate it (pytorch/pytorch#57922: 1.8.1+cu102 with compute_37 on an A100 fails).
# Source: NVIDIA CUDA release notes of 9.0 (sm_70), 10.0 (sm_75), 11.0 (sm_80), 11.1 (sm_86),
# 11.8 (sm_89, sm_90), 12.8 (sm_100, sm_120).
CUDA_FIRST_FOR_CAPABILITY: dict[str, str] = {
    "7.0": "9.0", "7.5": "10.0", "8.0": "11.0", "8.6": "11.1", "8.9": "11.8", "9.0": "11.8",
    "10.0": "12.8", "12.0": "12.8",
}


def cuda_knows(cuda: str | None, capability: str) -> bool:
    """Whether CUDA `cuda` (major.minor) postdates GPUs of `capability` (unknown: True)."""
    first = CUDA_FIRST_FOR_CAPABILITY.get(capability)
    return not (cuda and first and version_tuple(cuda) < version_tuple(first))


# The precisions a GPU computes in natively, by compute capability: fp16 arithmetic from 5.3
# (Tegra X1; Maxwell desktop parts have none), bf16 from 8.0 (Ampere). Not
# torch.cuda.is_bf16_supported(), which by default also says yes where bf16 is only emulated:
# it answers True for major >= 8, and below that whenever a bf16 tensor can be created (torch
# 2.13's torch/cuda/__init__.py; `including_emulation=False` keeps only the major >= 8 test).
FP16_FROM, BF16_FROM = (5, 3), (8, 0)


def native_precisions(capability: tuple[int, int]) -> tuple[str, ...]:
    """fp32, and the half precisions a GPU of this compute capability runs natively."""
    return (("fp32",) + (("bf16",) if capability >= BF16_FROM else ())
            + (("fp16",) if capability >= FP16_FROM else ()))


# The last NVIDIA driver branch per GPU generation: (the first compute capability past the
# generation, its last branch, the generation). GPUs of 7.5 (Turing) and newer have no limit yet.
# Sources:
# - Kepler (3.x): 470. "The (Tesla) 470 drivers are the last driver series supporting GPUs based
#   on the Kepler architecture" (Debian's nvidia-tesla-470-driver description,
#   packages.debian.org/sid/nvidia-tesla-470-driver).
# - Maxwell (5.x), Pascal (6.x), Volta (7.0, 7.2): 580. NVIDIA's forum post "Unix Graphics
#   Feature Deprecation Schedule", as quoted by neowin.net and giznewsdaily.com in July 2025:
#   "The release 580 series will be the last to support GPUs based on the Maxwell, Pascal, and
#   Volta architectures";
#   NVIDIA/ansible-role-nvidia-driver PR 89 (NVIDIA's architecture matrix: R580 the last for them);
#   a 595 driver on a GTX 1050: "supported through the NVIDIA 580.xx Legacy drivers ... The
#   595.71.05 NVIDIA driver will ignore this GPU" (NixOS/nixos-hardware issue 1880); RPM Fusion's
#   580xx package: "not supported by NVIDIA drivers version 590 or newer"
#   (rpmfusion/xorg-x11-drv-nvidia-580xx, xorg-x11-drv-nvidia-580xx.spec).
# - Fermi (2.x): 390. A 396 driver on a Tesla M2070: "supported through the NVIDIA 390.xx
#   Legacy drivers ... The 396.26 NVIDIA driver will ignore this GPU" (fgci-org/ansible-role-cuda
#   issue 16).
LAST_DRIVER_BRANCH: tuple[tuple[tuple[int, int], int, str], ...] = (
    ((3, 0), 390, "Fermi"),
    ((5, 0), 470, "Kepler"),
    ((7, 5), 580, "Maxwell, Pascal and Volta"),
)


def last_driver_branch(capability: str | None) -> int | None:
    """The last driver branch for GPUs of this compute capability, or None (no limit known)."""
    parts = version_tuple(capability)
    return next((branch for bound, branch, _ in LAST_DRIVER_BRANCH
                 if parts and parts[:2] < bound), None)


def driver_branch_ceiling(capabilities: Iterable[str]) -> int | None:
    """The newest NVIDIA driver branch that runs every GPU of these compute capabilities (the
    lowest last branch among them), or None when none of them has a last branch."""
    return min(filter(None, map(last_driver_branch, capabilities)), default=None)


# PCI device id (vendor 10de) -> compute capability, for names that do not say the model
# ("GH100", "NVIDIA H100") and for GPUs seen only on the bus. Ids and the names in the comments:
# pci.ids Version 2026.01.16 (the PCI ID Repository, pci-ids.ucw.cz; read in the copy carried by
# Z-Ray-Entertainment/kalpa-driver-manager, which comments some device lines out but keeps their
# names); capabilities: NVIDIA's "CUDA GPUs - Compute Capability" page by the chip (GK210 3.7,
# GM108 5.0, GP100 6.0, GP10x 6.1, GV100 7.0, TU10x 7.5, GA100 8.0, GA10x 8.6, AD10x 8.9,
# GH100 9.0, GB100 10.0, GB20x 12.0).
PCI_CAPABILITY: dict[str, str] = {
    "102d": "3.7",  # GK210GL [Tesla K80]
    "174d": "5.0", "174e": "5.0",  # GM108M [GeForce MX130], [GeForce MX110]
    # GP100GL [Tesla P100 PCIe 12GB], [Tesla P100 PCIe 16GB], [Tesla P100 SXM2 16GB]
    "15f7": "6.0", "15f8": "6.0", "15f9": "6.0",
    "1b02": "6.1",  # GP102 [TITAN Xp]
    # GP102 [GeForce GTX 1080 Ti], GP104 [GeForce GTX 1080], GP104 [GeForce GTX 1070]
    "1b06": "6.1", "1b80": "6.1", "1b81": "6.1",
    # GP106 [GeForce GTX 1060 6GB], GP107 [GeForce GTX 1050], [GeForce GTX 1050 Ti],
    # GP107M [GeForce GTX 1050 Ti Mobile], [GeForce GTX 1050 Mobile]
    "1c03": "6.1", "1c81": "6.1", "1c82": "6.1", "1c8c": "6.1", "1c8d": "6.1",
    "1d13": "6.1",  # GP108M [GeForce MX250]
    # GV100GL [Tesla V100 SXM2 16GB], [.. PCIe 16GB], [.. SXM2 32GB], [.. PCIe 32GB]
    "1db1": "7.0", "1db4": "7.0", "1db5": "7.0", "1db6": "7.0",
    # TU102 [GeForce RTX 2080 Ti], [GeForce RTX 2080 Ti Rev. A], TU104GL [Tesla T4],
    # TU106 [GeForce RTX 2060 Rev. A]
    "1e04": "7.5", "1e07": "7.5", "1eb8": "7.5", "1f08": "7.5",
    # GA100 [A100 SXM4 40GB], [A100 PCIe 40GB], [A100 SXM4 80GB], [A100-SXM-64GB],
    # [A100 PCIe 80GB], and 20f1 a second [A100 PCIe 40GB]
    "20b0": "8.0", "20b1": "8.0", "20b2": "8.0", "20b3": "8.0", "20b5": "8.0",
    "20f1": "8.0",
    # GA102 [GeForce RTX 3090], GA102GL [RTX A6000], [A10], [A10G]
    "2204": "8.6", "2230": "8.6", "2236": "8.6", "2237": "8.6",
    # AD102 [GeForce RTX 4090], AD102GL [L40], AD104GL [L4]
    "2684": "8.9", "26b5": "8.9", "27b8": "8.9",
    # GH100: 2321 [H100L 94GB] (the H100 NVL), 2322 [H800 PCIe], 2324 [H800],
    # 2330 [H100 SXM5 80GB], 2331 [H100 PCIe], 2335 [H200 SXM 141GB], 2336 [H100],
    # 2339 [H100 SXM5 94GB], 233b [H200 NVL], 2342 [GH200 120GB / 480GB], 2348 [GH200 144G HBM3e]
    "2321": "9.0", "2322": "9.0", "2324": "9.0", "2330": "9.0", "2331": "9.0",
    "2335": "9.0", "2336": "9.0", "2339": "9.0", "233b": "9.0", "2342": "9.0",
    "2348": "9.0",
    "2901": "10.0",  # GB100 [B200]
    # GB202 [GeForce RTX 5090], [GeForce RTX 5090 D], GB202GL [RTX PRO 6000 Blackwell
    # Workstation Edition], [.. Max-Q Workstation Edition], [.. Server Edition],
    # GB203 [GeForce RTX 5080], [GeForce RTX 5070 Ti], GB206 [GeForce RTX 5060 Ti],
    # [GeForce RTX 5060], GB205 [GeForce RTX 5070]
    "2b85": "12.0", "2b87": "12.0", "2bb1": "12.0", "2bb4": "12.0", "2bb5": "12.0",
    "2c02": "12.0", "2c05": "12.0", "2d04": "12.0", "2d05": "12.0", "2f04": "12.0",
}

# PCI device id (vendor 0x10de) -> marketing name, for naming a GPU when no driver is loaded and
# lspci is absent. Source: the bracketed model of each id in pci.ids Version 2026.01.16 (as for
# PCI_CAPABILITY above), except 2321, which pci.ids calls "H100L 94GB": it is the H100 NVL (the
# name NVML reports, and the one NOMINAL_PEAK_TFLOPS keys on).
NVIDIA_PCI_NAMES: dict[str, str] = {
    "1c8d": "GeForce GTX 1050 Mobile",
    "1c81": "GeForce GTX 1050",
    "1c82": "GeForce GTX 1050 Ti",
    "1c8c": "GeForce GTX 1050 Ti Mobile",
    "1c03": "GeForce GTX 1060 6GB",
    "1b81": "GeForce GTX 1070",
    "1b80": "GeForce GTX 1080",
    "1b06": "GeForce GTX 1080 Ti",
    "1db4": "Tesla V100 PCIe 16GB",
    "1eb8": "Tesla T4",
    "1f08": "GeForce RTX 2060 Rev. A",
    "2204": "GeForce RTX 3090",
    "20b0": "A100 SXM4 40GB",
    "20b5": "A100 PCIe 80GB",
    "2684": "GeForce RTX 4090",
    "27b8": "L4",
    "2321": "H100 NVL",
    "2330": "H100 SXM5 80GB",
    "2331": "H100 PCIe",
    "2335": "H200 SXM 141GB",
    "233b": "H200 NVL",
}

# Nominal dense peaks (TFLOP/s) to set a measured matmul beside, per GPU: (fp32 on the CUDA
# cores, fp16/bf16 on the tensor cores dense with fp32 accumulate). The second figure is the one
# torch's fp16/bf16 matmul can reach, as cuBLAS accumulates in fp32: GeForce parts run
# fp32-accumulate at half their fp16-accumulate rate (RTX 4090 165.2 vs 330.3, RTX 3090 71 vs
# 142), datacenter parts (A100, H100, L4) run both at one rate. Data sheets print tensor figures
# "with sparsity": dense is half of those. Pascal GeForce parts have no tensor cores (None); their
# fp32 is CUDA cores x boost clock x 2. Mobile parts vary with the laptop's power limit, so those
# figures are a ceiling.
NOMINAL_PEAK_TFLOPS: dict[str, tuple[float, float | None]] = {
    "gtx 1050": (1.86, None),  # 640 cores x 1455 MHz boost x 2
    "gtx 1050 ti": (2.14, None),  # 768 cores x 1392 MHz boost x 2
    "gtx 1080 ti": (11.3, None),  # 3584 cores x 1582 MHz boost x 2
    # V100 SXM2 data sheet (15.7 fp32, 125 tensor; developer.nvidia.com "Programming Tensor Cores
    # in CUDA 9": up to 125 Tensor TFLOPS). The key also matches the V100 PCIe, which the same
    # data sheet rates lower (14 / 112; not re-checked here): a ceiling for it.
    "tesla v100": (15.7, 125.0),
    "tesla t4": (8.1, 65.0),  # T4 data sheet: 8.1 fp32, 65 fp16/fp32 mixed (dense)
    # GA102 whitepaper, RTX 3090: 35.6 fp32; fp16 tensor 71 with fp32 accumulate (142 with fp16)
    "rtx 3090": (35.6, 71.0),
    "a100": (19.5, 312.0),  # A100 data sheet: 19.5 fp32, 624 fp16/bf16 with sparsity
    # Ada whitepaper, RTX 4090: 82.6 fp32; fp16/bf16 tensor 165.2 with fp32 accumulate (330.3
    # with fp16 accumulate)
    "rtx 4090": (82.6, 165.2),
    "l4": (30.3, 121.0),  # L4 data sheet: 30.3 fp32, 242 fp16 with sparsity
    # H100 by form factor; a bare "NVIDIA H100" gets no figure: its form factor is unknown.
    # SXM5 ("H100 SXM5", NVML "H100 80GB HBM3"): Hopper whitepaper 66.9 / 989.4 (data sheet 67
    # and 1,979 with sparsity).
    "h100 sxm5": (66.9, 989.4),
    "h100 sxm": (66.9, 989.4),
    "h100 80gb hbm3": (66.9, 989.4),
    # PCIe: data sheet 51 fp32 (whitepaper 51.2) and 1,513 fp16/bf16 with sparsity (whitepaper
    # 756 dense).
    "h100 pcie": (51.2, 756.5),
    # NVL, per GPU (94 GB; nvidia.com/en-us/data-center/h100): 60 fp32, 1,671 with sparsity. The
    # 2023 launch figures were for a bridged pair of cards (188 GB); this row is one GPU.
    "h100 nvl": (60.0, 835.5),
    # H200 SXM and H200 NVL (nvidia.com/en-us/data-center/h200): 67 / 1,979 and 60 / 1,671 with
    # sparsity; the SXM part has the H100 SXM5's compute.
    "h200": (66.9, 989.4),
    "h200 nvl": (60.0, 835.5),
}


def _name_key(name: str) -> str:
    # nvidia-smi and NVML write datacenter parts with dashes ("Tesla V100-SXM2-16GB",
    # "A100-SXM4-40GB"); pci.ids puts the model in brackets ("GA102GL [A10G]").
    text = name.lower().replace("nvidia", "").replace("geforce", "")
    text = re.sub(r"[-_/\[\]()]", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def lookup_by_name(table: dict[str, object], name: str | None) -> object | None:
    """The entry whose key is the longest whole-word fragment of the GPU `name`."""
    if not name:
        return None
    key = f" {_name_key(name)} "
    for fragment in sorted(table, key=len, reverse=True):
        if f" {fragment} " in key:
            return table[fragment]
    return None


def compute_capability_for(name: str | None, device_id: str | None = None) -> str | None:
    """Compute capability ("6.1") of a GPU by its name, else by its PCI device id ("1c8d"),
    or None when neither table knows it."""
    value = lookup_by_name(COMPUTE_CAPABILITY, name)
    if value:
        return str(value)
    key = (device_id or "").lower().removeprefix("0x")[-4:]
    return PCI_CAPABILITY.get(key)


def min_driver_for_cuda(cuda: str | None) -> str | None:
    """Minimum Linux driver for a CUDA toolkit/runtime version, or None when unknown."""
    key = major_minor(cuda)
    return CUDA_MIN_DRIVER.get(key) if key else None


def max_gcc_for_cuda(cuda: str | None) -> int | None:
    """Newest GCC major version the toolkit accepts, or None when the table lacks it. A full
    version ("11.4.0", nvcc's "11.4.48") is matched against the per-release exceptions first."""
    parts = version_tuple(cuda)
    if parts and len(parts) >= 3:
        exact = CUDA_MAX_GCC_RELEASE.get(".".join(str(p) for p in parts[:3]))
        if exact is not None:
            return exact
    key = major_minor(cuda)
    return CUDA_MAX_GCC.get(key) if key else None


# ----------------------------------------------------------------- distribution families
# os-release ID (or an ID_LIKE word) -> the family that picks the package manager: fedora (dnf),
# rhel (dnf, yum up to 7), debian (apt-get), suse (zypper), arch (pacman). Ubuntu derivatives
# (Pop!_OS, Linux Mint, elementary, Zorin) say ID_LIKE="ubuntu debian" (Pop!_OS 22.04's
# os-release, NVIDIA/nvidia-docker issue 1667) and are Debian-family with an Ubuntu base
# (OsFacts.ubuntu_base). openSUSE Leap/Tumbleweed and SLES say ID_LIKE="suse opensuse" or
# "suse"; Manjaro and EndeavourOS say ID_LIKE=arch.
DISTRO_FAMILIES: dict[str, str] = {
    "fedora": "fedora",
    "rhel": "rhel", "centos": "rhel", "rocky": "rhel", "almalinux": "rhel", "ol": "rhel",
    "debian": "debian", "ubuntu": "debian", "pop": "debian", "linuxmint": "debian",
    "elementary": "debian", "zorin": "debian", "raspbian": "debian",
    "opensuse": "suse", "opensuse-leap": "suse", "opensuse-tumbleweed": "suse", "suse": "suse",
    "sles": "suse", "sled": "suse",
    "arch": "arch", "manjaro": "arch", "endeavouros": "arch",
}
# Ubuntu codename -> release, for derivatives whose VERSION_ID is their own (Linux Mint 21.3 is
# built on jammy): UBUNTU_CODENAME names the base. Source: Ubuntu's release list
# (wiki.ubuntu.com/Releases).
UBUNTU_CODENAMES: dict[str, str] = {
    "xenial": "16.04", "bionic": "18.04", "focal": "20.04", "jammy": "22.04", "noble": "24.04",
    "oracular": "24.10", "plucky": "25.04",
}


def distro_family(os_id: str | None, id_like: Iterable[str]) -> str:
    """fedora, rhel, debian, suse, arch or unknown, from ID first and ID_LIKE after."""
    for candidate in [os_id or "", *id_like]:
        if candidate in DISTRO_FAMILIES:
            return DISTRO_FAMILIES[candidate]
    return "unknown"


def ubuntu_base(os_id: str | None, id_like: Iterable[str], version_id: str | None,
                ubuntu_codename: str | None) -> str | None:
    """The Ubuntu release an Ubuntu or Ubuntu-based distribution is built on, or None."""
    if os_id != "ubuntu" and "ubuntu" not in id_like:
        return None
    if ubuntu_codename and ubuntu_codename in UBUNTU_CODENAMES:
        return UBUNTU_CODENAMES[ubuntu_codename]
    # Pop!_OS numbers its releases as Ubuntu's; Mint without UBUNTU_CODENAME stays unknown.
    if version_id and (os_id in ("ubuntu", "pop")) and re.fullmatch(r"\d\d\.\d\d", version_id):
        return version_id
    return None


# ----------------------------------------------------------------- Jetson (L4T)
# Jetson module name words (/proc/device-tree/model) -> the integrated GPU's compute capability.
# Source: NVIDIA's "CUDA GPUs - Compute Capability" page (Jetson Nano and TX1 5.3, TX2 6.2,
# AGX Xavier and Xavier NX 7.2, AGX Orin and Orin NX/Nano 8.7); Thor sm_110 (OpenRAL/openral
# PR 167: "Thor is `sm_110`", L4T R38.4 / JetPack 7, CUDA 13.0).
JETSON_CAPABILITY: tuple[tuple[str, str], ...] = (
    ("thor", "11.0"), ("orin", "8.7"), ("xavier", "7.2"), ("tx2", "6.2"), ("tx1", "5.3"),
    ("nano", "5.3"),
)
# L4T major release -> JetPack major (NVIDIA's JetPack archive: L4T R32 is JetPack 4.x on
# Ubuntu 18.04 with Python 3.6, R35 JetPack 5.x on 20.04 with 3.8, R36 JetPack 6.x on 22.04 with
# 3.10, R38 JetPack 7).
JETPACK_FOR_L4T: dict[int, int] = {32: 4, 35: 5, 36: 6, 38: 7}
# JetPack major -> NVIDIA's PyTorch wheel for it (developer.download.nvidia.com/compute/redist/
# jp/<jetpack>/pytorch/, the wheels NVIDIA's "Installing PyTorch for Jetson Platform" guide
# points at). Seen installed in public Jetson setup scripts: v461's torch-1.11.0a0+17540c5+nv22.01
# cp36 (JetPack 4.6.x), v512's torch-2.1.0a0+41361538.nv23.06 cp38 (JetPack 5.1.x), v60's
# torch-2.4.0a0+07cecf4168.nv24.05.14710581 cp310 (JetPack 6.0 and later 6.x). JetPack 4 before
# 4.6 and JetPack 7 have no wheel here: words instead.
JETSON_TORCH_WHEEL: dict[int, tuple[str, str]] = {
    4: ("v461", "torch-1.11.0a0+17540c5+nv22.01-cp36-cp36m-linux_aarch64.whl"),
    5: ("v512", "torch-2.1.0a0+41361538.nv23.06-cp38-cp38-linux_aarch64.whl"),
    6: ("v60", "torch-2.4.0a0+07cecf4168.nv24.05.14710581-cp310-cp310-linux_aarch64.whl"),
}


def jetson_capability(model: str | None) -> str | None:
    words = (model or "").lower()
    return next((cap for key, cap in JETSON_CAPABILITY if key in words), None)


def jetpack_major(l4t: str | None) -> int | None:
    """"R32.4.3" -> 4 (JetPack 4.x); None when the release is not known."""
    parts = version_tuple((l4t or "").lstrip("Rr"))
    return JETPACK_FOR_L4T.get(parts[0]) if parts else None
