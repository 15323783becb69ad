"""A worker process of `rnnbench run --processes K`: `python -m bench.worker JOB.json OUT.json`.

It reads the job the parent wrote (the cases, seed, budget, target, rounds, threads), fixes
torch's settings in this fresh process, and runs the cases with the ordinary runner into OUT.json,
a results document rewritten after every case, so a worker that dies still leaves what it
finished. Its progress goes to stderr as event lines (bench/progress.py) that feed the parent's
display. The document's `worker` entry says which interpreter, torch and environment measured it.
"""

from __future__ import annotations

import gc
import json
import os
import platform
import shutil
import signal
import sys
from pathlib import Path

# Environment variables that change a timing (threads, allocators, devices, torch switches).
SETTING_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                "CUDA_VISIBLE_DEVICES", "LD_PRELOAD", "MALLOC_CONF")
SETTING_PREFIXES = ("KMP_", "GOMP_", "PYTORCH_", "TORCH_", "MKL_", "DNNL_", "ONEDNN_", "ATEN_",
                    "CUBLAS_", "CUDNN_")


def setting_vars(environ: dict[str, str]) -> dict[str, str]:
    """The environment variables among `environ` that can change what a case measures."""
    return {k: v for k, v in sorted(environ.items())
            if k in SETTING_VARS or k.startswith(SETTING_PREFIXES)}


def run_job(job: dict, out: Path) -> int:
    """Run the job's cases into `out`; 0 when the run completed, 130 when interrupted."""
    import torch

    from bench.progress import EventWriter
    from bench.results import RunResults, RunSettings
    from bench.runner import fix_settings, run_cases
    from bench.suites import Case

    fixed = fix_settings(job.get("threads"), bool(job.get("cudnn_benchmark", False)))
    cases = [Case(**c) for c in job["cases"]]
    for case in cases:  # what this process really ran with, which may differ between envs
        case.settings = dict(case.settings) | {"threads": fixed["threads"]}
    doc = RunResults(status="running", settings=RunSettings.read(fixed))
    doc.extra["worker"] = {"process": job.get("process"), "env": job.get("env"),
                           "python": sys.executable, "torch_version": torch.__version__,
                           "python_version": platform.python_version(),
                           "torch_cuda": torch.version.cuda,
                           "threads": fixed["threads"], "env_vars": setting_vars(dict(os.environ))}
    # What is alive now (torch and the modules) stays for the life of this process: leave it out
    # of every later collection. The runner collects before each case to measure its memory, and
    # each of those walks ~200,000 objects otherwise (50-70 ms, about a second over the quick
    # suite's cases).
    gc.collect()
    gc.freeze()
    run_cases(cases, doc, out, int(job["seed"]), float(job["budget_s"]), float(job["target"]),
              EventWriter(), rounds=int(job["rounds"]), verify=bool(job.get("verify", True)))
    return {"complete": 0, "interrupted": 130}.get(doc.status or "", 1)


def main(argv: list[str]) -> int:
    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    # The parent stops a worker with SIGTERM; the runner then keeps what it measured.
    signal.signal(signal.SIGTERM, interrupt)
    if len(argv) != 2:
        print("usage: python -m bench.worker JOB.json OUT.json", file=sys.stderr)
        return 2
    job = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    parent = job.get("parent")
    _stop_with_parent()
    try:
        if parent is not None and os.getppid() != parent:  # it died before we could ask
            raise KeyboardInterrupt
        return run_job(job, Path(argv[1]))
    except KeyboardInterrupt:
        return 130
    finally:
        if parent is not None and os.getppid() != parent:
            # Nobody will read what we wrote: the parent's temporary folder is ours to remove.
            shutil.rmtree(Path(argv[0]).parent, ignore_errors=True)


def _stop_with_parent() -> None:
    """Ask Linux for SIGTERM when the parent dies (PR_SET_PDEATHSIG): a parent killed with
    SIGKILL cannot stop its worker, nor remove the worker's temporary folder itself."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM, 0, 0, 0)  # 1: PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the folder may outlive a killed parent
        pass


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
