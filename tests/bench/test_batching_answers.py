"""Token budgets, the padding-free limits, the gap split, denormals and the recommendation."""

from __future__ import annotations

import pytest
import torch

from bench.recommend import plain_snippet, recommend, recommendation_lines, summary_line
from bench.results import CaseMetrics, CaseResult, CaseStats, RunResults
from bench.suites import PRESETS, DataChoice, plan
from bench.workloads.batching import (
    _plan,
    add_relative_metrics,
    build_batching,
    headline,
    limit_lengths,
    prune,
    strategy_batches,
)
from rnnkit.batching import BucketBatchSampler
from rnnkit.data.lengths import LengthSource, load_lengths, sample_lengths_of
from rnnkit.data.synthetic import synthetic_sequences


def test_a_token_budget_bounds_every_batch() -> None:
    seqs = synthetic_sequences("sentences", 500, 60, seed=0)
    lengths = [len(s) for s in seqs]
    batches = strategy_batches("budget", lengths, 64, 1024, seed=0)
    assert sorted(i for b in batches for i in b) == list(range(500))
    for b in batches:
        longest = max(lengths[i] for i in b)
        assert len(b) * longest <= 1024 or len(b) == 1


@pytest.mark.parametrize("strategy", ["padded-limit", "bucketed-limit", "budget-limit"])
def test_a_limit_runs_the_same_batches_unpadded(strategy: str) -> None:
    seqs = synthetic_sequences("sentences", 300, 60, seed=1)
    base = strategy.removesuffix("-limit")
    _, own = _plan(base, seqs, 32, seed=1, max_tokens=1024)
    limit_seqs, limit = _plan(strategy, seqs, 32, seed=1, max_tokens=1024)
    assert [len(b) for b in limit] == [len(b) for b in own]
    for mine, theirs in zip(limit, own, strict=True):
        assert len({len(limit_seqs[i]) for i in mine}) == 1  # equal lengths: no padding
        real = sum(len(seqs[i]) for i in theirs)
        assert abs(sum(len(limit_seqs[i]) for i in mine) - real) <= len(mine) / 2
    assert limit_lengths([[1, 2, 3], [10]]) == [2, 10]


def test_prune_drops_the_sizes_a_strategy_does_not_use() -> None:
    params = {"strategy": "budget", "batch": 64, "max_tokens": 2048, "dist": "names"}
    assert prune(params) == {"strategy": "budget", "max_tokens": 2048, "dist": "names"}
    assert "max_tokens" not in prune(dict(params, strategy="bucketed"))
    assert "batch" not in prune(dict(params, strategy="calls"))


def test_presets_plan_each_case_once_with_training_and_budgets() -> None:
    quick = plan("quick", ["cpu"], None, None, None, False)
    assert any(c.params.get("mode") == "training" for c in quick.cases
               if c.workload == "batching")
    batching = plan("batching", ["cpu"], None, None, None, False)
    ids = [c.id for c in batching.cases]
    assert len(ids) == len(set(ids))
    strategies = {(c.params["mode"], c.params["strategy"]) for c in batching.cases}
    assert ("training", "budget-limit") in strategies and ("inference", "calls") in strategies
    states = {c.params["denormals"] for c in batching.cases if c.params["mode"] == "training"}
    assert states == {"flush", "keep"}
    # Replicates from three processes: one process that lands badly moves every round alike.
    assert PRESETS["batching"]["settings"]["processes"] == 3


def test_the_users_lengths_replace_the_synthetic_ones() -> None:
    spec = "lengths:/some/file.txt"
    mine = plan("batching", ["cpu"], None, None, None, False, DataChoice(spec, n=300))
    synthetic = plan("batching", ["cpu"], None, None, None, False)
    assert {c.params["dist"] for c in mine.cases} == {"data"}
    assert {c.params["n"] for c in mine.cases} == {300}
    # names and sentences collapse into one set of cases on the user's data
    assert len(mine.cases) == len(synthetic.cases) // 2
    both = plan("batching", ["cpu"], None, None, None, False, DataChoice(spec, True))
    assert len(both.cases) == len(synthetic.cases) + len(mine.cases)


def _case(strategy: str, seconds: float, tokens: int = 1000, batches: int = 10,
          ci: float = 0.01, **params: object) -> CaseResult:
    params = {"strategy": strategy, "dist": "names", "mode": "inference", "cell": "lstm",
              **params}
    if strategy not in ("budget", "budget-limit", "calls"):
        params.setdefault("batch", 64)
    return CaseResult(f"{strategy}/{params}", workload="batching", status="ok", device="cpu",
                      dtype="fp32", params=params,
                      stats=CaseStats(median_s=seconds, ci95_s=(seconds * (1 - ci),
                                                                seconds * (1 + ci)),
                                      samples_s=[seconds]),
                      metrics=CaseMetrics(tokens_per_s=tokens / seconds, real_tokens=tokens,
                                          time_per_epoch_s=seconds, batches=batches))


def test_the_gap_to_ideal_splits_into_padding_shape_and_calls() -> None:
    cases = [_case("padded", 2.0), _case("padded-limit", 1.2), _case("ideal", 1.0),
             _case("calls", 0.064, tokens=64, batches=64),
             _case("budget", 1.5, batches=30, max_tokens=1024),
             _case("budget-limit", 1.4, batches=30, max_tokens=1024)]
    add_relative_metrics(cases)
    budget = cases[4].metrics
    assert budget.fraction_of_limit == pytest.approx(1.4 / 1.5)
    # No replicates to pair: the ratio of the medians, with an interval from their CIs.
    lo, hi = budget.fraction_of_limit_ci
    assert lo == pytest.approx(1.4 * 0.99 / (1.5 * 1.01)) and lo < 1.4 / 1.5 < hi
    assert budget.speedup_vs_padded == pytest.approx(2.0 / 1.5)
    assert budget.gap_padding_s == pytest.approx(0.1)
    assert budget.gap_calls_s == pytest.approx(0.001 * 20)
    total = budget.gap_padding_s + budget.gap_shape_s + budget.gap_calls_s
    assert total == pytest.approx(1.5 - 1.0)
    assert cases[0].metrics.gap_padding_s == pytest.approx(0.8)


def test_the_fraction_of_the_limit_is_taken_round_by_round() -> None:
    # Rounds 2, 4 and 6 ran on a busier machine: both cases slowed alike. Paired, the fraction
    # is 0.9 in every round; the medians' CIs alone would give a far wider interval.
    rounds = [1.0, 2.0, 1.1, 2.1, 1.0, 2.0]
    budget = _case("budget", 1.5, tokens=1000, ci=0.3, max_tokens=1024)
    limit = _case("budget-limit", 1.35, tokens=1010, ci=0.3, max_tokens=1024)
    for case, scale in ((budget, 1.0), (limit, 0.9)):
        case.stats.replicates_s = [scale * r for r in rounds]
        case.stats.replicate_process = [0, 0, 0, 1, 1, 1]
    add_relative_metrics([_case("padded", 2.0), budget, limit])
    per_token = 1000 / 1010  # the limit's rounded lengths hold a few more tokens
    m = budget.metrics
    assert m.fraction_of_limit == pytest.approx(0.9 * per_token)
    assert m.fraction_of_limit_ci == pytest.approx((0.9 * per_token, 0.9 * per_token))
    assert "0.89 [0.89, 0.89] of its limit" in headline(budget)
    (advice,) = recommend(RunResults(cases=[_case("padded", 2.0), budget, limit]))
    assert advice.fraction_of_limit_ci == m.fraction_of_limit_ci
    assert "0.89 [0.89, 0.89] of its padding-free limit" in summary_line(advice)
    # Replicates that do not pair up (another round count): the ratio of the medians.
    limit.stats.replicates_s = limit.stats.replicates_s[:5]
    add_relative_metrics([budget, limit])
    assert m.fraction_of_limit == pytest.approx(1000 / 1.5 / (1010 / 1.35))
    assert m.fraction_of_limit_ci[1] / m.fraction_of_limit_ci[0] > 1.5
    # A merged record whose limit did not merge keeps no fraction from a worker's own records.
    add_relative_metrics([budget])
    assert m.fraction_of_limit is None and m.fraction_of_limit_ci is None


def test_recommendation_prefers_a_budget_within_noise_and_reports_flushing() -> None:
    cases = [_case("padded", 2.0, ci=0.02), _case("bucketed", 1.00, ci=0.05),
             _case("budget", 1.02, ci=0.05, max_tokens=2048),
             _case("budget-limit", 1.0, max_tokens=2048)]
    training = [_case("padded", 4.0, mode="training", denormals="flush"),
                _case("bucketed", 1.0, mode="training", denormals="flush", ci=0.01),
                _case("budget", 2.0, mode="training", denormals="flush", max_tokens=2048),
                _case("budget", 6.0, mode="training", denormals="keep", max_tokens=2048)]
    doc = RunResults(cases=cases + training)
    add_relative_metrics(doc.cases)
    advice = {a.mode: a for a in recommend(doc)}
    inference = advice["inference"]
    assert (inference.strategy, inference.max_tokens) == ("budget", 2048)
    assert "noise" in inference.why
    assert inference.fraction_of_limit == pytest.approx(1.0 / 1.02)
    lo, hi = inference.speedup_ci
    assert lo < inference.speedup_vs_padded < hi
    train = advice["training"]
    assert (train.strategy, train.batch) == ("bucketed", 64)  # clearly fastest
    assert train.flush_denormal and train.flush_speedup == pytest.approx(3.0)
    assert train.flush_advised  # 3x with 1% intervals: clearly faster
    doc.recommendation = list(advice.values())
    text = "\n".join(recommendation_lines(doc))
    assert "set_flush_denormal(True)" in text and "BucketBatchSampler" in text


def test_a_flushed_step_leaves_denormals_unflushed_after() -> None:
    prepared = build_batching({"dist": "names", "cell": "lstm", "mode": "training",
                               "strategy": "padded", "batch": 8, "hidden": 8, "n": 16,
                               "denormals": "flush"}, "cpu", "fp32", 0)
    prepared.step()
    tiny = torch.tensor([1e-39]) * torch.tensor([1.0])  # a denormal float32
    assert float(tiny) != 0.0


def test_flushing_within_noise_is_not_advised() -> None:
    training = [_case("padded", 4.0, mode="training", denormals="flush"),
                _case("budget", 2.0, mode="training", denormals="flush", max_tokens=2048,
                      ci=0.2),
                _case("budget", 2.1, mode="training", denormals="keep", max_tokens=2048,
                      ci=0.2)]
    (advice,) = recommend(RunResults(cases=training))
    assert advice.flush_speedup == pytest.approx(2.1 / 2.0)
    assert advice.flush_advised is False
    assert "set_flush_denormal" not in advice.snippet


def test_of_sizes_within_noise_the_one_that_pads_least_is_recommended() -> None:
    lean = _case("budget", 1.02, ci=0.05, max_tokens=1024)
    fat = _case("budget", 1.00, ci=0.05, max_tokens=4096)
    far = _case("budget", 0.50, ci=0.01, max_tokens=512)  # clearly faster: stands alone
    lean.metrics.padding_efficiency, fat.metrics.padding_efficiency = 0.97, 0.89
    (advice,) = recommend(RunResults(cases=[_case("padded", 2.0), lean, fat]))
    assert advice.max_tokens == 1024 and "pads least" in advice.why
    far.metrics.padding_efficiency = 0.5
    (advice,) = recommend(RunResults(cases=[_case("padded", 2.0), lean, fat, far]))
    assert advice.max_tokens == 512


def test_a_run_without_limit_cases_says_so_and_its_snippet_fits_80_columns() -> None:
    cases = [_case("padded", 2.0, ci=0.02), _case("bucketed", 1.0, ci=0.02)]
    doc = RunResults(cases=cases)
    add_relative_metrics(doc.cases)
    doc.recommendation = recommend(doc)
    (advice,) = doc.recommendation
    assert advice.fraction_of_limit is None
    text = "\n".join(recommendation_lines(doc))
    assert "padding-free limit not measured" in text and "?" not in text
    assert max(len(line) for line in text.splitlines() if "    " in line[:4]) <= 80


@pytest.mark.parametrize(("source", "budget"), [("nietzsche", 1024), ("names", 2048)])
def test_the_plain_budget_snippet_cuts_as_the_sampler_does(source, budget, request) -> None:
    if source == "nietzsche":
        spec = LengthSource("text", str(request.getfixturevalue("nietzsche_file")),
                            "sentences", "words")
    else:
        spec = LengthSource("names", str(request.getfixturevalue("names_dir")))
    lengths = sample_lengths_of(load_lengths(spec).lengths, 2048, 0)
    code = plain_snippet("budget", None, budget)
    assert max(len(line) for line in code.splitlines()) <= 80
    namespace = {"lengths": lengths, "dataset": list(range(len(lengths))), "collate": list}
    exec(code, namespace)  # the snippet as a user would paste it

    def shapes(batches):
        return sorted(sorted(lengths[i] for i in b) for b in batches)

    plain = namespace["batches"]
    assert sorted(i for b in plain for i in b) == list(range(len(lengths)))
    assert shapes(plain) == shapes(BucketBatchSampler(lengths, max_tokens=budget))
