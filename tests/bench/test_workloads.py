"""Workloads: the batching variants compute the same function, and the work-done formulas."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest
import torch

from bench.flops import matmul_flops, rnn_flops_per_token
from bench.results import CaseMetrics, CaseResult
from bench.workloads import VerificationError
from bench.workloads.base import SKIP_VERIFY, VERIFIED_ELSEWHERE
from bench.workloads.batching import (
    STRATEGIES,
    _plan,
    _sgd_step,
    _verify,
    add_relative_metrics,
    build_batching,
    ideal_lengths,
    random_batches,
)
from rnnkit.data.synthetic import synthetic_sequences
from rnnkit.models.classifier import CharClassifier


def test_ideal_batches_are_equal_length_with_the_same_token_count() -> None:
    seqs = synthetic_sequences("sentences", 100, 30, seed=3)
    ideal, batches = _plan("ideal", seqs, 16, seed=3)
    assert [len(b) for b in batches] == [16] * 6 + [4]
    for batch in batches:
        assert len({len(ideal[i]) for i in batch}) == 1
    real = sum(len(s) for s in seqs)
    assert abs(sum(len(s) for s in ideal) - real) < 16


def test_ideal_lengths_spread_the_remainder() -> None:
    assert ideal_lengths([1, 2, 3, 4, 5, 6, 7, 9], [4, 4]) == [5, 4]  # 37 tokens: 20 + 16


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_every_strategy_is_verified_before_timing(strategy: str) -> None:
    prepared = build_batching({"dist": "names", "cell": "lstm", "strategy": strategy,
                               "mode": "inference", "batch": 8, "hidden": 16, "n": 40},
                              "cpu", "fp32", seed=1)
    checks = prepared.checks.to_dict()  # what the results file holds
    prepared = dataclasses.replace(prepared, checks=checks)
    own_sequences = strategy in ("ideal", "calls") or strategy.endswith("-limit")
    if own_sequences:
        assert prepared.checks["verified"] is False
    else:
        assert prepared.checks["verified"] is True
        assert prepared.checks["max_abs_diff"] <= prepared.checks["tolerance"]
    prepared.step()
    metrics = prepared.metrics(0.5).to_dict()
    assert metrics["time_per_epoch_s"] == 0.5
    assert metrics["tokens_per_s"] == pytest.approx(metrics["real_tokens"] / 0.5)
    expected_efficiency = 1.0 if strategy.endswith("packed") or own_sequences else None
    if expected_efficiency:
        assert metrics["padding_efficiency"] == 1.0
    else:
        assert 0 < metrics["padding_efficiency"] < 1


def test_a_worker_told_another_verified_skips_the_check_and_says_so() -> None:
    params = {"dist": "names", "cell": "lstm", "strategy": "bucketed", "mode": "inference",
              "batch": 8, "hidden": 16, "n": 40}
    skipped = build_batching(params, "cpu", "fp32", seed=1, context={SKIP_VERIFY: True})
    assert skipped.checks.verified is None and skipped.checks.why == VERIFIED_ELSEWHERE
    assert build_batching(params, "cpu", "fp32", seed=1, context={}).checks.verified is True


def test_the_training_update_is_torch_sgd_without_torch_optim() -> None:
    torch.manual_seed(0)
    ours, theirs = torch.nn.Linear(4, 3), torch.nn.Linear(4, 3)
    theirs.load_state_dict(ours.state_dict())
    x = torch.randn(5, 4)
    for model in (ours, theirs):
        model(x).square().sum().backward()
    _sgd_step(list(ours.parameters()), 0.1)
    torch.optim.SGD(theirs.parameters(), lr=0.1).step()
    for a, b in zip(ours.parameters(), theirs.parameters(), strict=True):
        assert torch.equal(a, b)
    assert not torch.equal(ours.weight, ours.weight + 0.1 * ours.weight.grad)  # it moved


def test_a_training_case_never_imports_torch_dynamo() -> None:
    # torch.optim imports torch._dynamo (about a second of each worker's start-up).
    code = ("import sys\nfrom bench.workloads.batching import build_batching\n"
            "build_batching({'dist': 'names', 'cell': 'lstm', 'strategy': 'padded', "
            "'mode': 'training', 'batch': 8, 'hidden': 8, 'n': 16}, 'cpu', 'fp32', 0).step()\n"
            "print('torch._dynamo' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.stdout.strip() == "False", out.stderr[-2000:]


def test_variants_that_disagree_fail_loudly() -> None:
    # Inter-layer dropout left on (a model not put in eval mode) makes every pass differ.
    torch.manual_seed(0)
    model = CharClassifier(30, 5, cell="gru", hidden_size=16, num_layers=2, dropout=0.5)
    model.train()
    seqs = synthetic_sequences("names", 24, 30, seed=0)
    batches = random_batches(24, 8, seed=5)
    with pytest.raises(VerificationError, match="variants disagree"):
        _verify(model, seqs, "bucketed", batches, 8, 0, "cpu", "fp32")


def test_relative_metrics_pair_cases_that_differ_only_in_strategy() -> None:
    def case(strategy: str, rate: float, hidden: int = 8) -> CaseResult:
        return CaseResult(f"{strategy}/{hidden}", workload="batching", status="ok",
                          device="cpu", dtype="fp32",
                          params={"strategy": strategy, "hidden": hidden},
                          metrics=CaseMetrics(tokens_per_s=rate))

    records = [case("padded", 100.0), case("bucketed", 250.0), case("ideal", 300.0),
               case("bucketed", 999.0, hidden=16)]
    add_relative_metrics(records)
    cases = [r.to_dict() for r in records]  # what the results file holds
    assert cases[1]["metrics"]["speedup_vs_padded"] == 2.5
    assert cases[1]["metrics"]["fraction_of_ideal"] == pytest.approx(250 / 300)
    assert "speedup_vs_padded" not in cases[3]["metrics"]


def test_flop_formula() -> None:
    # LSTM (G=4), I=32, H=64, 2 layers: 2*4*64*(32+64) + 2*4*64*(64+64)
    assert rnn_flops_per_token("lstm", 32, 64, 2) == 49152 + 65536
    assert rnn_flops_per_token("gru", 10, 10, 1, training=True) == 3 * 2 * 3 * 10 * 20
    assert rnn_flops_per_token("rnn", 4, 4) == 2 * 4 * 8
    assert matmul_flops(10) == 2000
