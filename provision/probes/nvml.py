"""NVML through pynvml, kept in one thin module: the only probe a unit test may replace.

`query()` returns (driver version, [GpuInfo]) or raises `NvmlUnavailable` with the reason;
every per-metric call that a GPU does not support simply leaves that metric None.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from provision.facts import GpuHealth, GpuInfo

# Bits of nvmlDeviceGetCurrentClocksThrottleReasons (nvml.h, "ClocksThrottleReasons").
THROTTLE_BITS: dict[int, str] = {
    0x1: "gpu_idle",
    0x2: "applications_clocks_setting",
    0x4: "sw_power_cap",
    0x8: "hw_slowdown",
    0x10: "sync_boost",
    0x20: "sw_thermal_slowdown",
    0x40: "hw_thermal_slowdown",
    0x80: "hw_power_brake_slowdown",
    0x100: "display_clock_setting",
}


class NvmlUnavailable(Exception):
    """NVML could not be loaded or initialised (no driver, no library, no permission)."""


def decode_throttle(mask: int) -> list[str]:
    return [name for bit, name in THROTTLE_BITS.items() if mask & bit]


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def query() -> tuple[str, list[GpuInfo]]:
    try:
        import pynvml

        pynvml.nvmlInit()
    except Exception as exc:  # library missing, driver missing: both mean "no NVML here"
        raise NvmlUnavailable(f"NVML unavailable: {exc}") from exc
    try:
        version = _text(pynvml.nvmlSystemGetDriverVersion())
        gpus = [_gpu(pynvml, i) for i in range(pynvml.nvmlDeviceGetCount())]
        return version, gpus
    except Exception as exc:
        raise NvmlUnavailable(f"NVML query failed: {exc}") from exc
    finally:
        # Shutting down a half-initialised NVML changes nothing for us.
        with contextlib.suppress(Exception):
            pynvml.nvmlShutdown()


def _maybe(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except Exception:  # "Not Supported" on many laptop GPUs: leave the metric unknown
        return None


def _gpu(nv: Any, index: int) -> GpuInfo:
    handle = nv.nvmlDeviceGetHandleByIndex(index)
    cc = _maybe(lambda: nv.nvmlDeviceGetCudaComputeCapability(handle))
    memory = _maybe(lambda: nv.nvmlDeviceGetMemoryInfo(handle).total)
    return GpuInfo(
        index=index,
        name=_text(nv.nvmlDeviceGetName(handle)),
        uuid=_maybe(lambda: _text(nv.nvmlDeviceGetUUID(handle))),
        pci_bus_id=_maybe(lambda: _text(nv.nvmlDeviceGetPciInfo(handle).busId)),
        compute_capability=f"{cc[0]}.{cc[1]}" if cc else None,
        memory_total_mib=round(memory / 2**20) if memory else None,
        health=_health(nv, handle),
    )


def _health(nv: Any, handle: Any) -> GpuHealth:
    power = _maybe(lambda: nv.nvmlDeviceGetPowerUsage(handle))
    limit = _maybe(lambda: nv.nvmlDeviceGetEnforcedPowerLimit(handle))
    throttle = _maybe(lambda: nv.nvmlDeviceGetCurrentClocksThrottleReasons(handle))
    ecc = _maybe(lambda: nv.nvmlDeviceGetEccMode(handle))
    ecc_enabled = bool(ecc[0]) if ecc else None
    uncorrected = None
    if ecc_enabled:
        uncorrected = _maybe(lambda: nv.nvmlDeviceGetTotalEccErrors(
            handle, nv.NVML_MEMORY_ERROR_TYPE_UNCORRECTED, nv.NVML_VOLATILE_ECC))
    persistence = _maybe(lambda: nv.nvmlDeviceGetPersistenceMode(handle))
    return GpuHealth(
        temperature_c=_maybe(lambda: nv.nvmlDeviceGetTemperature(handle, nv.NVML_TEMPERATURE_GPU)),
        power_w=power / 1000 if power is not None else None,
        power_limit_w=limit / 1000 if limit is not None else None,
        sm_clock_mhz=_maybe(lambda: nv.nvmlDeviceGetClockInfo(handle, nv.NVML_CLOCK_SM)),
        max_sm_clock_mhz=_maybe(lambda: nv.nvmlDeviceGetMaxClockInfo(handle, nv.NVML_CLOCK_SM)),
        throttle_reasons=decode_throttle(throttle) if throttle is not None else [],
        pcie_gen=_maybe(lambda: nv.nvmlDeviceGetCurrPcieLinkGeneration(handle)),
        pcie_gen_max=_maybe(lambda: nv.nvmlDeviceGetMaxPcieLinkGeneration(handle)),
        pcie_width=_maybe(lambda: nv.nvmlDeviceGetCurrPcieLinkWidth(handle)),
        pcie_width_max=_maybe(lambda: nv.nvmlDeviceGetMaxPcieLinkWidth(handle)),
        persistence_mode=bool(persistence) if persistence is not None else None,
        ecc_enabled=ecc_enabled,
        ecc_uncorrected=uncorrected,
    )
