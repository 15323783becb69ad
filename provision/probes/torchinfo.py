"""Probe of the installed PyTorch build: version, bundled CUDA runtime, cuDNN, architectures.

torch describes the real installed package even on a replayed machine, so a replay can record
its own: a file `<root>/rnnbench-torch.json` holding TorchFacts fields (as `Facts.to_dict()`
writes them under "torch") replaces the import. That is how a replay says "this machine's torch
was built for CUDA 12.1 without sm_61" without installing such a build.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

from provision.facts import TorchDevice, TorchFacts, from_plain
from provision.probe import read_text

RECORDED = "/rnnbench-torch.json"


def probe_torch(root: Path, live: bool = True) -> TorchFacts:
    """The installed torch (live), or the replayed machine's recorded one: below another root
    the torch importable here is not that machine's, so without a record it stays unknown."""
    recorded = read_text(root, RECORDED)
    if recorded is not None:
        try:
            facts = from_plain(TorchFacts, json.loads(recorded))
        except (ValueError, RecursionError) as exc:  # RecursionError: JSON nested too deep
            why = "nested too deeply" if isinstance(exc, RecursionError) else exc
            return TorchFacts(source="recorded", reason=f"unreadable {RECORDED}: {why}")
        facts.source = "recorded"
        return facts
    if not live:
        return TorchFacts(installed=False, source="recorded",
                          reason=f"torch not recorded for this machine (no {RECORDED})")
    try:
        return _from_import()
    except Exception as exc:  # a broken torch install must be reported, not crash the doctor
        return TorchFacts(installed=False, reason=f"import torch failed: {exc}")


def _from_import() -> TorchFacts:
    try:
        import torch
    except ImportError as exc:
        return TorchFacts(installed=False, reason=f"torch is not installed: {exc}")
    facts = TorchFacts(installed=True, version=torch.__version__, cuda=torch.version.cuda,
                       num_threads=torch.get_num_threads())
    try:
        facts.cudnn = torch.backends.cudnn.version()
    except Exception:  # a CPU build or missing libcudnn: cuDNN stays unknown
        facts.cudnn = None
    # torch explains a failed CUDA initialisation only through a warning; keep its words.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        facts.cuda_available = bool(torch.cuda.is_available())
    messages = [str(w.message) for w in caught]
    facts.init_warning = messages[0] if messages else None
    facts.arch_list = list(torch.cuda.get_arch_list()) if facts.cuda else []
    if facts.cuda_available:
        for index in range(torch.cuda.device_count()):
            major, minor = torch.cuda.get_device_capability(index)
            facts.devices.append(TorchDevice(name=torch.cuda.get_device_name(index),
                                             capability=f"{major}.{minor}"))
    return facts
