"""Fleet-grade GPU health through a fake `pynvml`: the real module's names, constants and error
classes, answering per GPU, so the NVML layer itself runs without a GPU."""

from __future__ import annotations

import json
import os
import sys
import types
from pathlib import Path

import pynvml as real
import pytest

from provision.checks import health as checks
from provision.doctor import run_checks
from provision.facts import DriverFacts, Facts, GpuHealth, GpuInfo, PciGpu, XidFacts
from provision.fix import as_text
from provision.probes import health as probe
from provision.probes import nvml
from provision.profile import Profile

MIB = 2**20


class Proc:  # what nvmlDeviceGetComputeRunningProcesses lists
    def __init__(self, pid: int, used: int | None) -> None:
        self.pid, self.usedGpuMemory = pid, used


# Every per-GPU function the NVML layer calls; a GPU's dict answers those it supports.
PER_GPU = ["nvmlDeviceGetName", "nvmlDeviceGetCudaComputeCapability", "nvmlDeviceGetMemoryInfo",
           "nvmlDeviceGetUUID", "nvmlDeviceGetPciInfo", "nvmlDeviceGetPowerUsage",
           "nvmlDeviceGetEnforcedPowerLimit", "nvmlDeviceGetTemperature",
           "nvmlDeviceGetClockInfo", "nvmlDeviceGetMaxClockInfo",
           "nvmlDeviceGetCurrPcieLinkGeneration", "nvmlDeviceGetMaxPcieLinkGeneration",
           "nvmlDeviceGetGpuMaxPcieLinkGeneration", "nvmlDeviceGetCurrPcieLinkWidth",
           "nvmlDeviceGetMaxPcieLinkWidth", "nvmlDeviceGetPersistenceMode",
           "nvmlDeviceGetDisplayActive",
           "nvmlDeviceGetEccMode", "nvmlDeviceGetTotalEccErrors",
           "nvmlDeviceGetRetiredPagesPendingStatus", "nvmlDeviceGetRetiredPages",
           "nvmlDeviceGetRemappedRows", "nvmlDeviceGetMigMode", "nvmlDeviceGetComputeMode",
           "nvmlDeviceGetClock", "nvmlDeviceGetComputeRunningProcesses"]


def fake_pynvml(gpus: list[dict], event_names: bool = True) -> types.ModuleType:
    """A stand-in for pynvml: every constant and error class is the real module's; each
    function exists in the real module (a misspelt name fails here) and answers from its GPU's
    dict, where a missing key answers NVMLError_NotSupported as a GeForce card does."""
    fake = types.ModuleType("pynvml")
    for name in dir(real):
        if name.startswith(("NVML_", "NVMLError")) or (
                name.startswith("nvmlClocksEventReason") and event_names) or \
                name.startswith("nvmlClocksThrottleReason"):
            setattr(fake, name, getattr(real, name))

    def define(name: str, fn) -> None:
        assert callable(getattr(real, name, None)), f"pynvml has no {name}"
        setattr(fake, name, fn)

    def per_gpu(name: str):
        def call(handle, *args):
            answer = gpus[handle].get(name, real.NVMLError_NotSupported)
            if isinstance(answer, type) and issubclass(answer, Exception):
                raise answer()
            return answer(*args) if callable(answer) else answer
        return call

    define("nvmlInit", lambda: None)
    define("nvmlShutdown", lambda: None)
    define("nvmlSystemGetDriverVersion", lambda: "550.54.14")
    define("nvmlDeviceGetCount", lambda: len(gpus))
    define("nvmlDeviceGetHandleByIndex", lambda index: index)
    define("nvmlSystemGetProcessName", lambda pid: f"proc{pid}".encode())
    names = {key for gpu in gpus for key in gpu} | set(PER_GPU) | {
        "nvmlDeviceGetCurrentClocksEventReasons" if event_names
        else "nvmlDeviceGetCurrentClocksThrottleReasons"}
    for name in names:
        define(name, per_gpu(name))
    return fake


def _ecc(error_type, counter_type):
    table = {(real.NVML_MEMORY_ERROR_TYPE_CORRECTED, real.NVML_VOLATILE_ECC): 3,
             (real.NVML_MEMORY_ERROR_TYPE_UNCORRECTED, real.NVML_VOLATILE_ECC): 0,
             (real.NVML_MEMORY_ERROR_TYPE_CORRECTED, real.NVML_AGGREGATE_ECC): 40,
             (real.NVML_MEMORY_ERROR_TYPE_UNCORRECTED, real.NVML_AGGREGATE_ECC): 2}
    return table[(error_type, counter_type)]


def _clock(clock_type, clock_id):
    if clock_id == real.NVML_CLOCK_ID_APP_CLOCK_TARGET:
        return 1755 if clock_type == real.NVML_CLOCK_SM else 2619
    if clock_id == real.NVML_CLOCK_ID_APP_CLOCK_DEFAULT:
        return 1755 if clock_type == real.NVML_CLOCK_SM else 2619
    raise real.NVMLError_InvalidArgument()


H100 = {
    "nvmlDeviceGetName": b"NVIDIA H100 80GB HBM3",
    "nvmlDeviceGetCudaComputeCapability": (9, 0),
    "nvmlDeviceGetPciInfo": types.SimpleNamespace(busId=b"00000000:19:00.0"),
    "nvmlDeviceGetUUID": "GPU-h100",
    "nvmlDeviceGetMemoryInfo": types.SimpleNamespace(total=80 * 1024 * MIB),
    "nvmlDeviceGetTemperature": lambda sensor: 41,
    "nvmlDeviceGetPowerUsage": 71000, "nvmlDeviceGetEnforcedPowerLimit": 700000,
    "nvmlDeviceGetClockInfo": lambda t: 345, "nvmlDeviceGetMaxClockInfo": lambda t: 1980,
    "nvmlDeviceGetCurrentClocksEventReasons":
        real.nvmlClocksEventReasonGpuIdle | real.nvmlClocksEventReasonSwThermalSlowdown,
    "nvmlDeviceGetCurrPcieLinkGeneration": 1, "nvmlDeviceGetMaxPcieLinkGeneration": 5,
    "nvmlDeviceGetGpuMaxPcieLinkGeneration": 5,
    "nvmlDeviceGetCurrPcieLinkWidth": 16, "nvmlDeviceGetMaxPcieLinkWidth": 16,
    "nvmlDeviceGetPersistenceMode": real.NVML_FEATURE_ENABLED,
    "nvmlDeviceGetEccMode": [real.NVML_FEATURE_ENABLED, real.NVML_FEATURE_ENABLED],
    "nvmlDeviceGetTotalEccErrors": _ecc,
    # Hopper has row remapping, not page retirement.
    "nvmlDeviceGetRemappedRows": (1, 0, 1, 0),
    "nvmlDeviceGetMigMode": [real.NVML_DEVICE_MIG_ENABLE, real.NVML_DEVICE_MIG_ENABLE],
    "nvmlDeviceGetComputeMode": real.NVML_COMPUTEMODE_EXCLUSIVE_PROCESS,
    "nvmlDeviceGetClock": _clock,
    "nvmlDeviceGetComputeRunningProcesses": [Proc(4242, 2048 * MIB), Proc(os.getpid(), MIB)],
}
# A GeForce card: no ECC, no page retirement, no row remapping, no MIG (all NotSupported).
GEFORCE = {
    "nvmlDeviceGetName": b"NVIDIA GeForce RTX 4090",
    "nvmlDeviceGetCudaComputeCapability": (8, 9),
    "nvmlDeviceGetPciInfo": types.SimpleNamespace(busId=b"00000000:01:00.0"),
    "nvmlDeviceGetCurrentClocksEventReasons": real.nvmlClocksEventReasonGpuIdle,
    "nvmlDeviceGetPersistenceMode": real.NVML_FEATURE_DISABLED,
    "nvmlDeviceGetDisplayActive": real.NVML_FEATURE_ENABLED,  # it drives the desktop
    "nvmlDeviceGetComputeMode": real.NVML_COMPUTEMODE_DEFAULT,
    "nvmlDeviceGetComputeRunningProcesses": [],
    "nvmlDeviceGetClock": _clock,
}


@pytest.fixture
def use_fake(monkeypatch):
    def install(*gpus: dict, event_names: bool = True) -> list[GpuInfo]:
        monkeypatch.setitem(sys.modules, "pynvml", fake_pynvml(list(gpus), event_names))
        version, found = nvml.query()
        assert version == "550.54.14"
        return found
    return install


def facts_with(gpus: list[GpuInfo], xid: XidFacts | None = None) -> Facts:
    return Facts(pci_gpus=[PciGpu(slot="0000:19:00.0")],
                 driver=DriverFacts(version="550.54.14", source="nvml", gpus=gpus),
                 xid=xid or XidFacts(source="dmesg"))


def test_fake_is_built_from_the_real_names():
    with pytest.raises(AssertionError, match="nvmlDeviceGetEccErrorz"):
        fake_pynvml([{"nvmlDeviceGetEccErrorz": 1}])


def test_datacenter_gpu_reports_every_health_field(use_fake):
    (gpu,) = use_fake(H100)
    h = gpu.health
    assert (gpu.name, gpu.compute_capability, gpu.pci_bus_id) == (
        "NVIDIA H100 80GB HBM3", "9.0", "00000000:19:00.0")
    assert h.throttle_reasons == ["gpu_idle", "sw_thermal_slowdown"]
    assert (h.ecc_enabled, h.ecc_pending) == (True, False)
    assert (h.ecc_volatile_corrected, h.ecc_volatile_uncorrected) == (3, 0)
    assert (h.ecc_aggregate_corrected, h.ecc_aggregate_uncorrected) == (40, 2)
    assert (h.remapped_rows_correctable, h.remap_pending, h.remap_failed) == (1, True, False)
    assert h.retired_pages_pending is None  # Hopper answers NotSupported: not a fault
    assert (h.mig_mode, h.compute_mode, h.persistence_mode) == (True, "exclusive_process", True)
    assert (h.pcie_gen, h.pcie_gen_max, h.pcie_gen_gpu_max) == (1, 5, 5)
    assert (h.app_clock_sm_mhz, h.app_clock_sm_default_mhz) == (1755.0, 1755.0)
    assert [(p.pid, p.name, p.used_memory_mib) for p in h.processes] == [
        (4242, "proc4242", 2048)]  # this process left out
    assert "nvmlDeviceGetRetiredPagesPendingStatus" in h.not_reported
    assert h.reason == ""


def test_geforce_not_supported_reads_as_not_reported(use_fake):
    (gpu,) = use_fake(GEFORCE)
    h = gpu.health
    assert h.ecc_enabled is None and h.ecc_volatile_uncorrected is None
    assert h.remap_pending is None and h.retired_pages_pending is None and h.mig_mode is None
    assert {"nvmlDeviceGetEccMode", "nvmlDeviceGetRemappedRows",
            "nvmlDeviceGetMigMode"} <= set(h.not_reported)
    assert h.reason == ""  # NotSupported is no error
    assert (h.persistence_mode, h.display_active) == (False, True)
    facts = facts_with([gpu])
    results = {r.id: r for r in run_checks(facts)}
    assert results["gpu.ecc"].status == "skip" and "not reported" in results["gpu.ecc"].summary
    assert results["gpu.memory_repair"].status == "skip"
    assert not [r for r in results.values() if r.id.startswith("gpu.") and r.status == "fail"]


def test_other_nvml_errors_are_reasons_not_crashes(use_fake):
    (gpu,) = use_fake(dict(GEFORCE, nvmlDeviceGetComputeMode=real.NVMLError_NoPermission))
    assert gpu.health.compute_mode is None
    assert "nvmlDeviceGetComputeMode: NVMLError_NoPermission" in gpu.health.reason


def test_checks_on_a_mixed_node(use_fake):
    broken = dict(H100, nvmlDeviceGetRemappedRows=(0, 5, 0, 1),
                  nvmlDeviceGetComputeMode=real.NVML_COMPUTEMODE_PROHIBITED)
    facts = facts_with(use_fake(broken, GEFORCE))
    repair = checks.memory_repair(facts, None)
    assert repair.status == "fail" and "GPU 0: row remapping failed" in repair.summary
    assert "nvidia-smi -q -d ROW_REMAPPER -i 0" in as_text(repair.fixes)
    modes = checks.modes(facts, None)
    assert modes.status == "fail" and "Prohibited" in modes.summary
    text = as_text(modes.fixes)
    assert "sudo nvidia-smi -i 0 -c DEFAULT" in text and "-mig 0" in text
    ecc = checks.ecc(facts, None)
    assert ecc.status == "warn" and "2 uncorrected ECC errors over its life" in ecc.summary
    processes = checks.processes(facts, None)
    assert processes.status == "warn" and "kill 4242" in as_text(processes.fixes)
    assert "moves benchmark numbers" in processes.detail


def test_pending_remap_and_volatile_ecc(use_fake):
    def ecc(error_type, counter_type):
        return 1 if error_type == real.NVML_MEMORY_ERROR_TYPE_UNCORRECTED else 0

    facts = facts_with(use_fake(dict(H100, nvmlDeviceGetTotalEccErrors=ecc)))
    assert checks.ecc(facts, None).status == "fail"
    assert "sudo nvidia-smi -r -i 0" in as_text(checks.ecc(facts, None).fixes)
    repair = checks.memory_repair(facts, None)
    assert repair.status == "warn" and "waits for a GPU reset" in repair.summary


def test_older_pynvml_throttle_names_are_the_fallback(use_fake):
    old = {key: value for key, value in GEFORCE.items()
           if key != "nvmlDeviceGetCurrentClocksEventReasons"}
    old["nvmlDeviceGetCurrentClocksThrottleReasons"] = (
        real.nvmlClocksThrottleReasonHwSlowdown | real.nvmlClocksThrottleReasonBoardLimit)
    (gpu,) = use_fake(old, event_names=False)
    assert gpu.health.throttle_reasons == ["hw_slowdown", "board_limit"]


def test_throttle_decoding_uses_pynvml_constants():
    assert nvml.reason_bits()[real.nvmlClocksEventReasonHwPowerBrakeSlowdown] == \
        "hw_power_brake_slowdown"
    assert nvml.decode_throttle(real.nvmlClocksEventReasonSyncBoost | 1 << 40) == [
        "sync_boost", "unknown_0x10000000000"]


def test_pcie_generation_at_idle_is_a_warning_with_how_to_check(use_fake):
    facts = facts_with(use_fake(H100))
    result = checks.pcie(facts, None)
    assert result.status == "warn" and "while idle" in result.summary
    assert "--query-gpu=pcie.link.gen.current" in as_text(result.fixes)
    narrow = facts_with(use_fake(dict(H100, nvmlDeviceGetCurrPcieLinkWidth=8,
                                      nvmlDeviceGetCurrPcieLinkGeneration=5)))
    result = checks.pcie(narrow, None)
    assert result.status == "warn" and "x8 of x16" in result.summary
    assert "gen" not in result.summary.split("x8")[0]


# --------------------------------------------------------------------------- Xid
XID_LINES = (
    "[  101.5] NVRM: Xid (PCI:0000:19:00): 13, pid=77, name=python, Graphics Exception\n"
    "[  202.5] nvidia-modeset: something else\n"
    "[  303.5] NVRM: Xid (PCI:0000:19:00): 79, pid='<unknown>', GPU has fallen off the bus.\n")


def _stub(folder: Path, name: str, script: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(0o755)


def test_xid_from_dmesg_is_this_boot_and_fails(tmp_path, monkeypatch):
    (tmp_path / "ring").write_text(XID_LINES)  # the stub may use shell builtins only
    _stub(tmp_path / "bin", "dmesg", f"while IFS= read -r l; do echo \"$l\"; done "
                                     f"< {tmp_path / 'ring'}\n")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    xid = probe.probe_xid(tmp_path / "root")
    assert xid.source == "dmesg" and [e.code for e in xid.events] == [13, 79]
    assert xid.events[1].pci == "0000:19:00"
    facts = facts_with([GpuInfo(index=0, pci_bus_id="00000000:19:00.0", health=GpuHealth())],
                       xid)
    result = checks.xid(facts, None)
    assert result.status == "fail" and "79 (GPU has fallen off the bus) on GPU 0" in \
        result.summary
    # A GPU fallen off the bus cannot be reset from software: nvidia.driver names it with the
    # hardware fix (power, cooling, reseat), which this check does not repeat.
    assert result.because == "nvidia.driver" and not result.fixes
    from provision.checks import nvidia as nvidia_checks

    driver = nvidia_checks.driver(facts, Profile())
    assert driver.status == "fail" and "reseat" in as_text(driver.fixes)


def test_xid_from_kern_log_when_dmesg_is_refused(tmp_path, monkeypatch):
    _stub(tmp_path / "bin", "dmesg", "echo 'dmesg: read kernel buffer failed' >&2; exit 1\n")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    log = tmp_path / "root/var/log/kern.log"
    log.parent.mkdir(parents=True)
    log.write_text("x" * 5000 + "\n" + XID_LINES)
    xid = probe.probe_xid(tmp_path / "root")
    assert xid.source == "/var/log/kern.log" and len(xid.events) == 2
    facts = facts_with([GpuInfo(pci_bus_id="00000000:19:00.0", health=GpuHealth())], xid)
    assert checks.xid(facts, None).status == "warn"  # may be from an earlier boot
    program_only = facts_with([], XidFacts(source="dmesg", events=xid.events[:1]))
    assert checks.xid(program_only, None).status == "pass"


def test_kernel_log_read_is_bounded_and_never_waits(tmp_path):
    log = tmp_path / "var/log/kern.log"
    log.parent.mkdir(parents=True)
    log.write_text("old " * 1000 + XID_LINES)
    tail = probe.read_tail(tmp_path, "/var/log/kern.log", 400)
    assert len(tail) == 400 and tail.endswith("fallen off the bus.\n")
    os.mkfifo(tmp_path / "var/log/messages")
    assert probe.read_tail(tmp_path, "/var/log/messages", 400) is None
    assert len(probe.parse_xid(XID_LINES * 200)) == probe.MAX_EVENTS


def test_no_kernel_log_is_a_skip(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    xid = probe.probe_xid(tmp_path)
    assert xid.source is None and "dmesg not found" in xid.reason
    facts = facts_with([GpuInfo(health=GpuHealth())], xid)
    assert checks.xid(facts, None).status == "skip"


# --------------------------------------------------------------------------- nvidia-smi
SMI = """case "$1" in
  --query-gpu=pci.bus_id,compute_mode) echo "00000000:01:00.0, Default";;
  --query-gpu=pci.bus_id,ecc.mode.current,*) echo "00000000:01:00.0, Enabled, 0, 0, 0";;
  --query-gpu=pci.bus_id,ecc.errors.corrected.aggregate.total) echo "00000000:01:00.0, 12";;
  --query-gpu=pci.bus_id,retired_pages.*) echo "00000000:01:00.0, 2, 0, Yes";;
  --query-gpu=pci.bus_id,clocks.applications.*) echo "00000000:01:00.0, 1312, 1312, 877, 877";;
  --query-gpu=pci.bus_id,mig.mode.*) echo "00000000:01:00.0, [N/A]";;
  --query-gpu=pci.bus_id,remapped_rows.*)  # an R390 driver: the whole query is refused
    echo 'Field "remapped_rows.correctable" is not a valid field to query.'; exit 2;;
  --query-compute-apps=*) echo "00000000:01:00.0, 999, /usr/bin/python3, 1500";;
  *) exit 6;;
esac
"""


def test_nvidia_smi_fills_health_where_nvml_is_absent(tmp_path, monkeypatch):
    _stub(tmp_path / "bin", "nvidia-smi", SMI)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    gpu = GpuInfo(index=0, name="Tesla V100-SXM2-16GB", pci_bus_id="00000000:01:00.0",
                  health=GpuHealth(persistence_mode=True))
    probe.probe_health(tmp_path, DriverFacts(source="nvidia-smi", gpus=[gpu]))
    h = gpu.health
    assert (h.compute_mode, h.ecc_enabled, h.ecc_aggregate_corrected) == ("default", True, 12)
    assert (h.retired_pages_sbe, h.retired_pages_pending) == (2, True)
    assert h.mig_mode is None and h.remap_pending is None  # [N/A]: not reported
    assert (h.app_clock_sm_mhz, h.app_clock_sm_default_mhz) == (1312.0, 1312.0)
    assert [(p.pid, p.used_memory_mib) for p in h.processes] == [(999, 1500.0)]
    facts = facts_with([gpu])
    assert checks.memory_repair(facts, None).status == "warn"


def test_new_fields_round_trip_and_old_documents_load(use_fake):
    facts = facts_with(use_fake(H100))
    assert Facts.from_dict(json.loads(json.dumps(facts.to_dict()))) == facts
    old = facts.to_dict()
    del old["xid"], old["readiness"]
    for gpu in old["driver"]["gpus"]:
        for key in ("remap_pending", "processes", "compute_mode", "not_reported"):
            del gpu["health"][key]
    back = Facts.from_dict(old)
    assert back.xid.source is None and back.driver.gpus[0].health.processes == []
