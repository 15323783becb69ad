"""The quick suite as a pytest-benchmark suite, outside the test run (`testpaths` is tests/):

    .venv/bin/python -m pytest benchmarks/ -p no:cacheprovider [--benchmark-json FILE.json]

Same cases and workloads as `rnnbench run --suite quick`; pytest-benchmark does the timing here,
so its own tools (`--benchmark-compare`, histograms, `--benchmark-json`) work on them directly.
Importing this file fixes torch's thread count for the whole process (as a run does), which is
why it lives here and not in the installed package or in tests/.
"""

from __future__ import annotations

import pytest

from bench.runner import fix_settings, present_devices
from bench.suites import plan
from bench.workloads import build

SEED = 0
PLAN = plan("quick", present_devices(), None, None, None, with_train=False)
CASES = PLAN.cases
fix_settings(PLAN.settings.get("threads"))  # the same threads as `rnnbench run --suite quick`
_context: dict = {}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_quick_case(benchmark, case) -> None:
    prepared = build(case.workload, case.params, case.device, case.dtype, SEED, _context)
    sync = None
    if case.device.startswith("cuda"):
        import torch

        def sync() -> None:
            torch.cuda.synchronize()

    def step() -> None:
        prepared.step()
        if sync:
            sync()  # pytest-benchmark reads a host clock: wait for the GPU's work to finish

    benchmark.group = f"{case.workload}/{case.device}/{case.dtype}"
    benchmark.pedantic(step, rounds=5, iterations=1, warmup_rounds=1)
    metrics = prepared.metrics(benchmark.stats.stats.median)
    benchmark.extra_info.update(params=case.params, metrics=metrics.to_dict(),
                                checks=prepared.checks.to_dict())
    assert metrics.tokens_per_s is None or metrics.tokens_per_s > 0
