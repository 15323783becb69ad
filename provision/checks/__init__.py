"""The doctor's checks: pure functions of Facts and a Profile, each under a stable id."""

from __future__ import annotations

from provision.checks import (  # noqa: F401  (register)
    cpu,
    cuda,
    gpu,
    health,
    nvidia,
    platform,
    system,
    torchbuild,
)
from provision.checks.base import REGISTRY, CheckFn, CheckResult

# The order a person reads them in: the OS, then the GPU and driver, CUDA, torch, work, CPU.
ORDER = ["os.distro", "os.platform", "os.packages", "python.pip", "perl.readline_gnu", "nvidia.gpu",
         "nvidia.driver", "nvidia.nouveau", "nvidia.secure_boot", "cuda.toolkit",
         "cuda.driver_compat", "cuda.host_compiler", "torch.build", "torch.cuda", "torch.arch",
         "gpu.compute", "gpu.health", "gpu.ecc", "gpu.memory_repair", "gpu.xid",
         "gpu.modes", "gpu.pcie", "gpu.processes", "cpu.resources", "cpu.governor"]


def ordered_checks() -> list[tuple[str, CheckFn]]:
    rank = {check_id: i for i, check_id in enumerate(ORDER)}
    return sorted(REGISTRY, key=lambda item: rank.get(item[0], len(ORDER)))


__all__ = ["ORDER", "CheckResult", "ordered_checks"]
