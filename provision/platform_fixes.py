"""Fixes for where the doctor runs: WSL2, containers, Jetson, a driver mid-upgrade, a GPU fallen
off the bus, the user's environment variables, and torch reinstalled with the tool that
installed it. Kept in one module so that each fix is built in one place.

None of these installs a Linux NVIDIA driver: under WSL2 the driver is the Windows one, in a
container the host's, on a Jetson L4T's, and a mismatch or a lost GPU is no missing driver.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable

from provision import fixes, tables
from provision.facts import Facts, OsFacts, PlatformFacts, TorchFacts
from provision.fix import Fix, Fixes, Step, run, say, when
from provision.torch_releases import TorchBuild

# NVIDIA's CUDA on WSL user guide: the Windows driver is the only one to install ("Do not
# install any Linux display driver in WSL"); `wsl --update` brings the WSL kernel that GPU
# paravirtualisation needs, `wsl --shutdown` restarts WSL so a new driver is seen.
IN_POWERSHELL = "then, in Windows PowerShell"


def wsl_update() -> Fixes:
    return (say("in Windows, install the current NVIDIA driver for Windows from "
                "nvidia.com/drivers (it carries the WSL2 support; install no Linux driver "
                "inside WSL2)"),
            run(("wsl --update", "the WSL kernel GPU support needs"),
                ("wsl --shutdown", "restarts WSL, which then sees the new driver"),
                condition=IN_POWERSHELL))


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
                   min_version: str | None = None, max_branch: int | None = None) -> Fixes:
    """fixes.nvidia_driver, except where the driver is not this system's (driver_elsewhere)."""
    need = f" {min_version} or newer" if min_version else ""
    if where == "WSL2":
        return (say(f"in Windows, install NVIDIA driver{need} for Windows from nvidia.com/drivers "
                    "(install no Linux driver inside WSL2)"),
                run(("wsl --shutdown", "restarts WSL, which then sees the new driver"),
                    condition=IN_POWERSHELL))
    if where == "container":
        return (say("on the host, not in this container: upgrade the NVIDIA driver to"
                    f"{need or ' a newer one'} (the container uses the host's driver), then "
                    "start the container again"),)
    if where == "Jetson":
        return (run("sudo apt-get update", "sudo apt-get dist-upgrade",
                    words=f"upgrade JetPack (L4T brings the Jetson's driver"
                          f"{' and CUDA' if need else ''}) within the installed JetPack "
                          "release"),
                say("flash a newer JetPack with NVIDIA's SDK Manager",
                    condition="or, for a newer JetPack release"))
    return fixes.nvidia_driver(os_, runfile, min_version, max_branch)


def wsl1(facts: Facts) -> Fixes:
    distro = facts.platform.environment.get("WSL_DISTRO_NAME")
    if distro:  # a name from the environment: quoted, so it pastes as one argument
        return (run((f"wsl --set-version {shlex.quote(distro)} 2", "CUDA runs only under WSL2"),
                    condition="in Windows PowerShell"),)
    return (run(("wsl --list --verbose", "names this distribution"),
                condition="in Windows PowerShell"),
            say("wsl --set-version with that name and 2 (CUDA runs only under WSL2)",
                condition="then"))


def wsl_cuda_failed(facts: Facts) -> Fixes:
    """CUDA does not start inside WSL2 although the Windows driver answers."""
    fix = wsl_update()
    count = len(facts.driver.gpus)
    if count > 1:
        # microsoft/WSL issue 10269: with four RTX 3090s exposed, cudaGetDeviceCount fails with
        # "out of memory"; any three of them work.
        fix += (run((f"export CUDA_VISIBLE_DEVICES={','.join(str(i) for i in range(count - 1))}",
                     "exposes fewer GPUs: a WSL2 limitation seen with several"),
                    condition=f"if it persists with {count} GPUs exposed"),)
    return fix


def container_gpu_access(facts: Facts) -> Fixes:
    """How a container gets the host's GPUs (NVIDIA Container Toolkit install guide: install the
    toolkit on the host, `nvidia-ctk runtime configure --runtime=docker`, restart docker, then
    `docker run --gpus all`; podman uses CDI: `nvidia-ctk cdi generate` and
    `--device nvidia.com/gpu=all`)."""
    runtime = facts.platform.container
    host = ("on the host, not in this container: install the NVIDIA driver there and the NVIDIA "
            "Container Toolkit (docs.nvidia.com/datacenter/cloud-native/container-toolkit/"
            "latest/install-guide.html)")
    if runtime == "podman":
        return (say(host), run("sudo nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml",
                               condition="then, on the host"),
                say("start the container again with podman run --device nvidia.com/gpu=all",
                    condition="then"))
    if runtime == "kubernetes":
        return (say(f"{host} on the node (or the NVIDIA GPU Operator); request the GPU in the "
                    "pod: resources: limits: nvidia.com/gpu: 1"),)
    return (say(host), run("sudo nvidia-ctk runtime configure --runtime=docker",
                           "sudo systemctl restart docker", condition="then, on the host"),
            say("start the container again with docker run --gpus all", condition="then"))


def driver_mismatch(module: str | None, library: str | None,
                    on_disk: str | None = None) -> Fixes:
    """Packages upgraded while the old module stayed loaded: loading the new module ends it.
    Where the module on disk is a third version (a kernel module and user-space libraries from
    two installs, tinygrad/open-gpu-kernel-modules issue 47), no reboot helps: one driver
    version must be installed for both."""
    if on_disk and library and not _same_version(on_disk, library):
        return (Fix((Step(f"sudo sh NVIDIA-Linux-$(uname -m)-{on_disk}.run --no-kernel-modules",
                          f"the user-space part of {on_disk}, the kernel module on disk"),
                     Step("sudo reboot", "loads that module", reboot=True)),
                    words=f"the kernel module on disk is {on_disk}, the libraries {library}: "
                          f"install one driver version for both; download the {on_disk} "
                          "driver's .run from nvidia.com/drivers into this folder, then"),
                say("reinstall the whole driver from one package (the distribution's or one "
                    ".run), then reboot", condition="or"))
    return (run(Step("sudo reboot", "loads the kernel module that matches the upgraded "
                                    "libraries", reboot=True)),
            run("sudo rmmod nvidia_uvm nvidia_drm nvidia_modeset nvidia", "sudo modprobe nvidia",
                condition="or, with no display server or CUDA program on the GPU"))


def _same_version(a: str, b: str) -> bool:
    """nvidia-smi shortens the library's version ("570.124" for 570.124.04): a prefix matches."""
    short, long = sorted((a, b), key=len)
    return long == short or long.startswith(short + ".")


def gpu_lost(slots: list[str]) -> Fixes:
    """A GPU fallen off the bus (Xid 79): power, heat, the slot or the firmware, not the driver.
    NVIDIA's answer in open-gpu-kernel-modules issue 507: overheating, lack of power or an
    outdated system BIOS; monitor temperatures, reseat the power connectors and the card, check
    the power supply, update the BIOS; issue 387 was "Fixed by reseating GPU"."""
    which = ", ".join(slots) if slots else "the GPU"
    return (run(Step("sudo poweroff", "the machine goes down: nothing after it", reboot=True),
                words=f"power the machine off, reseat {which} in its slot and its power "
                      "connectors, check the power supply and the cooling, update the system "
                      "BIOS, then power on"),
            run(("nvidia-smi --query-gpu=temperature.gpu,power.draw,clocks.sm --format=csv -l 5",
                 "watch it under load"), condition="if it falls off again"))


def visible_devices(value: str, count: int) -> Fixes:
    ids = ",".join(str(i) for i in range(count)) if count else "0"
    return (run(("unset CUDA_VISIBLE_DEVICES", f"it is set to '{value}'")),
            run(f"export CUDA_VISIBLE_DEVICES={ids}", condition="or name GPUs that exist"),
            say("remove the line that sets it (~/.bashrc, the job script) to keep it",
                condition="then"))


def jetson_torch(facts: Facts) -> Fixes:
    """NVIDIA's JetPack build of torch in place of a CPU-only one (tables.JETSON_TORCH_WHEEL)."""
    l4t = facts.platform.jetson_l4t
    jetpack = tables.jetpack_major(l4t)
    wheel = tables.JETSON_TORCH_WHEEL.get(jetpack or 0)
    if wheel is None:
        return (say(f"install NVIDIA's PyTorch build for this JetPack (L4T {l4t or 'unknown'}): "
                    "docs.nvidia.com/deeplearning/frameworks/install-pytorch-jetson-platform; "
                    "the CPU-only torch from PyPI cannot use the Jetson's GPU"),)
    folder, name = wheel
    url = f"https://developer.download.nvidia.com/compute/redist/jp/{folder}/pytorch/{name}"
    blas = "libopenblas-dev" if jetpack and jetpack >= 6 else "libopenblas-base libopenmpi-dev"
    pip = _pip(facts.torch)
    install = run(f"sudo apt-get install -y {blas}", f"{pip} uninstall -y torch",
                  (f"{pip} install --no-cache {url}", "NVIDIA's JetPack build"))
    if jetpack == 4 and tables.version_tuple(l4t.lstrip("Rr") if l4t else None) < (32, 7):
        return (say(f"upgrade JetPack to 4.6.1 or newer (L4T R32.7; this is {l4t}): NVIDIA's "
                    "wheel for JetPack 4 is built on it"),
                Fix(install.steps, "then"))
    return (install,)


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


def _rewrite(fixes_: Fixes, change: Callable[[str], str]) -> Fixes:
    """`fixes_` with every step's command passed through `change`."""
    return tuple(Fix(tuple(Step(change(s.command), s.reason, s.reboot) for s in f.steps),
                     f.condition, f.words) for f in fixes_)


PIP_INSTALL = re.compile(r"^python3? -m pip install ")


def by_installer(facts: Facts, fix: Fixes, build: TorchBuild | None) -> Fixes:
    """The advisor's pip fix, rewritten for the tool that installed the torch found here: conda
    (its own command, or conda's torch removed before pip), uv (`uv pip`), the distribution
    (its package removed, pip's torch in a venv)."""
    installer = facts.torch.installer
    if installer == "uv":
        return _rewrite(fix, lambda c: PIP_INSTALL.sub("uv pip install ", c))
    if installer == "conda":
        command = conda_command(build) if build is not None else None
        first = fix[0].first_command if fix else None
        if command and first and PIP_INSTALL.match(first):
            # Only the first fix installs the chosen build; the others (a driver upgrade for a
            # newer build) keep pip, which conda's channel cannot serve.
            return (*_rewrite(fix[:1], lambda c: command if c == first else c), *fix[1:])
        return (run(("conda remove -y pytorch torchvision torchaudio pytorch-cuda cudatoolkit",
                     "this torch came from conda; PyTorch's conda channel has no newer build")),
                *when("then, in this environment", fix))
    if installer == "distro":
        remove = DISTRO_TORCH.get(facts.os.family)
        venv = run(*([remove] if remove else []), "python3 -m venv ~/torch-venv",
                   (". ~/torch-venv/bin/activate", "pip's torch then installs into it"),
                   words="" if remove else "remove the distribution's torch package, then")
        return (venv, *when("then", _rewrite(fix, lambda c: re.sub(r"\bpython3 -m pip\b",
                                                                  "python -m pip", c))))
    return fix
