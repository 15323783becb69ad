"""What the doctor's GPU probe decides before it computes (provision/probes/gpu_work.py); the
computations themselves run in tests/provision/test_gpu.py, on a GPU."""

from __future__ import annotations

import pytest

from provision import tables
from provision.probes.gpu_work import GpuDescription, half_dtype

# Names as torch.cuda.get_device_name prints them; capabilities as get_device_capability.
GTX_1050 = GpuDescription(0, "NVIDIA GeForce GTX 1050", (6, 1))  # Pascal: bf16 emulated
H100 = GpuDescription(0, "NVIDIA H100 80GB HBM3", (9, 0))


def test_the_half_figure_is_bf16_only_where_bf16_is_native() -> None:
    assert half_dtype(GTX_1050) == "float16"
    assert half_dtype(H100) == "bfloat16"
    turing = GpuDescription(0, "Tesla T4", (7, 5))  # is_bf16_supported() says True here
    assert half_dtype(turing) == "float16"


@pytest.mark.parametrize(("capability", "native"), [
    ((5, 0), ("fp32",)),  # Maxwell desktop: no fp16 arithmetic
    ((5, 3), ("fp32", "fp16")),  # Tegra X1
    ((6, 1), ("fp32", "fp16")),
    ((7, 5), ("fp32", "fp16")),
    ((8, 0), ("fp32", "bf16", "fp16")),
    ((9, 0), ("fp32", "bf16", "fp16")),
])
def test_native_precisions_follow_compute_capability(capability, native) -> None:
    assert tables.native_precisions(capability) == native
