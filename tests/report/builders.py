"""Small results and doctor documents built in the tests, shaped like rnnbench.results/1.

Timings are generated from a chosen median with a little spread, and the statistics are
computed from those samples the same way for every case, so a test controls the truth.
"""

from __future__ import annotations

import math
import random
import statistics
from typing import Any

from bench.report.cases import Ratio
from bench.report.cases import speedup as speedup_of
from bench.report.findings import compute_findings as findings_of
from bench.report.inputs import as_run
from bench.report.sentences import Finding
from bench.results import CaseResult, CaseStats, RunResults

HOSTILE = "<script>window.__pwned = 1</script>\"'&<b>ünï¢ødé 🚀</b>"


def stats_for(median_s: float, n: int = 15, spread: float = 0.01, seed: int = 0) -> dict:
    rng = random.Random(seed)
    samples = sorted(median_s * (1 + rng.uniform(-spread, spread)) for _ in range(n))
    q = statistics.quantiles(samples, n=4)
    return {"median_s": statistics.median(samples), "iqr_s": q[2] - q[0],
            "ci95_s": [samples[n // 2 - 3], samples[n // 2 + 3]], "n": n,
            "target_met": spread <= 0.02, "samples_s": samples}


def case(suite: str, params: dict[str, Any], median_s: float, metrics: dict | None = None,
         spread: float = 0.01, seed: int = 0) -> dict:
    params = {"device": "cpu", "dtype": "fp32", **params}
    case_id = suite + "/" + "/".join(f"{k}={v}" for k, v in sorted(params.items()))
    # like real runs: `suite` is the preset, `workload` what was measured
    return {"id": case_id, "suite": "quick", "workload": suite, "params": params,
            "device": params["device"], "dtype": params["dtype"], "status": "ok", "error": None,
            "stats": stats_for(median_s, spread=spread, seed=seed), "metrics": metrics or {},
            "checks": {"verified": True, "max_abs_diff": 1.5e-7} if suite == "batching" else {}}


# Seconds per pass over the same sequences; ideal has the same token count in equal lengths.
BATCHING_TIMES = {"names": {"padded": 0.20, "packed": 0.16, "bucketed": 0.10,
                            "bucketed+packed": 0.11, "ideal": 0.095},
                  "sentences": {"padded": 0.80, "packed": 0.50, "bucketed": 0.20,
                                "bucketed+packed": 0.21, "ideal": 0.19}}
TOKENS = 100_000


def batching_cases(cells: tuple[str, ...] = ("lstm", "gru")) -> list[dict]:
    cases = []
    for cell in cells:
        for dist, times in BATCHING_TIMES.items():
            for strategy, t in times.items():
                t = t * (1.2 if cell == "lstm" else 1.0)
                cases.append(case("batching", {"cell": cell, "dist": dist,
                                               "strategy": strategy, "mode": "inference",
                                               "hidden": 256, "batch": 64}, t,
                                  {"tokens_per_s": TOKENS / t,
                                   "padding_efficiency": 1.0 if "bucketed" in strategy
                                   or strategy in {"packed", "ideal"} else 0.45,
                                   "fraction_of_ideal": times["ideal"] / times[strategy],
                                   "speedup_vs_padded": times["padded"] / times[strategy]}))
    return cases


def kernel_cases() -> list[dict]:
    cases = []
    for cell, gates in (("rnn", 1), ("gru", 3), ("lstm", 4)):
        for hidden in (128, 256, 512):
            t = 1e-4 * gates * (hidden / 128) ** 1.5
            flops = 2 * gates * hidden * (hidden + hidden) * 64 * 32 / t
            cases.append(case("kernels", {"cell": cell, "impl": "torch", "mode": "inference",
                                          "hidden": hidden, "batch": 64, "seq_len": 32,
                                          "layers": 1}, t,
                              {"tokens_per_s": 64 * 32 / t, "flops_per_s": flops,
                               "peak_fraction": flops / 1e13, "peak_memory_bytes": 2**20 * 30}))
    return cases


def train_cases() -> list[dict]:
    """Two strategies over 5 epochs; bucketed epochs take half as long."""
    cases = []
    for strategy, epoch_s in (("padded", 2.0), ("bucketed", 1.0)):
        curve = [0.3 + 0.09 * i for i in range(1, 6)]
        reached = next(k + 1 for k, a in enumerate(curve) if a >= 0.7)
        cases.append(case("train", {"model": "gru", "strategy": strategy}, epoch_s,
                          {"time_per_epoch_s": epoch_s, "accuracy_curve": curve,
                           "epochs": len(curve), "final_accuracy": curve[-1],
                           "target_accuracy": 0.7, "epochs_to_target": reached,
                           "time_to_accuracy_s": reached * epoch_s}))
    return cases


def failed_case(reason: str = "CUDA out of memory") -> dict:
    return {"id": "kernels/cell=lstm/hidden=4096", "suite": "quick", "workload": "kernels",
            "params": {"cell": "lstm", "hidden": 4096}, "device": "cuda", "dtype": "fp32",
            "status": "failed", "error": reason, "stats": None, "metrics": {}}


def facts(gpu_name: str = "NVIDIA GeForce GTX 1050") -> dict:
    return {"schema": "rnnbench.facts/1",
            "os": {"pretty_name": "Fedora 29 (Workstation Edition)", "id": "fedora"},
            "cpu": {"model": "Intel(R) Core(TM) i7-7700HQ", "logical_cores": 8},
            "driver": {"version": "410.73", "gpus": [{"index": 0, "name": gpu_name,
                                                      "compute_capability": "6.1"}]},
            "cuda": {"toolkits": [{"path": "/usr/local/cuda-10.0", "version": "10.0"}]},
            "torch": {"installed": True, "version": "2.13.0", "cuda": None, "num_threads": 2}}


def checks(summary: str = "the NVIDIA driver is loaded") -> list[dict]:
    return [{"id": "driver.loaded", "status": "pass", "summary": summary, "detail": "", "fix": ""},
            {"id": "perl.readline", "status": "fail",
             "summary": "Term::ReadLine::Gnu is missing (the CUDA installer needs it)",
             "detail": "perl -MTerm::ReadLine::Gnu failed",
             "fix": "sudo dnf install perl-Term-ReadLine-Gnu"},
            {"id": "cpu.governor", "status": "warn", "summary": "CPU governor is powersave",
             "detail": "", "fix": "sudo cpupower frequency-set -g performance"}]


def results(cases: list[dict] | None = None, created: str = "2026-11-22T21:00:00+00:00",
            suite: str = "quick", gpu_name: str = "NVIDIA GeForce GTX 1050",
            check_summary: str = "the NVIDIA driver is loaded") -> dict:
    if cases is None:
        cases = batching_cases() + kernel_cases() + train_cases() + [failed_case()]
    return {"schema": "rnnbench.results/1", "created": created, "rnnbench_version": "0.1.0",
            "command": ["rnnbench", "run", "--suite", suite],
            "facts": facts(gpu_name), "settings": {"suite": suite, "threads": 2, "tf32": False,
                                                   "cudnn_benchmark": False, "noise_target": 0.02},
            "doctor": {"profile": "generic", "checks": checks(check_summary)}, "cases": cases}


def hostile_results() -> dict:
    """Machine and user text that would execute or break the page if it were not escaped."""
    doc = results(gpu_name=HOSTILE, check_summary=HOSTILE)
    doc["cases"][0]["params"]["cell"] = HOSTILE
    doc["cases"][-1]["error"] = HOSTILE + "</script><script>window.__pwned = 2</script>"
    doc["command"] = ["rnnbench", "run", "--out", HOSTILE]
    return doc


def _fix(*commands: str, condition: str = "", reason: str = "", reboot: bool = False) -> dict:
    steps = [{"command": c, "reason": "", "reboot": False} for c in commands]
    steps[-1]["reason"], steps[-1]["reboot"] = reason, reboot
    return {"condition": condition, "words": "", "steps": steps}


def doctor_document(summary: str = "the NVIDIA driver is loaded") -> dict:
    """A doctor/2 document: a check per section, a root cause with two fixes (the second after
    its reboot), a check that points to it, a skipped section and the readiness section."""
    def check(check_id: str, status: str, text: str, fixes: list | None = None,
              because: str = "", detail: str = "") -> dict:
        return {"id": check_id, "status": status, "summary": text, "detail": detail,
                "fixes": fixes or [], "because": because}
    return {"schema": "rnnbench.doctor/2", "profile": "fedora29-gtx1050-cuda10",
            "facts": facts(),
            "checks": [
                check("os.distro", "pass", summary),
                check("perl.readline_gnu", "fail", "Term::ReadLine::Gnu is missing (the CUDA "
                      "installer needs it)", [_fix("sudo dnf install perl-Term-ReadLine-Gnu")],
                      detail="perl -MTerm::ReadLine::Gnu failed"),
                check("cpu.governor", "warn", "CPU governor is powersave",
                      [_fix("sudo cpupower frequency-set -g performance", reason=summary)]),
                check("nvidia.nouveau", "fail", "nouveau kernel module is loaded",
                      [_fix("sudo dracut --force", "sudo reboot", reboot=True),
                       _fix("sudo dnf install -y akmod-nvidia", condition="after the reboot")]),
                check("torch.cuda", "fail", "torch.cuda.is_available(): False",
                      because="nvidia.nouveau"),
                check("gpu.health", "skip", "No GPU answering NVML or nvidia-smi"),
                check("gpu.ecc", "skip", "No GPU answering NVML or nvidia-smi")],
            "readiness": [
                check("bench.load", "warn", "Load average 3.7 (1 min)",
                      [_fix("ps -eo pid,pcpu,comm --sort=-pcpu | head")]),
                check("bench.smt", "pass", "SMT off")]}


def legacy_doctor_document() -> dict:
    """A doctor/1 document: one fix string per check, no readiness section."""
    return {"schema": "rnnbench.doctor/1", "profile": "fedora29-gtx1050-cuda10",
            "facts": facts(), "checks": checks()}


# The report works on records (bench.results); these read the hand-built documents above into
# records first, as the report's entry points do.
def compute_findings(doc: dict) -> list[Finding]:
    return findings_of(as_run(doc))


def speedup(fast: dict, slow: dict) -> Ratio | None:
    return speedup_of(CaseResult.from_dict(fast), CaseResult.from_dict(slow))


# A fleet of twelve nodes with many checks, as a person sees it after `rnnbench fleet merge`:
# one check fails on two nodes with a fix of two commands in mixed case (its case and lines
# must survive), the rest pass; eight GPUs a node, one node with four.
FLEET_FIX = ("sudo dnf install -y akmod-nvidia\n"
             "sudo grubby --update-kernel=ALL --args=rd.driver.blacklist=nouveau")
FLEET_CHECKS = 40


def fleet_documents() -> dict[str, dict]:
    documents = {}
    for i in range(12):
        gpus = [{"index": g, "name": "NVIDIA H100 80GB HBM3"} for g in range(4 if i == 5 else 8)]
        node_facts = facts() | {"driver": {"version": "550.54", "gpus": gpus}}
        node_checks = [{"id": f"check.number-{c:02d}.with-a-long-name", "status": "pass",
                        "summary": "fine", "detail": "", "fix": ""} for c in range(FLEET_CHECKS)]
        if i in (3, 9):  # the last check fails: failing columns must come first
            steps = [{"command": line, "reason": "", "reboot": False}
                     for line in FLEET_FIX.splitlines()]
            node_checks[-1] = {"id": node_checks[-1]["id"], "status": "fail",
                               "summary": "nouveau is loaded", "detail": "lsmod lists nouveau",
                               "fixes": [{"condition": "", "words": "", "steps": steps}]}
        documents[f"gpu-node-{i:02d}.example.org"] = {
            "schema": "rnnbench.doctor/2", "profile": None, "expectations": {},
            "facts": node_facts, "checks": node_checks, "summary": {}, "exit_code": 0}
    return documents


def replicate_runs() -> tuple[RunResults, RunResults]:
    """Two runs of eight batching cases with per-process replicates, whose comparison holds
    every verdict: one case 60% slower, one noisy beyond the threshold (uncertain), one in the
    base run only, the rest the same."""
    rng = random.Random(3)

    def run(factors: dict[int, tuple[float, ...]], drop: int | None = None) -> RunResults:
        cases = []
        for i in range(8):
            if i == drop:
                continue
            dist, strategy = ("names", "sentences")[i % 2], STRATEGIES[i // 2]
            replicates = [0.01 * (i + 1) * f * math.exp(rng.gauss(0, 0.02))
                          for f in factors.get(i, (1.0,) * 6)]
            stats = CaseStats(median_s=sorted(replicates)[3], samples_s=replicates,
                              replicates_s=replicates, processes=3,
                              replicate_process=[k % 3 for k in range(6)])
            params = {"dist": dist, "cell": "lstm", "strategy": strategy, "batch": 64}
            case_id = f"batching/cpu/fp32/dist={dist}/cell=lstm/strategy={strategy}/batch=64"
            cases.append(CaseResult(id=case_id, workload="batching", params=params,
                                    device="cpu", dtype="fp32", stats=stats))
        return RunResults(created="2026-11-22T21:00:00+00:00", cases=cases)

    base = run({})
    new = run({0: (1.6,) * 6, 3: (1.0, 1.5, 1.0, 1.45, 1.0, 1.5)}, drop=7)
    return base, new


STRATEGIES = ("padded", "packed", "bucketed", "ideal")
