"""Fixes for where the doctor runs: WSL2, containers, Jetson, a driver mid-upgrade, a GPU fallen
off the bus, the user's environment variables, and torch reinstalled with the tool that
installed it. Kept in one module so that each fix is built in one place.

None of these installs a Linux NVIDIA driver: under WSL2 the driver is the Windows one, in a
container the host's, on a Jetson L4T's, and a mismatch or a lost GPU is no missing driver.
"""

from __future__ import annotations

import re

from provision import fixes, tables
from provision.facts import Facts, OsFacts, PlatformFacts, TorchFacts
from provision.torch_releases import TorchBuild

# NVIDIA's CUDA on WSL user guide: the Windows driver is the only one to install ("Do not
# install any Linux display driver in WSL"); `wsl --update` brings the WSL kernel that GPU
# paravirtualisation needs, `wsl --shutdown` restarts WSL so a new driver is seen.
WSL_UPDATE = ("in Windows, install the current NVIDIA driver for Windows from "
              "nvidia.com/drivers (it carries the WSL2 support; install no Linux driver inside "
              "WSL2), then in PowerShell: wsl --update; wsl --shutdown")


def driver_elsewhere(p: PlatformFacts) -> str | None:
    """Where the NVIDIA driver lives when it is not this system's to install: WSL2 (Windows),
    a container (the host), a Jetson (L4T); None on an ordinary Linux system."""
    if p.wsl == "WSL2":
        return "WSL2"
    if p.container:
        return "container"
    if p.jetson_l4t or p.jetson_model:
        return "Jetson"
    return None


def driver_upgrade(where: str | None, os_: OsFacts, runfile: bool = False,
                   min_version: str | None = None, max_branch: int | None = None) -> str:
    """fixes.nvidia_driver, except where the driver is not this system's (driver_elsewhere)."""
    need = f" {min_version} or newer" if min_version else ""
    if where == "WSL2":
        return (f"in Windows, install NVIDIA driver{need} for Windows from nvidia.com/drivers "
                "(install no Linux driver inside WSL2), then in PowerShell: wsl --shutdown")
    if where == "container":
        return ("on the host, not in this container: upgrade the NVIDIA driver to"
                f"{need or ' a newer one'} (the container uses the host's driver), then start "
                "the container again")
    if where == "Jetson":
        return (f"upgrade JetPack (L4T brings the Jetson's driver{' and CUDA' if need else ''}): "
                "sudo apt-get update && sudo apt-get dist-upgrade within the installed JetPack "
                "release, or flash a newer JetPack with NVIDIA's SDK Manager")
    return fixes.nvidia_driver(os_, runfile, min_version, max_branch)


def wsl1(facts: Facts) -> str:
    distro = facts.platform.environment.get("WSL_DISTRO_NAME") or "<distribution>"
    return f"in PowerShell: wsl --set-version {distro} 2 (CUDA runs only under WSL2)"


def wsl_cuda_failed(facts: Facts) -> str:
    """CUDA does not start inside WSL2 although the Windows driver answers."""
    fix = WSL_UPDATE
    count = len(facts.driver.gpus)
    if count > 1:
        # microsoft/WSL issue 10269: with four RTX 3090s exposed, cudaGetDeviceCount fails with
        # "out of memory"; any three of them work.
        fix += (f"; if it persists with {count} GPUs exposed (a WSL2 limitation seen with "
                "several GPUs), expose fewer: export CUDA_VISIBLE_DEVICES="
                + ",".join(str(i) for i in range(count - 1)))
    return fix


def container_gpu_access(facts: Facts) -> str:
    """How a container gets the host's GPUs (NVIDIA Container Toolkit install guide: install the
    toolkit on the host, `nvidia-ctk runtime configure --runtime=docker`, restart docker, then
    `docker run --gpus all`; podman uses CDI: `nvidia-ctk cdi generate` and
    `--device nvidia.com/gpu=all`)."""
    runtime = facts.platform.container
    host = ("on the host, not in this container: install the NVIDIA driver there and the NVIDIA "
            "Container Toolkit (docs.nvidia.com/datacenter/cloud-native/container-toolkit/"
            "latest/install-guide.html)")
    if runtime == "podman":
        return (f"{host}, then sudo nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml; "
                "start the container again with: podman run --device nvidia.com/gpu=all ...")
    if runtime == "kubernetes":
        return (f"{host} on the node (or the NVIDIA GPU Operator); request the GPU in the "
                "pod: resources: limits: nvidia.com/gpu: 1")
    return (f"{host}, then sudo nvidia-ctk runtime configure --runtime=docker && sudo systemctl "
            "restart docker; start the container again with: docker run --gpus all ...")


def driver_mismatch(module: str | None, library: str | None) -> str:
    """Packages upgraded while the old module stayed loaded: loading the new module ends it."""
    return ("sudo reboot (loads the kernel module that matches the upgraded libraries); or, with "
            "no display server or CUDA program on the GPU: sudo rmmod nvidia_uvm nvidia_drm "
            "nvidia_modeset nvidia && sudo modprobe nvidia")


def gpu_lost(slots: list[str]) -> str:
    """A GPU fallen off the bus (Xid 79): power, heat, the slot or the firmware, not the driver.
    NVIDIA's answer in open-gpu-kernel-modules issue 507: overheating, lack of power or an
    outdated system BIOS; monitor temperatures, reseat the power connectors and the card, check
    the power supply, update the BIOS; issue 387 was "Fixed by reseating GPU"."""
    which = ", ".join(slots) if slots else "the GPU"
    return (f"power the machine off (sudo poweroff), reseat {which} in its slot and its power "
            "connectors, check the power supply and the cooling, update the system BIOS, then "
            "power on; if it falls off again, watch it under load: nvidia-smi --query-gpu="
            "temperature.gpu,power.draw,clocks.sm --format=csv -l 5")


def visible_devices(value: str, count: int) -> str:
    ids = ",".join(str(i) for i in range(count)) if count else "0"
    return (f"unset CUDA_VISIBLE_DEVICES (it is set to '{value}'), or name GPUs that exist: "
            f"export CUDA_VISIBLE_DEVICES={ids}; remove the line that sets it (~/.bashrc, the "
            "job script) to keep it")


def jetson_torch(facts: Facts) -> str:
    """NVIDIA's JetPack build of torch in place of a CPU-only one (tables.JETSON_TORCH_WHEEL)."""
    l4t = facts.platform.jetson_l4t
    jetpack = tables.jetpack_major(l4t)
    wheel = tables.JETSON_TORCH_WHEEL.get(jetpack or 0)
    if wheel is None:
        return (f"install NVIDIA's PyTorch build for this JetPack (L4T {l4t or 'unknown'}): "
                "docs.nvidia.com/deeplearning/frameworks/install-pytorch-jetson-platform; the "
                "CPU-only torch from PyPI cannot use the Jetson's GPU")
    folder, name = wheel
    url = f"https://developer.download.nvidia.com/compute/redist/jp/{folder}/pytorch/{name}"
    blas = "libopenblas-dev" if jetpack and jetpack >= 6 else "libopenblas-base libopenmpi-dev"
    pip = _pip(facts.torch)
    command = (f"sudo apt-get install -y {blas} && {pip} uninstall -y torch && "
               f"{pip} install --no-cache {url}")
    if jetpack == 4 and tables.version_tuple(l4t.lstrip("Rr") if l4t else None) < (32, 7):
        return (f"upgrade JetPack to 4.6.1 or newer (L4T R32.7; this is {l4t}): NVIDIA's wheel "
                f"for JetPack 4 is built on it; then {command}")
    return command


def _pip(torch: TorchFacts) -> str:
    return "uv pip" if torch.installer == "uv" else "python3 -m pip"


# ------------------------------------------------------------------ torch, by its installer
# PyTorch's own conda channel: `pytorch` with `cudatoolkit=X.Y` up to 1.12, with
# `pytorch-cuda=X.Y -c pytorch -c nvidia` from 1.13 to 2.5 (pytorch.org, "Previous PyTorch
# Versions", the conda lines of each release); 2.5 was the last release published there
# (PyTorch's deprecation of its anaconda channel, pytorch/pytorch issue 138506).
CONDA_LAST = (2, 5)


def conda_command(build: TorchBuild) -> str | None:
    """`conda install` of this build from PyTorch's conda channel, or None where it has none."""
    version = tables.version_tuple(build.torch) or (0,)
    if version[:2] > CONDA_LAST or "+" in build.torch or "a" in build.torch:
        return None
    if build.cuda is None:
        return f"conda install -y pytorch=={build.torch} cpuonly -c pytorch"
    cuda = tables.major_minor(build.cuda)
    if version[:2] <= (1, 12):
        return f"conda install -y pytorch=={build.torch} cudatoolkit={cuda} -c pytorch"
    return f"conda install -y pytorch=={build.torch} pytorch-cuda={cuda} -c pytorch -c nvidia"


DISTRO_TORCH = {"fedora": "sudo dnf remove -y python3-torch",
                "debian": "sudo apt-get remove -y python3-torch",
                "arch": "sudo pacman -R --noconfirm python-pytorch"}


def by_installer(facts: Facts, fix: str, build: TorchBuild | None) -> str:
    """The advisor's pip fix, rewritten for the tool that installed the torch found here: conda
    (its own command, or conda's torch removed before pip), uv (`uv pip`), the distribution
    (its package removed, pip's torch in a venv)."""
    installer = facts.torch.installer
    if installer == "uv":
        return re.sub(r"\bpython3? -m pip install\b", "uv pip install", fix)
    if installer == "conda":
        command = conda_command(build) if build is not None else None
        pip_line = re.search(r"python3? -m pip install \S+(?: --\S+ \S+| -f \S+| --no-index)*",
                             fix)
        if command and pip_line:
            return fix.replace(pip_line.group(0), command, 1)
        return ("conda remove -y pytorch torchvision torchaudio pytorch-cuda cudatoolkit (this "
                "torch came from conda; PyTorch's conda channel has no newer build), then in "
                f"this environment: {fix}")
    if installer == "distro":
        remove = DISTRO_TORCH.get(facts.os.family)
        first = f"{remove} && " if remove else "remove the distribution's torch package, then "
        return (f"{first}python3 -m venv ~/torch-venv && . ~/torch-venv/bin/activate && "
                + re.sub(r"\bpython3 -m pip\b", "python -m pip", fix))
    return fix
