"""NVML through pynvml, kept in one thin module: the only probe a unit test may replace.

`query()` returns (driver version, [GpuInfo]) or raises `NvmlUnavailable` with the reason.
A metric a GPU does not support (`NVMLError_NotSupported`: GeForce cards have no ECC counters,
no row remapper, no MIG) stays None and its call is listed in `GpuHealth.not_reported`; any
other NVML error on a metric stays None too, with its message in `GpuHealth.reason`.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any

from provision.facts import GpuHealth, GpuInfo, GpuProcess

# pynvml's clock event reasons (nvml.h "Clocks Event Reasons"; "Throttle" in older releases):
# the constant's suffix and the name the doctor reports it under.
_REASONS = [("GpuIdle", "gpu_idle"),
            ("ApplicationsClocksSetting", "applications_clocks_setting"),
            ("SwPowerCap", "sw_power_cap"), ("HwSlowdown", "hw_slowdown"),
            ("SyncBoost", "sync_boost"), ("SwThermalSlowdown", "sw_thermal_slowdown"),
            ("HwThermalSlowdown", "hw_thermal_slowdown"),
            ("HwPowerBrakeSlowdown", "hw_power_brake_slowdown"),
            ("DisplayClockSetting", "display_clock_setting"),
            ("BoardLimit", "board_limit"), ("Reliability", "reliability")]
_COMPUTE_MODES = {"NVML_COMPUTEMODE_DEFAULT": "default",
                  "NVML_COMPUTEMODE_EXCLUSIVE_THREAD": "exclusive_thread",
                  "NVML_COMPUTEMODE_PROHIBITED": "prohibited",
                  "NVML_COMPUTEMODE_EXCLUSIVE_PROCESS": "exclusive_process"}


class NvmlUnavailable(Exception):
    """NVML could not be loaded or initialised (no driver, no library, no permission)."""


def _pynvml() -> Any:
    import pynvml

    return pynvml


def reason_bits(nv: Any = None) -> dict[int, str]:
    """Bit -> name of every clock event reason the installed pynvml defines; its new
    `nvmlClocksEventReason*` names, or the older `nvmlClocksThrottleReason*` ones only when
    it has none of the new."""
    if nv is None:
        try:
            nv = _pynvml()
        except ImportError:  # pynvml is a dependency; without it nothing can be decoded
            return {}
    prefix = ("nvmlClocksEventReason" if hasattr(nv, "nvmlClocksEventReasonGpuIdle")
              else "nvmlClocksThrottleReason")
    return {getattr(nv, prefix + suffix): name for suffix, name in _REASONS
            if isinstance(getattr(nv, prefix + suffix, None), int)}


def decode_throttle(mask: int, nv: Any = None) -> list[str]:
    """Names of the clock event reasons set in `mask`; a bit pynvml does not name reads
    `unknown_0x...` rather than vanishing."""
    bits = reason_bits(nv)
    names = [name for bit, name in sorted(bits.items()) if mask & bit]
    rest = mask & ~sum(bits)
    return names + [f"unknown_{1 << i:#x}" for i in range(64) if rest & (1 << i)]


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def query() -> tuple[str, list[GpuInfo]]:
    try:
        nv = _pynvml()
        nv.nvmlInit()
    except Exception as exc:  # library missing, driver missing: both mean "no NVML here"
        raise NvmlUnavailable(f"NVML unavailable: {exc}") from exc
    try:
        version = _text(nv.nvmlSystemGetDriverVersion())
        gpus = [_gpu(nv, i) for i in range(nv.nvmlDeviceGetCount())]
        return version, gpus
    except Exception as exc:
        raise NvmlUnavailable(f"NVML query failed: {exc}") from exc
    finally:
        # Shutting down a half-initialised NVML changes nothing for us.
        with contextlib.suppress(Exception):
            nv.nvmlShutdown()


class _Asker:
    """Calls NVML functions on one handle; an unsupported metric answers None and is noted."""

    def __init__(self, nv: Any, handle: Any) -> None:
        self.nv, self.handle = nv, handle
        self.not_reported: list[str] = []
        self.errors: list[str] = []

    def __call__(self, function: str, *args: Any) -> Any:
        not_supported = getattr(self.nv, "NVMLError_NotSupported", ())
        try:
            return getattr(self.nv, function)(self.handle, *args)
        except not_supported:
            self.not_reported.append(function)
        except AttributeError:  # an older pynvml without this function
            self.errors.append(f"{function}: not in this pynvml")
        except Exception as exc:  # NoPermission, GpuIsLost, a library mismatch: say which
            self.errors.append(f"{function}: {type(exc).__name__}: {exc}")
        return None


def _gpu(nv: Any, index: int) -> GpuInfo:
    handle = nv.nvmlDeviceGetHandleByIndex(index)
    ask = _Asker(nv, handle)
    cc = ask("nvmlDeviceGetCudaComputeCapability")
    memory = ask("nvmlDeviceGetMemoryInfo")
    uuid, pci = ask("nvmlDeviceGetUUID"), ask("nvmlDeviceGetPciInfo")
    return GpuInfo(
        index=index,
        name=_text(nv.nvmlDeviceGetName(handle)),
        uuid=_text(uuid) if uuid is not None else None,
        pci_bus_id=_text(pci.busId) if pci is not None else None,
        compute_capability=f"{cc[0]}.{cc[1]}" if cc else None,
        memory_total_mib=round(memory.total / 2**20) if memory else None,
        health=_health(nv, ask),
    )


def _mhz(value: Any) -> float | None:
    return float(value) if value else None  # 0 MHz means "not set" for application clocks


def _health(nv: Any, ask: _Asker) -> GpuHealth:
    power = ask("nvmlDeviceGetPowerUsage")
    limit = ask("nvmlDeviceGetEnforcedPowerLimit")
    events = (ask("nvmlDeviceGetCurrentClocksEventReasons")
              if hasattr(nv, "nvmlDeviceGetCurrentClocksEventReasons")
              else ask("nvmlDeviceGetCurrentClocksThrottleReasons"))
    persistence = ask("nvmlDeviceGetPersistenceMode")
    display = ask("nvmlDeviceGetDisplayActive")
    health = GpuHealth(
        temperature_c=ask("nvmlDeviceGetTemperature", nv.NVML_TEMPERATURE_GPU),
        power_w=power / 1000 if power is not None else None,
        power_limit_w=limit / 1000 if limit is not None else None,
        sm_clock_mhz=ask("nvmlDeviceGetClockInfo", nv.NVML_CLOCK_SM),
        max_sm_clock_mhz=ask("nvmlDeviceGetMaxClockInfo", nv.NVML_CLOCK_SM),
        throttle_reasons=decode_throttle(events, nv) if events is not None else [],
        pcie_gen=ask("nvmlDeviceGetCurrPcieLinkGeneration"),
        pcie_gen_max=ask("nvmlDeviceGetMaxPcieLinkGeneration"),
        pcie_gen_gpu_max=ask("nvmlDeviceGetGpuMaxPcieLinkGeneration"),
        pcie_width=ask("nvmlDeviceGetCurrPcieLinkWidth"),
        pcie_width_max=ask("nvmlDeviceGetMaxPcieLinkWidth"),
        persistence_mode=bool(persistence) if persistence is not None else None,
        display_active=bool(display) if display is not None else None,
    )
    _ecc(nv, ask, health)
    _memory_repair(nv, ask, health)
    _modes(nv, ask, health)
    _clocks(nv, ask, health)
    health.processes = _processes(nv, ask)
    health.not_reported = ask.not_reported
    health.reason = "; ".join(ask.errors)
    return health


def _ecc(nv: Any, ask: _Asker, health: GpuHealth) -> None:
    mode = ask("nvmlDeviceGetEccMode")  # [current, pending]
    if not mode:
        return
    health.ecc_enabled = mode[0] == nv.NVML_FEATURE_ENABLED
    health.ecc_pending = mode[0] != mode[1]
    if not health.ecc_enabled:
        return
    corrected, uncorrected = (nv.NVML_MEMORY_ERROR_TYPE_CORRECTED,
                              nv.NVML_MEMORY_ERROR_TYPE_UNCORRECTED)
    volatile, aggregate = nv.NVML_VOLATILE_ECC, nv.NVML_AGGREGATE_ECC
    health.ecc_volatile_corrected = ask("nvmlDeviceGetTotalEccErrors", corrected, volatile)
    health.ecc_volatile_uncorrected = ask("nvmlDeviceGetTotalEccErrors", uncorrected, volatile)
    health.ecc_aggregate_corrected = ask("nvmlDeviceGetTotalEccErrors", corrected, aggregate)
    health.ecc_aggregate_uncorrected = ask("nvmlDeviceGetTotalEccErrors", uncorrected,
                                           aggregate)
    health.ecc_uncorrected = health.ecc_volatile_uncorrected


def _memory_repair(nv: Any, ask: _Asker, health: GpuHealth) -> None:
    # Page retirement (Kepler to Volta) and row remapping (Ampere on) mend bad memory at the
    # next GPU reset; each GPU answers NotSupported to the one it does not have.
    pending = ask("nvmlDeviceGetRetiredPagesPendingStatus")
    if pending is not None:
        health.retired_pages_pending = pending == nv.NVML_FEATURE_ENABLED
        sbe = ask("nvmlDeviceGetRetiredPages",
                  nv.NVML_PAGE_RETIREMENT_CAUSE_MULTIPLE_SINGLE_BIT_ECC_ERRORS)
        dbe = ask("nvmlDeviceGetRetiredPages", nv.NVML_PAGE_RETIREMENT_CAUSE_DOUBLE_BIT_ECC_ERROR)
        health.retired_pages_sbe = len(sbe) if sbe is not None else None
        health.retired_pages_dbe = len(dbe) if dbe is not None else None
    rows = ask("nvmlDeviceGetRemappedRows")  # (correctable, uncorrectable, pending, failed)
    if rows is not None:
        health.remapped_rows_correctable, health.remapped_rows_uncorrectable = rows[0], rows[1]
        health.remap_pending, health.remap_failed = bool(rows[2]), bool(rows[3])


def _modes(nv: Any, ask: _Asker, health: GpuHealth) -> None:
    mig = ask("nvmlDeviceGetMigMode")  # [current, pending]
    if mig is not None:
        health.mig_mode = mig[0] == nv.NVML_DEVICE_MIG_ENABLE
        health.mig_mode_pending = mig[1] == nv.NVML_DEVICE_MIG_ENABLE
    mode = ask("nvmlDeviceGetComputeMode")
    if mode is not None:
        names = {getattr(nv, constant): name for constant, name in _COMPUTE_MODES.items()}
        health.compute_mode = names.get(mode, f"unknown ({mode})")


def _clocks(nv: Any, ask: _Asker, health: GpuHealth) -> None:
    target, default = nv.NVML_CLOCK_ID_APP_CLOCK_TARGET, nv.NVML_CLOCK_ID_APP_CLOCK_DEFAULT
    health.app_clock_sm_mhz = _mhz(ask("nvmlDeviceGetClock", nv.NVML_CLOCK_SM, target))
    health.app_clock_sm_default_mhz = _mhz(ask("nvmlDeviceGetClock", nv.NVML_CLOCK_SM, default))
    health.app_clock_mem_mhz = _mhz(ask("nvmlDeviceGetClock", nv.NVML_CLOCK_MEM, target))
    health.app_clock_mem_default_mhz = _mhz(ask("nvmlDeviceGetClock", nv.NVML_CLOCK_MEM,
                                                default))


def _processes(nv: Any, ask: _Asker) -> list[GpuProcess]:
    """Compute processes holding memory on the GPU, this one left out."""
    found = ask("nvmlDeviceGetComputeRunningProcesses") or []
    processes = []
    for proc in found:
        if proc.pid == os.getpid():
            continue
        try:
            name = _text(nv.nvmlSystemGetProcessName(proc.pid))
        except Exception:  # the process ended, or belongs to another user's namespace
            name = None
        memory = getattr(proc, "usedGpuMemory", None)  # None where the driver hides it
        processes.append(GpuProcess(pid=proc.pid, name=name,
                                    used_memory_mib=round(memory / 2**20) if memory else None))
    return processes
