"""Hand-made node documents for the fleet tests: doctor documents and results documents."""

from __future__ import annotations

import copy

from bench.results import CaseResult, CaseStats, Reference, RunResults

FACTS = {
    "os": {"pretty_name": "Ubuntu 22.04", "kernel": "6.5.0-41", "family": "debian"},
    "python": {"version": "3.11.7"},
    "cpu": {"model": "AMD EPYC 7763", "logical_cores": 64, "memory_total_gib": 503.7,
            "governor": "performance"},
    "driver": {"version": "550.54", "gpus": [{"name": "NVIDIA A100-SXM4-80GB"}]},
    "cuda": {"nvcc_version": "12.4.131"},
    "torch": {"version": "2.3.0+cu121", "num_threads": 32},
}
CHECKS = [
    {"id": "nvidia.driver", "status": "pass", "summary": "driver 550.54", "detail": "",
     "fix": ""},
    {"id": "gpu.health", "status": "pass", "summary": "healthy", "detail": "", "fix": ""},
]


def facts(**changes: dict) -> dict:
    """FACTS with some sections changed, e.g. facts(driver={"version": "535.183"})."""
    out = copy.deepcopy(FACTS)
    for section, values in changes.items():
        out[section] = {**out.get(section, {}), **values}
    return out


def doctor_doc(node_facts: dict | None = None, checks: list[dict] | None = None) -> dict:
    return {"schema": "rnnbench.doctor/1", "profile": None, "expectations": {},
            "facts": node_facts if node_facts is not None else facts(),
            "checks": copy.deepcopy(checks if checks is not None else CHECKS),
            "summary": {}, "exit_code": 0}


def results_doc(medians: dict[str, tuple[float, tuple[float, float]]],
                node_facts: dict | None = None, reference_rounds: list[float] | None = None
                ) -> dict:
    """A results document whose cases have the given (median, 95% CI) per case id."""
    cases = [CaseResult(id=case_id, suite="quick", workload="batching", device="cpu",
                        dtype="fp32", stats=CaseStats(median_s=mid, ci95_s=ci, n=9,
                                                      samples_s=[ci[0], mid, ci[1]]))
             for case_id, (mid, ci) in medians.items()]
    refs = None
    if reference_rounds is not None:
        refs = [Reference(device="cpu", label="reference", per_round_median_s=reference_rounds,
                          median_s=sorted(reference_rounds)[len(reference_rounds) // 2])]
    run = RunResults(created="2026-11-23T10:00:00+00:00", rnnbench_version="0.1.0",
                     command=["rnnbench", "run"], status="complete",
                     facts=node_facts if node_facts is not None else facts(),
                     doctor={"profile": None, "checks": copy.deepcopy(CHECKS)}, cases=cases,
                     references=refs)
    return run.to_dict()
