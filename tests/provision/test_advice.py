"""The torch advisor (provision/advice.py) against the captures' expert verdicts."""

from __future__ import annotations

import pytest

from provision import fixes
from provision.advice import Machine, advise, required_glibc
from provision.facts import OsFacts
from provision.fix import as_text
from provision.torch_releases import TORCH_BUILDS

FEDORA29 = OsFacts(id="fedora", version_id="29", family="fedora")
CENTOS7 = OsFacts(id="centos", version_id="7", family="rhel")
RHEL74 = OsFacts(id="rhel", version_id="7.4", family="rhel")
JAMMY = OsFacts(id="ubuntu", version_id="22.04", family="debian")
ORACULAR = OsFacts(id="ubuntu", version_id="24.10", family="debian")


def _label(machine: Machine) -> str | None:
    build = advise(machine).build
    return f"{build.torch}+{build.variant}" if build else None


@pytest.mark.parametrize("driver,python", [("410.78", "3.6.8"), ("410.48", "3.7.1")])
def test_gtx1050_on_a_cuda10_driver_gets_the_newest_cu92_build(driver, python):
    # The seed machine (Fedora 29, GTX 1050) and ubuntu1604-8xtitanxp-driver410.48 (6.1 too).
    machine = Machine(driver=driver, capabilities=("6.1",), python=python, os=FEDORA29,
                      glibc="2.28")
    answer = advise(machine)
    assert _label(machine) == "1.7.1+cu92"
    assert answer.command == ("python3 -m pip install torch==1.7.1+cu92 -f "
                              "https://download.pytorch.org/whl/torch_stable.html")
    assert "cu118" not in answer.command and "cu126" not in answer.command
    assert any("1.8.1" in step and "418.39" in step for step in answer.steps)


def test_centos7_gtx1060_driver410_uses_yum_for_the_optional_driver_upgrade():
    # centos74-gtx1060-driver410.48: no torch, no Python version in the capture.
    answer = advise(Machine(driver="410.48", capabilities=("6.1",), os=CENTOS7, glibc="2.17"))
    assert f"{answer.build.torch}+{answer.build.variant}" == "1.7.1+cu92"
    assert "sudo yum install" in as_text(answer.fix()) and "dnf" not in as_text(answer.fix())
    assert answer.better is not None and answer.better.torch == "2.6.0"  # glibc 2.17 caps it


def test_glibc_217_rules_out_manylinux_2_28_wheels():
    # centos7-4xv100pcie32-torch251cu124: 2.6.0+cu124 installs on glibc 2.17, >= 2.7 cannot.
    machine = Machine(driver="550.54.14", capabilities=("7.0",), python="3.10.16", os=CENTOS7,
                      glibc="2.17")
    assert _label(machine) == "2.6.0+cu124"
    assert all(required_glibc(b) == "2.28" for b in TORCH_BUILDS if b.torch.startswith("2.7"))


def test_3090s_with_cu130_on_driver_550_get_a_cu12_build_that_runs_there():
    # The 7x RTX 3090 + driver 550 + torch cu130 machine.
    answer = advise(Machine(driver="550.54.14", capabilities=("8.6",) , python="3.10.12",
                            os=JAMMY, glibc="2.35"))
    assert answer.build.cuda.startswith("12.")
    assert answer.minor_compat and "minor-version compatibility" in answer.steps[-1]
    assert any("cu130" in step and "580.65.06" in step for step in answer.steps)


def test_rtx5090_gets_a_cu128_build_of_torch_27_or_newer():
    # ubuntu2410-rtx5090d-driver570-torch260cu126-sm120-missing (maintainer: CUDA 12.8 needed).
    answer = advise(Machine(driver="570.124.04", capabilities=("12.0",), python="3.12.9",
                            os=ORACULAR, glibc="2.40"))
    assert answer.build.variant == "cu128"
    assert tuple(int(x) for x in answer.build.torch.split(".")) >= (2, 7)
    assert not answer.minor_compat
    assert any("cu126: no kernels for sm_120" in step for step in answer.steps)


def test_p100_driver390_python27_gets_torch_110_cu90():
    # rhel74-2xp100-driver390-cuda91: newest prebuilt is a cu90 build for Python 2.7.
    assert _label(Machine(driver="390.12", capabilities=("6.0",), python="2.7", os=RHEL74,
                          glibc="2.17")) == "1.1.0+cu90"


def test_rtx2080ti_driver430_cpu_torch_gets_the_newest_cu101_build():
    # ubuntu1804-rtx2080ti-driver430-torch131-cpu: 1.8.1+cu101 (cu102 needs 440.33).
    machine = Machine(driver="430.64", capabilities=("7.5",), python="3.7",
                      os=OsFacts(id="ubuntu", version_id="18.04", family="debian"), glibc="2.27")
    assert _label(machine) == "1.8.1+cu101"


def test_h100_pcie_on_driver_535_needs_no_driver_change():
    # ubuntu2204-h100pcie-driver535-torch201cu117-sm90-missing.
    answer = advise(Machine(driver="535.104.12", capabilities=("9.0",), python="3.10.12",
                            os=JAMMY, glibc="2.35"))
    assert answer.build.cuda.startswith("12.") and answer.build.torch >= "2.1"


def test_a100_mig_driver450_gets_a_cu11_build():
    # ubuntu2004-a100sxm4-mig-driver450-torch181cu102-sm80-missing: cu118 with a warning.
    answer = advise(Machine(driver="450.80.02", capabilities=("8.0",), python="3.8"))
    assert answer.build.cuda.startswith("11.") and answer.minor_compat


def test_pascal_never_gets_cu128_or_cu130():
    # ubuntu2004-gtx1080ti-driver515-torch1121cu113: cu128 (2.8+) and cu130 drop sm_61.
    answer = advise(Machine(driver="580.65.06", capabilities=("6.1",), python="3.12"))
    assert answer.build.variant == "cu126"


def test_ptx_only_is_refused_under_minor_version_compatibility():
    # PTX newer than the driver cannot JIT: 2.8.0+cu129 has only PTX 12.0 for sm_121-like
    # parts; on a 12.8 driver that build must not be chosen for a 12.1 GPU.
    answer = advise(Machine(driver="570.26", capabilities=("12.1",), python="3.12"))
    assert answer.build is None or answer.build.variant != "cu129"


def test_no_fit_says_what_to_upgrade_first_with_commands_in_order():
    # Blackwell with a CUDA 10 driver: nothing runs; the driver upgrade comes first (from
    # NVIDIA's repository: 22.04's own archive stops before the 595 branch cu132 wants).
    answer = advise(Machine(driver="410.48", capabilities=("12.0",), python="3.12",
                            os=JAMMY, glibc="2.35"))
    assert answer.build is None and "driver" in answer.better_after
    assert "cuda-drivers" in as_text(answer.upgrades[:1])
    assert answer.upgrades[0].steps[-1].reboot  # the driver ends in its reboot ...
    assert answer.upgrades[-1].condition == "after the reboot"  # ... then torch, on its own
    assert "pip install" in answer.upgrades[-1].steps[-1].command


def test_old_python_gets_an_old_build_and_the_python_upgrade_named():
    answer = advise(Machine(driver="550.54.14", capabilities=("6.1",), python="3.7.1"))
    assert answer.build.torch == "1.13.1"
    assert "Python" in answer.better_after and "uv venv --seed" in as_text(answer.fix())


def test_python_upgrade_uses_uv_and_a_managed_python_not_conda():
    # Runnable without root, conda or a newer system Python: uv's standalone installer, a venv
    # on a uv-managed CPython with pip seeded, then the pip line inside that venv.
    answer = advise(Machine(driver="550.54.14", capabilities=("6.1",), python="3.7.1"))
    python = answer.better_after.removeprefix("Python ")
    venv = f"~/torch-py{python.replace('.', '')}"
    (upgrade,) = answer.better_fixes
    *setup, install = [step.command for step in upgrade.steps]
    assert setup == ['curl -LsSf https://astral.sh/uv/install.sh | env UV_INSTALL_DIR='
                     '"$HOME/.local/bin" sh', f"~/.local/bin/uv venv --seed --python {python} "
                     f"{venv}", f". {venv}/bin/activate"]
    assert install.startswith("python -m pip install torch==")
    assert "conda" not in as_text(answer.fix())


def test_fedora29_gtx750ti_upgrade_path_upgrades_fedora_before_rpm_fusion():
    # fedora29-gtx750ti-driver418-public-no-torch: torch 2.x wants driver 560, which Fedora 29's
    # repositories never carried (end of life 2019-11-26); no conda on the machine.
    answer = advise(Machine(driver="418.56", capabilities=("5.0",), python="3.7.3", os=FEDORA29,
                            glibc="2.28"))
    assert answer.build.variant == "cu101"
    *driver, python = answer.better_fixes
    text = as_text(driver)
    assert "end of life" in text and "akmod-nvidia" in text
    assert text.index("system-upgrade") < text.index("akmod-nvidia")
    assert python.condition == "after the reboot"
    assert "uv venv --seed --python 3.10" in as_text([python])
    assert python.steps[-1].command.startswith("python -m pip")
    assert "conda" not in as_text(answer.fix())


def test_gtx1050_fedora29_upgrade_route_never_installs_a_driver_past_580():
    # The seed machine: Pascal's last branch is 580. Its route ends on Fedora 39, whose
    # repositories stopped (2024-11-26) before 590 was packaged (2025-12-05), so akmod-nvidia
    # there is older than 590; the fix says why instead of naming a 580xx package Fedora 39
    # never had.
    seed = advise(Machine(driver="410.48", capabilities=("6.1",), python="3.7.1", os=FEDORA29,
                          glibc="2.28"))
    *driver, _ = seed.better_fixes
    assert "upgrade Fedora to 39 (29 ->" in driver[0].words  # not past it: no "or newer"
    assert fixes.FEDORA_EOL[39] < fixes.NVIDIA_BRANCH_PACKAGED[590]
    install = driver[-1]
    assert install.condition == "after the reboot into Fedora 39"
    assert [s.command for s in install.steps[1:]] == [
        "sudo dnf install -y akmod-nvidia xorg-x11-drv-nvidia-cuda", "sudo reboot"]
    assert install.steps[1].reason == ("need 560.28.03 or newer; Fedora 39 ended before branch "
                                       "590: its akmod-nvidia stays on 580 or older")
    # The same laptop on a Fedora still updated gets RPM Fusion's 580xx legacy packages.
    current = advise(Machine(driver="410.48", capabilities=("6.1",), python="3.12.4",
                             os=OsFacts(id="fedora", version_id="43", family="fedora")))
    text = as_text(current.upgrades + current.better_fixes)
    assert "akmod-nvidia-580xx xorg-x11-drv-nvidia-580xx-cuda" in text
    assert "akmod-nvidia " not in text


def test_kepler_driver_upgrade_stops_at_470_through_minor_version_compatibility():
    # A Tesla K80 (3.7): CUDA 11.8 wants 520 natively, past Kepler's last branch 470; from 450.80.02
    # it runs through minor-version compatibility, so that is the driver asked for.
    answer = advise(Machine(driver="418.39", capabilities=("3.7",), python="3.9", os=JAMMY,
                            glibc="2.35"))
    assert answer.better.variant == "cu118" and "450.80.02" in answer.better_after
    assert [s.command for s in answer.better_fixes[0].steps] == [
        "sudo apt-get update", "sudo ubuntu-drivers install nvidia:470", "sudo reboot"]
    no_driver = advise(Machine(capabilities=("3.7",), python="3.9", os=JAMMY, glibc="2.35"))
    assert no_driver.build.variant == "cu118" and no_driver.minor_compat
    assert "nvidia:470" in as_text(no_driver.upgrades)
    assert "no NVIDIA driver" not in as_text(no_driver.fix())


def test_cpu_machine_gets_a_cpu_build_and_json_carries_the_reasoning():
    answer = advise(Machine(python="3.11"))
    assert answer.build.variant == "cpu"
    assert set(answer.to_dict()) >= {"build", "command", "steps", "upgrades"}
