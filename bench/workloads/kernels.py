"""The kernels workload: one recurrent layer stack on a dense batch.

`impl="torch"` is torch's own RNN (cuDNN on a GPU, native kernels on a CPU); `impl="loop"` is
rnnkit's hand-written cells stepping through time in Python. Every sequence in the batch has the
full length, so the FLOP count from bench.flops is exact, not an estimate of padded work.

Achieved FLOP/s are compared with the matmul peak (bench/workloads/matmul.py), which is why the
matmul cases are planned before the kernel cases.
"""

from __future__ import annotations

import torch
from torch import nn

from bench.flops import rnn_flops_per_token
from bench.report import kernels as report
from bench.results import CaseChecks, CaseMetrics, CaseResult
from bench.workloads.base import (
    CELLS,
    Prepared,
    ReportPieces,
    Workload,
    autocast_for,
    whole_numbers,
)
from bench.workloads.matmul import peak_cases, peak_key
from rnnkit.cells import LoopRNN

_TORCH_RNNS = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}


def tf32_state(device: str, impl: str) -> bool:
    """Whether an fp32 case may run in TF32: cuDNN's flag for torch RNNs on CUDA, the matmul
    flag for everything built from matmuls (the loop cells, the peak)."""
    if not device.startswith("cuda"):
        return False
    if impl == "torch":
        return bool(torch.backends.cudnn.allow_tf32)
    return bool(torch.backends.cuda.matmul.allow_tf32)


def build_kernel(params: dict, device: str, dtype: str, seed: int, context: dict) -> Prepared:
    cell, impl, mode = params["cell"], params["impl"], params["mode"]
    hidden, batch = int(params["hidden"]), int(params["batch"])
    seq_len, layers = int(params["seq_len"]), int(params["layers"])
    input_size = int(params.get("input", hidden))
    torch.manual_seed(seed)
    if impl == "torch":
        rnn: nn.Module = _TORCH_RNNS[cell](input_size, hidden, layers, batch_first=True)
    elif impl == "loop":
        rnn = LoopRNN(cell, input_size, hidden, layers)
    else:
        raise ValueError(f"unknown impl {impl!r} (torch or loop)")
    rnn = rnn.to(device)
    x = torch.randn(batch, seq_len, input_size, device=device)

    if mode == "inference":
        def step() -> None:
            with torch.inference_mode(), autocast_for(device, dtype):
                rnn(x)
    elif mode == "training":
        def step() -> None:
            rnn.zero_grad(set_to_none=True)
            with autocast_for(device, dtype):
                output = rnn(x)[0]
            output.float().sum().backward()
    else:
        raise ValueError(f"unknown mode {mode!r} (inference or training)")

    tokens = batch * seq_len
    flops = tokens * rnn_flops_per_token(cell, input_size, hidden, layers, mode == "training")
    tf32 = tf32_state(device, impl)
    peak = context.get("peaks", {}).get(peak_key(device, dtype, tf32))

    def metrics(median_s: float) -> CaseMetrics:
        achieved = flops / median_s
        return CaseMetrics(tokens_per_s=tokens / median_s, flops_per_step=flops,
                           flops_per_s=achieved, tf32=tf32, padding_efficiency=1.0,
                           peak_flops_per_s=peak or None,
                           peak_fraction=achieved / peak if peak else None)

    return Prepared(step, metrics, CaseChecks(verified=False, why="one implementation per case"))


def headline(case: CaseResult) -> str | None:
    m, p = case.metrics, case.params
    if m.tokens_per_s is None or m.flops_per_s is None:
        return None
    frac = m.peak_fraction
    return (f"{p['cell']} {p['impl']:<5} {p['mode']:<9} h{p['hidden']} b{p['batch']}"
            f" {case.device}/{case.dtype}: {m.tokens_per_s:.0f} tok/s, "
            f"{m.flops_per_s / 1e9:.1f} GFLOP/s"
            + (f" ({frac:.0%} of matmul peak)" if frac else ""))


WORKLOAD = Workload(
    name="kernels",
    build=build_kernel,
    id_keys=("cell", "impl", "mode", "hidden", "batch", "seq_len", "layers", "input"),
    defaults={"layers": 1, "seq_len": 32},
    choices={"cell": CELLS, "mode": ("inference", "training"), "impl": ("torch", "loop")},
    validate=whole_numbers("hidden", "batch", "seq_len", "layers", "input"),
    cell_key="cell",
    needs=peak_cases,
    headline=headline,
    report=ReportPieces(section="Kernels: RNN, GRU, LSTM", tables=(report.kernels_table,),
                        charts=(report.kernels_charts,), notes=(report.peak_notes,),
                        findings=(report.impl_finding, report.peak_finding)),
)
