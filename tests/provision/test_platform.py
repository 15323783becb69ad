"""Where the doctor runs (WSL2, containers, Jetson, ROCm), a driver mid-upgrade, a GPU fallen
off the bus, the user's environment and how torch was installed: probes on built roots, checks on
built Facts."""

from __future__ import annotations

from pathlib import Path

import pytest

from provision import platform_fixes
from provision.checks import ordered_checks
from provision.facts import (
    AmdGpu,
    DriverFacts,
    Facts,
    GpuInfo,
    GpuWorkFacts,
    GpuWorkResult,
    OsFacts,
    PciGpu,
    PlatformFacts,
    TorchDevice,
    TorchFacts,
    XidEvent,
    XidFacts,
)
from provision.fix import as_text, commands, fixes_from_json, run
from provision.probes import nvidia, platform, system, torchinfo
from provision.profile import Profile
from provision.torch_releases import TORCH_BUILDS


def _write(root: Path, path: str, text: str = "") -> None:
    target = root / path.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)


def fix_text(check: dict) -> str:
    return as_text(fixes_from_json(check))


def _checks(facts: Facts) -> dict[str, dict]:
    return {cid: fn(facts, Profile()).to_dict() for cid, fn in ordered_checks()}


# ------------------------------------------------------------------ probes
def test_wsl2_from_kernel_and_windows_libraries(tmp_path, monkeypatch):
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    _write(tmp_path, "/usr/lib/wsl/lib/libcuda.so.1")
    facts = platform.probe_platform(tmp_path, "5.15.167.4-microsoft-standard-WSL2")
    assert facts.wsl == "WSL2" and facts.wsl_libcuda == ["libcuda.so.1"]
    assert facts.container is None and facts.jetson_l4t is None
    assert platform.probe_platform(tmp_path / "none", "4.4.0-19041-Microsoft").wsl == "WSL1"
    assert platform.probe_platform(tmp_path / "none", "6.8.0-45-generic").wsl is None


@pytest.mark.parametrize(("path", "text", "runtime"), [
    ("/.dockerenv", "", "docker"),
    ("/run/.containerenv", "engine=\"podman-4.9.3\"\n", "podman"),
    ("/proc/1/cgroup", "0::/kubepods/burstable/pod1f2/3a9c\n", "kubernetes"),
    ("/proc/1/cgroup", "12:devices:/docker/5b1c2d\n", "docker"),
])
def test_container_runtime_from_its_traces(tmp_path, path, text, runtime):
    _write(tmp_path, path, text)
    assert platform.probe_platform(tmp_path, None).container == runtime


def test_bare_machine_cgroup_is_no_container(tmp_path):
    _write(tmp_path, "/proc/1/cgroup", "0::/init.scope\n")
    assert platform.probe_platform(tmp_path, None).container is None


def test_jetson_release_and_model(tmp_path):
    _write(tmp_path, "/etc/nv_tegra_release",
           "# R35 (release), REVISION: 4.1, GCID: 33958178, BOARD: t186ref, EABI: aarch64\n")
    _write(tmp_path, "/proc/device-tree/model", "NVIDIA Jetson AGX Orin Developer Kit\x00")
    facts = platform.probe_platform(tmp_path, "5.10.120-tegra")
    assert facts.jetson_l4t == "R35.4.1"
    assert facts.jetson_model == "NVIDIA Jetson AGX Orin Developer Kit"


def test_amd_gpus_from_sysfs_and_kfd(tmp_path):
    base = "/sys/bus/pci/devices/0000:03:00.0"
    _write(tmp_path, f"{base}/vendor", "0x1002\n")
    _write(tmp_path, f"{base}/class", "0x038000\n")
    _write(tmp_path, f"{base}/device", "0x740f\n")
    _write(tmp_path, "/sys/class/kfd/kfd/topology/generation_id", "1\n")
    facts = platform.probe_platform(tmp_path, None)
    assert facts.amd_gpus == [AmdGpu(slot="0000:03:00.0", device_id="740f")] and facts.kfd


def test_environment_is_recorded(tmp_path, monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    monkeypatch.setenv("CONDA_PREFIX", "/opt/conda/envs/x")
    env = platform.probe_platform(tmp_path, None).environment
    assert env["CUDA_VISIBLE_DEVICES"] == "" and env["CONDA_PREFIX"] == "/opt/conda/envs/x"


def test_distribution_families_and_ubuntu_base():
    assert system.distro_family("pop", ["ubuntu", "debian"]) == "debian"
    from provision import tables

    assert tables.ubuntu_base("pop", ["ubuntu", "debian"], "22.04", "jammy") == "22.04"
    assert tables.ubuntu_base("linuxmint", ["ubuntu", "debian"], "21.3", "jammy") == "22.04"
    assert tables.ubuntu_base("debian", [], "12", None) is None


def test_torch_installer_from_files_beside_it(tmp_path):
    site = "/opt/conda/envs/x/lib/python3.10/site-packages"
    _write(tmp_path, "/opt/conda/envs/x/conda-meta/pytorch-1.12.1-py3.10_cuda11.3_cudnn8.3.2_0"
                     ".json", "{}")
    _write(tmp_path, "/opt/conda/envs/x/conda-meta/cudatoolkit-11.3.1-h2bc3f7f_2.json", "{}")
    facts = TorchFacts(installed=True, version="1.12.1", location=site)
    torchinfo.find_installer(tmp_path, facts)
    assert facts.installer == "conda"
    assert facts.conda_packages == {"pytorch": "1.12.1", "cudatoolkit": "11.3.1"}
    venv = "/home/u/.venv/lib/python3.12/site-packages"
    _write(tmp_path, f"{venv}/torch-2.6.0.dist-info/INSTALLER", "uv\n")
    facts = TorchFacts(installed=True, location=venv)
    torchinfo.find_installer(tmp_path, facts)
    assert facts.installer == "uv"
    facts = TorchFacts(installed=True, location="/usr/lib/python3/dist-packages")
    torchinfo.find_installer(tmp_path, facts)
    assert facts.installer == "distro"


def test_nvml_library_version_from_the_installed_library(tmp_path):
    _write(tmp_path, "/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.460.73.01")
    _write(tmp_path, "/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1")
    assert nvidia.library_version(tmp_path) == "460.73.01"


# ------------------------------------------------------------------ checks
def _gpu_box(**driver) -> Facts:
    return Facts(os=OsFacts(id="ubuntu", version_id="22.04", family="debian",
                            ubuntu_base="22.04"),
                 pci_gpus=[PciGpu(slot="0000:01:00.0", device_id="2204",
                                  name="GeForce RTX 3090")],
                 driver=DriverFacts(**driver),
                 torch=TorchFacts(installed=True, version="2.5.1+cu124", cuda="12.4"))


def test_mismatch_is_a_failure_naming_both_versions_and_a_reboot():
    facts = _gpu_box(version="460.56", source="proc", nvidia_module_loaded=True,
                     smi_error="Failed to initialize NVML: Driver/library version mismatch",
                     library_version="460.73.01")
    got = _checks(facts)
    driver = got["nvidia.driver"]
    assert driver["status"] == "fail"
    assert "460.56" in driver["summary"] and "460.73.01" in driver["summary"]
    assert fix_text(driver).startswith("sudo reboot") and "apt-get install" not in fix_text(driver)
    assert got["torch.cuda"]["because"] == "nvidia.driver" and got["torch.cuda"]["fixes"] == []


def test_gpu_off_the_bus_gets_hardware_fix_not_a_driver():
    facts = _gpu_box(version="520.61.05", source="proc", nvidia_module_loaded=True,
                     lost_gpus=["0000:0b:00.0"])
    facts.xid = XidFacts(source="dmesg", events=[XidEvent(pci="0000:0b:00", code=79)])
    driver = _checks(facts)["nvidia.driver"]
    assert driver["status"] == "fail" and "0000:0b:00.0" in driver["summary"]
    assert "reseat" in fix_text(driver) and "nvidia-driver" not in fix_text(driver)
    assert "ubuntu-drivers" not in fix_text(driver)


def test_container_without_gpu_access_names_docker_gpus_all_and_no_driver_install():
    facts = _gpu_box(version="535.129.03", source="proc", nvidia_module_loaded=True)
    facts.platform = PlatformFacts(container="docker", container_evidence="/.dockerenv exists")
    got = _checks(facts)
    assert got["os.platform"]["status"] == "fail"
    assert "docker run --gpus all" in fix_text(got["os.platform"])
    assert "container" in got["torch.cuda"]["summary"]
    assert got["torch.cuda"]["because"] == "os.platform"  # one problem, one fix
    every_fix = " ".join(fix_text(c) for c in got.values())
    assert "ubuntu-drivers" not in every_fix and "nvidia-driver-" not in every_fix


def test_wsl2_cuda_failure_gets_the_wsl_route():
    facts = _gpu_box(version="536.67", source="nvidia-smi",
                     gpus=[GpuInfo(index=i, name="NVIDIA GeForce RTX 3090") for i in range(4)])
    facts.pci_gpus = []
    facts.platform = PlatformFacts(wsl="WSL2", wsl_libcuda=["libcuda.so.1"])
    facts.torch.init_warning = ("CUDA initialization: Unexpected error from "
                                "cudaGetDeviceCount(). Error 2: out of memory")
    got = _checks(facts)
    assert got["torch.cuda"]["status"] == "fail" and "WSL2" in got["torch.cuda"]["summary"]
    assert "wsl --update" in fix_text(got["torch.cuda"])
    assert got["nvidia.nouveau"]["status"] == "skip"
    every_fix = " ".join(fix_text(c) for c in got.values())
    assert "apt-get install -y nvidia" not in every_fix and "ubuntu-drivers" not in every_fix


@pytest.mark.parametrize("value", ["", "-1", "4"])
def test_cuda_visible_devices_that_hides_every_gpu_is_named(value):
    facts = _gpu_box(version="550.54.14", source="nvidia-smi",
                     gpus=[GpuInfo(index=0, name="NVIDIA GeForce RTX 3090")])
    facts.platform = PlatformFacts(environment={"CUDA_VISIBLE_DEVICES": value})
    got = _checks(facts)["torch.cuda"]
    assert got["status"] == "fail" and "CUDA_VISIBLE_DEVICES" in got["summary"]
    assert "unset CUDA_VISIBLE_DEVICES" in fix_text(got)


def test_rocm_build_is_never_cpu_only():
    facts = Facts(os=OsFacts(id="ubuntu", version_id="22.04", family="debian"),
                  torch=TorchFacts(installed=True, version="2.4.1+rocm6.1", hip="6.1.40091",
                                   cuda_available=True,
                                   devices=[TorchDevice(name="AMD Instinct MI210")]))
    facts.platform = PlatformFacts(kfd=True, amd_gpus=[AmdGpu(slot="0000:03:00.0")])
    got = _checks(facts)
    text = " ".join(c["summary"] for c in got.values())
    assert "CPU-only" not in text and "CPU only" not in text
    assert got["torch.build"]["status"] == "pass" and "ROCm" in got["torch.build"]["summary"]
    assert "HIP" in got["torch.cuda"]["summary"] and got["nvidia.gpu"]["status"] == "skip"


def test_cpu_torch_on_a_jetson_fails_with_nvidias_jetpack_build():
    facts = Facts(os=OsFacts(id="ubuntu", version_id="20.04", family="debian", arch="aarch64"),
                  torch=TorchFacts(installed=True, version="2.1.0", cuda=None))
    facts.platform = PlatformFacts(jetson_l4t="R35.4.1",
                                   jetson_model="NVIDIA Jetson AGX Orin Developer Kit")
    got = _checks(facts)
    assert got["torch.build"]["status"] == "fail"
    assert "jp/v512/pytorch/torch-2.1.0a0" in fix_text(got["torch.build"])
    assert got["nvidia.gpu"]["status"] == "pass" and "8.7" in got["nvidia.gpu"]["summary"]
    assert got["nvidia.driver"]["status"] != "fail"


def test_conda_torch_is_fixed_with_conda():
    build = next(b for b in TORCH_BUILDS if b.torch == "1.12.1" and b.variant == "cu113")
    facts = Facts(torch=TorchFacts(installed=True, installer="conda"))
    fix = platform_fixes.by_installer(facts, (run(
        "python3 -m pip install torch==1.12.1+cu113 --extra-index-url "
        "https://download.pytorch.org/whl/cu113"),), build)
    assert commands(fix) == ["conda install -y pytorch==1.12.1 cudatoolkit=11.3 -c pytorch"]
    new = next(b for b in TORCH_BUILDS if b.torch.startswith("2.7") and b.cuda)
    fix = platform_fixes.by_installer(facts, (run("python3 -m pip install torch==2.7.1"),), new)
    assert commands(fix)[0].startswith("conda remove -y pytorch")
    assert commands(fix)[-1] == "python3 -m pip install torch==2.7.1"
    facts.torch.installer = "uv"
    assert commands(platform_fixes.by_installer(
        facts, (run("python3 -m pip install torch"),), None)) == ["uv pip install torch"]


def test_cpu_torch_on_grace_hopper_gets_an_aarch64_cuda_build():
    facts = Facts(os=OsFacts(id="ubuntu", version_id="22.04", family="debian",
                             ubuntu_base="22.04", arch="aarch64"),
                  pci_gpus=[PciGpu(slot="0009:01:00.0", device_id="2342",
                                   name="GH100 [GH200 120GB / 480GB]")],
                  driver=DriverFacts(version="550.54.15", source="nvidia-smi",
                                     gpus=[GpuInfo(name="NVIDIA GH200 480GB",
                                                   compute_capability="9.0")]),
                  torch=TorchFacts(installed=True, version="2.5.1", cuda=None))
    got = _checks(facts)["torch.build"]
    assert got["status"] == "fail" and "CPU-only" in got["summary"]
    built = [b for b in TORCH_BUILDS if b.machine == "aarch64" and b.cuda]
    assert any(f"torch=={b.torch} --index-url" in fix_text(got) and b.variant in fix_text(got)
               for b in built), fix_text(got)


def test_cpu_torch_beside_amd_gpus_with_rocm_is_a_warning_in_words():
    facts = Facts(os=OsFacts(id="ubuntu", version_id="22.04", family="debian"),
                  torch=TorchFacts(installed=True, version="2.5.1+cpu", cuda=None))
    facts.platform = PlatformFacts(kfd=True, amd_gpus=[AmdGpu(slot="0000:03:00.0")])
    got = _checks(facts)["torch.build"]
    assert got["status"] == "warn" and "AMD" in got["summary"] and "ROCm" in fix_text(got)


@pytest.mark.parametrize(("os_", "words", "absent"), [
    (OsFacts(id="debian", version_id="9", family="debian"), "contrib non-free ",
     "non-free-firmware"),
    (OsFacts(id="pop", id_like=["ubuntu", "debian"], version_id="22.04", family="debian",
             ubuntu_base="22.04"), "system76-driver-nvidia", "contrib"),
    (OsFacts(id="linuxmint", id_like=["ubuntu", "debian"], version_id="21.3", family="debian",
             ubuntu_base="22.04"), "ubuntu-drivers", "contrib"),
    (OsFacts(id="opensuse-leap", version_id="15.6", family="suse"),
     "zypper addrepo --refresh https://download.nvidia.com/opensuse/leap/15.6", "apt-get"),
    (OsFacts(id="arch", family="arch"), "pacman -Syu --needed nvidia-open", "apt-get"),
    (OsFacts(id="gentoo", family="unknown"), "nvidia.com/drivers", "sudo "),
])
def test_each_family_gets_its_own_driver_route(os_, words, absent):
    from provision import fixes

    text = as_text(fixes.nvidia_driver(os_))
    assert words in text and absent not in text, text


def test_debian9_needs_buster_before_a_driver_past_390():
    from provision import fixes

    text = as_text(fixes.nvidia_driver(OsFacts(id="debian", version_id="9", family="debian"),
                                       min_version="418.39"))
    assert "s/stretch/buster/g" in text and "stretch-security" not in text
    assert text.index("s/stretch/buster/g") < text.index("install -y linux-headers")


def test_wsl1_is_sent_to_wsl2_by_the_distribution_name_wsl_sets(tmp_path, monkeypatch):
    monkeypatch.setenv("WSL_DISTRO_NAME", "Ubuntu-22.04")
    facts = Facts(os=OsFacts(id="ubuntu", version_id="22.04", family="debian"))
    facts.platform = platform.probe_platform(tmp_path, "4.4.0-19041-Microsoft")
    got = _checks(facts)["os.platform"]
    assert got["status"] == "fail" and "WSL1" in got["summary"]
    assert "wsl --set-version Ubuntu-22.04 2" in fix_text(got)


def test_gpu_computation_on_amd_runs_through_hip_and_passes():
    facts = Facts(torch=TorchFacts(installed=True, version="2.4.1+rocm6.1", hip="6.1.40091",
                                   cuda_available=True))
    facts.platform = PlatformFacts(kfd=True, amd_gpus=[AmdGpu(slot="0000:03:00.0")])
    facts.gpu_work = GpuWorkFacts(ran=True, results=[GpuWorkResult(
        index=0, name="AMD Instinct MI210", matmul_max_rel_err=1e-6, matmul_ok=True,
        lstm_max_abs_err=1e-6, lstm_ok=True, fp32_tflops=20.1, half_dtype="bfloat16",
        half_tflops=150.0, h2d_gb_s=24.0)])
    got = _checks(facts)["gpu.compute"]
    assert got["status"] == "pass" and "through HIP (ROCm 6.1.40091)" in got["summary"]
