"""Issue 20's replays (machines/*/PROVENANCE.md, built by _stub/make_platform_replays.py from
public threads): WSL2, containers, a driver mid-upgrade, ROCm, Jetson, a GPU fallen off the bus,
the user's environment and distribution families. For each, what an expert concludes is checked
against what the doctor says, and no fix may be one that cannot run there."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

import pytest

from provision.fix import as_text, fixes_from_json

from .conftest import MACHINES, run_replay

GPU_STACK = ("nvidia.", "cuda.", "torch.")
# A Linux NVIDIA driver installed by a fix: never inside WSL2, a container or on a Jetson, and
# never for a GPU that fell off the bus.
LINUX_DRIVER = re.compile(r"ubuntu-drivers|install -y (?:linux-headers\S* )?nvidia-driver|"
                          r"cuda-drivers|akmod-nvidia|nvidia-driver:|nvidia-open|"
                          r"install-new-recommends|system76-driver-nvidia|x11-video-nvidia|"
                          r"nvidia-\d+xx-dkms|cuda_\*\.run|install NVIDIA's proprietary driver")
PACKAGE_TOOLS = {"apt": "apt-get ", "yum": "yum ", "dnf": "dnf ", "zypper": "zypper ",
                 "pacman": "pacman "}


@dataclass
class Expert:
    worked: bool  # no failure among the GPU stack's checks where the machine did its work
    manager: str | None  # the family's package manager; None: unknown family, words only
    fails: dict[str, tuple[str, ...]] = field(default_factory=dict)  # check -> words it says
    sound: tuple[str, ...] = ()  # checks that must not fail
    fix_has: dict[str, tuple[str, ...]] = field(default_factory=dict)  # check -> fix words
    no_linux_driver: bool = True  # no fix installs a Linux NVIDIA driver
    # Only these checks' fixes (empty: every check's). A lost GPU or a mismatch is fixed without
    # a driver install, while a torch build's optional driver upgrade can still run there.
    driver_free: tuple[str, ...] = ()
    says: tuple[str, ...] = ()  # words some check's summary must hold
    never_says: tuple[str, ...] = ()  # words no summary may hold


EXPERTS: dict[str, Expert] = {
    "wsl2-ubuntu2204-4xrtx3090-torch201cu118-oom": Expert(
        False, "apt", fails={"torch.cuda": ("WSL2", "out of memory")},
        sound=("nvidia.driver", "nvidia.gpu", "torch.build", "cuda.driver_compat"),
        fix_has={"torch.cuda": ("wsl --update", "CUDA_VISIBLE_DEVICES=0,1,2")},
        says=("WSL2", "Windows NVIDIA driver 536.67")),
    "wsl2-ubuntu2204-rtx2080ti-driver531-no-torch": Expert(
        False, "apt", fails={"torch.build": ("not installed",)},
        sound=("nvidia.driver", "nvidia.gpu", "nvidia.nouveau", "nvidia.secure_boot",
               "cuda.driver_compat"), says=("WSL2", "531.29")),
    "docker-nogpu-2xv100-driver435-torch140cu101": Expert(
        False, "apt", fails={"os.platform": ("container without GPU access",),
                             "torch.cuda": ("container",)},
        sound=("nvidia.driver", "torch.build"),
        fix_has={"os.platform": ("docker run --gpus all", "NVIDIA Container Toolkit")}),
    "docker-nogpu-cuda1151-base-ubuntu2004": Expert(
        False, "apt", fails={"os.platform": ("container without GPU access",),
                             "torch.cuda": ("container",)},
        sound=("nvidia.driver", "torch.build"),
        fix_has={"os.platform": ("docker run --gpus all", "on the host")}),
    "mismatch-ubuntu2004-driver460-unattended-upgrade": Expert(
        False, "apt", fails={"nvidia.driver": ("mismatch", "460.56", "460.73.01")},
        fix_has={"nvidia.driver": ("sudo reboot",)}, driver_free=("nvidia.driver",)),
    "mismatch-ubuntu2204-driver570-p2p-module": Expert(
        False, "apt", fails={"nvidia.driver": ("mismatch", "570.124.06", "570.124.04")},
        fix_has={"nvidia.driver": ("one driver version for both", "--no-kernel-modules")},
        driver_free=("nvidia.driver",)),
    "rocm-ubuntu1804-vega20-torch170rocm37": Expert(
        True, "apt", sound=("torch.build", "torch.cuda"), says=("ROCm", "HIP", "AMD GPU"),
        never_says=("CPU-only", "CPU only")),
    "rocm-gentoo-rx5700xt-torch270dev-rocm63": Expert(
        True, None, sound=("torch.build", "torch.cuda"), says=("ROCm", "AMD Radeon RX 5700 XT"),
        never_says=("CPU-only", "CPU only")),
    "jetson-nano-jp44-l4t3243-torch-cpu": Expert(
        False, "apt", fails={"torch.build": ("CPU-only", "Jetson")},
        sound=("nvidia.gpu", "nvidia.driver"),
        fix_has={"torch.build": ("JetPack to 4.6.1", "jp/v461/pytorch/")},
        says=("Jetson Nano", "R32.4.3", "5.3"), never_says=("No NVIDIA GPU",)),
    "jetson-orin-r364-container-torch290cpu": Expert(
        False, "apt", fails={"torch.build": ("CPU-only", "Jetson")},
        sound=("os.platform", "nvidia.gpu", "nvidia.driver"),
        fix_has={"torch.build": ("jp/v60/pytorch/",)}, says=("R36.4.3",),
        never_says=("No NVIDIA GPU", "without GPU access")),
    "grace-gb200-aarch64-torch291-cpu": Expert(
        False, "apt", fails={"torch.build": ("CPU-only",)},
        sound=("nvidia.driver", "nvidia.gpu", "os.platform"),
        fix_has={"torch.build": ("--index-url https://download.pytorch.org/whl/cu",)},
        no_linux_driver=False, never_says=("L4T", "JetPack")),
    "offbus-opensuse152-4xrtx2080ti-driver520": Expert(
        False, "zypper", fails={"nvidia.driver": ("0000:0b:00.0", "fell off the bus")},
        fix_has={"nvidia.driver": ("reseat", "power supply")},
        driver_free=("nvidia.driver", "gpu.xid")),
    "offbus-gentoo-rtx3070ti-laptop-driver530-xid79": Expert(
        False, None, fails={"nvidia.driver": ("fell off the bus",), "gpu.xid": ("79",)},
        fix_has={"nvidia.driver": ("reseat", "cooling", "BIOS")},
        driver_free=("nvidia.driver", "gpu.xid")),
    "cvd-empty-centos7-4xrtx2080ti-torch140cu101": Expert(
        False, "yum", fails={"torch.cuda": ("CUDA_VISIBLE_DEVICES", "hides every GPU")},
        sound=("nvidia.driver", "nvidia.gpu", "torch.build", "cuda.driver_compat"),
        fix_has={"torch.cuda": ("unset CUDA_VISIBLE_DEVICES",)}, no_linux_driver=False),
    "conda-cpuonly-ubuntu1604-torch140": Expert(
        False, "apt", fails={"torch.build": ("CPU-only",)}, sound=("nvidia.driver",),
        fix_has={"torch.build": ("conda install -y pytorch==", "-c pytorch")},
        no_linux_driver=False),
    "pop2404-rtx4070laptop-driver580-no-torch": Expert(
        False, "apt", fails={"torch.build": ("not installed",)},
        sound=("nvidia.driver", "nvidia.gpu", "cuda.driver_compat"), no_linux_driver=False),
}
NAMES = sorted(EXPERTS)


@functools.cache
def doctor(name: str) -> dict:
    return run_replay(name)[1]


def checks(name: str) -> dict[str, dict]:
    """Each check's JSON, with "fix" added: its fixes as the text a person reads."""
    return {check["id"]: {**check, "fix": as_text(fixes_from_json(check))}
            for check in doctor(name)["checks"]}


def test_every_replay_has_its_provenance_and_at_least_two_per_class():
    for name in NAMES:
        provenance = (MACHINES / name / "PROVENANCE.md").read_text()
        assert "## Verbatim" in provenance and "## Derived" in provenance, name
        assert "https://github.com/" in provenance, name
    for prefix in ("wsl2-", "docker-", "mismatch-", "rocm-", ("jetson-", "grace-"), "offbus-"):
        assert sum(n.startswith(prefix) for n in NAMES) >= 2, prefix
    assert sum(n.startswith(("cvd-", "conda-")) or "CUDA_VISIBLE_DEVICES" in
               ((MACHINES / n / "env.txt").read_text() if (MACHINES / n / "env.txt").exists()
                else "") for n in NAMES) >= 2


@pytest.mark.parametrize("name", NAMES)
def test_the_real_problem_is_named_and_nothing_false(name):
    expert, got = EXPERTS[name], checks(name)
    if expert.worked:
        failed = {i: c["summary"] for i, c in got.items()
                  if c["status"] == "fail" and i.startswith(GPU_STACK)}
        assert not failed, f"{name} worked, yet: {failed}"
    for check_id, words in expert.fails.items():
        assert got[check_id]["status"] == "fail", got[check_id]
        for word in words:
            assert word.lower() in got[check_id]["summary"].lower(), (word, got[check_id])
    for check_id in expert.sound:
        assert got[check_id]["status"] != "fail", got[check_id]
    for check_id, words in expert.fix_has.items():
        for word in words:
            assert word in got[check_id]["fix"], (word, got[check_id]["fix"])
    summaries = " ".join(c["summary"] for c in got.values())
    for word in expert.says:
        assert word in summaries, f"{name}: no check says {word!r}"
    for word in expert.never_says:
        assert word not in summaries, f"{name}: a check says {word!r}"


@pytest.mark.parametrize("name", NAMES)
def test_no_fix_that_cannot_run_there(name):
    """No Linux driver inside WSL2, a container, on a Jetson or for a lost GPU; the family's
    package manager only (none at all for a family the doctor does not know); no pip over a
    conda torch."""
    expert, got = EXPERTS[name], checks(name)
    fixes = [c["fix"] for c in got.values() if c["fix"]]
    for check_id, check in got.items():
        fix = check["fix"]
        if expert.no_linux_driver and (not expert.driver_free or check_id in expert.driver_free):
            for part in re.split(r"; |&& ", fix):
                assert not LINUX_DRIVER.search(part), f"{name}: {fix}"
    for fix in fixes:
        others = [tool for key, tool in PACKAGE_TOOLS.items() if key != expert.manager]
        for tool in others:
            assert f"sudo {tool}" not in fix, f"{name} ({expert.manager}) is told: {fix}"
    if (MACHINES / name / "env.txt").exists() and "CONDA_PREFIX" in \
            (MACHINES / name / "env.txt").read_text():
        for check in doctor(name)["checks"]:
            elsewhere = False  # a new venv, or conda's torch removed, since this alternative began
            for fix in fixes_from_json(check):
                if fix.condition.startswith("or"):
                    elsewhere = False
                for step in fix.steps:
                    elsewhere |= "uv venv" in step.command or "conda remove" in step.command
                    assert "pip install torch" not in step.command or elsewhere, \
                        f"{name}: pip over conda's torch: {as_text(fixes_from_json(check))}"


def test_aarch64_server_gets_an_aarch64_cuda_wheel_not_jetpacks():
    fix = checks("grace-gb200-aarch64-torch291-cpu")["torch.build"]["fix"]
    assert "jp/v" not in fix and "x86_64" not in fix
    assert re.search(r"pip install torch==2\.\d+\.\d+ --index-url \S+/whl/cu1[23]\d", fix), fix


def test_conda_torch_fix_is_conda_and_pip_torch_fix_is_pip():
    check = checks("conda-cpuonly-ubuntu1604-torch140")["torch.build"]
    first = fixes_from_json(check)[0]
    assert [s.command for s in first.steps] == \
        ["conda install -y pytorch==1.7.1 cudatoolkit=9.2 -c pytorch"]
    cvd = checks("cvd-empty-centos7-4xrtx2080ti-torch140cu101")
    assert cvd["torch.cuda"]["fix"].startswith("unset CUDA_VISIBLE_DEVICES")
