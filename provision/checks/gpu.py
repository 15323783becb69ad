"""Checks of the GPU at work: real computations (from the probes) and NVML health."""

from __future__ import annotations

from provision.checks.base import CheckResult, check, has_nvidia_gpu
from provision.facts import Facts, GpuWorkResult
from provision.fix import run, say
from provision.profile import Profile

# Above this a GPU is close to thermal throttling and benchmark figures drift.
HOT_C = 85
# These throttle reasons lower clocks under load; idle and application-clock settings do not.
DISTORTING = {"sw_power_cap", "hw_slowdown", "sw_thermal_slowdown", "hw_thermal_slowdown",
              "hw_power_brake_slowdown"}


def _figures(r: GpuWorkResult) -> str:
    def beside(value: float | None, peak: float | None) -> str:
        if value is None:
            return "?"
        return f"{value:g} TFLOP/s" + (f" (nominal {peak:g})" if peak else "")

    return (f"GPU {r.index} {r.name}: fp32 matmul {beside(r.fp32_tflops, r.nominal_fp32_tflops)}"
            f", {r.half_dtype} {beside(r.half_tflops, r.nominal_half_tflops)}; copies H2D "
            f"{r.h2d_gb_s} GB/s, D2H {r.d2h_gb_s} GB/s, D2D {r.d2d_gb_s} GB/s; matmul rel. error "
            f"{r.matmul_max_rel_err:.1e}, cuDNN LSTM max error {r.lstm_max_abs_err:.1e}"
            if r.matmul_max_rel_err is not None and r.lstm_max_abs_err is not None
            else f"GPU {r.index} {r.name}")


@check("gpu.compute")
def compute(facts: Facts, profile: Profile) -> CheckResult:
    work = facts.gpu_work
    if not work.ran:
        reason = work.reason or "not run"
        return CheckResult("gpu.compute", "skip", f"GPU computations skipped: {reason}",
                           because="" if has_nvidia_gpu(facts) else "nvidia.gpu")
    if not work.results:
        return CheckResult("gpu.compute", "skip", "GPU computations skipped: no CUDA device")
    broken = [r for r in work.results if r.error or not r.matmul_ok or not r.lstm_ok]
    detail = "\n".join(_figures(r) for r in work.results)
    if broken:
        first = broken[0]
        what = first.error or ("matmul disagrees with the CPU" if not first.matmul_ok
                               else "cuDNN LSTM disagrees with the CPU")
        return CheckResult("gpu.compute", "fail", f"GPU {first.index} ({first.name}): {what}",
                           detail=detail, fixes=(run((
                               "python3 -c 'import torch; print(torch.ones(2, device=\"cuda\") "
                               "* 2)'", "alone, it shows the CUDA error; a wrong result points "
                               "to the card or its clocks")),))
    best = work.results[0]
    through = f" through HIP (ROCm {facts.torch.hip})" if facts.torch.hip else ""
    return CheckResult("gpu.compute", "pass",
                       f"{len(work.results)} GPU(s) compute correctly{through}; GPU "
                       f"{best.index}: fp32 "
                       f"{best.fp32_tflops} TFLOP/s, {best.half_dtype} {best.half_tflops} "
                       f"TFLOP/s, H2D {best.h2d_gb_s} GB/s", detail=detail)


@check("gpu.health")
def health(facts: Facts, profile: Profile) -> CheckResult:
    gpus = facts.driver.gpus
    if not has_nvidia_gpu(facts) or not gpus:
        return CheckResult("gpu.health", "skip", "No GPU answering NVML or nvidia-smi",
                           because="" if has_nvidia_gpu(facts) else "nvidia.gpu")
    warnings, notes = [], []
    for gpu in gpus:
        h = gpu.health
        if h is None:
            notes.append(f"GPU {gpu.index}: no health figures")
            continue
        label = f"GPU {gpu.index}"
        if h.temperature_c is not None and h.temperature_c >= HOT_C:
            warnings.append(f"{label} at {h.temperature_c:g} °C")
        slowing = sorted(set(h.throttle_reasons) & DISTORTING)
        if slowing:
            warnings.append(f"{label} clocks held down by {', '.join(slowing)}")
        if h.pcie_width and h.pcie_width_max and h.pcie_width < h.pcie_width_max:
            warnings.append(f"{label} PCIe link x{h.pcie_width} of x{h.pcie_width_max}")
        if h.ecc_uncorrected:
            warnings.append(f"{label} {h.ecc_uncorrected} uncorrected ECC errors")
        notes.append(f"{label}: {h.temperature_c} °C, {h.power_w} W of {h.power_limit_w} W, "
                     f"SM {h.sm_clock_mhz}/{h.max_sm_clock_mhz} MHz, PCIe gen "
                     f"{h.pcie_gen}/{h.pcie_gen_max} x{h.pcie_width}/{h.pcie_width_max}, "
                     f"persistence {h.persistence_mode}, throttle {h.throttle_reasons or 'none'}")
    detail = ("\n".join(notes) + "\nAn idle GPU lowers its PCIe generation and clocks to save "
              "power; only a narrower link than the slot allows is a fault.")
    if warnings:
        return CheckResult("gpu.health", "warn", "; ".join(warnings), detail=detail,
                           fixes=(say("improve cooling or raise the power limit (nvidia-smi "
                                      "-pl), reseat the card for a narrow PCIe link, and rerun "
                                      "benchmarks when the GPU is cool and idle"),))
    return CheckResult("gpu.health", "pass", f"{len(gpus)} GPU(s): no throttling, heat or link "
                       "problems reported", detail=detail)
