"""Probes: commands with timeouts, tolerant file reads, and the parsers of tool output."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from provision.facts import Facts
from provision.probe import read_text, run_command
from provision.probes import cuda, nvidia, nvml, system, torchinfo


def _stub(folder: Path, name: str, body: str) -> Path:
    path = folder / name
    path.write_text("#!/bin/bash\n" + body)
    path.chmod(0o755)
    return path


# --------------------------------------------------------------------------- commands
def test_hung_command_is_cut_off_with_its_children(tmp_path):
    # The child `sleep` inherits the pipes: without killing the group we would wait 30 s.
    _stub(tmp_path, "hang", "/bin/sleep 30\n")
    started = time.monotonic()
    out = run_command(["hang"], timeout=0.5, env={"PATH": str(tmp_path)})
    assert time.monotonic() - started < 5
    assert not out.ok and out.returncode is None
    assert out.reason == "hang did not answer within 0.5 s"


def test_missing_command_and_failing_command(tmp_path):
    env = {"PATH": str(tmp_path)}
    missing = run_command(["nvidia-smi"], env=env)
    assert not missing.ok and missing.reason == "nvidia-smi not found on PATH"
    _stub(tmp_path, "broken", "echo 'first line of trouble' >&2; echo more >&2; exit 3\n")
    failed = run_command(["broken", "--flag"], env=env)
    assert not failed.ok and failed.returncode == 3
    assert failed.reason == "broken exited with 3: first line of trouble"


def test_arguments_are_passed_without_a_shell(tmp_path):
    _stub(tmp_path, "echoargs", 'printf "%s|" "$@"\n')
    out = run_command(["echoargs", "a b", "$(rm -rf x)", ";"], env={"PATH": str(tmp_path)})
    assert out.ok and out.stdout == "a b|$(rm -rf x)|;|"


def test_read_text_tolerates_absence_and_garbage(tmp_path):
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "os-release").write_bytes(b"ID=fedora\n\xff\xfe\x00garbage")
    assert read_text(tmp_path, "/etc/missing") is None
    assert read_text(tmp_path, "/etc") is None  # a folder
    assert read_text(tmp_path, "/etc/os-release").startswith("ID=fedora\n")


# --------------------------------------------------------------------------- parsers
def test_os_release_parsing_skips_garbage():
    text = ('NAME="Fedora Linux"\nID=fedora\n\x00\x01 junk line\nVERSION_ID=40\n'
            'ID_LIKE="rhel centos"\n')
    values = system.parse_os_release(text)
    assert values["ID"] == "fedora" and values["VERSION_ID"] == "40"
    assert system.distro_family("rocky", []) == "rhel"
    assert system.distro_family("linuxmint", ["ubuntu", "debian"]) == "debian"
    assert system.distro_family("arch", []) == "arch"
    assert system.distro_family("manjaro", ["arch"]) == "arch"
    assert system.distro_family("opensuse-leap", ["suse", "opensuse"]) == "suse"
    assert system.distro_family("nixos", []) == "unknown"


def test_probe_os_without_os_release(tmp_path):
    facts = system.probe_os(tmp_path)
    assert facts.id is None and facts.reason == "no /etc/os-release"


LSPCI = (Path(__file__).parent / "data" / "lspci-mixed.txt").read_text()


def test_lspci_finds_nvidia_display_devices_only():
    gpus = nvidia.parse_lspci(LSPCI)
    assert [(g.slot, g.name, g.class_code, g.kernel_driver) for g in gpus] == [
        ("0000:01:00.0", "GeForce RTX 3090", "0300", None),  # no driver bound
        ("0000:02:00.0", "H100 PCIe", "0302", "nvidia"),
    ]


def test_sysfs_pci_with_and_without_driver(tmp_path):
    devices = tmp_path / "sys/bus/pci/devices"
    for slot, vendor, cls, device, driver in [
        ("0000:00:02.0", "0x8086", "0x030000", "0x591b", "i915"),
        ("0000:01:00.0", "0x10de", "0x030200", "0x1c8d", "nvidia"),
        ("0000:02:00.0", "0x10de", "0x030000", "0x1c82", None),
    ]:
        folder = devices / slot
        folder.mkdir(parents=True)
        (folder / "vendor").write_text(vendor + "\n")
        (folder / "class").write_text(cls + "\n")
        (folder / "device").write_text(device + "\n")
        if driver:
            os.symlink(f"../../../bus/pci/drivers/{driver}", folder / "driver")
    gpus = nvidia.probe_pci(tmp_path)
    assert [(g.slot, g.name, g.kernel_driver) for g in gpus] == [
        ("0000:01:00.0", "GeForce GTX 1050 Mobile", "nvidia"),
        ("0000:02:00.0", "GeForce GTX 1050 Ti", None),
    ]


def test_nvidia_smi_csv_with_unsupported_fields():
    line = ("410.48, GeForce GTX 1050, 00000000:01:00.0, 4042, GPU-abc, 44, [Not Supported], "
            "[Not Supported], 139, 1911, 1, 3, 16, 16, Disabled, 0x0000000000000005, Enabled")
    version, gpus = nvidia.parse_smi_csv(line + "\n\n")
    assert version == "410.48" and len(gpus) == 1
    health = gpus[0].health
    assert health.power_w is None and health.temperature_c == 44
    assert health.throttle_reasons == ["gpu_idle", "sw_power_cap"]
    assert health.persistence_mode is False and health.pcie_width_max == 16
    assert health.display_active is True
    assert nvidia.parse_smi_csv("garbage\n") == (None, [])


def test_proc_driver_version():
    assert nvidia.parse_proc_version(
        "NVRM version: NVIDIA UNIX x86_64 Kernel Module  410.48  Thu Sep  6 06:36:33 CDT 2018\n"
    ) == "410.48"
    assert nvidia.parse_proc_version(
        "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  550.54.14  Release Build\n"
    ) == "550.54.14"
    assert nvidia.parse_proc_version("nonsense") is None


def test_nvcc_and_toolkit_versions(tmp_path):
    assert cuda.parse_nvcc_version("Cuda compilation tools, release 10.0, V10.0.130") == "10.0.130"
    (tmp_path / "usr/local/cuda-12.4").mkdir(parents=True)
    (tmp_path / "usr/local/cuda-12.4/version.json").write_text(
        json.dumps({"cuda": {"name": "CUDA SDK", "version": "12.4.1"}}))
    (tmp_path / "usr/local/cuda-10.0").mkdir(parents=True)
    (tmp_path / "usr/local/cuda-10.0/version.txt").write_text("CUDA Version 10.0.130\n")
    (tmp_path / "usr/local/cuda-11.0").mkdir(parents=True)
    (tmp_path / "usr/local/cuda-11.0/version.json").write_text("{not json")
    os.symlink("cuda-12.4", tmp_path / "usr/local/cuda")
    assert cuda.toolkit_version(tmp_path, "/usr/local/cuda-12.4") == ("12.4.1", "version.json")
    assert cuda.toolkit_version(tmp_path, "/usr/local/cuda-10.0") == ("10.0.130", "version.txt")
    assert cuda.toolkit_version(tmp_path, "/usr/local/cuda-11.0") == (None, None)
    facts = cuda.probe_cuda(tmp_path)
    assert {(t.path, t.version) for t in facts.toolkits} == {
        ("/usr/local/cuda-10.0", "10.0.130"), ("/usr/local/cuda-12.4", "12.4.1"),
        ("/usr/local/cuda-11.0", "11.0")}  # unreadable version file: the folder name says it
    assert facts.default_link == "/usr/local/cuda-12.4"


def test_cpu_from_proc_files(tmp_path):
    (tmp_path / "proc").mkdir()
    blocks = [f"processor\t: {i}\nmodel name\t: Test CPU\nphysical id\t: 0\ncore id\t: {i // 2}\n"
              for i in range(4)]
    (tmp_path / "proc/cpuinfo").write_text("\n".join(blocks))
    (tmp_path / "proc/meminfo").write_text("MemTotal: 2097152 kB\nMemAvailable: 1048576 kB\n")
    facts = system.probe_cpu(tmp_path, live=False)
    assert (facts.model, facts.logical_cores, facts.physical_cores) == ("Test CPU", 4, 2)
    assert (facts.memory_total_gib, facts.memory_available_gib) == (2.0, 1.0)
    assert facts.governor is None


def test_recorded_torch_facts_replace_the_import(tmp_path):
    (tmp_path / "rnnbench-torch.json").write_text(json.dumps(
        {"installed": True, "version": "1.4.0+cu100", "cuda": "10.0", "unknown_key": 1,
         "devices": [{"name": "GeForce GTX 1050", "capability": "6.1"}]}))
    facts = torchinfo.probe_torch(tmp_path)
    assert facts.source == "recorded" and facts.cuda == "10.0"
    assert facts.devices[0].capability == "6.1"
    (tmp_path / "rnnbench-torch.json").write_text("{broken")
    assert "unreadable" in torchinfo.probe_torch(tmp_path).reason


# --------------------------------------------------------------------------- NVML
def test_throttle_bits_decode():
    assert nvml.decode_throttle(0) == []
    assert nvml.decode_throttle(0x1 | 0x40) == ["gpu_idle", "hw_thermal_slowdown"]


def test_nvml_answer_is_used_on_the_live_machine_only(tmp_path, monkeypatch):
    # NVML is the one probe a unit test may replace: it describes the real machine.
    from provision.facts import GpuInfo

    monkeypatch.setattr(nvml, "query", lambda: ("550.54.14", [GpuInfo(name="NVIDIA H100")]))
    live = nvidia.probe_driver(tmp_path, live=True)
    assert (live.version, live.source, live.gpus[0].name) == ("550.54.14", "nvml", "NVIDIA H100")
    monkeypatch.setenv("PATH", str(tmp_path))  # no nvidia-smi: the replay has no driver
    replay = nvidia.probe_driver(tmp_path, live=False)
    assert replay.version is None and "nvidia-smi not found on PATH" in replay.reasons


def test_nvml_unavailable_is_a_reason_not_a_crash(tmp_path, monkeypatch):
    def refuse():
        raise nvml.NvmlUnavailable("NVML unavailable: NVML Shared Library Not Found")

    monkeypatch.setattr(nvml, "query", refuse)
    monkeypatch.setenv("PATH", str(tmp_path))
    facts = nvidia.probe_driver(tmp_path, live=True)
    assert facts.version is None and facts.reasons[0].startswith("NVML unavailable")


@pytest.mark.skipif(Path("/proc/driver/nvidia/version").exists(), reason="NVIDIA driver present")
def test_real_nvml_without_driver_raises_its_own_error():
    with pytest.raises(nvml.NvmlUnavailable):
        nvml.query()


# --------------------------------------------------------------------------- Facts
def test_facts_round_trip_through_json():
    from provision.facts import DriverFacts, GpuHealth, GpuInfo

    facts = Facts(driver=DriverFacts(version="410.48", gpus=[GpuInfo(
        name="GeForce GTX 1050", health=GpuHealth(temperature_c=50, throttle_reasons=["x"]))]))
    facts.packages.installed = {"gcc": "8.2.1", "make": None}
    back = Facts.from_dict(json.loads(json.dumps(facts.to_dict())))
    assert back == facts
    assert Facts.from_dict({"schema": "rnnbench.facts/1", "os": "garbage"}).os.id is None
