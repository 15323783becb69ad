"""The matmul workload: the peak that the kernels' achieved FLOP/s are compared with.

Measured in the same run, on the same device and in the same precision (and TF32 state: cuDNN
may run an fp32 RNN in TF32 while plain matmuls do not, so the two are measured and matched
separately). It is no config table: the kernels workload asks for it (`peak_cases`).
"""

from __future__ import annotations

import torch

from bench.flops import matmul_flops
from bench.results import CaseChecks, CaseMetrics, CaseResult
from bench.workloads.base import DTYPES, NeededCase, Prepared, Workload

# The peak is the fastest of a few sizes: one size alone can sit on a cache edge or a slow
# kernel choice and understate what the unit does (an RNN then reads as over 100% of "peak").
MATMUL_N = {"cpu": (512, 1024, 2048), "cuda": (4096, 8192)}


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
    tf32 = want_tf32 and device.startswith("cuda") and dtype == "fp32"

    def metrics(median_s: float) -> CaseMetrics:
        return CaseMetrics(flops_per_s=flops / median_s, flops_per_step=flops, tf32=tf32,
                           peak_key=peak_key(device, dtype, tf32))

    return Prepared(step, metrics, CaseChecks(verified=False, why="reference kernel"))


def peak_cases(device: str, dtype: str) -> list[NeededCase]:
    """The matmul sizes for one device and dtype, with TF32 off and (CUDA fp32) on."""
    tf32_states = [False, True] if device.startswith("cuda") and dtype == "fp32" else [False]
    return [NeededCase("matmul", {"n": n, "tf32": tf32}, device, dtype)
            for tf32 in tf32_states for n in MATMUL_N[device.split(":")[0]]]


def keep_peak(peaks: dict[str, float], metrics: CaseMetrics) -> None:
    """The peak of a device, dtype and TF32 state is the fastest matmul size measured for it."""
    if metrics.peak_key is None or metrics.flops_per_s is None:
        return
    peaks[metrics.peak_key] = max(peaks.get(metrics.peak_key, 0.0), metrics.flops_per_s)


def _keep_peak_of(record: CaseResult, context: dict) -> None:
    keep_peak(context.setdefault("peaks", {}), record.metrics)


WORKLOAD = Workload(
    name="matmul",
    build=build_matmul,
    id_keys=("n", "tf32"),
    on_result=_keep_peak_of,
    in_config=False,
)
