"""The kernels workload: one recurrent layer stack on a dense batch.

`impl="torch"` is torch's own RNN (cuDNN on a GPU, native kernels on a CPU); `impl="loop"` is
rnnkit's hand-written cells stepping through time in Python. Every case runs with its weights and
input in its own precision (fp32, bf16 or fp16), so the kernel computes in the precision its
label says. Every sequence in the batch has the full length, so the FLOP count from bench.flops
is exact, not an estimate of padded work.

Achieved FLOP/s are compared with the ceiling at the case's own shapes (bench/workloads/ceiling.py:
the same GEMMs with nothing around them), timed in the same rounds; the square-matmul peak
(bench/workloads/matmul.py) is kept as context. Both are planned with the kernel cases (`needs`)
and matched to them after the rounds (bench/merging.py `apply_peaks`).
"""

from __future__ import annotations

import torch
from torch import nn

from bench.flops import rnn_step_flops
from bench.report import kernels as report
from bench.results import CaseChecks, CaseMetrics, CaseResult
from bench.workloads.base import (
    CELLS,
    NeededCase,
    Prepared,
    Workload,
    in_precision,
    tf32_capable,
    whole_numbers,
)
from bench.workloads.ceiling import ceiling_case
from bench.workloads.matmul import peak_cases
from rnnkit.cells import LoopRNN

_TORCH_RNNS = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}


def tf32_state(device: str, impl: str) -> bool:
    """Whether an fp32 case runs in TF32: cuDNN's flag for torch RNNs on CUDA, the matmul flag
    for everything built from matmuls (the loop cells, the peak), and only on a GPU that has
    TF32 (Ampere and later): elsewhere the flags are on and change nothing."""
    if not device.startswith("cuda") or not tf32_capable(device):
        return False
    if impl == "torch":
        return bool(torch.backends.cudnn.allow_tf32)
    return bool(torch.backends.cuda.matmul.allow_tf32)


def fused_backward(cell: str, impl: str, device: str) -> bool:
    """Whether a training step's backward pass is one fused kernel, which computes the gradient
    of the kernels' input (which needs none) and of the initial state anyway.

    Autograd skips both for the loop cells and for torch's unfused CPU GRU and RNN (the input's
    is a third of the backward GEMMs); the fused passes compute them: cuDNN's backward-data on a
    GPU, and oneDNN's RNN layer (torch's CPU LSTM, `mkldnn_rnn_layer_backward`)."""
    if impl != "torch":
        return False
    if device.startswith("cuda"):
        return True
    return cell == "lstm" and torch.backends.mkldnn.is_available() \
        and bool(torch.backends.mkldnn.enabled)


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
    rnn = in_precision(rnn, device, dtype)
    x = in_precision(torch.randn(batch, seq_len, input_size), device, dtype)

    if mode == "inference":
        def step() -> None:
            with torch.inference_mode():
                rnn(x)
    elif mode == "training":
        def step() -> None:
            rnn.zero_grad(set_to_none=True)
            output = rnn(x)[0]
            output.float().sum().backward()
    else:
        raise ValueError(f"unknown mode {mode!r} (inference or training)")

    tokens = batch * seq_len
    fused = fused_backward(cell, impl, device)
    flops = rnn_step_flops(cell, input_size, hidden, layers, batch, seq_len, mode == "training",
                           fused)
    tf32 = tf32_state(device, impl) and dtype == "fp32"

    # The peak and the ceiling are other cases of the run: bench/merging.py fills them in, and
    # finds the ceiling by the parameters `ceiling_params` makes of these.
    def metrics(median_s: float) -> CaseMetrics:
        return CaseMetrics(tokens_per_s=tokens / median_s, flops_per_step=flops,
                           flops_per_s=flops / median_s, tf32=tf32, padding_efficiency=1.0,
                           extra={"kernels": {"fused_backward": fused}})

    return Prepared(step, metrics, CaseChecks(verified=False, why="one implementation per case"))


def needs(device: str, dtype: str, params: dict) -> list[NeededCase]:
    """The square-matmul peaks of the device and precision, and the ceiling at this case's
    shapes (TF32 and input gradient as the case runs them)."""
    cell, impl = params["cell"], params["impl"]
    return [*peak_cases(device, dtype),
            ceiling_case(params, device, dtype, tf32_state(device, impl) and dtype == "fp32",
                         fused_backward(cell, impl, device))]


def headline(case: CaseResult) -> str | None:
    m, p = case.metrics, case.params
    if m.tokens_per_s is None or m.flops_per_s is None:
        return None
    line = (f"{p['cell']} {p['impl']:<5} {p['mode']:<9} h{p['hidden']} b{p['batch']}"
            f" {case.device}/{case.dtype}: {m.tokens_per_s:.0f} tok/s, "
            f"{m.flops_per_s / 1e9:.1f} GFLOP/s")
    if m.ceiling_fraction is not None:
        ci = m.ceiling_fraction_ci
        line += f", {m.ceiling_fraction:.0%} of its GEMM ceiling"
        line += f" [{ci[0]:.0%}, {ci[1]:.0%}]" if ci else ""
    if m.peak_fraction is not None:
        line += f" ({m.peak_fraction:.0%} of matmul peak)"
    return line


WORKLOAD = Workload(
    name="kernels",
    build=build_kernel,
    id_keys=("cell", "impl", "mode", "hidden", "batch", "seq_len", "layers", "input"),
    defaults={"layers": 1, "seq_len": 32},
    choices={"cell": CELLS, "mode": ("inference", "training"), "impl": ("torch", "loop")},
    validate=whole_numbers("hidden", "batch", "seq_len", "layers", "input"),
    cell_key="cell",
    needs=needs,
    headline=headline,
    report=report.PIECES,
)
