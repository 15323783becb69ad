"""The matmul workload: the square-matmul peak, context for the kernels' achieved FLOP/s.

Measured in the same rounds, on the same device and in the same precision (and TF32 state:
cuDNN may run an fp32 RNN in TF32 while plain matmuls do not, so the two are measured and
matched separately). It is context only: a kernel's small recurrent GEMMs can run faster than
a large square one (they fit in cache), so kernels are judged against the ceiling at their own
shapes (bench/workloads/ceiling.py). It is no config table: the kernels workload asks for it
(`peak_cases`).
"""

from __future__ import annotations

import torch

from bench.flops import matmul_flops
from bench.results import CaseChecks, CaseMetrics
from bench.workloads.base import DTYPES, NeededCase, Prepared, Workload, fast_half, tf32_capable

# The peak is the fastest of a few sizes: one size alone can sit on a cache edge or a slow
# kernel choice and understate what the unit does. On a CPU n = 2048 is left out: at one thread
# one product takes a third of a second, more than a round's share of a case's budget.
MATMUL_N = {"cpu": (512, 1024), "cuda": (4096, 8192)}
# Half precision on a GPU whose half-precision rate is a small fraction of its fp32 rate
# (consumer Pascal, compute capability 6.1: 1/64): an n = 8192 product takes about 35 s there,
# so the peak is taken at sizes that finish in a fraction of a second.
SLOW_HALF_N = (1024, 2048)


def peak_key(device: str, dtype: str, tf32: bool) -> str:
    return f"{device}/{dtype}/tf32={'on' if tf32 and dtype == 'fp32' else 'off'}"


def build_matmul(params: dict, device: str, dtype: str, seed: int,
                 context: dict | None = None) -> Prepared:
    """An n×n matrix product in `dtype` (TF32 on or off as the params say, on CUDA fp32)."""
    n = int(params["n"])
    gen = torch.Generator(device="cpu").manual_seed(seed)
    a = torch.randn(n, n, generator=gen).to(device=device, dtype=DTYPES[dtype])
    b = torch.randn(n, n, generator=gen).to(device=device, dtype=DTYPES[dtype])
    want_tf32 = bool(params.get("tf32", False))

    def step() -> None:
        # The flag is process-wide: set it for the product and put it back at once.
        saved = torch.backends.cuda.matmul.allow_tf32
        torch.backends.cuda.matmul.allow_tf32 = want_tf32
        try:
            torch.mm(a, b)
        finally:
            torch.backends.cuda.matmul.allow_tf32 = saved

    flops = matmul_flops(n)
    tf32 = want_tf32 and dtype == "fp32" and tf32_capable(device)

    def metrics(median_s: float) -> CaseMetrics:
        return CaseMetrics(flops_per_s=flops / median_s, flops_per_step=flops, tf32=tf32,
                           peak_key=peak_key(device, dtype, tf32))

    return Prepared(step, metrics, CaseChecks(verified=False, why="reference kernel"))


def peak_sizes(device: str, dtype: str) -> tuple[int, ...]:
    """The sizes tried for a peak: bounded where half precision is slow."""
    if dtype != "fp32" and device.startswith("cuda") and not fast_half(device):
        return SLOW_HALF_N
    return MATMUL_N[device.split(":")[0]]


def peak_cases(device: str, dtype: str) -> list[NeededCase]:
    """The matmul sizes for one device and dtype, with TF32 off and (fp32 on a GPU that has
    TF32) on."""
    tf32_states = [False, True] if dtype == "fp32" and tf32_capable(device) else [False]
    return [NeededCase("matmul", {"n": n, "tf32": tf32}, device, dtype)
            for tf32 in tf32_states for n in peak_sizes(device, dtype)]


def keep_peak(peaks: dict[str, float], metrics: CaseMetrics) -> None:
    """The peak of a device, dtype and TF32 state is the fastest matmul size measured for it."""
    if metrics.peak_key is None or metrics.flops_per_s is None:
        return
    peaks[metrics.peak_key] = max(peaks.get(metrics.peak_key, 0.0), metrics.flops_per_s)


WORKLOAD = Workload(
    name="matmul",
    build=build_matmul,
    id_keys=("n", "tf32"),
    in_config=False,
)
