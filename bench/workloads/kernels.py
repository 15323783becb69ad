"""The kernels workload: one recurrent layer stack on a dense batch, and the matmul peak.

`impl="torch"` is torch's own RNN (cuDNN on a GPU, native kernels on a CPU); `impl="loop"` is
rnnkit's hand-written cells stepping through time in Python. Every sequence in the batch has the
full length, so the FLOP count from bench.flops is exact, not an estimate of padded work.

The matmul workload measures the peak that achieved FLOP/s are compared with, in the same run,
on the same device and in the same precision (and TF32 state: cuDNN may run an fp32 RNN in TF32
while plain matmuls do not, so the two are measured and matched separately).
"""

from __future__ import annotations

import torch
from torch import nn

from bench.flops import matmul_flops, rnn_flops_per_token
from bench.workloads import DTYPES, Prepared, autocast_for
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


def peak_key(device: str, dtype: str, tf32: bool) -> str:
    return f"{device}/{dtype}/tf32={'on' if tf32 and dtype == 'fp32' else 'off'}"


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

    def metrics(median_s: float) -> dict:
        achieved = flops / median_s
        out = {"tokens_per_s": tokens / median_s, "flops_per_step": flops,
               "flops_per_s": achieved, "tf32": tf32, "padding_efficiency": 1.0}
        if peak:
            out["peak_flops_per_s"] = peak
            out["peak_fraction"] = achieved / peak
        return out

    return Prepared(step, metrics, {"verified": False, "why": "one implementation per case"})


def build_matmul(params: dict, device: str, dtype: str, seed: int) -> Prepared:
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

    def metrics(median_s: float) -> dict:
        return {"flops_per_s": flops / median_s, "flops_per_step": flops, "tf32": tf32,
                "peak_key": peak_key(device, dtype, tf32)}

    return Prepared(step, metrics, {"verified": False, "why": "reference kernel"})
