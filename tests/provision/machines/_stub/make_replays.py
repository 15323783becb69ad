"""Build the replays under tests/provision/machines/ from the real captures in ../../captures/.

Run `python tests/provision/machines/_stub/make_replays.py` after changing a MACHINES entry; it
rewrites those replay folders (files below root/, the stub data in stub/, the bin/ symlinks to
the shared stub, PROVENANCE.md). What a capture shows verbatim goes where the doctor reads it
(the `collect_env` lines are quoted in PROVENANCE.md next to each derived file); everything else
is derived here from those facts, with the reason written into PROVENANCE.md.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
MACHINES = HERE.parent
CAPTURES = MACHINES.parent / "captures"
sys.path.insert(0, str(MACHINES.parents[2]))

from provision.torch_releases import TORCH_BUILDS  # noqa: E402


@dataclass(frozen=True)
class Product:
    """What pci.ids and NVIDIA's product pages say about one GPU model (derived, nominal)."""

    device_id: str
    pci_name: str  # the pci.ids device line
    chip: str
    capability: str
    memory_mib: int
    power_w: int
    max_sm_mhz: int
    pcie_gen: int
    datacenter: bool  # ECC, retired pages / row remapping, persistence on by default


PRODUCTS = {
    "Tesla V100-PCIE-32GB": Product("1db6", "GV100GL [Tesla V100 PCIe 32GB]", "GV100", "7.0",
                                    32768, 250, 1380, 3, True),
    "GeForce GTX 1060 6GB": Product("1c03", "GP106 [GeForce GTX 1060 6GB]", "GP106", "6.1",
                                    6078, 120, 1911, 3, False),
    "NVIDIA H100": Product("2336", "GH100 [H100]", "GH100", "9.0", 97871, 700, 1980, 5, True),
    "Tesla P100-PCIE-16GB": Product("15f8", "GP100GL [Tesla P100 PCIe 16GB]", "GP100", "6.0",
                                    16280, 250, 1328, 3, True),
    "NVIDIA H100 80GB HBM3": Product("2330", "GH100 [H100 SXM5 80GB]", "GH100", "9.0", 81559,
                                     700, 1980, 5, True),
    "TITAN Xp": Product("1b02", "GP102 [TITAN Xp]", "GP102", "6.1", 12196, 250, 1911, 3, False),
    "GeForce RTX 2080 Ti": Product("1e07", "TU102 [GeForce RTX 2080 Ti Rev. A]", "TU102", "7.5",
                                   11019, 250, 2100, 3, False),
    "NVIDIA GeForce RTX 3090": Product("2204", "GA102 [GeForce RTX 3090]", "GA102", "8.6", 24576,
                                       350, 2100, 4, False),
    "A100-SXM4-40GB": Product("20b0", "GA100 [A100 SXM4 40GB]", "GA100", "8.0", 40536, 400, 1410,
                              4, True),
    "NVIDIA A100-SXM4-40GB": Product("20b0", "GA100 [A100 SXM4 40GB]", "GA100", "8.0", 40960,
                                     400, 1410, 4, True),
    "NVIDIA GeForce GTX 1080 Ti": Product("1b06", "GP102 [GeForce GTX 1080 Ti]", "GP102", "6.1",
                                          11264, 250, 1911, 3, False),
    "NVIDIA A100-PCIE-40GB": Product("20f1", "GA100 [A100 PCIe 40GB]", "GA100", "8.0", 40960,
                                     250, 1410, 4, True),
    "NVIDIA H100 PCIe": Product("2331", "GH100 [H100 PCIe]", "GH100", "9.0", 81559, 350, 1755,
                                5, True),
    "NVIDIA GeForce RTX 4090": Product("2684", "AD102 [GeForce RTX 4090]", "AD102", "8.9", 24564,
                                       450, 3120, 4, False),
    "NVIDIA GeForce RTX 5090 D": Product("2b87", "GB202 [GeForce RTX 5090 D]", "GB202", "12.0",
                                         32607, 575, 3090, 5, False),
    "NVIDIA L4": Product("27b8", "AD104GL [L4]", "AD104", "8.9", 23034, 72, 2040, 4, True),
}


@dataclass
class Machine:
    """One replay: the facts a capture shows (and the few derived ones it needs)."""

    name: str
    capture: str
    os_release: dict[str, str]
    kernel: str
    kernel_source: str  # "verbatim: ..." or "derived: ..."
    gpus: list[str]
    driver: str
    python: str | None  # what `python3 --version` says, major.minor[.micro]
    python_where: str  # the pip line's site-packages folder
    gcc: str | None  # gcc -dumpfullversion
    gcc_line: str | None  # collect_env's "GCC version:" value (verbatim)
    torch: dict | None  # TorchFacts fields; None: torch not installed
    torch_variant: str | None = None  # row of provision/torch_releases.py for the arch list
    toolkit: str | None = None  # e.g. "12.4.131"
    smi: bool = True  # nvidia-smi on PATH
    smi_overrides: dict[str, str] = field(default_factory=dict)
    bus_ids: list[str] | None = None
    uuids: list[str] | None = None
    cpu: tuple[str | None, int, int, int] | None = None  # model, sockets, cores/socket, threads
    packages: list[tuple[str, str, str, str]] = field(default_factory=list)
    python_bin: str = "python3"
    verdict: str = ""
    notes: list[str] = field(default_factory=list)
    verbatim_extra: dict[str, str] = field(default_factory=dict)  # stub file -> capture file


def centos7() -> dict[str, str]:
    return {"NAME": "CentOS Linux", "VERSION": "7 (Core)", "ID": "centos",
            "ID_LIKE": "rhel fedora", "VERSION_ID": "7", "PRETTY_NAME": "CentOS Linux 7 (Core)"}


def stream9() -> dict[str, str]:
    return {"NAME": "CentOS Stream", "VERSION": "9", "ID": "centos", "ID_LIKE": "rhel fedora",
            "VERSION_ID": "9", "PLATFORM_ID": "platform:el9", "PRETTY_NAME": "CentOS Stream 9"}


def ubuntu(version: str, point: str, codename: str) -> dict[str, str]:
    pretty = f"Ubuntu {point}" + (" LTS" if version.split(".")[1] == "04" else "")
    long = pretty.removeprefix("Ubuntu ") + f" ({codename.capitalize()})"
    return {"NAME": "Ubuntu", "VERSION": long, "ID": "ubuntu", "ID_LIKE": "debian",
            "PRETTY_NAME": pretty, "VERSION_ID": version, "VERSION_CODENAME": codename,
            "UBUNTU_CODENAME": codename}


def torch_facts(version: str, cuda: str | None, available: bool, gpus: list[str],
                arch: list[str] | None = None) -> dict:
    return {"installed": True, "version": version, "cuda": cuda, "cudnn": None,
            "cuda_available": available, "init_warning": None, "arch_list": arch,
            "devices": [{"name": g, "capability": PRODUCTS[g].capability} for g in gpus]
            if available else [], "num_threads": None}


NO_TORCH = None
CONDA = "/opt/conda/lib/python{mm}/site-packages/pip"
UBUNTU_PY = "/usr/lib/python3/dist-packages/pip"

MACHINES_SPEC: list[Machine] = [
    Machine(
        "centos7-4xv100-torch251cu124-no-smi", "centos7-4xv100pcie32-torch251cu124", centos7(),
        "3.10.0-1160.119.1.el7.x86_64", "verbatim: Python platform line",
        ["Tesla V100-PCIE-32GB"] * 4, "550.54.15", "3.10.16", CONDA, "14.2.0",
        "(conda-forge gcc 14.2.0-1) 14.2.0",
        torch_facts("2.5.1+cu124", "12.4", True, ["Tesla V100-PCIE-32GB"] * 4), "cu124",
        toolkit="12.4.131", smi=False,
        verdict="torch works (V100 sm_70 in the cu124 build); nvidia-smi absent from PATH is "
                "not a missing driver; gcc 14.2 > 13 matters only for building CUDA code "
                "(warning); package manager yum",
        notes=["driver 550.54.15: derived (collect_env could not run nvidia-smi; any driver "
               ">= 525.60.13 gives 'CUDA available'); read from /proc only"]),
    Machine(
        "centos74-gtx1060-driver410-no-torch", "centos74-gtx1060-driver410.48", centos7(),
        "3.10.0-862.11.6.el7.x86_64", "verbatim: uname.txt",
        ["GeForce GTX 1060 6GB"], "410.48", "2.7.5", "/usr/lib/python2.7/site-packages/pip",
        "4.8.5", "(GCC) 4.8.5 20150623 (Red Hat "
        "4.8.5-28)", NO_TORCH, smi_overrides={"persistence_mode": "Disabled"},
        bus_ids=["00000000:03:00.0"], uuids=["GPU-fe01ee0e-c5ac-8dc0-a5ac-1b86f48a7a93"],
        verdict="GPU stack healthy (the thread's failure is nvidia-docker); no torch: any torch "
                "advice must fit driver 410.48 (cu100 or cu92 builds, never cu118/cu126) and "
                "glibc 2.17; package manager yum",
        notes=["gcc 4.8.5 (CentOS 7's only system gcc; its release suffix assumed) and Python "
               "2.7 only (CentOS 7.4 ships no python3): derived from the distribution"],
        python_bin="python", packages=[("gcc", "4.8.5", "28.el7", "x86_64")],
        verbatim_extra={"nvidia-smi-q.txt": "nvidia-smi-a.part*.txt"}),
    Machine(
        "centosstream9-8xh100-driver535-torch260cu124",
        "centosstream9-8xh100-driver535-torch260cu124",
        stream9(), "6.4.3-0_fbk15_zion_2630_gf27365f948db", "verbatim: Python platform line",
        ["NVIDIA H100"] * 8, "535.154.05", "3.12.0", CONDA, "11.5.0",
        "(GCC) 11.5.0 20240719 (Red Hat 11.5.0-5)",
        torch_facts("2.6.0+cu124", "12.4", True, ["NVIDIA H100"] * 8), "cu124",
        packages=[("gcc", "11.5.0", "5.el9", "x86_64")],
        verdict="works under CUDA minor-version compatibility (cu124 on a 12.2 driver): a "
                "warning, not a failure; capability 9.0 for the bare name 'NVIDIA H100'; dnf; "
                "no runfile prerequisites (pip wheels only)"),
    Machine(
        "centosstream9-8xh100-driver535-torch28dev-cu126-nvcc126",
        "centosstream9-8xh100-driver535-torch28dev-cu126-nccl", stream9(),
        "6.4.3-0_fbk20_zion_2830_g3e5ab162667d", "verbatim: Python platform line",
        ["NVIDIA H100"] * 8, "535.154.05", "3.10.16", CONDA, "11.5.0",
        "(GCC) 11.5.0 20240719 (Red Hat 11.5.0-5)",
        torch_facts("2.8.0.dev20250327+cu126", "12.6", True, ["NVIDIA H100"] * 8), "cu126",
        toolkit="12.6.85", packages=[("gcc", "11.5.0", "5.el9", "x86_64")],
        verdict="single-GPU CUDA works under minor-version compatibility (warning); NCCL fails "
                "on the 12.2 driver (a limit of minor-version compatibility): the fix is a "
                "driver >= 560 or a cu124/cu121 build, never cu126 alone; nvcc 12.6 on a 12.2 "
                "driver: warning; dnf"),
    Machine(
        "rhel74-2xp100-driver390-cuda91", "rhel74-2xp100-driver390-cuda91",
        {"NAME": "Red Hat Enterprise Linux Server", "VERSION": "7.4 (Maipo)", "ID": "rhel",
         "ID_LIKE": "fedora", "VERSION_ID": "7.4",
         "PRETTY_NAME": "Red Hat Enterprise Linux Server 7.4 (Maipo)"},
        "3.10.0-693.el7.x86_64", "derived: RHEL 7.4's GA kernel (not in the capture)",
        ["Tesla P100-PCIE-16GB"] * 2, "390.12", "2.7", "/usr/lib/python2.7/site-packages/pip",
        "4.8.5", "(GCC) 4.8.5", {"installed": False, "reason": "import torch failed "
                                 "(collect_env: 'PyTorch version: N/A')"},
        toolkit="9.1.85", python_bin="python", packages=[("gcc", "4.8.5", "16.el7", "x86_64")],
        verdict="consistent, working GPU stack (driver 390.12 runs CUDA 9.1); P100 capability "
                "6.0 from 'Tesla P100-PCIE-16GB'; yum; torch advice must fit driver 390.12 and "
                "Python 2.7 (a cu90 build, e.g. torch 1.1.0; never cu92+)"),
    Machine(
        "rhel94-8xh100-driver560-torch260cu126", "rhel94-8xh100-driver560-torch260cu126-busy",
        {"NAME": "Red Hat Enterprise Linux", "VERSION": "9.4 (Plow)", "ID": "rhel",
         "ID_LIKE": "fedora", "VERSION_ID": "9.4", "PLATFORM_ID": "platform:el9",
         "PRETTY_NAME": "Red Hat Enterprise Linux 9.4 (Plow)"},
        "5.14.0-427.42.1.el9_4.x86_64", "verbatim: Python platform line",
        ["NVIDIA H100 80GB HBM3"] * 8, "560.35.03", "3.11.11", CONDA, "11.4.1",
        "(GCC) 11.4.1 20231218 (Red Hat 11.4.1-3)",
        torch_facts("2.6.0+cu126", "12.6", True, ["NVIDIA H100 80GB HBM3"] * 8), "cu126",
        smi_overrides={"compute_mode": "Exclusive_Process"},
        packages=[("gcc", "11.4.1", "3.el9", "x86_64")],
        verdict="healthy stack (driver 560 = CUDA 12.6, torch cu126, sm_90); 'device busy or "
                "unavailable' across processes points at compute mode Exclusive_Process "
                "(hypothesis, derived); dnf; no runfile prerequisites"),
    Machine(
        "rocky86-2xv100-driver515-torch240cu118", "rocky86-2xv100pcie32-driver515-torch240cu118",
        {"NAME": "Rocky Linux", "VERSION": "8.6 (Green Obsidian)", "ID": "rocky",
         "ID_LIKE": "rhel centos fedora", "VERSION_ID": "8.6", "PLATFORM_ID": "platform:el8",
         "PRETTY_NAME": "Rocky Linux 8.6 (Green Obsidian)"},
        "4.18.0-372.9.1.el8.x86_64", "verbatim: Python platform line",
        ["Tesla V100-PCIE-32GB"] * 2, "515.105.01", "3.10.15", CONDA, "8.5.0",
        "(GCC) 8.5.0 20210514 (Red Hat 8.5.0-10)",
        torch_facts("2.4.0+cu118", "11.8", True, ["Tesla V100-PCIE-32GB"] * 2), "cu118",
        toolkit="11.8.89", cpu=("Intel(R) Xeon(R) Gold 6230R CPU @ 2.10GHz", 2, 26, 1),
        packages=[("gcc", "8.5.0", "10.el8", "x86_64")],
        verdict="works under minor-version compatibility (cu118 and nvcc 11.8 on an 11.7 "
                "driver): warnings with the consequence, no failure; dnf; SMT off"),
    Machine(
        "ubuntu1604-8xtitanxp-driver410-torch131cu101", "ubuntu1604-8xtitanxp-driver410.48-"
        "torch131cu101", ubuntu("16.04", "16.04.4", "xenial"), "4.4.0-98-generic",
        "derived: the issue body's 'kernel 4.4.0.98'", ["TITAN Xp"] * 8, "410.48", "3.6",
        "/usr/local/lib/python3.6/dist-packages/pip", "5.4.0",
        "(Ubuntu 5.4.0-6ubuntu1~16.04.12) 5.4.0 20160609",
        torch_facts("1.3.1", "10.1.243", False, ["TITAN Xp"] * 8), "cu101", toolkit="10.0.130",
        packages=[("gcc-5", "5.4.0-6ubuntu1~16.04.12", "", "amd64")],
        verdict="failure: driver 410.48 (CUDA 10.0) is older than torch 1.3.1's CUDA 10.1 "
                "runtime, and CUDA 10 has no minor-version compatibility; fix: a cu100/cu92 "
                "build (keep the driver) or a driver >= 418.39; never cu118/cu126; apt"),
    Machine(
        "ubuntu1804-rtx2080ti-driver430-torch131-cpu", "ubuntu1804-rtx2080ti-driver430-torch131-"
        "cpu", ubuntu("18.04", "18.04.4", "bionic"), "4.15.0-112-generic",
        "derived: a bionic GA kernel of mid-2020 (not in the capture)",
        ["GeForce RTX 2080 Ti"], "430.64", "3.7", "/usr/local/lib/python3.7/dist-packages/pip",
        "7.5.0", "(Ubuntu 7.5.0-3ubuntu1~18.04) 7.5.0",
        torch_facts("1.3.1", None, False, ["GeForce RTX 2080 Ti"], []), None,
        toolkit="10.1.105", packages=[("gcc-7", "7.5.0-3ubuntu1~18.04", "", "amd64")],
        verdict="failure: CPU-only torch on a working GPU machine; fix: a CUDA build driver "
                "430.64 runs (cu101 or older, e.g. torch 1.8.1+cu101), never cu102+/cu118/"
                "cu126; apt"),
    Machine(
        "ubuntu2004-8xrtx3090-driver535-torch240cu121-nvcc126", "ubuntu2004-8xrtx3090-driver535-"
        "torch240cu121-nvcc126", ubuntu("20.04", "20.04.3", "focal"), "5.11.0-40-generic",
        "verbatim: Python platform line", ["NVIDIA GeForce RTX 3090"] * 8, "535.183.01",
        "3.10.15", CONDA, "9.4.0", "(Ubuntu 9.4.0-1ubuntu1~20.04) 9.4.0",
        torch_facts("2.4.0+cu121", "12.1", True, ["NVIDIA GeForce RTX 3090"] * 8), "cu121",
        toolkit="12.6.77", packages=[("gcc-9", "9.4.0-1ubuntu1~20.04", "", "amd64")],
        verdict="torch works; nvcc 12.6 newer than the 12.2 driver: a warning (SASS runs, newer "
                "PTX does not JIT), not a failure; apt"),
    Machine(
        "ubuntu2004-a100sxm4-mig-driver450-torch181cu102", "ubuntu2004-a100sxm4-mig-driver450-"
        "torch181cu102-sm80-missing", ubuntu("20.04", "20.04.2", "focal"), "5.4.0-72-generic",
        "derived: a focal GA kernel of May 2021 (not in the capture)", ["A100-SXM4-40GB"],
        "450.80.02", "3.8", CONDA, "9.3.0", "(Ubuntu 9.3.0-17ubuntu1~20.04) 9.3.0",
        torch_facts("1.8.1+cu102", "10.2", True, ["A100-SXM4-40GB"],
                    ["sm_37", "sm_50", "sm_60", "sm_61", "sm_70", "sm_75", "compute_37"]),
        None, smi_overrides={"mig.mode.current": "Enabled"},
        packages=[("gcc-9", "9.3.0-17ubuntu1~20.04", "", "amd64")],
        verdict="failure: sm_80 missing from the cu102 build; fix: torch 1.8.1+cu111 (or a "
                "cu110 1.7 build) that driver 450.80.02 runs; MIG enabled; apt",
        notes=["arch_list: verbatim from warning.txt"]),
    Machine(
        "ubuntu2004-gtx1080ti-driver515-torch1121cu113", "ubuntu2004-gtx1080ti-driver515-"
        "torch1121cu113", ubuntu("20.04", "20.04.5", "focal"), "5.4.0-125-generic",
        "verbatim: Python platform line", ["NVIDIA GeForce GTX 1080 Ti"], "515.65.01", "3.9.13",
        CONDA, "9.4.0", "(Ubuntu 9.4.0-1ubuntu1~20.04.1) 9.4.0",
        torch_facts("1.12.1+cu113", "11.3", True, ["NVIDIA GeForce GTX 1080 Ti"]), "cu113",
        toolkit="11.7.99", packages=[("gcc-9", "9.4.0-1ubuntu1~20.04.1", "", "amd64")],
        verdict="torch works (its cu113 build ships sm_61); the 'no kernel image' error is a "
                "third-party extension's; no failure among driver/CUDA/torch; apt"),
    Machine(
        "ubuntu2204-8xa100pcie-driver535-torch24cu124", "ubuntu2204-8xa100pcie40-driver535-"
        "torch24cu124", ubuntu("22.04", "22.04.2", "jammy"), "5.15.0-60-generic",
        "verbatim: Python platform line", ["NVIDIA A100-PCIE-40GB"] * 8, "535.104.05",
        "3.10.14", CONDA, "12.1.0", "(conda-forge gcc 12.1.0-17) 12.1.0",
        torch_facts("2.4.0.dev20240507+cu124", "12.4", True, ["NVIDIA A100-PCIE-40GB"] * 8),
        "cu124",
        verdict="demonstrably works: cu124 on a 12.2 driver is minor-version compatibility (a "
                "warning, never 'needs driver 550.54.14' as a failure); no runfile "
                "prerequisites; apt"),
    Machine(
        "ubuntu2204-h100pcie-driver535-torch201cu117", "ubuntu2204-h100pcie-driver535-"
        "torch201cu117-sm90-missing", ubuntu("22.04", "22.04.3", "jammy"), "5.15.0-84-generic",
        "verbatim: Python platform line", ["NVIDIA H100 PCIe"], "535.104.12", "3.10.12",
        UBUNTU_PY, "11.4.0", "(Ubuntu 11.4.0-1ubuntu1~22.04) 11.4.0",
        torch_facts("2.0.1+cu117", "11.7", True, ["NVIDIA H100 PCIe"],
                    ["sm_37", "sm_50", "sm_60", "sm_70", "sm_75", "sm_80", "sm_86"]), None,
        toolkit="12.2.140", packages=[("gcc-11", "11.4.0-1ubuntu1~22.04", "", "amd64")],
        verdict="failure: sm_90 missing from the cu117 build; fix: a build with sm_90 that "
                "driver 535 runs (cu118/cu121, cu124/cu126 with a warning), no driver change; "
                "apt", notes=["arch_list: from the capture's thread (its warning text)"]),
    Machine(
        "ubuntu2204-h100sxm-driver580-torch291cu126", "ubuntu2204-h100sxm-driver580-"
        "torch291cu126", ubuntu("22.04", "22.04.5", "jammy"), "6.8.0-106-generic",
        "verbatim: Python platform line", ["NVIDIA H100 80GB HBM3"], "580.126.09", "3.11.14",
        CONDA, "11.4.0", "(Ubuntu 11.4.0-1ubuntu1~22.04) 11.4.0",
        torch_facts("2.9.1+cu126", "12.6", True, ["NVIDIA H100 80GB HBM3"]), "cu126",
        toolkit="12.6.85", cpu=(None, 2, 56, 2),
        packages=[("gcc-11", "11.4.0-1ubuntu1~22.04", "", "amd64")],
        verdict="healthy: driver 580 newer than every runtime here; no failure, no runfile "
                "noise; apt"),
    Machine(
        "ubuntu2204-rtx4090-driver535-torch251cu121", "ubuntu2204-rtx4090-driver535-"
        "torch251cu121", ubuntu("22.04", "22.04.5", "jammy"), "5.4.0-193-generic",
        "verbatim: Python platform line", ["NVIDIA GeForce RTX 4090"], "535.183.01", "3.10.12",
        UBUNTU_PY, "11.4.0", "(Ubuntu 11.4.0-1ubuntu1~22.04) 11.4.0",
        torch_facts("2.5.1+cu121", "12.1", True, ["NVIDIA GeForce RTX 4090"]), "cu121",
        toolkit="12.1.105", packages=[("gcc-11", "11.4.0-1ubuntu1~22.04", "", "amd64")],
        verdict="healthy: everything within the 535 driver's CUDA 12.2; no failure; apt"),
    Machine(
        "ubuntu2404-a100sxm4-driver575-torch270cu128-nvcc129", "ubuntu2404-a100sxm4-driver575-"
        "torch270cu128-nvcc129", ubuntu("24.04", "24.04.2", "noble"), "6.11.0-1014-gcp",
        "verbatim: Python platform line", ["NVIDIA A100-SXM4-40GB"], "575.51.03", "3.12.3",
        UBUNTU_PY, "13.3.0", "(Ubuntu 13.3.0-6ubuntu2~24.04) 13.3.0",
        torch_facts("2.7.0+cu128", "12.8", True, ["NVIDIA A100-SXM4-40GB"]), "cu128",
        toolkit="12.9.41", packages=[("gcc-13", "13.3.0-6ubuntu2~24.04", "", "amd64")],
        verdict="healthy (vLLM's test suite ran on it): no failure; system Python 3.12 needs "
                "a venv for pip (PEP 668); apt"),
    Machine(
        "ubuntu2404-rtx3090-driver570-torch290cu128", "ubuntu2404-rtx3090-driver570-"
        "torch290cu128", ubuntu("24.04", "24.04.3", "noble"), "5.4.0-216-generic",
        "verbatim: Python platform line (the host's kernel: a container)",
        ["NVIDIA GeForce RTX 3090"], "570.153.02", "3.12.11", CONDA, "13.3.0",
        "(Ubuntu 13.3.0-6ubuntu2~24.04) 13.3.0",
        torch_facts("2.9.0+cu128", "12.8", True, ["NVIDIA GeForce RTX 3090"]), "cu128",
        toolkit="12.8.93", packages=[("gcc-13", "13.3.0-6ubuntu2~24.04", "", "amd64")],
        verdict="healthy benchmark machine: no failure; apt"),
    Machine(
        "ubuntu2410-rtx5090d-driver570-torch260cu126", "ubuntu2410-rtx5090d-driver570-"
        "torch260cu126-sm120-missing", ubuntu("24.10", "24.10", "oracular"),
        "6.11.0-21-generic", "verbatim: Python platform line", ["NVIDIA GeForce RTX 5090 D"],
        "570.124.04", "3.12.9", CONDA, "14.2.0", "(Ubuntu 14.2.0-4ubuntu2) 14.2.0",
        torch_facts("2.6.0+cu126", "12.6", True, ["NVIDIA GeForce RTX 5090 D"]), "cu126",
        packages=[("gcc-14", "14.2.0-4ubuntu2", "", "amd64")],
        verdict="failure: sm_120 missing from the cu126 build; fix: torch >= 2.7 cu128, which "
                "driver 570 runs natively; apt"),
    Machine(
        "debian11-2xl4-driver550-torch260cu124", "debian11-2xl4-driver550-torch260cu124",
        {"PRETTY_NAME": "Debian GNU/Linux 11 (bullseye)", "NAME": "Debian GNU/Linux",
         "VERSION_ID": "11", "VERSION": "11 (bullseye)", "VERSION_CODENAME": "bullseye",
         "ID": "debian"}, "5.10.0-34-cloud-amd64", "verbatim: Python platform line",
        ["NVIDIA L4"] * 2, "550.90.07", "3.10.16", CONDA, "10.2.1",
        "(Debian 10.2.1-6) 10.2.1 20210110",
        torch_facts("2.6.0+cu124", "12.4", True, ["NVIDIA L4"] * 2), "cu124",
        toolkit="12.4.131", smi_overrides={"mig.mode.current": "[N/A]"},
        packages=[("gcc-10", "10.2.1-6", "", "amd64")],
        verdict="healthy: driver 550 runs cu124 and nvcc 12.4 natively, L4 (8.9) runs the "
                "build's sm_86 SASS; no failure; apt"),
    Machine(
        "debian12-4xh100-driver550-torch222cu121", "debian12-4xh100-driver550-torch222cu121",
        {"PRETTY_NAME": "Debian GNU/Linux 12 (bookworm)", "NAME": "Debian GNU/Linux",
         "VERSION_ID": "12", "VERSION": "12 (bookworm)", "VERSION_CODENAME": "bookworm",
         "ID": "debian"}, "6.5.0-15-generic",
        "verbatim: Python platform line (the host's kernel: a container)",
        ["NVIDIA H100 80GB HBM3"] * 4, "550.54.14", "3.11.9",
        "/usr/local/lib/python{mm}/site-packages/pip", "12.2.0", "(Debian 12.2.0-14) 12.2.0",
        torch_facts("2.2.2+cu121", "12.1", True, ["NVIDIA H100 80GB HBM3"] * 4), "cu121",
        packages=[("gcc-12", "12.2.0-14", "", "amd64")],
        verdict="healthy: driver 550 runs cu121 natively, sm_90 in the build; no failure; apt"),
    Machine(
        "fedora40-2xrtx4090-driver555-torch230cu121", "fedora40-2xrtx4090-driver555-"
        "torch230cu121",
        {"NAME": "Fedora Linux", "VERSION": "40 (Workstation Edition)", "ID": "fedora",
         "VERSION_ID": "40", "PLATFORM_ID": "platform:f40",
         "PRETTY_NAME": "Fedora Linux 40 (Workstation Edition)",
         "VARIANT": "Workstation Edition", "VARIANT_ID": "workstation"},
        "6.9.9-200.fc40.x86_64", "verbatim: Python platform line",
        ["NVIDIA GeForce RTX 4090"] * 2, "555.58.02", "3.11.9", CONDA, "14.1.1",
        "(GCC) 14.1.1 20240701 (Red Hat 14.1.1-7)",
        torch_facts("2.3.0+cu121", "12.1", True, ["NVIDIA GeForce RTX 4090"] * 2), "cu121",
        cpu=("AMD Ryzen 9 7950X 16-Core Processor", 1, 16, 2),
        packages=[("gcc", "14.1.1", "7.fc40", "x86_64")],
        verdict="healthy: driver 555 (CUDA 12.5) runs cu121 natively, RTX 4090 (8.9) runs the "
                "build's sm_86 SASS; gcc 14 matters only for building CUDA code (no toolkit); "
                "no failure; dnf"),
]


def version_key(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split("+")[0].split(".dev")[0].split(".") if p.isdigit())


def arch_list(torch_version: str, variant: str) -> tuple[list[str], str]:
    """get_arch_list() of a torch build from provision/torch_releases.py: the row of the same
    release, else the newest row of the same minor line."""
    minor = version_key(torch_version)[:2]
    rows = [b for b in TORCH_BUILDS if b.variant == variant and b.machine == "x86_64"
            and version_key(b.torch)[:2] == minor]
    row = max(rows, key=lambda b: version_key(b.torch))
    arches = [f"sm_{c.replace('.', '')}" for c in row.sass] + \
        [f"compute_{c.replace('.', '')}" for c in row.ptx]
    return arches, f"torch_releases.py row {row.torch} {row.variant}"


def driver_major(m: Machine) -> int:
    return int(m.driver.split(".")[0])


def smi_fields(m: Machine) -> list[str]:
    """The --query-gpu fields this driver knows (derived from the nvidia-smi release each field
    arrived in; a field asked of an older driver makes the whole query fail, as it really does)."""
    major = driver_major(m)
    fields = ["driver_version", "name|gpu_name", "pci.bus_id|gpu_bus_id", "pci.device_id",
              "memory.total", "memory.used", "uuid|gpu_uuid", "temperature.gpu", "power.draw",
              "power.limit", "clocks.sm", "clocks.max.sm", "pcie.link.gen.current",
              "pcie.link.gen.max", "pcie.link.width.current", "pcie.link.width.max",
              "persistence_mode", "compute_mode", "display_active", "pstate",
              "utilization.gpu", "ecc.mode.current", "ecc.errors.corrected.volatile.total",
              "ecc.errors.uncorrected.volatile.total", "ecc.errors.uncorrected.aggregate.total",
              "retired_pages.sbe", "retired_pages.dbe", "retired_pages.pending",
              "clocks_throttle_reasons.active" + ("|clocks_event_reasons.active"
                                                  if major >= 535 else "")]
    if major >= 450:
        fields += ["mig.mode.current", "remapped_rows.correctable", "remapped_rows.uncorrectable",
                   "remapped_rows.pending", "remapped_rows.failure"]
    if major >= 510:
        fields.append("compute_cap")
    return fields


def smi_row(m: Machine, index: int, gpu: str) -> dict[str, str]:
    p = PRODUCTS[gpu]
    ampere_on = p.datacenter and float(p.capability) >= 8.0
    dc = p.datacenter
    row = {
        "driver_version": m.driver, "name": gpu,
        "pci.bus_id": (m.bus_ids or [f"00000000:{0x18 + 0x10 * i:02X}:00.0"
                                     for i in range(len(m.gpus))])[index],
        "pci.device_id": f"0x{p.device_id.upper()}10DE", "memory.total": str(p.memory_mib),
        "memory.used": "0",
        "uuid": m.uuids[index] if m.uuids else
        f"GPU-0000{index:04x}-0000-0000-0000-{int(p.device_id, 16):012x}",
        "temperature.gpu": "34", "power.draw": f"{p.power_w * 0.2:.2f}",
        "power.limit": f"{p.power_w:.2f}", "clocks.sm": str(p.max_sm_mhz),
        "clocks.max.sm": str(p.max_sm_mhz), "pcie.link.gen.current": str(p.pcie_gen),
        "pcie.link.gen.max": str(p.pcie_gen), "pcie.link.width.current": "16",
        "pcie.link.width.max": "16", "persistence_mode": "Enabled" if dc else "Disabled",
        "compute_mode": "Default", "display_active": "Disabled", "pstate": "P0",
        "utilization.gpu": "0", "ecc.mode.current": "Enabled" if dc else "[N/A]",
        "ecc.errors.corrected.volatile.total": "0" if dc else "[N/A]",
        "ecc.errors.uncorrected.volatile.total": "0" if dc else "[N/A]",
        "ecc.errors.uncorrected.aggregate.total": "0" if dc else "[N/A]",
        "retired_pages.sbe": "0" if dc and not ampere_on else "[N/A]",
        "retired_pages.dbe": "0" if dc and not ampere_on else "[N/A]",
        "retired_pages.pending": "No" if dc and not ampere_on else "[N/A]",
        "clocks_throttle_reasons.active": "0x0000000000000000",
        "mig.mode.current": "Disabled" if ampere_on else "[N/A]",
        "remapped_rows.correctable": "0" if ampere_on else "[N/A]",
        "remapped_rows.uncorrectable": "0" if ampere_on else "[N/A]",
        "remapped_rows.pending": "No" if ampere_on else "[N/A]",
        "remapped_rows.failure": "No" if ampere_on else "[N/A]",
        "compute_cap": p.capability,
    }
    row.update(m.smi_overrides)
    return row


# perl of each release (the distributions' package archives), for the package list.
PERL = {"centos7": "5.16.3", "rhel7": "5.16.3", "rocky8": "5.26.3", "centos9": "5.32.1",
        "rhel9": "5.32.1", "ubuntu16.04": "5.22.1", "ubuntu18.04": "5.26.1",
        "ubuntu20.04": "5.30.0", "ubuntu22.04": "5.34.0", "ubuntu24.04": "5.38.2",
        "ubuntu24.10": "5.38.2", "debian11": "5.32.1", "debian12": "5.36.0",
        "fedora40": "5.38.2"}


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def link_stub(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    os.symlink(os.path.relpath(HERE / "stub", path.parent), path)


def build(m: Machine) -> None:
    folder = MACHINES / m.name
    shutil.rmtree(folder, ignore_errors=True)
    root, stub, bin_ = folder / "root", folder / "stub", folder / "bin"
    capture = CAPTURES / m.capture
    derived: list[tuple[str, str]] = []  # (file, why)
    verbatim: list[tuple[str, str]] = []

    def derive(name: str, why: str) -> None:
        derived.append((name, why))

    write(root / "etc/os-release", "".join(f'{k}="{v}"\n' for k, v in m.os_release.items()))
    derive("root/etc/os-release", f"written from the distribution the capture names "
           f"({m.os_release['PRETTY_NAME']}), in that release's os-release form")
    write(root / "proc/sys/kernel/osrelease", m.kernel + "\n")
    (verbatim if m.kernel_source.startswith("verbatim") else derived).append(
        ("root/proc/sys/kernel/osrelease", m.kernel_source.split(": ", 1)[1]))
    write(root / "proc/driver/nvidia/version",
          f"NVRM version: NVIDIA UNIX x86_64 Kernel Module  {m.driver}  (build date not "
          f"recorded)\n")
    derive("root/proc/driver/nvidia/version", f"the driver's format, from driver {m.driver} "
           "(the capture's 'Nvidia driver version' line); build date not recorded")
    write(root / "proc/modules", "".join(
        f"{name} {size} {used} - Live 0x0000000000000000 (POE)\n" for name, size, used in
        [("nvidia_uvm", 1540096, 0), ("nvidia_drm", 73728, 0), ("nvidia_modeset", 1306624, 1),
         ("nvidia", 56717312, 2)]))
    derive("root/proc/modules", "the NVIDIA modules a working driver loads (sizes nominal)")
    ids = "".join(f"\t{p.device_id}  {p.pci_name}\n" for p in
                  sorted({PRODUCTS[g] for g in m.gpus}, key=lambda p: p.device_id))
    write(root / "usr/share/hwdata/pci.ids",
          "# pci.ids fragment: vendor 10de, the devices of this machine\n"
          f"10de  NVIDIA Corporation\n{ids}")
    derive("root/usr/share/hwdata/pci.ids", "device lines of this machine's GPUs as pci.ids "
           "2023.04.10 names them (GB202 from a newer pci.ids, see the capture's PROVENANCE)")
    if m.cpu:
        model, sockets, cores, threads = m.cpu
        blocks = []
        for s in range(sockets):
            for _thread in range(threads):
                for c in range(cores):
                    blocks.append(f"processor\t: {len(blocks)}\n"
                                  + (f"model name\t: {model}\n" if model else "")
                                  + f"physical id\t: {s}\ncore id\t\t: {c}\n")
        write(root / "proc/cpuinfo", "\n".join(blocks))
        derive("root/proc/cpuinfo", f"{sockets * cores * threads} processors, {sockets} "
               f"socket(s), {threads} thread(s) per core, from the capture's lscpu lines"
               + ("; model name verbatim from lscpu" if model else "; model not recorded"))
    if m.toolkit:
        major_minor = ".".join(m.toolkit.split(".")[:2])
        tk = root / f"usr/local/cuda-{major_minor}"
        if int(major_minor.split(".")[0]) >= 11:
            write(tk / "version.json", json.dumps({"cuda": {"name": "CUDA SDK",
                                                            "version": m.toolkit}}, indent=3)
                  + "\n")
            derive(f"root/usr/local/cuda-{major_minor}/version.json",
                   f"toolkit {m.toolkit} (collect_env's 'CUDA runtime version', read from nvcc); "
                   "11.x+ toolkits ship version.json; location assumed")
        else:
            write(tk / "version.txt", f"CUDA Version {m.toolkit}\n")
            derive(f"root/usr/local/cuda-{major_minor}/version.txt",
                   f"toolkit {m.toolkit} (collect_env's 'CUDA runtime version'); location "
                   "assumed")
        link_stub(tk / "bin/nvcc")
        write(stub / "nvcc.txt", "nvcc: NVIDIA (R) Cuda compiler driver\nCopyright (c) "
              "2005-20xx NVIDIA Corporation\nCuda compilation tools, release "
              f"{major_minor}, V{m.toolkit}\n")
        derive("stub/nvcc.txt", "`nvcc --version` in its format for that release (build date "
               "lines not recorded)")
        write(folder / "path.txt", f"/usr/local/cuda-{major_minor}/bin\n")
        derive("path.txt", "collect_env found nvcc, so its bin folder is on PATH")
    if m.torch is not None:
        facts = dict(m.torch)
        if m.torch_variant and facts.get("installed"):
            facts["arch_list"], row = arch_list(facts["version"], m.torch_variant)
            derive("root/rnnbench-torch.json", "version, CUDA, 'CUDA available' and device "
                   f"names from collect_env (verbatim values); arch_list from {row}; "
                   "capabilities from the GPU model")
        else:
            derive("root/rnnbench-torch.json", "from collect_env's PyTorch lines; "
                   + "; ".join(m.notes[-1:] or ["no CUDA build"]))
        facts = {k: v for k, v in facts.items() if v is not None or k in ("cuda", "cudnn")}
        write(root / "rnnbench-torch.json", json.dumps(facts, indent=2) + "\n")
    else:
        write(root / "rnnbench-torch.json", json.dumps(
            {"installed": False, "reason": "torch is not installed (none in the capture)"},
            indent=2) + "\n")
        derive("root/rnnbench-torch.json", "the capture shows no torch: not installed")
    tools = {"uname_m": "x86_64", "uname_r": m.kernel}
    if m.python:
        mm = ".".join(m.python.split(".")[:2])
        pip = m.python_where.format(mm=mm)
        tools["python3_version"] = m.python
        # pip dropped Python 3.7 after 24.0 (pip's changelog, 24.1): a 3.7 has at most 24.0.
        minor = tuple(int(x) for x in mm.split("."))
        version = "9.0.1" if minor < (3, 7) else "24.0" if minor < (3, 8) else "24.2"
        tools["pip"] = f"pip {version} from {pip} (python {mm})"
        link_stub(bin_ / m.python_bin)
        derive(f"bin/{m.python_bin}", f"Python {m.python} (collect_env's 'Python version'); pip "
               "present (torch was installed with it), its version and folder assumed")
    if m.gcc:
        tools["gcc_version"] = m.gcc
        tools["gcc_line"] = f"gcc {m.gcc_line}"
        link_stub(bin_ / "gcc")
        verbatim.append(("bin/gcc --version", "collect_env's 'GCC version' value"))
    tools["perl_modules"] = "strict warnings"
    link_stub(bin_ / "perl")
    derive("bin/perl", "perl is in every base install; Term::ReadLine::Gnu is not (default)")
    link_stub(bin_ / "uname")
    write(stub / "tools.env", "".join(f"{k}={v}\n" for k, v in tools.items()))
    if m.smi:
        fields = smi_fields(m)
        rows = [smi_row(m, i, g) for i, g in enumerate(m.gpus)]
        lines = [", ".join(fields)] + [", ".join(r[f.split("|")[0]] for f in fields)
                                       for r in rows]
        write(stub / "nvidia-smi.csv", "\n".join(lines) + "\n")
        link_stub(bin_ / "nvidia-smi")
        derive("stub/nvidia-smi.csv", "driver version and GPU names verbatim from collect_env; "
               "fields this driver knows (compute_cap from 510, MIG/row remapping from 450, "
               "clocks_event_reasons from 535); PCI id, memory, power limit, clocks and PCIe "
               "link nominal for the model; bus ids and UUIDs placeholders; an idle, healthy "
               "GPU" + (f"; {m.smi_overrides}" if m.smi_overrides else ""))
    for name, pattern in m.verbatim_extra.items():
        parts = sorted(capture.glob(pattern))
        write(stub / name, "".join(p.read_text() for p in parts))
        verbatim.append((f"stub/{name}", " + ".join(p.name for p in parts)))
    gpus_pci = []
    for i, g in enumerate(m.gpus):
        p = PRODUCTS[g]
        bus = smi_row(m, i, g)["pci.bus_id"][4:].lower()
        cls = "3D controller [0302]" if p.datacenter else "VGA compatible controller [0300]"
        gpus_pci.append(f"{bus} {cls}: NVIDIA Corporation {p.pci_name} [10de:{p.device_id}] "
                        f"(rev a1)\n\tKernel driver in use: nvidia\n\tKernel modules: nvidia\n")
    write(stub / "lspci.txt", "".join(gpus_pci))
    link_stub(bin_ / "lspci")
    derive("stub/lspci.txt", "`lspci -D -nn -k` lines for the GPUs (pci.ids names, bus ids as "
           "in nvidia-smi.csv)")
    is_rpm = m.os_release["ID"] in ("centos", "rhel", "rocky", "fedora")
    pk = [(n, v, r or "-", a) for n, v, r, a in m.packages]
    pk.append(("perl", PERL[m.os_release["ID"] + m.os_release["VERSION_ID"].split(".")[0]
                            + ("." + m.os_release["VERSION_ID"].split(".")[1]
                               if m.os_release["ID"] == "ubuntu" else "")],
               "-", "x86_64" if is_rpm else "amd64"))
    write(stub / "packages.txt", "".join(f"{n} {v} {r} {a}\n" for n, v, r, a in pk))
    link_stub(bin_ / ("rpm" if is_rpm else "dpkg-query"))
    derive("stub/packages.txt", "gcc's package from collect_env's 'GCC version' (distribution "
           "builds only), perl; nothing else recorded")
    write_provenance(folder, m, capture, verbatim, derived)


def write_provenance(folder: Path, m: Machine, capture: Path, verbatim, derived) -> None:
    source = (capture / "PROVENANCE.md").read_text().split("## Source", 1)[1]
    source = source.split("##", 1)[0].strip()
    lines = [f"# {m.name}", "", f"Built by `_stub/make_replays.py` from the capture "
             f"`tests/provision/captures/{m.capture}/` (its PROVENANCE.md has the full "
             "expert verdict).", "", "## Source", source, "", "## Expert verdict", m.verdict, "",
             "## Verbatim (copied from the capture)"]
    lines += [f"- `{f}`: {why}" for f, why in verbatim] or ["- (none beyond the values below)"]
    lines += ["- values quoted from collect_env: driver version, GPU names, torch version and "
              "CUDA, 'CUDA available', Python and GCC versions, toolkit version", "",
              "## Derived", *[f"- `{f}`: {why}" for f, why in derived],
              *[f"- {note}" for note in m.notes], "",
              "`bin/*` are symlinks to the shared stub `../_stub/stub`, which answers from "
              "`stub/`.", ""]
    write(folder / "PROVENANCE.md", "\n".join(lines))


# Fedora 29, GTX 750 Ti, driver 418.56: from a linux-btrfs mail's uname line and dmesg.log
# (captures/fedora29-gtx750ti-driver418.56/PROVENANCE.md has the source and the reasoning).
# 10de:1380 "GM107 [GeForce GTX 750 Ti]" (pci.ids); 5.0 from developer.nvidia.com/cuda-gpus;
# 1998 MiB and 38 W as nvidia-smi prints them for this card in public posts; 1085 MHz is the
# reference boost clock (nominal); PCIe gen 3 nominal.
PRODUCTS["GeForce GTX 750 Ti"] = Product("1380", "GM107 [GeForce GTX 750 Ti]", "GM107", "5.0",
                                         1998, 38, 1085, 3, False)
# Fedora 29 carries Perl 5.28 ("Perl 5.28 rebuild" before the Fedora_29_Mass_Rebuild in the
# package changelogs, e.g. packages.fedoraproject.org/pkgs/perl-UNIVERSAL-moniker/
# perl-UNIVERSAL-moniker/epel-8.html); not verified: the point release (5.28.0 assumed).
PERL["fedora29"] = "5.28.0"
MACHINES_SPEC.append(Machine(
    "fedora29-gtx750ti-driver418-public-no-torch", "fedora29-gtx750ti-driver418.56",
    {"NAME": "Fedora", "VERSION": "29 (Twenty Nine)", "ID": "fedora", "VERSION_ID": "29",
     "PLATFORM_ID": "platform:f29", "PRETTY_NAME": "Fedora 29 (Twenty Nine)"},
    "5.0.9-200.fc29.x86_64", "verbatim: uname.txt (and the dmesg banner)",
    ["GeForce GTX 750 Ti"], "418.56", "3.7", "/usr/lib/python{mm}/site-packages/pip", "8.3.1",
    "(GCC) 8.3.1 20190223 (Red Hat 8.3.1-2)", NO_TORCH,
    smi_overrides={"display_active": "Enabled"}, bus_ids=["00000000:01:00.0"],
    packages=[("gcc", "8.3.1", "2.fc29", "x86_64")],
    verdict="healthy GPU stack (driver 418.56 loaded, nouveau blacklisted, unsigned module with "
            "Secure Boot off; GTX 750 Ti sm_50 drives the display); no torch: any torch advice "
            "must fit driver 418.56 (CUDA <= 10.1: cu101/cu100/cu92 builds, never cu102+/cu118/"
            "cu126), sm_50 and Python 3.7; package manager dnf",
    notes=["driver 418.56: verbatim from the dmesg NVRM line (its build date 'Fri Mar 15 "
           "12:59:26 CDT 2019' is in dmesg-excerpt.txt, not in the replay's version file)",
           "GPU: PCI id 10de:1380 at 0000:01:00.0 verbatim from dmesg; nvidia-smi's name for it "
           "and nvidia-smi itself on PATH: derived (not in the capture)",
           "gcc: the line is the kernel banner's compiler (Fedora 29's gcc then), not a "
           "`gcc --version` from the machine; installed because the unsigned nvidia module was "
           "compiled on the machine",
           "Python 3.7: Fedora 29's system python3 (dnf runs on it), not in the capture",
           "no cpuinfo: 8 CPUs of an AMD FX-8320 in the log, topology not verified"]))


if __name__ == "__main__":
    for machine in MACHINES_SPEC:
        build(machine)
        print(machine.name)
