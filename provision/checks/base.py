"""CheckResult and the registry that lists every check in the order the doctor prints them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from provision import tables
from provision.facts import Facts
from provision.fix import Fixes, commands, fixes_to_json
from provision.profile import Profile


@dataclass
class CheckResult:
    id: str
    status: str  # pass | warn | fail | skip
    summary: str
    detail: str = ""
    fixes: Fixes = ()  # provision/fix.py: the first is the way out, the others say when
    because: str = ""  # the check whose fix mends this one too (it repeats none of it)

    def commands(self) -> list[str]:
        """Every command of every fix, in order."""
        return commands(self.fixes)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "status": self.status, "summary": self.summary,
                "detail": self.detail, "fixes": fixes_to_json(self.fixes),
                "because": self.because}


CheckFn = Callable[[Facts, Profile], CheckResult]
REGISTRY: list[tuple[str, CheckFn]] = []


def check(check_id: str) -> Callable[[CheckFn], CheckFn]:
    """Register a check under its stable id (the id its results carry)."""
    def register(fn: CheckFn) -> CheckFn:
        REGISTRY.append((check_id, fn))
        return fn
    return register


def has_nvidia_gpu(facts: Facts) -> bool:
    return bool(facts.pci_gpus or facts.driver.gpus)


def gpu_capability(facts: Facts) -> str | None:
    """The first GPU's compute capability: torch's word, then the driver's, then the table."""
    for device in facts.torch.devices:
        if device.capability:
            return device.capability
    for gpu in facts.driver.gpus:
        if gpu.compute_capability:
            return gpu.compute_capability
        if (cap := tables.compute_capability_for(gpu.name)):
            return cap
    for gpu in facts.pci_gpus:
        if (cap := tables.compute_capability_for(gpu.name)):
            return cap
    return None


def gpu_name(facts: Facts) -> str | None:
    names = [g.name for g in facts.driver.gpus if g.name] + [g.name for g in facts.pci_gpus
                                                            if g.name]
    return names[0] if names else None
