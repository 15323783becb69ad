"""The torch advisor: which PyTorch wheel fits this machine, or what to upgrade first.

Given the driver, every GPU's compute capability, the Python version, the OS (glibc) and the
CPU architecture, walk `torch_releases.TORCH_BUILDS` newest first and take the newest release
with a build that
  (a) the driver runs: its CUDA runtime needs at most the installed driver (CUDA release notes,
      table 3), or, from CUDA 11 on, the driver is at least the major's minor-version
      compatibility floor (table 2) - then it runs without PTX JIT of newer code;
  (b) carries SASS for every GPU, or PTX the driver can JIT (never under minor-version
      compatibility, where the driver cannot JIT the newer PTX);
  (c) is published for this Python and CPU, and installs on this glibc.
Within that release a build the driver runs natively is preferred. When nothing fits, say
whether a driver or a Python upgrade opens the newest build, with the commands in order.
Every torch-related fix of the doctor (checks/torchbuild.py, checks/cuda.py) uses `advise`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from provision import platform_fixes, tables
from provision.facts import Facts, OsFacts
from provision.fix import Fix, Fixes, fixes_to_json, run, say, when
from provision.torch_releases import TORCH_BUILDS, TorchBuild, install_command, kernels_for

# Distribution release -> its glibc (os-release id, VERSION_ID major or major.minor). Source:
# each release's glibc package (packages.ubuntu.com libc6, packages.debian.org libc6, the
# RHEL/CentOS/Rocky and Fedora glibc rpm); the captures' collect_env "Libc version" agree
# (CentOS 7: 2.17, Rocky 8.6: 2.28, EL9: 2.34, Ubuntu 20.04: 2.31, 22.04: 2.35, 24.04: 2.39,
# 24.10: 2.40).
GLIBC: dict[tuple[str, str], str] = {
    ("centos", "7"): "2.17", ("rhel", "7"): "2.17",
    ("centos", "8"): "2.28", ("rhel", "8"): "2.28", ("rocky", "8"): "2.28",
    ("almalinux", "8"): "2.28",
    ("centos", "9"): "2.34", ("rhel", "9"): "2.34", ("rocky", "9"): "2.34",
    ("almalinux", "9"): "2.34",
    ("ubuntu", "16.04"): "2.23", ("ubuntu", "18.04"): "2.27", ("ubuntu", "20.04"): "2.31",
    ("ubuntu", "22.04"): "2.35", ("ubuntu", "24.04"): "2.39", ("ubuntu", "24.10"): "2.40",
    ("debian", "9"): "2.24", ("debian", "10"): "2.28", ("debian", "11"): "2.31",
    ("debian", "12"): "2.36",
    ("fedora", "29"): "2.28",
}

# glibc a wheel's build platform demands. x86_64: up to 2.5, and the 2.6 cu118/cu124/cpu wheels,
# were built on manylinux2014, glibc 2.17 (PyPI torch-2.6.0-cp311-cp311-manylinux1_x86_64.whl in
# astral-sh/uv#11406; torch-2.6.0+cu124-cp310-cp310-linux_x86_64.whl in pytorch/pytorch#140797).
# The 2.6 cu126 wheels were the first manylinux_2_28 ones (glibc 2.28;
# torch-2.6.0+cu126-cp310-cp310-manylinux_2_28_x86_64.whl, flashinfer-ai/flashinfer#985) and from
# 2.7 all are (PyPI torch-2.7.1-cp312-cp312-manylinux_2_28_x86_64.whl; 2.7.0+cu128 in NixOS/nixpkgs
# pkgs/development/python-modules/torch/bin/binary-hashes.nix). aarch64 moved a release earlier:
# 2.5.1 is manylinux2014_aarch64 (the /whl/cpu link in the torch_npu 2.5.1 install guide), 2.6.0
# manylinux_2_28_aarch64 (astral-sh/uv#11406). Policy: the
# PyTorch 2.6 release blog (CUDA 12.6.3, aarch64, ROCm and XPU builds on Manylinux 2.28; every
# Linux build from 2.7) and RFC pytorch/pytorch#123649. vllm-project/vllm#18603 shows 2.6.0+cu124
# installed on CentOS 7 (glibc 2.17).
def required_glibc(build: TorchBuild) -> str:
    version = tables.version_tuple(build.torch) or (0,)
    if version >= (2, 7):
        return "2.28"
    if version[:2] == (2, 6) and (build.variant == "cu126" or build.machine == "aarch64"):
        return "2.28"
    return "2.17"


@dataclass(frozen=True)
class Machine:
    """What the advisor needs to know; None where the machine did not say."""

    driver: str | None = None
    capabilities: tuple[str, ...] = ()  # one per GPU present
    unknown_gpus: int = 0  # GPUs whose capability is unknown
    python: str | None = None
    os: OsFacts = field(default_factory=OsFacts)
    glibc: str | None = None
    arch: str = "x86_64"
    driver_elsewhere: str | None = None  # WSL2 | container | Jetson: no Linux driver install

    @property
    def has_gpu(self) -> bool:
        return bool(self.capabilities) or self.unknown_gpus > 0

    @property
    def driver_ceiling(self) -> int | None:
        """The newest driver branch every known GPU runs (tables.LAST_DRIVER_BRANCH)."""
        return tables.driver_branch_ceiling(self.capabilities)


@dataclass
class TorchAdvice:
    """The answer: a build and its install command, or no fit and the upgrades in order."""

    build: TorchBuild | None
    command: str | None
    minor_compat: bool = False  # the chosen build runs only through minor-version compat
    steps: list[str] = field(default_factory=list)  # the reasoning, newest build first
    upgrades: Fixes = ()  # the fixes, in order, when nothing fits
    better: TorchBuild | None = None  # a newer build an upgrade would open
    better_after: str = ""  # what that upgrade is, in words
    better_fixes: Fixes = ()  # the upgrade, then the newer build's install

    @property
    def summary(self) -> str:
        if self.build is None:
            return "no published torch wheel fits this machine; " + (
                f"upgrade {self.better_after} first" if self.better_after else "see the reasons")
        how = " (through CUDA minor-version compatibility)" if self.minor_compat else ""
        return f"torch {label(self.build)}{how}: {self.command}"

    def fix(self) -> Fixes:
        """The fixes a check shows: the install command, then (an alternative) the upgrade to a
        newer build; or, when nothing fits, the upgrades in order."""
        if self.build is None:
            return self.upgrades or (say(self.summary),)
        main = run(self.command or "")
        if self.better is not None and self.better_fixes:
            return (main, *when(f"or, for torch {label(self.better)}, upgrade "
                                f"{self.better_after} first", self.better_fixes))
        return (main,)

    def to_dict(self) -> dict[str, Any]:
        def build_dict(b: TorchBuild | None) -> dict[str, Any] | None:
            if b is None:
                return None
            return {"torch": b.torch, "variant": b.variant, "cuda": b.cuda,
                    "machine": b.machine, "source": b.source}
        return {"build": build_dict(self.build), "command": self.command,
                "minor_compat": self.minor_compat, "summary": self.summary,
                "steps": list(self.steps), "upgrades": fixes_to_json(self.upgrades),
                "better": build_dict(self.better), "better_after": self.better_after,
                "better_fixes": fixes_to_json(self.better_fixes)}


def label(build: TorchBuild) -> str:
    return f"{build.torch}+{build.variant}"


def _v(text: str | None) -> tuple[int, ...]:
    return tables.version_tuple(text) or ()


def _py(version: str | None) -> str | None:
    parts = _v(version)
    return f"{parts[0]}.{parts[1]}" if len(parts) >= 2 else None


def driver_need(build: TorchBuild) -> tuple[str | None, str | None]:
    """(driver that runs the build natively, lowest driver through minor compat or None)."""
    native = tables.min_driver_for_cuda(build.cuda)
    major = _v(build.cuda)[:1]
    floor = tables.CUDA_MINOR_COMPAT_DRIVER.get(major[0]) if major and major[0] >= 11 else None
    return native, floor


def _driver_verdict(build: TorchBuild, driver: str | None,
                    ceiling: int | None = None) -> tuple[bool, bool, str]:
    """(runs, through minor compat, reason when it does not). Without a driver, the build is
    judged by the driver upgrade the advice names, which stops at the GPUs' last branch."""
    if build.cuda is None:
        return True, False, ""
    native, floor = driver_need(build)
    if native is None:
        return False, False, f"CUDA {build.cuda}'s minimum driver is unknown"
    if driver is None and ceiling and _v(native)[0] > ceiling:
        if floor and _v(floor)[0] <= ceiling:
            return True, True, ""
        return False, False, (f"CUDA {build.cuda} needs driver {floor or native}, past branch "
                              f"{ceiling}, the last for these GPUs")
    if driver is None:
        return True, False, ""
    have = _v(driver)
    if have >= _v(native):
        return True, False, ""
    if floor and have >= _v(floor):
        return True, True, ""
    lowest = floor or native
    return False, False, f"CUDA {build.cuda} needs driver {lowest}, found {driver}"


def _gpu_verdict(build: TorchBuild, machine: Machine, minor: bool) -> str:
    """Why the build cannot serve every GPU, or ""."""
    if build.cuda is None:
        return ""
    for cap in machine.capabilities:
        kind = kernels_for(build, cap)
        if kind is None:
            return f"no kernels for sm_{cap.replace('.', '')}"
        if kind == "ptx" and not tables.cuda_knows(build.cuda, cap):
            return (f"only PTX for sm_{cap.replace('.', '')}, which CUDA {build.cuda} and its "
                    "libraries predate")
        if kind == "ptx" and minor:
            return (f"only PTX for sm_{cap.replace('.', '')}, which a driver older than CUDA "
                    f"{build.cuda} cannot JIT")
    return ""


def _reasons(build: TorchBuild, machine: Machine, *, ignore_driver: bool = False,
             ignore_python: bool = False) -> tuple[list[str], bool]:
    """(every reason `build` does not fit, whether it would run through minor compat)."""
    reasons: list[str] = []
    runs, minor, why = _driver_verdict(build, None if ignore_driver else machine.driver,
                                       machine.driver_ceiling)
    if not runs:
        reasons.append(why)
    if (gpu := _gpu_verdict(build, machine, minor)):
        reasons.append(gpu)
    python = _py(machine.python)
    if not ignore_python and python and python not in build.pythons:
        reasons.append(f"no wheel for Python {python} (has {build.pythons[0]}-"
                       f"{build.pythons[-1]})")
    need_glibc = required_glibc(build)
    if machine.glibc and _v(machine.glibc) < _v(need_glibc):
        reasons.append(f"wheel needs glibc {need_glibc}, this system has {machine.glibc}")
    return reasons, minor


def _candidates(machine: Machine) -> list[TorchBuild]:
    arch = "aarch64" if machine.arch in ("aarch64", "arm64") else "x86_64"
    want_cuda = machine.has_gpu
    return [b for b in TORCH_BUILDS
            if b.machine == arch and (b.cuda is not None) == want_cuda]


def _newest_fit(machine: Machine, **ignore: bool) -> tuple[TorchBuild | None, bool]:
    """The newest release's best fitting build (native preferred), and its minor-compat flag."""
    fitting: list[tuple[TorchBuild, bool]] = []
    for build in _candidates(machine):
        if fitting and build.torch != fitting[0][0].torch:
            break
        reasons, minor = _reasons(build, machine, **ignore)
        if not reasons:
            fitting.append((build, minor))
    if not fitting:
        return None, False
    native = [item for item in fitting if not item[1]]
    return (native or fitting)[0]


def advise(machine: Machine, python_cmd: str = "python3") -> TorchAdvice:
    """The newest torch build for `machine`, with the reasons newer ones were rejected."""
    steps: list[str] = []
    if machine.unknown_gpus:
        steps.append(f"{machine.unknown_gpus} GPU(s) of unknown compute capability: kernels "
                     "for them are not checked")
    if machine.has_gpu and machine.driver is None:
        last = machine.driver_ceiling
        steps.append("no NVIDIA driver answered: builds are judged by their own driver need"
                     + (f", up to branch {last}, the GPUs' last" if last else ""))
    chosen, minor = _newest_fit(machine)
    rejected_release = ""
    for build in _candidates(machine):
        if chosen is not None and _v(build.torch) < _v(chosen.torch):
            break
        reasons, _ = _reasons(build, machine)
        if not reasons:  # the chosen build, or a sibling variant that fits as well
            continue
        if build.torch != rejected_release:
            steps.append(f"torch {build.torch}:")
            rejected_release = build.torch
        steps[-1] += f" {build.variant}: {', '.join(reasons)};"
    steps = [s.rstrip(";") for s in steps]
    advice = TorchAdvice(build=chosen, command=None, minor_compat=minor, steps=steps)
    if chosen is not None:
        advice.command = install_command(chosen, python_cmd)
        native, _ = driver_need(chosen)
        on = machine.driver or f"branch {machine.driver_ceiling}, the GPUs' last,"
        how = (f"runs on driver {on} through CUDA minor-version compatibility "
               f"(CUDA {chosen.cuda} wants {native}): no PTX JIT of newer code"
               if minor else "runs natively" if chosen.cuda else "CPU build")
        if minor and len(machine.capabilities) > 1:
            how += "; multi-GPU libraries (NCCL) may need the full driver"
        steps.append(f"chosen: torch {label(chosen)}, {how}")
        if machine.has_gpu and machine.driver is None and chosen.cuda:
            advice.upgrades = platform_fixes.driver_upgrade(
                machine.driver_elsewhere, machine.os, min_version=_driver_to_ask(chosen, machine),
                max_branch=machine.driver_ceiling)
    _add_upgrade_path(advice, machine)
    return advice


def _driver_to_ask(build: TorchBuild, machine: Machine) -> str | None:
    """The driver an upgrade asks for: the one that runs `build` natively or, where that is past
    the GPUs' last branch, the minor-version compatibility floor (_driver_verdict)."""
    native, floor = driver_need(build)
    ceiling = machine.driver_ceiling
    return floor if ceiling and native and floor and _v(native)[0] > ceiling else native


def _python_upgrade(build: TorchBuild) -> tuple[str, Fix]:
    python = build.pythons[-1] if build.torch.startswith("1.") else build.pythons[0]
    # uv and its managed Pythons: no root, no conda, no newer system Python, any Linux with glibc
    # 2.17 or newer; the pip line then runs inside the venv. Sources: uv's installer is
    # `curl -LsSf https://astral.sh/uv/install.sh | sh` (docs/getting-started/installation.md) and
    # installs to ~/.local/bin unless XDG_BIN_HOME is set, UV_INSTALL_DIR choosing the place
    # (docs/configuration/installer.md; pinned here so ~/.local/bin/uv is where it lands);
    # `--python 3.10` downloads a managed Python when none is found (docs/concepts/
    # python-versions.md: "downloading and installing it if necessary"); `--seed` installs pip
    # into the venv (uv venv --help: "Install seed packages (one or more of: pip, setuptools, and
    # wheel)", quoted in astral-sh/uv#17669). glibc: managed CPython comes from
    # python-build-standalone, "The minimum glibc version required for most targets is 2.17"
    # (astral-sh/python-build-standalone docs/running.rst); the installer takes uv's glibc build
    # from glibc 2.17 (2.28 on aarch64) and its static musl build below that (astral-sh/uv#11948,
    # min-glibc-version; astral-sh/uv#8549). Every Python this picks is 3.7 or newer; managed
    # downloads go back to CPython 3.7.9 (cpython-3.7.9-linux-x86_64-gnu in uv download lists
    # that public tests quote; uv's download-metadata.json itself not read).
    venv = f"~/torch-py{python.replace('.', '')}"
    return (f"Python {python}",
            run(('curl -LsSf https://astral.sh/uv/install.sh | env UV_INSTALL_DIR="$HOME/.local/'
                 'bin" sh', f"uv, which brings Python {python} without root"),
                f"~/.local/bin/uv venv --seed --python {python} {venv}",
                (f". {venv}/bin/activate", "torch then installs into this environment"),
                install_command(build, "python")))


def _add_upgrade_path(advice: TorchAdvice, machine: Machine) -> None:
    """A newer build that a driver and/or Python upgrade would open, with commands in order."""
    if not machine.has_gpu:
        return
    by_driver, _ = _newest_fit(machine, ignore_driver=True)
    by_python, _ = _newest_fit(machine, ignore_python=True)
    by_both, _ = _newest_fit(machine, ignore_driver=True, ignore_python=True)
    current = _v(advice.build.torch) if advice.build else ()
    options = []
    for build, what in ((by_driver, "driver"), (by_python, "python"), (by_both, "both")):
        if build is not None and _v(build.torch) > current:
            options.append((build, what))
    if not options:
        if advice.build is None:
            advice.steps.append("no build fits even after a driver or Python upgrade "
                                "(GPU architecture, CPU or glibc)")
        return
    # The single upgrade that opens the newest build; Python first on a tie (no reboot, no root).
    rank = {"python": 0, "driver": 1, "both": 2}
    build, what = max(options, key=lambda o: (_v(o[0].torch), -rank[o[1]]))
    driver: Fixes = ()
    words = []
    if what in ("driver", "both"):
        native = _driver_to_ask(build, machine)
        driver = platform_fixes.driver_upgrade(machine.driver_elsewhere, machine.os,
                                               min_version=native,
                                               max_branch=machine.driver_ceiling)
        words.append(f"the driver (to {native} or newer)")
    if what in ("python", "both"):
        py_words, torch_fix = _python_upgrade(build)
        words.append(py_words)
    else:
        torch_fix = run(install_command(build, "python3"))
    # After a driver that ends in a reboot, the torch install is a fix of its own.
    rebooted = bool(driver and driver[-1].steps and driver[-1].steps[-1].reboot)
    upgrade = (*driver, *(when("after the reboot", (torch_fix,)) if rebooted else (torch_fix,)))
    advice.better, advice.better_after, advice.better_fixes = build, " and ".join(words), upgrade
    if advice.build is None:
        advice.upgrades = upgrade
        advice.steps.append(f"after upgrading {advice.better_after}: torch {label(build)}")
    else:
        advice.steps.append(f"upgrading {advice.better_after} would open torch {label(build)}")


# --------------------------------------------------------------------------- from Facts
def gpu_capabilities(facts: Facts) -> tuple[list[str], int]:
    """(compute capability of every GPU known, how many GPUs have none): torch's devices, the
    driver's GPUs (its answer, else the name), else the PCI bus (name, then device id)."""
    if facts.torch.devices and all(d.capability for d in facts.torch.devices):
        return [d.capability for d in facts.torch.devices if d.capability], 0
    ids = [g.device_id for g in facts.pci_gpus]
    caps: list[str] = []
    unknown = 0
    if facts.driver.gpus:
        for i, gpu in enumerate(facts.driver.gpus):
            device = ids[i] if i < len(ids) and len(ids) == len(facts.driver.gpus) else None
            cap = gpu.compute_capability or tables.compute_capability_for(gpu.name, device)
            caps.append(cap) if cap else None
            unknown += cap is None
        return caps, unknown
    for pci in facts.pci_gpus:
        cap = tables.compute_capability_for(pci.name, pci.device_id)
        caps.append(cap) if cap else None
        unknown += cap is None
    return caps, unknown


def driver_ceiling(facts: Facts) -> int | None:
    """The newest driver branch every GPU `facts` knows of runs, or None (no limit)."""
    return tables.driver_branch_ceiling(gpu_capabilities(facts)[0])


def glibc_for(os_: OsFacts) -> str | None:
    version = os_.version_id or ""
    for key in (version, version.split(".")[0]):
        if (found := GLIBC.get((os_.id or "", key))):
            return found
    return None


def machine_from_facts(facts: Facts) -> Machine:
    caps, unknown = gpu_capabilities(facts)
    arch = facts.os.arch or "x86_64"
    return Machine(driver=facts.driver.version, capabilities=tuple(dict.fromkeys(caps)),
                   unknown_gpus=unknown, python=facts.python.version, os=facts.os,
                   glibc=glibc_for(facts.os), arch=arch,
                   driver_elsewhere=platform_fixes.driver_elsewhere(facts.platform))


def advise_facts(facts: Facts) -> TorchAdvice:
    """`advise` for the machine `facts` describes."""
    return advise(machine_from_facts(facts))
