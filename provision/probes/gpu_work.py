"""Real computations on each GPU: correctness against the CPU, bandwidth and matmul throughput.

Sizes are small and every step reads the clock against a budget, so the whole run is bounded
(a few seconds per GPU). TF32 is turned off for the fp32 figures so that "fp32" means fp32.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from provision import tables
from provision.facts import GpuWorkFacts, GpuWorkResult

COPY_MIB = 64
MATMUL_N = 4096


def run_gpu_work() -> GpuWorkFacts:
    """Correctness, bandwidth and throughput figures for every CUDA device torch sees."""
    try:
        import torch
    except ImportError:
        return GpuWorkFacts(ran=False, reason="torch is not installed")
    if not torch.cuda.is_available():
        return GpuWorkFacts(ran=False, reason="torch.cuda.is_available() is False")
    results = []
    for index in range(torch.cuda.device_count()):
        try:
            results.append(_one_gpu(torch, index))
        except Exception as exc:  # one failing GPU must not hide the others
            results.append(GpuWorkResult(index=index, error=f"{type(exc).__name__}: {exc}"))
    return GpuWorkFacts(ran=True, results=results)


@dataclass(frozen=True)
class GpuDescription:
    """What the probe asks torch about a GPU before it computes anything on it."""

    index: int
    name: str
    capability: tuple[int, int]


def describe(torch: Any, index: int) -> GpuDescription:
    """The thin layer between this probe and torch: the GPU's name and compute capability."""
    major, minor = torch.cuda.get_device_capability(index)
    return GpuDescription(index, torch.cuda.get_device_name(index), (int(major), int(minor)))


def half_dtype(gpu: GpuDescription) -> str:
    """The half precision to time on this GPU: bf16 where it is native (compute capability 8.0
    and later), else fp16. `torch.cuda.is_bf16_supported()` also says yes on Pascal and Turing,
    which only emulate bf16: their "half" figure would have been an emulation's."""
    return "bfloat16" if "bf16" in tables.native_precisions(gpu.capability) else "float16"


def _one_gpu(torch: Any, index: int) -> GpuWorkResult:
    started = time.perf_counter()
    device = torch.device("cuda", index)
    gpu = describe(torch, index)
    name = gpu.name
    result = GpuWorkResult(index=index, name=name)
    previous_tf32 = (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    try:
        with torch.cuda.device(index):
            result.matmul_max_rel_err, result.matmul_ok = matmul_agreement(torch, device)
            result.lstm_max_abs_err, result.lstm_ok = lstm_agreement(torch, device)
            result.h2d_gb_s, result.d2h_gb_s, result.d2d_gb_s = copy_bandwidth(torch, device)
            result.fp32_tflops = matmul_tflops(torch, device, torch.float32)
            result.half_dtype = half_dtype(gpu)
            result.half_tflops = matmul_tflops(torch, device, getattr(torch, result.half_dtype))
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = previous_tf32
    peaks = tables.lookup_by_name(tables.NOMINAL_PEAK_TFLOPS, name)
    if peaks:
        result.nominal_fp32_tflops, result.nominal_half_tflops = peaks
    result.seconds = round(time.perf_counter() - started, 3)
    return result


def matmul_agreement(torch: Any, device: Any) -> tuple[float, bool]:
    """Largest error of a GPU fp32 matmul relative to the float64 CPU answer's scale."""
    gen = torch.Generator().manual_seed(0)
    a = torch.randn(512, 512, generator=gen)
    b = torch.randn(512, 512, generator=gen)
    expected = a.double() @ b.double()
    got = (a.to(device) @ b.to(device)).cpu().double()
    err = ((got - expected).abs().max() / expected.abs().max()).item()
    return err, err < 1e-4


def lstm_agreement(torch: Any, device: Any) -> tuple[float, bool]:
    """Largest output difference between the same LSTM run by cuDNN and on the CPU."""
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(input_size=32, hidden_size=64, num_layers=2, batch_first=True)
    x = torch.randn(8, 20, 32)
    with torch.no_grad():
        expected, _ = lstm(x)
        got, _ = lstm.to(device)(x.to(device))
    err = (got.cpu() - expected).abs().max().item()
    return err, err < 1e-4


def _time_cuda(torch: Any, fn: Any, repeats: int) -> float:
    """Seconds per call of `fn`, timed with CUDA events after one warm-up call."""
    fn()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    torch.cuda.synchronize()
    start.record()
    for _ in range(repeats):
        fn()
    end.record()
    end.synchronize()
    return start.elapsed_time(end) / 1000 / repeats


def copy_bandwidth(torch: Any, device: Any) -> tuple[float, float, float]:
    """GB/s of pinned host->device, device->host and device->device copies of COPY_MIB."""
    n = COPY_MIB * 2**20
    host = torch.empty(n, dtype=torch.uint8, pin_memory=True)
    dev = torch.empty(n, dtype=torch.uint8, device=device)
    dev2 = torch.empty_like(dev)
    h2d = _time_cuda(torch, lambda: dev.copy_(host, non_blocking=True), 5)
    d2h = _time_cuda(torch, lambda: host.copy_(dev, non_blocking=True), 5)
    # A device copy reads and writes every byte: count both, as bandwidth tools do.
    d2d = _time_cuda(torch, lambda: dev2.copy_(dev), 10)
    return round(n / h2d / 1e9, 2), round(n / d2h / 1e9, 2), round(2 * n / d2d / 1e9, 2)


def matmul_tflops(torch: Any, device: Any, dtype: Any) -> float:
    """Dense matmul throughput; a small size first keeps slow cases (fp16 on a GTX 10x0 runs at
    1/64 rate) within a second, and the timed part of the large size lasts about 0.2 s."""
    seconds, n = 0.0, 0
    for n in (1024, MATMUL_N):
        a = torch.randn(n, n, device=device, dtype=dtype)
        b = torch.randn(n, n, device=device, dtype=dtype)
        seconds = _time_cuda(torch, lambda a=a, b=b: a @ b, 1)
        if seconds * (MATMUL_N / n) ** 3 > 0.5:  # the large size would be slow: keep this one
            break
    repeats = max(3, min(200, int(0.2 / max(seconds, 1e-6))))
    seconds = _time_cuda(torch, lambda: a @ b, repeats)
    return round(2 * n**3 / seconds / 1e12, 2)
