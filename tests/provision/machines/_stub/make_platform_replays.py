"""Build the replays of issue 20's machine classes (WSL2, containers, a driver mid-upgrade, ROCm,
Jetson, a GPU fallen off the bus, the user's environment, distribution families) from public
issue threads.

Run `python tests/provision/machines/_stub/make_platform_replays.py`; it rewrites those folders.
Each replay is written from one REPLAYS entry: every file with a mark saying whether it holds
what the thread shows (verbatim: the words or values quoted, in the tool's own format) or what
was derived (and why), collected into the folder's PROVENANCE.md with the thread's address and
the expert verdict. `bin/` entries are symlinks to the shared stub `_stub/stub`.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
MACHINES = HERE.parent

SMI_HEADER = (
    "driver_version, name|gpu_name, pci.bus_id|gpu_bus_id, pci.device_id, memory.total, "
    "memory.used, uuid|gpu_uuid, temperature.gpu, power.draw, power.limit, clocks.sm, "
    "clocks.max.sm, pcie.link.gen.current, pcie.link.gen.max, pcie.link.width.current, "
    "pcie.link.width.max, persistence_mode, compute_mode, display_active, pstate, "
    "utilization.gpu, clocks_throttle_reasons.active|clocks_event_reasons.active, compute_cap")


@dataclass
class Gpu:
    name: str
    bus: str  # "0000:01:00.0"
    device_id: str  # PCI device id, 4 hex digits
    pci_name: str  # the pci.ids device line, as lspci prints it
    memory_mib: int = 0
    power_w: int = 0
    cap: str = ""


@dataclass
class Replay:
    name: str
    url: str
    title: str
    found: str  # where the thread was read
    verdict: str
    files: dict[str, tuple[str, str]] = field(default_factory=dict)  # path -> (text, mark)
    tools: tuple[str, ...] = ()  # bin/ stubs
    links: dict[str, tuple[str, str]] = field(default_factory=dict)  # root symlink -> target


def os_release(values: dict[str, str]) -> str:
    return "".join(f'{k}="{v}"\n' for k, v in values.items())


def smi_csv(driver: str, gpus: list[Gpu]) -> str:
    rows = [SMI_HEADER]
    for i, g in enumerate(gpus):
        rows.append(", ".join([
            driver, g.name, "0000" + g.bus.upper(), f"0x{g.device_id.upper()}10DE",
            str(g.memory_mib), "0", f"GPU-00000000-0000-0000-0000-{i:012d}", "40", "20.00",
            f"{g.power_w}.00", "300", "1900", "3", "3", "16", "16", "Disabled", "Default",
            "Disabled", "P8", "0", "0x0000000000000001", g.cap]))
    return "\n".join(rows) + "\n"


def lspci(gpus: list[Gpu], vendor: str = "10de", driver: str = "nvidia") -> str:
    maker = "NVIDIA Corporation" if vendor == "10de" else \
        "Advanced Micro Devices, Inc. [AMD/ATI]"
    return "".join(f"{g.bus} VGA compatible controller [0300]: {maker} {g.pci_name} "
                   f"[{vendor}:{g.device_id}] (rev a1)\n\tKernel driver in use: {driver}\n"
                   f"\tKernel modules: {driver}\n" for g in gpus)


def torch_json(**fields: object) -> str:
    return json.dumps({"installed": True, **fields}, indent=2) + "\n"


def proc_version(version: str, open_module: bool = False) -> str:
    kind = "Open Kernel Module for x86_64" if open_module else "x86_64 Kernel Module"
    return f"NVRM version: NVIDIA UNIX {kind}  {version}  (build date not recorded)\n"


NVIDIA_MODULES = ("nvidia_uvm 1540096 0 - Live 0x0000000000000000 (POE)\n"
                  "nvidia_drm 73728 0 - Live 0x0000000000000000 (POE)\n"
                  "nvidia_modeset 1306624 1 - Live 0x0000000000000000 (POE)\n"
                  "nvidia 56717312 2 - Live 0x0000000000000000 (POE)\n")
V = "verbatim"
D = "derived"


def ubuntu(version: str, point: str, codename: str) -> dict[str, str]:
    return {"NAME": "Ubuntu", "VERSION": f"{point} LTS ({codename.capitalize()})",
            "ID": "ubuntu", "ID_LIKE": "debian", "PRETTY_NAME": f"Ubuntu {point} LTS",
            "VERSION_ID": version, "VERSION_CODENAME": codename, "UBUNTU_CODENAME": codename}


RTX3090 = Gpu("NVIDIA GeForce RTX 3090", "0000:01:00.0", "2204", "GA102 [GeForce RTX 3090]",
              24576, 350, "8.6")
RTX2080TI = Gpu("NVIDIA GeForce RTX 2080 Ti", "0000:01:00.0", "1e07",
                "TU102 [GeForce RTX 2080 Ti Rev. A]", 11264, 250, "7.5")


def _several(gpu: Gpu, buses: list[str]) -> list[Gpu]:
    return [Gpu(gpu.name, bus, gpu.device_id, gpu.pci_name, gpu.memory_mib, gpu.power_w, gpu.cap)
            for bus in buses]


REPLAYS: list[Replay] = []

# ---------------------------------------------------------------- WSL2
_wsl_3090 = _several(RTX3090, [f"0000:{b}:00.0" for b in ("01", "21", "41", "61")])
REPLAYS.append(Replay(
    "wsl2-ubuntu2204-4xrtx3090-torch201cu118-oom",
    "https://github.com/microsoft/WSL/issues/10269",
    'microsoft/WSL issue #10269 "CUDA Initialization Issue and Proposed Workaround with PyTorch '
    'in wsl2" (2023-07-07)', "the issue search index (its description)",
    "WSL2 on Windows 11 with four RTX 3090s: the Windows driver answers, but CUDA "
    "initialisation fails ('out of memory' in cudaGetDeviceCount) with CUDA_VISIBLE_DEVICES="
    "0,1,2,3 and works with fewer GPUs: a WSL2 problem. The doctor must say WSL2, give the WSL "
    "route (Windows driver, wsl --update, fewer GPUs exposed) and never a Linux driver.",
    files={
        "root/etc/os-release": (os_release(ubuntu("22.04", "22.04.2", "jammy")),
                                f"{D}: 'Distro Version: Ubuntu -default'; WSL's default Ubuntu "
                                "in 2023 was 22.04 LTS"),
        "root/proc/sys/kernel/osrelease": ("5.15.90.1-microsoft-standard-WSL2\n",
                                           f"{D}: 'Kernel Version 5.15.90.1' with the WSL2 "
                                           "kernel's name suffix"),
        "root/usr/lib/wsl/lib/libcuda.so.1": ("", f"{D}: the Windows driver's libcuda that WSL "
                                              "mounts there (empty stand-in)"),
        "stub/nvidia-smi.csv": (smi_csv("536.67", _wsl_3090),
                                f"{V} GPU model and count ('4x NVIDIA RTX 3090'); {D}: driver "
                                "536.67, a Windows driver with CUDA 12.2 ('CUDA Version: 12.2'), "
                                "which nvidia-smi in WSL2 shows; other fields nominal"),
        "root/rnnbench-torch.json": (torch_json(
            version="2.0.1+cu118", cuda="11.8", cuda_available=False,
            init_warning="CUDA initialization: Unexpected error from cudaGetDeviceCount(). Did "
                         "you run some cuda functions before calling NumCudaDevices() that might"
                         " have already set an error? Error 2: out of memory",
            location="/home/user/.local/lib/python3.10/site-packages"),
            f"{V}: 'PyTorch Version: 2.01 (CUDA 11.8)', the 'Out of Memory' error at "
            f"torch.cuda.is_available(); {D}: the warning in torch's words (as pytorch/pytorch "
            "issue #150048 prints it), the install folder"),
        "env.txt": ("CUDA_VISIBLE_DEVICES=0,1,2,3\n",
                    f"{V}: 'export CUDA_VISIBLE_DEVICES=0,1,2,3'"),
        "stub/tools.env": ("uname_m=x86_64\npython3_version=3.10.12\npip=pip 22.0.2 from "
                           "/usr/lib/python3/dist-packages/pip (python 3.10)\n",
                           f"{D}: Ubuntu 22.04's python3 and pip"),
    },
    tools=("nvidia-smi", "python3", "uname")))

_wsl_2080 = [RTX2080TI]
REPLAYS.append(Replay(
    "wsl2-ubuntu2204-rtx2080ti-driver531-no-torch",
    "https://github.com/microsoft/WSL/issues/9829",
    'microsoft/WSL issue #9829 "GPU shows out of memory when use openCV" (2023-03-22)',
    "the issue search index (its description and nvidia-smi table)",
    "WSL2, Ubuntu 22.04, RTX 2080 Ti: the Windows driver 531.29 answers through nvidia-smi "
    "(the OpenCV allocation failures are WSL2's pinned-memory limits, not the driver). GPU "
    "stack sound: nvidia.driver passes with the Windows driver; no torch is installed, and its "
    "fix is a pip torch; no Linux driver, nouveau or Secure Boot advice anywhere.",
    files={
        "root/etc/os-release": (os_release(ubuntu("22.04", "22.04.2", "jammy")),
                                f"{V}: 'Distro Version Ubuntu 22.04' (point release assumed)"),
        "root/proc/sys/kernel/osrelease": ("5.10.16.3-microsoft-standard-WSL2\n",
                                           f"{V}: 'Kernel Version 5.10.16'; {D}: the full name "
                                           "of WSL2's 5.10.16 kernel"),
        "root/usr/lib/wsl/lib/libcuda.so.1": ("", f"{D}: the Windows driver's libcuda (empty)"),
        "stub/nvidia-smi.csv": (smi_csv("531.29", _wsl_2080),
                                f"{V}: 'Driver Version: 531.29', 2080Ti with 11GB; {D}: other "
                                "fields nominal"),
        "stub/tools.env": ("uname_m=x86_64\npython3_version=3.10.6\npip=pip 22.0.2 from "
                           "/usr/lib/python3/dist-packages/pip (python 3.10)\n",
                           f"{D}: Ubuntu 22.04's python3 and pip; torch not installed (OpenCV "
                           "was the user's library)"),
    },
    tools=("nvidia-smi", "python3", "uname")))

# ---------------------------------------------------------------- containers
_v100 = [Gpu("Tesla V100-PCIE-32GB", b, "1db6", "GV100GL [Tesla V100 PCIe 32GB]", 32510, 250,
             "7.0") for b in ("0000:37:00.0", "0000:86:00.0")]
REPLAYS.append(Replay(
    "docker-nogpu-2xv100-driver435-torch140cu101",
    "https://github.com/anibali/docker-pytorch/issues/27",
    'anibali/docker-pytorch issue #27 "Cuda not found after pulling docker image at docker pull '
    'anibali/pytorch:1.4.0-cuda10.1" (2020-07-27)', "the issue search index",
    "A Docker container (anibali/pytorch:1.4.0-cuda10.1) started with plain `docker run -it` on a "
    "VM with two V100s and driver 435.21: no GPU inside (nvidia-smi not found). The doctor must "
    "say it is a container without GPU access and give `docker run --gpus all` with the NVIDIA "
    "Container Toolkit on the host; the host's driver matters; no driver install inside.",
    files={
        "root/.dockerenv": ("", f"{D}: Docker creates /.dockerenv in every container"),
        "root/etc/os-release": (os_release(ubuntu("18.04", "18.04.4", "bionic")),
                                f"{D}: the image's base, Ubuntu 18.04 (assumed)"),
        "root/proc/sys/kernel/osrelease": ("4.15.0-112-generic\n",
                                           f"{D}: the host's kernel (not recorded; nominal)"),
        "root/proc/driver/nvidia/version": (proc_version("435.21"),
                                            f"{V}: 'Driver Version: 435.21' (the host's; /proc "
                                            "shows it inside a container too)"),
        "root/proc/modules": (NVIDIA_MODULES, f"{D}: the host's modules, listed in a container"),
        "stub/lspci.txt": (lspci(_v100), f"{V}: two 'Tesla V100-PCIE' at 00000000:37:00.0 and "
                           "00000000:86:00.0, 32510MiB; pci.ids names"),
        "root/rnnbench-torch.json": (torch_json(version="1.4.0", cuda="10.1",
                                                cuda_available=False),
                                     f"{V}: the image tag (PyTorch 1.4.0, CUDA 10.1); 'Cuda not "
                                     "found'"),
        "stub/tools.env": ("uname_m=x86_64\npython3_version=3.6.9\n",
                           f"{D}: the image's python3"),
    },
    tools=("lspci", "python3", "uname")))

REPLAYS.append(Replay(
    "docker-nogpu-cuda1151-base-ubuntu2004",
    "https://github.com/NVIDIA/nvidia-docker/issues/1679",
    'NVIDIA/nvidia-docker issue #1679 "nvidia/cuda:11.5.1-base-ubuntu20.04, '
    'torch.cuda.is_available() false" (2022-09-16)', "the issue search index",
    "A container from nvidia/cuda:11.5.1-base-ubuntu20.04 in which torch sees no GPU and "
    "nvidia-smi does not run, and the user asks whether to install a driver in the image: no. "
    "The container has no GPU access (no /dev/nvidia*); the fix is the NVIDIA Container Toolkit "
    "on the host and `docker run --gpus all`; never a driver inside the image.",
    files={
        "root/.dockerenv": ("", f"{D}: Docker creates /.dockerenv in every container"),
        "root/etc/os-release": (os_release(ubuntu("20.04", "20.04.3", "focal")),
                                f"{V}: the image tag's ubuntu20.04 (point release assumed)"),
        "root/usr/local/cuda-11.5/version.json": (
            json.dumps({"cuda": {"name": "CUDA SDK", "version": "11.5.1"}}) + "\n",
            f"{V}: the image tag's CUDA 11.5.1 (base images carry version.json, no nvcc)"),
        "root/rnnbench-torch.json": (torch_json(version="1.12.1", cuda="10.2",
                                                cuda_available=False),
                                     f"{V}: torch.cuda.is_available() false; {D}: torch 1.12.1 "
                                     "from PyPI (the release then; its wheel bundles CUDA 10.2)"),
        "stub/tools.env": ("uname_m=x86_64\npython3_version=3.8.10\n",
                           f"{D}: Ubuntu 20.04's python3"),
    },
    tools=("python3", "uname")))

# ---------------------------------------------------------------- a driver mid-upgrade
_mismatch_error = "Failed to initialize NVML: Driver/library version mismatch\n"
REPLAYS.append(Replay(
    "mismatch-ubuntu2004-driver460-unattended-upgrade",
    "https://github.com/lyulyul/shine-cluster/issues/30",
    'lyulyul/shine-cluster issue #30 "nvidia-smi Failed to initialize NVML: Driver/library '
    'version mismatch" (2021-04-27)', "the issue search index",
    "unattended-upgrade moved the 460 driver's libraries from 460.56 to 460.73.01 while the "
    "460.56 module stayed loaded: nvidia-smi fails with the mismatch. A failure naming both "
    "versions; fix: reboot (or reload the modules), not a driver install.",
    files={
        "root/etc/os-release": (os_release(ubuntu("20.04", "20.04.2", "focal")),
                                f"{V}: the packages' 0ubuntu0.20.04.1 suffix (Ubuntu 20.04)"),
        "root/proc/driver/nvidia/version": (proc_version("460.56"),
                                            f"{V}: 460.56, the version before the upgrade, "
                                            "still loaded"),
        "root/proc/modules": (NVIDIA_MODULES, f"{D}: the modules a loaded driver lists"),
        "root/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.460.73.01": (
            "", f"{V}: 'libnvidia-common-460:amd64 (460.56-0ubuntu0.20.04.1, "
                "460.73.01-0ubuntu0.20.04.1)' in /var/log/apt/history.log (empty stand-in)"),
        "stub/nvidia-smi.error": (_mismatch_error, f"{V}: nvidia-smi's output"),
        "stub/lspci.txt": (lspci([RTX3090]), f"{D}: the thread names no GPU model; one RTX "
                           "3090 stands in (the 460 branch's era)"),
        "stub/tools.env": ("uname_m=x86_64\nnvidia_smi_exit=18\nmodinfo_version=460.73.01\n"
                           "python3_version=3.8.10\n",
                           f"{D}: nvidia-smi's exit status for this error; the upgraded module "
                           "on disk is the libraries' version (same package upgrade)"),
    },
    tools=("nvidia-smi", "lspci", "modinfo", "python3", "uname")))

_4090 = Gpu("NVIDIA GeForce RTX 4090", "0000:01:00.0", "2684", "AD102 [GeForce RTX 4090]",
            24564, 450, "8.9")
REPLAYS.append(Replay(
    "mismatch-ubuntu2204-driver570-p2p-module",
    "https://github.com/tinygrad/open-gpu-kernel-modules/issues/47",
    'tinygrad/open-gpu-kernel-modules issue #47 "Failed to initialize NVML: Driver/library '
    'version mismatch" (2025-10-15)', "the issue search index (description and comments)",
    "Ubuntu 22.04.5: user-space from NVIDIA-Linux-x86_64-570.124.04.run --no-kernel-modules, "
    "kernel module from the 570.124.06-p2p sources: nvidia-smi says the mismatch and 'NVML "
    "library version: 570.124'. Both versions named; a reboot cannot help (the module on disk "
    "is 570.124.06): one driver version for both, as the thread's answer says.",
    files={
        "root/etc/os-release": (os_release(ubuntu("22.04", "22.04.5", "jammy")),
                                f"{V}: 'Ubuntu 22.04.5 LTS'"),
        "root/proc/sys/kernel/osrelease": ("5.15.0-157-generic\n", f"{V}: 'uname -r "
                                           "5.15.0-157-generic'"),
        "root/proc/driver/nvidia/version": (proc_version("570.124.06", open_module=True),
                                            f"{V}: the module built from 570.124.06-p2p"),
        "root/proc/modules": (NVIDIA_MODULES, f"{D}: the modules a loaded driver lists"),
        "root/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.570.124.04": (
            "", f"{V}: '570.124.04 != 570.124.06' (a comment), the .run's user-space"),
        "stub/nvidia-smi.error": (_mismatch_error + "NVML library version: 570.124\n",
                                  f"{V}: nvidia-smi's two lines"),
        "stub/lspci.txt": (lspci([_4090]), f"{D}: the thread names no GPU; an RTX 4090 stands in "
                           "(the p2p module targets 4090s)"),
        "stub/tools.env": ("uname_m=x86_64\nnvidia_smi_exit=18\nmodinfo_version=570.124.06\n"
                           "python3_version=3.10.12\n",
                           f"{D}: exit status; the module on disk is the p2p build's version"),
    },
    tools=("nvidia-smi", "lspci", "modinfo", "python3", "uname")))

# ---------------------------------------------------------------- ROCm
def amd_sysfs(slot: str, device: str) -> dict[str, tuple[str, str]]:
    base = f"root/sys/bus/pci/devices/{slot}"
    why = f"{D}: the AMD GPU's sysfs entry (vendor 0x1002, display class)"
    return {f"{base}/vendor": ("0x1002\n", why), f"{base}/class": ("0x030000\n", why),
            f"{base}/device": (f"0x{device}\n", why),
            "root/sys/class/kfd/kfd/topology/generation_id": ("1\n", f"{D}: amdgpu's compute "
                                                          "interface, which ROCm needs")}


REPLAYS.append(Replay(
    "rocm-ubuntu1804-vega20-torch170rocm37",
    "https://github.com/pytorch/pytorch/pull/44106",
    'pytorch/pytorch pull request #44106 "Add HIP/ROCm version to collect_env.py", sample output '
    "(comment of 2020-09-11)", "the issue search index",
    "A ROCm 3.7 build of torch on an AMD Vega 20 (PCI device 66a1), 'Is CUDA available: True' "
    "through HIP: recognised as ROCm with an AMD GPU; NVIDIA checks skipped for that reason; "
    "never 'CPU-only'; no NVIDIA driver advice.",
    files={
        "root/etc/os-release": (os_release(ubuntu("18.04", "18.04.4", "bionic")),
                                f"{V}: 'OS: Ubuntu 18.04.4 LTS (x86_64)'"),
        **amd_sysfs("0000:43:00.0", "66a1"),
        "root/rnnbench-torch.json": (torch_json(
            version="1.7.0a0+9ddd3df", cuda=None, hip="3.7.20315-077bcfa0",
            cuda_available=True, devices=[{"name": "Device 66a1", "capability": None}]),
            f"{V}: 'PyTorch version: 1.7.0a0+9ddd3df', 'ROCM used to build PyTorch: "
            "3.7.20315-077bcfa0', 'Is CUDA available: True', 'GPU models and configuration: "
            "Device 66a1'"),
        "stub/tools.env": ("uname_m=x86_64\npython3_version=3.6.9\ngcc_version=7.5.0\n"
                           "gcc_line=gcc (Ubuntu 7.5.0-3ubuntu1~18.04) 7.5.0\n",
                           f"{V}: 'Python version: 3.6', 'GCC version: (Ubuntu 7.5.0-3ubuntu1~"
                           f"18.04) 7.5.0'; {D}: 3.6.9, 18.04's python3"),
    },
    tools=("python3", "gcc", "uname")))

REPLAYS.append(Replay(
    "rocm-gentoo-rx5700xt-torch270dev-rocm63",
    "https://github.com/pytorch/pytorch/issues/145670",
    'pytorch/pytorch issue #145670 "compiling for rocm gfx1010, getting cuda errors" (2025-01)',
    "the issue search index (its collect_env output)",
    "Gentoo with an RX 5700 XT (gfx1010) and torch 2.7.0.dev20250123+rocm6.3, 'Is CUDA "
    "available: True' through HIP: ROCm recognised, NVIDIA checks skipped, never 'CPU-only'. "
    "Gentoo is a family the doctor does not know: any fix in words, no dnf/apt/zypper/pacman.",
    files={
        "root/etc/os-release": ('NAME=Gentoo\nID=gentoo\nPRETTY_NAME="Gentoo Linux"\n',
                                f"{V}: 'OS: Gentoo Linux (x86_64)'; Gentoo's os-release form"),
        "root/proc/sys/kernel/osrelease": ("6.7.7-gentoo-dist\n",
                                           f"{V}: 'Linux-6.7.7-gentoo-dist-x86_64' (Python "
                                           "platform line)"),
        **amd_sysfs("0000:0b:00.0", "731f"),
        "root/rnnbench-torch.json": (torch_json(
            version="2.7.0.dev20250123+rocm6.3", cuda=None, hip="6.3.42131-fa1d09cbd",
            cuda_available=True,
            devices=[{"name": "AMD Radeon RX 5700 XT", "capability": None}]),
            f"{V}: 'PyTorch version: 2.7.0.dev20250123+rocm6.3', 'ROCM used to build PyTorch: "
            "6.3.42131-fa1d09cbd', 'Is CUDA available: True', 'AMD Radeon RX 5700 XT "
            f"(gfx1010:xnack-)'; {D}: PCI device 731f (Navi 10)"),
        "stub/rocm-smi.txt": ("GPU[0]\t\t: Card series: \t\tAMD Radeon RX 5700 XT\n",
                              f"{D}: rocm-smi --showproductname's format with the collect_env "
                              "GPU name"),
        "stub/tools.env": ("uname_m=x86_64\npython3_version=3.12.8\ngcc_version=13.2.1\n"
                           "gcc_line=gcc (Gentoo 13.2.1_p20240210 p14) 13.2.1 20240210\n",
                           f"{V}: 'Python version: 3.12.8', 'GCC version: (Gentoo 13.2.1_p20240210"
                           " p14) 13.2.1 20240210'"),
    },
    tools=("python3", "gcc", "uname", "rocm-smi")))

# ---------------------------------------------------------------- Jetson
REPLAYS.append(Replay(
    "jetson-nano-jp44-l4t3243-torch-cpu",
    "https://github.com/Lmy0217/PyTorch-aarch64/issues/3",
    'Lmy0217/PyTorch-aarch64 issue #3 "Does this version support GPU?" (2020-08-19)',
    "the issue search index",
    "A Jetson Nano on JetPack 4.4 (L4T 32.4.3) with a CPU-only aarch64 torch ('only support "
    "cpu'): cuda.is_available() False. The Jetson and its L4T recognised; the CPU-only torch "
    "fails with NVIDIA's JetPack build as the fix (JetPack 4.6.1 first: its wheel needs it); no "
    "driver install (L4T brings it), no 'no NVIDIA GPU'.",
    files={
        "root/etc/nv_tegra_release": ("# R32 (release), REVISION: 4.3, GCID: not recorded, "
                                      "BOARD: t210ref, EABI: aarch64, DATE: not recorded\n",
                                      f"{V}: 'L4T 32.4.3'; {D}: the file's format, board t210 "
                                      "(Nano)"),
        "root/proc/device-tree/model": ("NVIDIA Jetson Nano Developer Kit\x00",
                                        f"{V}: 'jetson nano'; {D}: the device tree's model "
                                        "string"),
        "root/etc/os-release": (os_release(ubuntu("18.04", "18.04.5", "bionic")),
                                f"{D}: JetPack 4.4 is Ubuntu 18.04"),
        "root/proc/sys/kernel/osrelease": ("4.9.140-tegra\n", f"{D}: L4T 32.4.3's kernel"),
        "root/rnnbench-torch.json": (torch_json(
            version="1.6.0", cuda=None, cuda_available=False,
            location="/usr/local/lib/python3.6/dist-packages"),
            f"{V}: CPU only, cuda.is_available() false; {D}: version and folder (pip)"),
        "stub/tools.env": ("uname_m=aarch64\npython3_version=3.6.9\n",
                           f"{D}: aarch64; 18.04's python3"),
    },
    tools=("python3", "uname")))

REPLAYS.append(Replay(
    "jetson-orin-r364-container-torch290cpu",
    "https://github.com/dusty-nv/jetson-containers/issues/1468",
    'dusty-nv/jetson-containers issue #1468 "Unable to build anything depends on python image" '
    "(comment of 2025-10-23)", "the issue search index",
    "A Jetson on L4T r36.4 (JetPack 6) testing the container whisper:r36.4.tegra-aarch64-cu126-"
    "22.04-pytorch_2.9 (run with --runtime=nvidia): 'PyTorch version: 2.9.0+cpu', 'CUDA "
    "available: False'. A CPU-only torch on a Jetson: fail, fix NVIDIA's JetPack 6 build; a "
    "container with the GPU runtime is no 'container without GPU access'; no driver install.",
    files={
        "root/.dockerenv": ("", f"{D}: Docker creates /.dockerenv in every container"),
        "root/etc/nv_tegra_release": ("# R36 (release), REVISION: 4.3, GCID: not recorded, "
                                      "BOARD: generic, EABI: aarch64, DATE: not recorded\n",
                                      f"{V}: the tag's r36.4; {D}: revision 4.3, the file's "
                                      "format (the L4T base images carry it)"),
        "root/etc/os-release": (os_release(ubuntu("22.04", "22.04.5", "jammy")),
                                f"{V}: the tag's 22.04"),
        "root/proc/sys/kernel/osrelease": ("5.15.148-tegra\n", f"{D}: L4T r36.4's kernel"),
        "root/rnnbench-torch.json": (torch_json(
            version="2.9.0+cpu", cuda=None, cudnn=None, cuda_available=False,
            location="/usr/local/lib/python3.10/dist-packages"),
            f"{V}: 'PyTorch version: 2.9.0+cpu', 'CUDA available:  False', 'cuDNN version: "
            f"None'; {D}: folder"),
        "stub/tools.env": ("uname_m=aarch64\npython3_version=3.10.12\n",
                           f"{D}: aarch64; 22.04's python3"),
    },
    tools=("python3", "uname")))

_gb200 = [Gpu("NVIDIA GB200", f"0000:{b}:00.0", "2941", "GB100 [GB200]", 189471, 1200, "10.0")
          for b in ("01", "02")]
REPLAYS.append(Replay(
    "grace-gb200-aarch64-torch291-cpu",
    "https://github.com/pytorch/pytorch/issues/168065",
    'pytorch/pytorch issue #168065 "On aarch64, `pip install torch` resulted in the CPU '
    'version?" (2025-11-18)', "the issue search index",
    "A Grace Blackwell (GB200, aarch64) server where `pip install torch` gave the CPU build "
    "(no cudnn or cublas beside it); `--index-url https://download.pytorch.org/whl/cu128` is "
    "the way around. Not a Jetson: a CPU-only torch on an NVIDIA GPU fails with an aarch64 CUDA "
    "build the driver runs; no JetPack wheel, no x86_64 wheel, no driver change.",
    files={
        "root/etc/os-release": (os_release(ubuntu("24.04", "24.04.3", "noble")),
                                f"{D}: the distribution is not named; Ubuntu 24.04 assumed"),
        "root/proc/sys/kernel/osrelease": ("6.8.0-1028-nvidia-64k\n",
                                           f"{D}: an Ubuntu NVIDIA 64k-page kernel (assumed)"),
        "stub/nvidia-smi.csv": (smi_csv("580.95.05", _gb200),
                                f"{V}: 'an aarch64 machine, e.g. GB200'; {D}: two GB200 GPUs of "
                                "one board; driver 580.95.05 (not named: the cu128 build ran, "
                                "so R570 or newer; an R580 of the issue's date), other fields"),
        "root/rnnbench-torch.json": (torch_json(
            version="2.9.1", cuda=None, cuda_available=False,
            location="/home/user/.venv/lib/python3.12/site-packages"),
            f"{V}: 'pip install torch' gave the CPU version of torch stable; {D}: 2.9.1, the "
            "stable release on the issue's date; the folder"),
        "root/home/user/.venv/lib/python3.12/site-packages/torch-2.9.1.dist-info/INSTALLER": (
            "pip\n", f"{V}: installed with pip"),
        "stub/tools.env": ("uname_m=aarch64\npython3_version=3.12.3\n",
                           f"{V}: aarch64; {D}: Ubuntu 24.04's python3"),
    },
    tools=("nvidia-smi", "python3", "uname")))

# ---------------------------------------------------------------- a GPU fallen off the bus
_2080s = _several(RTX2080TI, ["0000:0b:00.0", "0000:0c:00.0", "0000:0d:00.0", "0000:0e:00.0"])
REPLAYS.append(Replay(
    "offbus-opensuse152-4xrtx2080ti-driver520",
    "https://github.com/NVIDIA/open-gpu-kernel-modules/issues/387",
    'NVIDIA/open-gpu-kernel-modules issue #387 "Unable to determine the device handle for GPU" '
    "(2022-10-11)", "the issue search index (description and comments)",
    "openSUSE Leap 15.2, four RTX 2080 Ti, driver 520.61.05: under load GPU 0000:0B:00.0 falls "
    "off the bus and nvidia-smi says 'Unable to determine the device handle'; 'Fixed by "
    "reseating GPU'. The lost GPU named; fix power, cooling, reseat, reboot, not a driver; the "
    "family's package manager is zypper.",
    files={
        "root/etc/os-release": ('NAME="openSUSE Leap"\nVERSION="15.2"\nID="opensuse-leap"\n'
                                'ID_LIKE="suse opensuse"\nVERSION_ID="15.2"\n'
                                'PRETTY_NAME="openSUSE Leap 15.2"\n',
                                f"{V}: 'Open Suse Leap 15.2'; {D}: Leap's os-release form"),
        "root/proc/sys/kernel/osrelease": ("5.3.18-lp152.106-default\n",
                                           f"{V}: 'Linux deeplar 5.3.18-lp152.106-default'"),
        "root/proc/driver/nvidia/version": (proc_version("520.61.05", open_module=True),
                                            f"{V}: 'NVIDIA Open GPU Kernel Modules Version "
                                            "520.61.05'"),
        "root/proc/modules": (NVIDIA_MODULES, f"{D}: the modules a loaded driver lists"),
        "stub/nvidia-smi.error": ("Unable to determine the device handle for GPU 0000:0B:00.0: "
                                  "Unknown Error\n", f"{V}: nvidia-smi's output"),
        "stub/lspci.txt": (lspci(_2080s), f"{V}: four 'NVIDIA GeForce RTX 2080 Ti', GPU 1 at "
                           f"0000:0B:00.0; {D}: the other three bus ids"),
        "stub/tools.env": ("uname_m=x86_64\nnvidia_smi_exit=15\npython3_version=3.6.10\n",
                           f"{D}: nvidia-smi's exit status"),
    },
    tools=("nvidia-smi", "lspci", "python3", "uname")))

_3070ti = Gpu("NVIDIA GeForce RTX 3070 Ti Laptop GPU", "0000:01:00.0", "24a0",
              "GA104 [Geforce RTX 3070 Ti Laptop GPU]", 8192, 125, "8.6")
REPLAYS.append(Replay(
    "offbus-gentoo-rtx3070ti-laptop-driver530-xid79",
    "https://github.com/NVIDIA/open-gpu-kernel-modules/issues/507",
    'NVIDIA/open-gpu-kernel-modules issue #507 "GPU has fallen off of the bus" (2023-05-29)',
    "the issue search index (description and NVIDIA's reply)",
    "Gentoo laptop (i7-12700H, RTX 3070 Ti), driver 530.41.03: Xid 79 while gaming. NVIDIA's "
    "answer: overheating, lack of power or an outdated SBIOS; reseat, check the PSU, update the "
    "SBIOS. The fall named; fix power/cooling/reseat/reboot, not a driver; Gentoo is unknown "
    "to the doctor: no package-manager commands.",
    files={
        "root/etc/os-release": ('NAME=Gentoo\nID=gentoo\nPRETTY_NAME="Gentoo Linux"\n',
                                f"{V}: 'Gentoo Linux'; Gentoo's os-release form"),
        "root/proc/sys/kernel/osrelease": ("6.3.4-gentoo-x86_64\n",
                                           f"{V}: 'Linux localhost 6.3.4-gentoo-x86_64'"),
        "root/proc/driver/nvidia/version": (proc_version("530.41.03", open_module=True),
                                            f"{V}: 'nvidia-drivers-530.41.03' (open modules)"),
        "root/proc/modules": (NVIDIA_MODULES, f"{D}: the modules a loaded driver lists"),
        "stub/dmesg.txt": ("[ 5021.113344] NVRM: Xid (PCI:0000:01:00): 79, pid='<unknown>', "
                           "name=<unknown>, GPU has fallen off the bus.\n",
                           f"{V}: 'a XID 79, fallen off the bus' (NVIDIA's reading of the bug "
                           f"report); {D}: the kernel log line in the driver's format"),
        "stub/lspci.txt": (lspci([_3070ti]), f"{V}: 'GPU 0: NVIDIA GeForce RTX 3070 Ti' (a "
                           f"laptop: i7-12700H); {D}: bus id, PCI id 24a0 (the laptop part)"),
        "stub/tools.env": ("uname_m=x86_64\npython3_version=3.11.8\n",
                           f"{D}: x86_64 (the uname line), python3"),
    },
    tools=("lspci", "dmesg", "python3", "uname")))

# ---------------------------------------------------------------- the user's environment
_2080s_b = _several(RTX2080TI, ["0000:1a:00.0", "0000:1b:00.0", "0000:3d:00.0", "0000:3e:00.0"])
REPLAYS.append(Replay(
    "cvd-empty-centos7-4xrtx2080ti-torch140cu101",
    "https://github.com/pytorch/pytorch/issues/40618",
    'pytorch/pytorch issue #40618 "is_available and device_count does not update after change '
    'of CUDA_VISIBLE_DEVICES" (2020-06-26)', "the issue search index (collect_env output)",
    "CentOS 7, four RTX 2080 Ti, driver 440.82, torch 1.4.0 (CUDA 10.1): with "
    "CUDA_VISIBLE_DEVICES='' torch sees no GPU ('False', '0'). The variable named with its "
    "effect; fix: unset it; driver and build sound; yum.",
    files={
        "root/etc/os-release": ('NAME="CentOS Linux"\nVERSION="7 (Core)"\nID="centos"\n'
                                'ID_LIKE="rhel fedora"\nVERSION_ID="7"\n'
                                'PRETTY_NAME="CentOS Linux 7 (Core)"\n',
                                f"{V}: 'OS: CentOS Linux 7 (Core)'"),
        "stub/nvidia-smi.csv": (smi_csv("440.82", _2080s_b),
                                f"{V}: 'GPU 0-3: GeForce RTX 2080 Ti', 'Nvidia driver version: "
                                f"440.82'; {D}: other fields"),
        "root/rnnbench-torch.json": (torch_json(version="1.4.0", cuda="10.1",
                                                cuda_available=False),
                                     f"{V}: 'PyTorch version: 1.4.0', 'CUDA used to build "
                                     "PyTorch: 10.1'; False under CUDA_VISIBLE_DEVICES=''"),
        "env.txt": ("CUDA_VISIBLE_DEVICES=\n",
                    f"{V}: os.environ['CUDA_VISIBLE_DEVICES']='' in the report's command"),
        "stub/tools.env": ("uname_m=x86_64\npython3_version=3.7.7\ngcc_version=4.8.5\n"
                           "gcc_line=gcc (GCC) 4.8.5 20150623 (Red Hat 4.8.5-39)\n",
                           f"{V}: 'Python version: 3.7', the GCC line; {D}: 3.7.7"),
    },
    tools=("nvidia-smi", "python3", "gcc", "uname")))

_prefix = "/home/user/anaconda3/envs/env2"
_1080ti = Gpu("GeForce GTX 1080 Ti", "0000:01:00.0", "1b06", "GP102 [GeForce GTX 1080 Ti]",
              11178, 250, "6.1")
REPLAYS.append(Replay(
    "conda-cpuonly-ubuntu1604-torch140",
    "https://github.com/pytorch/pytorch/issues/32369",
    'pytorch/pytorch issue #32369 "Anaconda installation CUDA requested, cpuonly obtained" '
    "(2020-01-17)", "the issue search index (description with both collect_env outputs)",
    "Ubuntu 16.04, a conda environment whose pytorch 1.4.0 came from the pytorch channel as the "
    "cpuonly build (py3.7_cpu_0), while a sibling environment's 1.3.1 cuda100 build used the GPU. "
    "CPU-only build named; the fix reinstalls with conda (cudatoolkit from the pytorch channel), "
    "never pip over conda's torch; apt.",
    files={
        "root/etc/os-release": (os_release(ubuntu("16.04", "16.04.6", "xenial")),
                                f"{V}: 'OS: Ubuntu 16.04.6 LTS'"),
        f"root{_prefix}/conda-meta/pytorch-1.4.0-py3.7_cpu_0.json": (
            "{}\n", f"{V}: 'pytorch 1.4.0 py3.7_cpu_0 [cpuonly] pytorch' (record stand-in)"),
        f"root{_prefix}/conda-meta/cpuonly-1.0-0.json": ("{}\n", f"{V}: '[cpuonly]' feature"),
        "root/proc/driver/nvidia/version": (proc_version("410.48"),
                                            f"{D}: the thread's driver line is cut; 410.48 is "
                                            "the oldest that ran env1's CUDA 10.0 build"),
        "root/proc/modules": (NVIDIA_MODULES, f"{D}: the modules a loaded driver lists"),
        "stub/lspci.txt": (lspci([_1080ti]), f"{D}: the GPU line is cut in the quote; a Pascal "
                           "GeForce stands in"),
        "root/rnnbench-torch.json": (torch_json(
            version="1.4.0", cuda=None, cuda_available=False,
            location=f"{_prefix}/lib/python3.7/site-packages"),
            f"{V}: 'CUDA used to build PyTorch' not detected, 'cuda.is_available()==False'; "
            f"{D}: the environment's folder"),
        "env.txt": (f"CONDA_PREFIX={_prefix}\nCONDA_DEFAULT_ENV=env2\n",
                    f"{V}: the environment's name env2; {D}: its prefix"),
        "stub/tools.env": ("uname_m=x86_64\npython3_version=3.7.6\npip=pip 20.0.2 from "
                           f"{_prefix}/lib/python3.7/site-packages/pip (python 3.7)\n"
                           "gcc_version=5.4.0\ngcc_line=gcc (Ubuntu 5.4.0-6ubuntu1~16.04.12) "
                           "5.4.0 20160609\n", f"{V}: 'Python version: 3.7', the GCC line; "
                           f"{D}: 3.7.6, pip"),
    },
    tools=("python3", "gcc", "lspci", "uname")))

# ---------------------------------------------------------------- distribution families
_4070 = Gpu("NVIDIA GeForce RTX 4070 Laptop GPU", "0000:01:00.0", "2820",
            "AD106M [GeForce RTX 4070 Max-Q / Mobile]", 8188, 140, "8.9")
REPLAYS.append(Replay(
    "pop2404-rtx4070laptop-driver580-no-torch",
    "https://github.com/pop-os/pop/issues/3654",
    'pop-os/pop issue #3654 "system76-driver-nvidia metapackage issues with CUDA" (2025-11-21)',
    "the issue search index (description with nvidia-smi's table)",
    "Pop!_OS 24.04 with system76-driver-nvidia: driver 580.82.09 (CUDA 13.0) runs an RTX 4070 "
    "laptop GPU. Pop!_OS is Ubuntu-like (24.04 base): apt, never Debian's 'enable contrib "
    "non-free'; driver sound; no torch installed: a pip build driver 580 runs.",
    files={
        "root/etc/os-release": ('NAME="Pop!_OS"\nVERSION="24.04 LTS"\nID=pop\n'
                                'ID_LIKE="ubuntu debian"\nPRETTY_NAME="Pop!_OS 24.04 LTS"\n'
                                'VERSION_ID="24.04"\nVERSION_CODENAME=noble\n'
                                'UBUNTU_CODENAME=noble\n',
                                f"{V}: 'pop OS 24.04'; {D}: Pop!_OS's os-release form (Pop "
                                "22.04's, quoted in NVIDIA/nvidia-docker issue #1667, with "
                                "24.04/noble)"),
        "stub/nvidia-smi.csv": (smi_csv("580.82.09", [_4070]),
                                f"{V}: 'Driver Version: 580.82.09', 'NVIDIA GeForce RTX 4070 ...', "
                                f"00000000:01:00.0, 140W, 8188MiB; {D}: the full name (8 GB and "
                                "140 W: the laptop part), PCI id"),
        "stub/lspci.txt": (lspci([_4070]), f"{D}: pci.ids name of the laptop part"),
        "stub/tools.env": ("uname_m=x86_64\npython3_version=3.12.3\n",
                           f"{D}: Ubuntu 24.04's python3 (no pip: PEP 668 system Python)"),
    },
    tools=("nvidia-smi", "lspci", "python3", "uname")))


def write(replay: Replay) -> None:
    folder = MACHINES / replay.name
    if folder.exists():
        shutil.rmtree(folder)
    verbatim, derived = [], []
    files = dict(replay.files)
    tools_env, mark = files.get("stub/tools.env", ("", ""))
    version = next((line.split("=", 1)[1] for line in tools_env.splitlines()
                    if line.startswith("python3_version=")), None)
    if version and "pip=" not in tools_env:  # every replay's python3 has pip unless said
        minor = ".".join(version.split(".")[:2])
        files["stub/tools.env"] = (tools_env + f"pip=pip 21.0 from /usr/lib/python3/"
                                   f"dist-packages/pip (python {minor})\n",
                                   mark + f"; {D}: pip present (version nominal)")
    for path, (text, mark) in files.items():
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        kind, _, why = mark.partition(": ")
        (verbatim if kind.startswith(V) else derived).append(f"- `{path}`: {mark}")
    (folder / "bin").mkdir(parents=True, exist_ok=True)
    for tool in replay.tools:
        (folder / "bin" / tool).symlink_to("../../_stub/stub")
    lines = [f"# {replay.name}", "",
             "Built by `_stub/make_platform_replays.py` from a public issue thread.", "",
             "## Source", f"- {replay.title}", f"  {replay.url}",
             f"- Read in {replay.found}; the quoted values below are the thread's.", "",
             "## Expert verdict", replay.verdict, "",
             "## Verbatim (the thread's words or values, in the tool's own format)", *verbatim,
             "", "## Derived", *derived, "",
             "`bin/*` are symlinks to the shared stub `../_stub/stub`, which answers from "
             "`stub/`."]
    (folder / "PROVENANCE.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    for replay in REPLAYS:
        write(replay)
        print(replay.name)
