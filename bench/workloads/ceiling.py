"""The ceiling workload: the matrix products a recurrent layer stack must do, at its own shapes.

A kernels case's "% of ceiling" compares it with this, not with a square matmul: per layer, one
input GEMM over all steps at once ([B·T, I] × [I, G·H]) and T recurrent GEMMs ([B, H] × [H, G·H]),
in the case's precision (and TF32 state), with nothing else: no gate arithmetic, no dispatch of
the small elementwise operations between the GEMMs, no copies. In training it adds what the
backward pass multiplies: both weight gradients (one GEMM each over all steps), T recurrent
gradient GEMMs (T - 1 where the initial state needs no gradient), and the input gradient of every
layer whose input needs one (not the first), unless the kernel's backward pass is fused (cuDNN's,
oneDNN's LSTM), which computes every one of them anyway. Its FLOP count is therefore exactly the
case's (bench/flops.py `rnn_step_flops`), and a kernel at 100% of its ceiling spends all its
time in GEMMs as fast as the library does them. The recurrent GEMMs are small ([64, 256] ×
[256, 1024] fits in a CPU's L2), which is why a kernel can run above a square-matmul "peak";
above this ceiling only by fusing or reordering the products, never by much.

It is no config table: the kernels workload asks for one per case shape (`ceiling_case`), and
its cases are timed in the same rounds as the kernels.
"""

from __future__ import annotations

import torch

from bench.flops import GATES, rnn_step_flops
from bench.results import CaseChecks, CaseMetrics
from bench.workloads.base import DTYPES, NeededCase, Prepared, Workload

# The kernel parameters that fix the ceiling's shapes (impl does not: torch and loop share one).
SHAPE_KEYS = ("cell", "mode", "hidden", "batch", "seq_len", "layers", "input")


def ceiling_params(kernel_params: dict, tf32: bool, fused_backward: bool) -> dict:
    """The ceiling's parameters for a kernels case's parameters, TF32 state and whether its
    training step has a fused backward pass (bench/flops.py `rnn_step_flops`)."""
    params = {k: kernel_params[k] for k in SHAPE_KEYS if k in kernel_params}
    params.setdefault("input", params["hidden"])
    params["tf32"] = bool(tf32)
    if params.get("mode") == "training":
        params["fused_backward"] = bool(fused_backward)
    return params


def ceiling_case(kernel_params: dict, device: str, dtype: str, tf32: bool,
                 fused_backward: bool) -> NeededCase:
    return NeededCase("ceiling", ceiling_params(kernel_params, tf32, fused_backward), device,
                      dtype)


def ceiling_key(device: str, dtype: str, params: dict) -> tuple:
    """What matches a kernels case with its ceiling: device, precision and ceiling parameters
    (the kernel's `ceiling_params`, or a ceiling case's own)."""
    return (device, dtype, tuple(sorted((k, str(v)) for k, v in params.items())))


def build_ceiling(params: dict, device: str, dtype: str, seed: int,
                  context: dict | None = None) -> Prepared:
    cell, mode = params["cell"], params["mode"]
    hidden, batch = int(params["hidden"]), int(params["batch"])
    steps, layers = int(params["seq_len"]), int(params["layers"])
    first_input = int(params.get("input", hidden))
    training = mode == "training"
    fused = bool(params.get("fused_backward", False))
    wide = GATES[cell] * hidden
    kind = DTYPES[dtype]
    gen = torch.Generator(device="cpu").manual_seed(seed)

    def rand(*shape: int) -> torch.Tensor:
        return torch.randn(*shape, generator=gen).to(device=device, dtype=kind)

    def empty(*shape: int) -> torch.Tensor:
        return torch.empty(*shape, device=device, dtype=kind)

    layer_sizes = [first_input] + [hidden] * (layers - 1)
    # Per layer: the layer's inputs over all steps, W_ih^T and W_hh^T, a hidden state, the
    # gate gradients, the outputs over all steps, and room for every product's result.
    plan = [{"x": rand(batch * steps, size), "w_ih": rand(size, wide), "w_hh": rand(hidden, wide),
             "h": rand(batch, hidden), "g_t": rand(batch, wide), "dg": rand(batch * steps, wide),
             "hs": rand(batch * steps, hidden), "gates": empty(batch * steps, wide),
             "dw_ih": empty(size, wide), "dw_hh": empty(hidden, wide),
             "dx": empty(batch * steps, size), "input_grad": layer > 0 or fused}
            for layer, size in enumerate(layer_sizes)]
    recurrent_out, dh = empty(batch, wide), empty(batch, hidden)

    def products() -> None:
        for p in plan:
            torch.mm(p["x"], p["w_ih"], out=p["gates"])  # the input GEMM, all steps at once
            for _ in range(steps):  # one recurrent GEMM per step
                torch.mm(p["h"], p["w_hh"], out=recurrent_out)
            if not training:
                continue
            torch.mm(p["x"].t(), p["dg"], out=p["dw_ih"])  # weight gradients, all steps at once
            torch.mm(p["hs"].t(), p["dg"], out=p["dw_hh"])
            for _ in range(steps if fused else steps - 1):  # the hidden state's gradient
                torch.mm(p["g_t"], p["w_hh"].t(), out=dh)
            if p["input_grad"]:  # the layer below needs its input's gradient
                torch.mm(p["dg"], p["w_ih"].t(), out=p["dx"])

    want_tf32 = bool(params.get("tf32", False))

    def step() -> None:
        saved = torch.backends.cuda.matmul.allow_tf32
        torch.backends.cuda.matmul.allow_tf32 = want_tf32
        try:
            products()
        finally:
            torch.backends.cuda.matmul.allow_tf32 = saved

    flops = rnn_step_flops(cell, first_input, hidden, layers, batch, steps, training, fused)
    tf32 = want_tf32 and device.startswith("cuda") and dtype == "fp32"

    def metrics(median_s: float) -> CaseMetrics:
        return CaseMetrics(flops_per_s=flops / median_s, flops_per_step=flops, tf32=tf32,
                           tokens_per_s=batch * steps / median_s)

    return Prepared(step, metrics, CaseChecks(verified=False, why="reference kernel"))


WORKLOAD = Workload(
    name="ceiling",
    build=build_ceiling,
    id_keys=(*SHAPE_KEYS, "tf32", "fused_backward"),
    in_config=False,
)
