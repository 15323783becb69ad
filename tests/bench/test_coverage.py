"""Confidence intervals that cover: by simulation with known answers (bench.stats), the coverage
count of scripts/ci_coverage.py, and the ceiling's FLOPs against the GEMMs a step really runs."""

from __future__ import annotations

import importlib.util
import math
import random
import sys
from pathlib import Path

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from bench.merging import merge_stats
from bench.relative import paired_fraction
from bench.results import CaseResult, CaseStats, RunResults
from bench.stats import clustered_median_ci, median, median_ci, t_975, with_drift
from bench.workloads.ceiling import build_ceiling, ceiling_params
from bench.workloads.kernels import build_kernel

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "ci_coverage.py"
TRUE_MEDIAN = 1.0
RUNS = 600


def simulated_run(rng: random.Random, processes: int, rounds: int, process_sd: float,
                  round_sd: float) -> tuple[list[float], list[int]]:
    """One run's replicates: each process shifted by its own log-normal offset (its allocator,
    layout and stretch of time), each round by its own noise; the median over runs is 1."""
    values, owners = [], []
    for process in range(processes):
        offset = rng.gauss(0.0, process_sd)
        for _ in range(rounds):
            values.append(TRUE_MEDIAN * math.exp(offset + rng.gauss(0.0, round_sd)))
            owners.append(process)
    return values, owners


def coverage_of(interval, processes: int, rounds: int, process_sd: float, round_sd: float,
                seed: int = 7) -> float:
    rng = random.Random(seed)
    held = 0
    for _ in range(RUNS):
        values, owners = simulated_run(rng, processes, rounds, process_sd, round_sd)
        lo, hi = interval(values, owners)
        held += lo <= TRUE_MEDIAN <= hi
    return held / RUNS


@pytest.mark.parametrize(("processes", "rounds", "process_sd"), [
    (1, 6, 0.0),  # one process, rounds independent: the order-statistic interval alone
    (3, 4, 0.0),  # the quick suite's shape, processes alike
    (3, 4, 0.02),  # processes differ as much as rounds do
    (3, 4, 0.08),  # processes differ far more than rounds: the case that broke coverage
    (2, 6, 0.05),
])
def test_clustered_ci_covers_the_median_in_at_least_90_percent_of_runs(
        processes: int, rounds: int, process_sd: float) -> None:
    covered = coverage_of(clustered_median_ci, processes, rounds, process_sd, round_sd=0.02)
    assert covered >= 0.90


def test_an_interval_that_ignores_the_processes_does_not_cover() -> None:
    # The same simulation catches the fault this module's interval fixes: rounds treated as
    # independent when processes differ more than rounds do.
    covered = coverage_of(lambda v, _: median_ci(v), 3, 4, process_sd=0.08, round_sd=0.02)
    assert covered < 0.85  # about 1 - 2 / 2**3 = 75%: the range of three process offsets


def drifting_coverage(drift_allowance: float, run_sd: float, processes: int = 3,
                      rounds: int = 4, seed: int = 11) -> float:
    """Coverage when every run as a whole is shifted (the machine's state that minute) on top
    of process and round noise: the run's own spread cannot show that shift."""
    rng = random.Random(seed)
    held = 0
    for _ in range(RUNS):
        values, owners = simulated_run(rng, processes, rounds, process_sd=0.02, round_sd=0.04)
        shift = math.exp(rng.gauss(0.0, run_sd))
        values = [v * shift for v in values]
        lo, hi = with_drift(median(values), clustered_median_ci(values, owners), drift_allowance)
        held += lo <= TRUE_MEDIAN <= hi
    return held / RUNS


@pytest.mark.parametrize(("processes", "rounds"), [(1, 6), (3, 4)])
def test_a_drift_allowance_of_the_true_run_to_run_sd_restores_coverage(
        processes: int, rounds: int) -> None:
    # Shapes and sizes as measured on this project's machine: rounds 4% apart, processes 2%,
    # whole runs 2.5%.
    assert drifting_coverage(0.0, run_sd=0.025, processes=processes, rounds=rounds) < 0.90
    assert drifting_coverage(0.025, run_sd=0.025, processes=processes, rounds=rounds) >= 0.90


def test_drift_widens_each_end_in_quadrature_in_log_space() -> None:
    lo, hi = with_drift(1.0, (0.97, 1.05), 0.015)
    assert math.log(1.0 / lo) == pytest.approx(math.hypot(math.log(1 / 0.97), 1.959964 * 0.015))
    assert math.log(hi) == pytest.approx(math.hypot(math.log(1.05), 1.959964 * 0.015))
    assert with_drift(1.0, (0.97, 1.05), 0.0) == (0.97, 1.05)


def test_the_target_is_judged_on_the_runs_own_interval_not_the_drift() -> None:
    # Twelve rounds 0.5% apart meet a 2% target; a 1.5% drift allowance (+-2.9%) must not
    # make the sampling look as if it failed, though the CI it reports includes it.
    one = CaseStats(samples_s=[1.0 + 0.005 * (i % 3) for i in range(12)], target=0.02,
                    schedule="interleaved", samples_per_visit=[1] * 12)
    plain = merge_stats([(0, one)], blocks=12, processes=1)
    drifting = merge_stats([(0, one)], blocks=12, processes=1, drift=0.015)
    assert plain.target_met is drifting.target_met is True
    assert drifting.ci95_s[0] < plain.ci95_s[0] and drifting.ci95_s[1] > plain.ci95_s[1]
    assert drifting.drift == 0.015 and plain.drift is None
    assert "1.5%" in drifting.ci_method and "no allowance" in plain.ci_method


def test_t_quantiles_match_scipy() -> None:
    scipy_stats = pytest.importorskip("scipy.stats")
    for df in (1, 2, 3, 5, 10, 29, 30, 31, 60, 200):
        assert t_975(df) == pytest.approx(scipy_stats.t.ppf(0.975, df), abs=3e-3)


def test_merged_stats_say_what_their_ci_covers() -> None:
    one = CaseStats(samples_s=[1.0, 1.1, 0.9, 1.0, 1.2, 1.0], target=0.02,
                    schedule="interleaved", samples_per_visit=[1] * 6)
    alone = merge_stats([(0, one)], blocks=6, processes=1)
    assert "not in this CI" in alone.ci_method
    two = merge_stats([(0, one), (1, one)], blocks=6, processes=2)
    assert "2 worker processes" in two.ci_method
    assert two.ci95_s == clustered_median_ci(two.replicates_s, two.replicate_process)


def test_paired_fraction_is_taken_round_by_round() -> None:
    # The machine slows both down alike in the second round: the paired fractions do not move.
    ceiling = CaseStats(replicates_s=[1.0, 2.0, 1.0, 2.0, 1.0, 2.0], replicate_process=[0] * 6)
    kernel = CaseStats(replicates_s=[2.0, 4.0, 2.0, 4.0, 2.0, 4.0], replicate_process=[0] * 6)
    fraction, (lo, hi) = paired_fraction(ceiling, kernel)
    assert fraction == lo == hi == 0.5
    unpaired = CaseStats(replicates_s=[2.0] * 5, replicate_process=[0] * 5)
    assert paired_fraction(ceiling, unpaired) is None


# ------------------------------------------------------------------------- the coverage script
def _script():
    spec = importlib.util.spec_from_file_location("ci_coverage", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["ci_coverage"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _run(*cases: tuple[str, float, float, float]) -> RunResults:
    return RunResults(cases=[CaseResult(id=i, workload="kernels", status="ok",
                                        stats=CaseStats(median_s=m, ci95_s=(lo, hi),
                                                        samples_s=[m]))
                             for i, m, lo, hi in cases])


def test_the_coverage_script_counts_cis_holding_the_median_of_medians() -> None:
    runs = [_run(("a", 1.0, 0.9, 1.1), ("b", 2.0, 1.99, 2.01)),
            _run(("a", 1.2, 1.15, 1.25), ("b", 2.1, 2.0, 2.2)),
            _run(("a", 1.1, 1.0, 1.2), ("b", 2.2, 2.19, 2.21))]
    table = {c.case_id: c for c in _script().coverage(runs)}
    assert table["a"].settled_s == 1.1 and (table["a"].held, table["a"].runs) == (2, 3)
    assert table["b"].settled_s == 2.1 and (table["b"].held, table["b"].runs) == (1, 3)


# ------------------------------------------------------------------------- FLOPs as computed
@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("mode", ["inference", "training"])
def test_kernel_and_ceiling_flops_are_the_gemms_the_step_runs(cell: str, mode: str) -> None:
    # The loop cells are plain autograd over GEMMs, so torch's FLOP counter sees every product
    # the step computes (and skips: the first layer's input gradient, the first step's hidden
    # gradient); the ceiling's products must add up to the same count.
    params = {"cell": cell, "impl": "loop", "mode": mode, "hidden": 16, "batch": 4,
              "seq_len": 5, "layers": 2, "input": 8}
    kernel = build_kernel(params, "cpu", "fp32", 0, {})
    ceiling = build_ceiling(ceiling_params(params, tf32=False, fused_backward=False),
                            "cpu", "fp32", 0)
    for prepared in (kernel, ceiling):
        with FlopCounterMode(display=False) as counter:
            prepared.step()
        assert counter.get_total_flops() == prepared.metrics(1.0).flops_per_step


def test_a_fused_backward_counts_the_input_and_initial_state_gradients() -> None:
    params = {"cell": "lstm", "mode": "training", "hidden": 16, "batch": 4, "seq_len": 5,
              "layers": 1, "input": 16}
    plain = build_ceiling(ceiling_params(params, False, False), "cpu", "fp32", 0)
    fused = build_ceiling(ceiling_params(params, False, True), "cpu", "fp32", 0)
    extra = fused.metrics(1.0).flops_per_step - plain.metrics(1.0).flops_per_step
    # the input's gradient over all 20 tokens and one more step's hidden-state gradient
    assert extra == 2 * 4 * 16 * 16 * 20 + 2 * 4 * 16 * 16 * 4
    with FlopCounterMode(display=False) as counter:
        fused.step()
    assert counter.get_total_flops() == fused.metrics(1.0).flops_per_step
    assert torch.get_default_dtype() == torch.float32


def test_the_coverage_script_measures_the_drift_that_moves_whole_runs() -> None:
    # Three runs shifted as a whole by x0.98, x1.00 and x1.02 (each case alike): the drift is
    # the sd of those log shifts, whatever the cases' own sizes.
    shifts = [0.98, 1.00, 1.02]
    runs = [_run(("a", 1.0 * k, 0.9, 1.1), ("b", 5.0 * k, 4.9, 5.1)) for k in shifts]
    logs = [math.log(k) for k in shifts]
    mean = sum(logs) / 3
    expected = math.sqrt(sum((v - mean) ** 2 for v in logs) / 2)
    assert _script().run_drift(runs) == pytest.approx(expected)
    assert _script().run_drift(runs[:2]) is None

