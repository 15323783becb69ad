"""`gather_facts`: run every probe and assemble their parts into one Facts.

Kept apart from facts.py so that the probes import the dataclasses and nothing imports back.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path

from provision.facts import Facts, GpuWorkFacts
from provision.probes import (
    cuda,
    gpu_work,
    health,
    nvidia,
    platform,
    readiness,
    system,
    torchinfo,
)


def gather_facts(root: Path = Path("/"), gpu_tests: bool = False,
                 extra_packages: tuple[str, ...] = ()) -> Facts:
    """Probe the machine (or the replayed machine below `root`) into one Facts; never raises.

    NVML, psutil, `import torch`, the running Python and the real GPU computations are used only
    when `root` is "/": below any other root they would describe this machine rather than the
    recorded one, so there every fact comes from files below `root` and from the commands on
    PATH (a replay's stubs), and a fact neither records stays unknown. `extra_packages` are distro
    packages (a profile's list) whose installed version is looked up too.
    """
    started = time.perf_counter()
    root = Path(root)
    live = root.resolve() == Path("/")
    facts = Facts(root=str(root), gathered_at=datetime.now(timezone.utc).isoformat(
        timespec="seconds"))
    importing = torchinfo.start_import(root, live)  # runs while the other probes do
    facts.os = system.probe_os(root, live)
    facts.platform = platform.probe_platform(root, facts.os.kernel)
    facts.python = system.probe_python(live)
    facts.perl = system.probe_perl()
    facts.packages = system.probe_packages(facts.os.family, extra_packages)
    facts.cpu = system.probe_cpu(root, live)
    facts.pci_gpus = nvidia.probe_pci(root)
    facts.driver = nvidia.probe_driver(root, live, facts.pci_gpus)
    facts.xid, facts.readiness = (health.probe_health(root, facts.driver),
                                  readiness.probe_readiness(root))
    facts.cuda = cuda.probe_cuda(root, live)
    facts.torch = torchinfo.probe_torch(root, live, importing)
    # The GPU work imports torch here: only once the child showed that the import survives and
    # sees a GPU (else the answer is known without importing it a second time).
    if gpu_tests and live and facts.torch.cuda_available:
        facts.gpu_work = gpu_work.run_gpu_work()
    else:
        why = ("turned off (--no-gpu-tests)" if not gpu_tests else
               "not run on a replayed machine" if not live else
               "torch is not usable" if not facts.torch.installed else
               "torch.cuda.is_available() is False")
        facts.gpu_work = GpuWorkFacts(ran=False, reason=why)
    facts.gather_seconds = round(time.perf_counter() - started, 3)
    return facts
