"""The GPU paths of the timing engine: precisions as labelled, no host sync inside a timed step,
events on the case's device, memory above a per-case baseline. What a CPU can check runs
everywhere; the rest is marked `gpu` and runs where CUDA works (scripts/gpu_check.sh)."""

from __future__ import annotations

import pytest
import torch
from torch.nn.modules.module import register_module_forward_pre_hook
from torch.nn.utils.rnn import PackedSequence
from torch.utils._python_dispatch import TorchDispatchMode

from bench.runner import _prepare_entry
from bench.suites import Case
from bench.timer import Timer
from bench.workloads.batching import build_batching
from bench.workloads.kernels import build_kernel
from rnnkit.batching import pack

BATCHING = {"dist": "names", "n": 64, "cell": "lstm", "mode": "inference", "batch": 16,
            "hidden": 32, "layers": 1}


class _Dtypes(TorchDispatchMode):
    """The dtypes of the floating-point tensors every recurrent or matrix op receives."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: dict[str, set[torch.dtype]] = {}

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        name = func.__name__
        if any(k in name for k in ("lstm", "gru", "rnn", "mm", "linear")):
            for arg in args:
                if isinstance(arg, torch.Tensor) and arg.is_floating_point():
                    self.seen.setdefault(name, set()).add(arg.dtype)
        return func(*args, **(kwargs or {}))


def _kernel(device: str, dtype: str, impl: str = "torch", mode: str = "inference"):
    return build_kernel({"cell": "lstm", "impl": impl, "mode": mode, "hidden": 16, "batch": 4,
                         "seq_len": 5, "layers": 1}, device, dtype, 0, {})


@pytest.mark.parametrize("impl", ["torch", "loop"])
def test_a_bf16_kernel_case_computes_in_bf16_not_under_autocast(impl: str) -> None:
    with _Dtypes() as seen:
        _kernel("cpu", "bf16", impl).step()
    assert seen.seen and all(dtypes == {torch.bfloat16} for dtypes in seen.seen.values())


class _RnnInputs:
    """The dtypes of every recurrent module's parameters and input, as the step calls it
    (a global forward pre-hook: the workload keeps its model to itself)."""

    def __init__(self) -> None:
        self.params: set[torch.dtype] = set()
        self.inputs: set[torch.dtype] = set()
        self.handle = None

    def hook(self, module: torch.nn.Module, args: tuple) -> None:
        if isinstance(module, torch.nn.RNNBase):
            self.params |= {p.dtype for p in module.parameters()}
            x = args[0]
            self.inputs.add((x.data if isinstance(x, PackedSequence) else x).dtype)

    def __enter__(self) -> _RnnInputs:
        self.handle = register_module_forward_pre_hook(self.hook)
        return self

    def __exit__(self, *exc: object) -> None:
        self.handle.remove()


@pytest.mark.parametrize("mode", ["inference", "training"])
@pytest.mark.parametrize("strategy", ["padded", "bucketed+packed"])
def test_a_bf16_batching_case_runs_its_model_in_bf16(mode: str, strategy: str) -> None:
    prepared = build_batching(dict(BATCHING, strategy=strategy, mode=mode), "cpu", "bf16", 0, {})
    with _RnnInputs() as seen, _Dtypes() as ops:
        prepared.step()
    assert seen.params == {torch.bfloat16} and seen.inputs == {torch.bfloat16}
    # The embedding, the recurrent layer and the head all compute in bf16 (the loss alone is
    # taken in fp32, after the model).
    model_ops = {k: v for k, v in ops.seen.items() if "lstm" in k or k.startswith(("mm", "addmm"))}
    assert model_ops and all(dtypes == {torch.bfloat16} for dtypes in model_ops.values()), \
        ops.seen


def test_a_sorted_batch_packs_without_a_sorting_index() -> None:
    x = torch.randn(3, 4, 2)
    assert pack(x, torch.tensor([4, 3, 1])).sorted_indices is None  # nothing to copy
    unsorted = pack(x, torch.tensor([1, 4, 3]))
    assert unsorted.sorted_indices.tolist() == [1, 2, 0]


# ------------------------------------------------------------------------- on a GPU
gpu = pytest.mark.gpu


@gpu
@pytest.mark.parametrize("dtype", ["fp16", "bf16"])
def test_cudnn_runs_the_precision_the_case_is_labelled_with(dtype: str) -> None:
    if dtype == "bf16" and torch.cuda.get_device_capability()[0] < 8:
        pytest.skip("bf16 is not native before compute capability 8.0")
    want = {"fp16": torch.float16, "bf16": torch.bfloat16}[dtype]
    with _Dtypes() as seen:
        _kernel("cuda", dtype).step()
    rnn_ops = {k: v for k, v in seen.seen.items() if "rnn" in k or "lstm" in k}
    assert rnn_ops and all(dtypes == {want} for dtypes in rnn_ops.values()), seen.seen


@gpu
@pytest.mark.parametrize("strategy", ["padded", "packed", "bucketed", "bucketed+packed"])
def test_a_batching_step_on_cuda_never_waits_for_the_gpu(strategy: str) -> None:
    prepared = build_batching(dict(BATCHING, strategy=strategy), "cuda", "fp32", 0, {})
    prepared.step()  # warm: lazy initialisation may synchronise once
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")  # any synchronising call now raises
    try:
        prepared.step()
    finally:
        torch.cuda.set_sync_debug_mode("default")


@gpu
@pytest.mark.parametrize("dtype", ["fp16", "bf16"])
@pytest.mark.parametrize("strategy", ["padded", "packed"])
def test_a_batching_case_runs_cudnn_in_its_own_precision(dtype: str, strategy: str) -> None:
    if dtype == "bf16" and torch.cuda.get_device_capability()[0] < 8:
        pytest.skip("bf16 is not native before compute capability 8.0")
    want = {"fp16": torch.float16, "bf16": torch.bfloat16}[dtype]
    prepared = build_batching(dict(BATCHING, strategy=strategy), "cuda", dtype, 0, {})
    assert prepared.checks.verified, prepared.checks
    with _Dtypes() as seen:
        prepared.step()
    rnn_ops = {k: v for k, v in seen.seen.items() if "rnn" in k or "lstm" in k}
    assert rnn_ops and all(dtypes == {want} for dtypes in rnn_ops.values()), seen.seen


@gpu
def test_events_are_recorded_on_the_cases_own_device() -> None:
    if torch.cuda.device_count() < 2:
        pytest.skip("needs two GPUs")
    a = torch.randn(2048, 2048, device="cuda:1")
    timer = Timer(lambda: a @ a, device="cuda:1", budget_s=0.2)
    with torch.cuda.device(0):
        m = timer.measure()
    # Events on device 0 would time nothing of device 1's work: microseconds, not a product.
    assert m.median_s > 1e-4


@gpu
def test_a_cases_peak_memory_does_not_count_what_earlier_cases_hold() -> None:
    held = torch.empty(256 * 1024 * 1024, dtype=torch.uint8, device="cuda")  # 256 MiB
    case = Case("t", "kernels", {"cell": "lstm", "impl": "torch", "mode": "inference",
                                 "hidden": 16, "batch": 4, "seq_len": 5, "layers": 1},
                "cuda", "fp32")
    entry = _prepare_entry(case, 0, 0.05, 0.5, {})
    assert entry.slot is not None
    assert 0 < entry.memory["peak_memory_bytes"] < held.numel()
