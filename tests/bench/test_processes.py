"""`rnnbench run --processes K` and `--python A --python B`: cases measured in fresh worker
processes, merged into replicates (bench/workers.py, bench/worker.py, bench/merging.py)."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import platform
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.merging import DEFAULT_DRIFT, merge_stats, replicates_of
from bench.results import CaseChecks, CaseResult, CaseStats, RunResults, load_results
from bench.stats import clustered_median_ci, median, with_drift
from bench.suites import Case, SuiteError, load_config
from bench.workers import Environment, Schedule, WorkerOutcome, _merged_case, worker_job
from bench.workloads.base import VERIFIED_ELSEWHERE

RNNBENCH = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "rnnbench"
SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"

# No thread setting: each environment keeps its own default (its OMP_NUM_THREADS), which is
# what the A/B test changes.
TINY = """
[settings]
budget_s = 0.1
{processes}

[[batching]]
dist = "names"
cell = "gru"
mode = "inference"
strategy = ["padded", "bucketed"]
batch = 8
hidden = 16
n = 32

[[kernels]]
cell = "lstm"
impl = "torch"
mode = "inference"
hidden = 16
batch = 2
seq_len = 4
"""
# Two batching cases, one kernel case, the kernel's two matmul peaks and its ceiling.
CASES = 6


def _run(folder: Path, config: str, *args: object) -> tuple[subprocess.CompletedProcess, dict]:
    path = folder / "tiny.toml"
    path.write_text(config)
    proc = subprocess.run([RNNBENCH, "run", "--config", path, "--device", "cpu", "--out",
                           folder / "out", "--json", *args], capture_output=True, text=True,
                          timeout=180)
    assert proc.stdout, proc.stderr[-2000:]
    return proc, load_results(Path(json.loads(proc.stdout)["results"]))


def _wrapper(folder: Path, name: str, body: str) -> Path:
    """A tiny 'environment': a script that sets something, then runs this test's Python."""
    script = folder / name
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


@pytest.fixture(scope="module")
def two_processes(tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("processes")
    proc, doc = _run(folder, TINY.format(processes="processes = 2"))
    assert proc.returncode == 0, proc.stderr[-2000:]
    return doc


def test_every_case_has_replicates_from_both_processes(two_processes) -> None:
    doc = two_processes
    assert doc["status"] == "complete"
    assert doc["settings"]["processes"] == 2
    assert len(doc["cases"]) == CASES
    for case in doc["cases"]:
        stats = case["stats"]
        assert case["status"] == "ok", case["error"]
        assert stats["processes"] == 2
        assert set(stats["replicate_process"]) == {0, 1}
        assert len(stats["replicates_s"]) == len(stats["replicate_process"])
        # 6 rounds shared by 2 workers: 3 visits each, every case sampled in rounds.
        assert stats["schedule"] == "interleaved"
        assert len(stats["replicates_s"]) == 6
        # The CI and the median are those of the replicates, not of the raw samples, the CI
        # widened to the spread between the two processes and for the run's drift allowance.
        assert stats["drift"] == doc["settings"]["drift"] == DEFAULT_DRIFT
        within = clustered_median_ci(stats["replicates_s"], stats["replicate_process"])
        assert stats["ci95_s"] == list(with_drift(stats["median_s"], within, DEFAULT_DRIFT))
        assert stats["median_s"] == median(stats["replicates_s"])
        assert stats["n"] == len(stats["samples_s"])


def test_the_merged_batching_cases_carry_the_first_workers_verification(two_processes) -> None:
    batching = [c for c in two_processes["cases"] if c["workload"] == "batching"]
    assert len(batching) == 2
    for case in batching:  # worker 2 skipped the check; the merged record is worker 1's
        assert case["checks"]["verified"] is True, case["checks"]
        assert case["checks"]["max_abs_diff"] <= case["checks"]["tolerance"]


def test_only_each_environments_first_worker_verifies() -> None:
    one = Environment(None, sys.executable)
    assert [worker_job({}, k, one)["verify"] for k in range(3)] == [True, False, False]
    a, b = Environment("A", sys.executable), Environment("B", sys.executable)
    order = [(k, env) for k in range(2) for env in (a, b)]  # A0, B0, A1, B1
    assert [worker_job({}, k, env)["verify"] for k, env in order] == [True, True, False, False]


def test_a_variant_that_fails_verification_in_the_first_worker_fails_the_merged_run() -> None:
    case = Case("t", "batching", {"strategy": "bucketed"}, "cpu", "fp32")
    env, schedule = Environment(None, sys.executable), Schedule.split(2, 4, 1.0)
    failed = CaseResult(case.id, workload="batching", status="failed",
                        error="VerificationError: bucketed differs from padded random batches")
    unchecked = CaseResult(case.id, workload="batching", status="ok",
                           stats=CaseStats(median_s=1.0, samples_s=[1.0, 1.0]),
                           checks=CaseChecks(verified=None, why=VERIFIED_ELSEWHERE))
    outcomes = [WorkerOutcome(0, env, RunResults(cases=[failed]), None),
                WorkerOutcome(1, env, RunResults(cases=[unchecked]), None)]
    merged = _merged_case(case, outcomes, env, schedule)
    assert merged.status == "failed" and "differs from padded" in merged.error


def test_references_and_peaks_come_from_every_process(two_processes) -> None:
    (reference,) = two_processes["references"]
    assert set(reference["replicate_process"]) == {0, 1}
    assert len(reference["per_round_median_s"]) == len(reference["replicate_process"])
    kernel = next(c for c in two_processes["cases"] if c["workload"] == "kernels")
    peak = max(c["metrics"]["flops_per_s"] for c in two_processes["cases"]
               if c["workload"] == "matmul")
    assert kernel["metrics"]["peak_flops_per_s"] == pytest.approx(peak)
    assert kernel["metrics"]["peak_fraction"] == pytest.approx(
        kernel["metrics"]["flops_per_s"] / peak)


def test_a_b_run_holds_both_environments_per_case(tmp_path: Path) -> None:
    one = _wrapper(tmp_path, "env-a", f'OMP_NUM_THREADS=1 exec "{sys.executable}" "$@"')
    two = _wrapper(tmp_path, "env-b", f'OMP_NUM_THREADS=2 exec "{sys.executable}" "$@"')
    proc, doc = _run(tmp_path, TINY.format(processes=""), "--python", one, "--python", two)
    assert proc.returncode == 0, proc.stderr[-2000:]
    by_id: dict[str, dict[str, dict]] = {}
    for case in doc["cases"]:
        by_id.setdefault(case["id"], {})[case["env"]] = case
    assert len(by_id) == CASES
    assert all(set(sides) == {"A", "B"} for sides in by_id.values())
    # Each side really ran with its own thread count, and says so.
    envs = {e["label"]: e for e in doc["settings"]["environments"]}
    assert (envs["A"]["threads"], envs["B"]["threads"]) == (1, 2)
    assert envs["B"]["env_vars"]["OMP_NUM_THREADS"] == "2"
    assert envs["A"]["python"] == str(one)
    for sides in by_id.values():
        assert sides["A"]["settings"]["threads"] == 1
        assert sides["B"]["settings"]["threads"] == 2
        assert sides["A"]["stats"]["processes"] == 1
    # Each side's relative metrics are computed within that side.
    padded_b = next(c for c in doc["cases"] if c["env"] == "B"
                    and c["params"].get("strategy") == "padded")
    assert padded_b["metrics"]["speedup_vs_padded"] == 1.0
    assert {r["env"] for r in doc["references"]} == {"A", "B"}


def _virtualenv_with_setting(folder: Path, variable: str, value: str) -> Path:
    """A second real virtualenv that sees this one's packages and differs in one setting: the
    builder of scripts/ab_envs.py, which measures the same thing at full size."""
    spec = importlib.util.spec_from_file_location("ab_envs", SCRIPTS / "ab_envs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.make_env_b(folder, variable, value)


# MKL without AVX slows torch's CPU sgemm (the matmul cases) several-fold on x86, while torch's
# LSTM runs on oneDNN and does not notice: a real setting that changes some cases only.
AB_GRID = """
[settings]
budget_s = 0.05
threads = 1
processes = 3
rounds = 9

[[kernels]]
cell = "lstm"
impl = "torch"
mode = "inference"
hidden = 16
batch = [2, 64]
seq_len = 8
"""


def _mkl_has_avx() -> bool:
    import torch

    return (platform.machine() == "x86_64" and torch.backends.mkl.is_available()
            and torch.backends.cpu.get_cpu_capability() in ("AVX2", "AVX512"))


@pytest.mark.skipif(not _mkl_has_avx(), reason="needs x86 torch with MKL on an AVX2 CPU")
def test_a_b_run_of_two_virtualenvs_finds_the_cases_a_setting_changes(tmp_path: Path) -> None:
    env_b = _virtualenv_with_setting(tmp_path / "env-b", "MKL_ENABLE_INSTRUCTIONS", "SSE4_2")
    proc, doc = _run(tmp_path, AB_GRID, "--python", sys.executable, "--python", env_b)
    assert proc.returncode == 0, proc.stderr[-2000:]
    envs = {e["label"]: e for e in doc["settings"]["environments"]}
    assert envs["B"]["python"] == str(env_b)
    assert envs["B"]["env_vars"].get("MKL_ENABLE_INSTRUCTIONS") == "SSE4_2"
    assert "MKL_ENABLE_INSTRUCTIONS" not in envs["A"]["env_vars"]
    compared = subprocess.run([RNNBENCH, "compare", "--json", json.loads(proc.stdout)["results"]],
                              capture_output=True, text=True)
    rows = {r["id"]: r for r in json.loads(compared.stdout)["rows"]}
    matmul = [r for i, r in rows.items() if i.startswith("matmul/")]
    lstm = [r for i, r in rows.items() if i.startswith("kernels/")]
    assert len(matmul) == 2 and len(lstm) == 2
    # Every case the setting changes is found, with its size...
    assert all(r["verdict"] == "slower" and r["ratio"] > 1.5 for r in matmul), matmul
    # ...and none it leaves alone is called a change. ("uncertain" is an honest answer for a
    # tiny case on a busy 2-core machine; the measured rate is in the closing note of issue 13.)
    assert all(r["verdict"] in ("same", "uncertain") for r in lstm), lstm
    assert sum(r["verdict"] == "same" for r in lstm) >= 1, lstm
    # The text names what tells the two environments apart.
    text = subprocess.run([RNNBENCH, "compare", json.loads(proc.stdout)["results"]],
                          capture_output=True, text=True).stdout.splitlines()
    base = next(line for line in text if line.startswith("base:"))
    new = next(line for line in text if line.startswith("new:"))
    assert "MKL_ENABLE_INSTRUCTIONS=SSE4_2" in new and str(env_b) in new
    assert "MKL_ENABLE_INSTRUCTIONS" not in base


def test_a_crashing_worker_fails_its_cases_and_the_run_goes_on(tmp_path: Path) -> None:
    # It passes the interpreter check made before any case (it answers the torch import),
    # then crashes as a worker.
    crashing = _wrapper(tmp_path, "env-crash", 'case "$2" in *"print(torch.__version__)"*) '
                        'echo 2.0; exit 0;; esac\necho "Fatal Python error: simulated" >&2\n'
                        'exit 3')
    proc, doc = _run(tmp_path, TINY.format(processes=""), "--python", sys.executable,
                     "--python", crashing)
    assert proc.returncode == 1
    assert doc["status"] == "complete"
    sides = {"A": [], "B": []}
    for case in doc["cases"]:
        sides[case["env"]].append(case)
    assert len(sides["A"]) == len(sides["B"]) == CASES
    assert all(c["status"] == "ok" for c in sides["A"])
    for case in sides["B"]:
        assert case["status"] == "failed"
        assert "exited with code 3" in case["error"]
        assert "simulated" in case["error"]
        assert "\n" not in case["error"]


# ---------------------------------------------------------------------------- merging
def test_sequential_samples_split_into_consecutive_blocks() -> None:
    stats = CaseStats(samples_s=[1.0, 3.0, 2.0, 10.0, 11.0, 12.0, 5.0], schedule="sequential")
    # 7 samples in 3 blocks: [1, 3], [2, 10, 11], [12, 5].
    assert replicates_of(stats, 3) == [2.0, 10.0, 8.5]
    assert replicates_of(CaseStats(samples_s=[4.0, 5.0]), 3) == [4.0, 5.0]


def test_interleaved_replicates_are_visit_medians() -> None:
    stats = CaseStats(samples_s=[1.0, 2.0, 3.0, 9.0, 7.0], schedule="interleaved",
                      samples_per_visit=[3, 0, 2])
    assert replicates_of(stats, 6) == [2.0, 8.0]


def test_merged_stats_tests_replicates_not_samples() -> None:
    worker0 = CaseStats(samples_s=[1.0] * 50 + [1.2] * 50, target=0.02, schedule="sequential")
    worker1 = CaseStats(samples_s=[2.0] * 100, target=0.02, schedule="sequential")
    merged = merge_stats([(0, worker0), (1, worker1)], blocks=2, processes=2)
    assert merged.replicates_s == [1.0, 1.2, 2.0, 2.0]
    assert merged.replicate_process == [0, 0, 1, 1]
    assert merged.median_s == pytest.approx(1.6)
    # Two processes that disagree this much leave the median uncertain: the CI spans far more
    # than the replicates' range (a t interval over two process medians).
    lo, hi = merged.ci95_s
    assert lo < 1.0 and hi > 2.0
    assert merged.n == 200 and not merged.target_met


def test_processes_setting_is_checked(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("[settings]\nprocesses = 0\n")
    with pytest.raises(SuiteError, match="processes"):
        load_config(config)
    config.write_text("[settings]\nprocesses = 4\n")
    assert load_config(config)["settings"]["processes"] == 4


def test_sigterm_keeps_what_the_finished_workers_returned(tmp_path: Path) -> None:
    config = tmp_path / "long.toml"
    config.write_text("[settings]\nbudget_s = 1.0\nthreads = 1\nprocesses = 2\n"
                      "[[kernels]]\ncell = 'gru'\nimpl = 'torch'\nmode = 'inference'\n"
                      "hidden = 16\nbatch = 2\nseq_len = [2, 3, 4, 5, 6, 7, 8, 9]\n")
    out = tmp_path / "out"
    proc = subprocess.Popen([RNNBENCH, "run", "--config", config, "--device", "cpu", "--out",
                             out], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    cases = 0
    while time.monotonic() < deadline and not cases and proc.poll() is None:
        time.sleep(0.2)
        files = list(out.glob("*/results.json"))
        if files:  # the parent writes cases only once the first worker has finished
            with contextlib.suppress(ValueError):
                cases = len(json.loads(files[0].read_text())["cases"])
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=90)
    assert proc.returncode == 130, stderr[-2000:]
    doc = load_results(next(out.glob("*/results.json")))
    assert doc["status"] == "interrupted"
    assert len(doc["cases"]) == 18  # 8 kernels, 2 matmul peaks, 8 ceilings, from worker 1
    for case in doc["cases"]:
        assert case["status"] == "ok"
        assert set(case["stats"]["replicate_process"]) == {0}
