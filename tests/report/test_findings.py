"""Findings and ratios are computed from the cases: change the data and the sentences change."""

from __future__ import annotations

import builders
import pytest
from builders import compute_findings, speedup

from bench.report.cases import Ratio
from bench.report.sentences import fmt_times


def test_ratio_interval_takes_opposite_ends_of_both_intervals() -> None:
    fast = builders.case("batching", {"strategy": "bucketed"}, 0.1, {"tokens_per_s": 1000.0})
    slow = builders.case("batching", {"strategy": "padded"}, 0.4, {"tokens_per_s": 250.0})
    ratio = speedup(fast, slow)
    f_med, (f_lo, f_hi) = fast["stats"]["median_s"], fast["stats"]["ci95_s"]
    s_med, (s_lo, s_hi) = slow["stats"]["median_s"], slow["stats"]["ci95_s"]
    # a rate's interval is the rate scaled by median/ci_hi .. median/ci_lo
    fast_rates = (1000.0 * f_med / f_hi, 1000.0 * f_med / f_lo)
    slow_rates = (250.0 * s_med / s_hi, 250.0 * s_med / s_lo)
    assert ratio.value == pytest.approx(4.0)
    assert ratio.lo == pytest.approx(fast_rates[0] / slow_rates[1])
    assert ratio.hi == pytest.approx(fast_rates[1] / slow_rates[0])
    assert ratio.lo < ratio.value < ratio.hi


def test_ratio_text_keeps_enough_decimals_to_show_the_interval() -> None:
    assert fmt_times(Ratio(4.1, 3.9, 4.3)) == "4.1× (95% CI 3.9–4.3×)"
    assert fmt_times(Ratio(2.0, 1.99, 2.01)) == "2.00× (95% CI 1.99–2.01×)"
    assert fmt_times(Ratio(2.5)) == "2.5×"


def test_batching_finding_names_the_best_strategy_and_its_speedup() -> None:
    sentences = [f.sentence for f in compute_findings(builders.results())]
    sentence_length = next(s for s in sentences if "sentence-length" in s)
    # sentences: padded 0.8 s vs bucketed 0.2 s in the builder -> 4×
    assert sentence_length.startswith("bucketed batching is 4.0")
    assert "faster than padded" in sentence_length and "95% CI" in sentence_length
    assert "95% of the equal-length reference batches of 64" in sentence_length


def test_findings_follow_the_data() -> None:
    doc = builders.results()
    for c in doc["cases"]:
        if c["workload"] == "batching" and c["params"]["strategy"] == "packed":
            c["stats"] = builders.stats_for(c["stats"]["median_s"] / 10)
            c["metrics"]["tokens_per_s"] *= 10
    first = compute_findings(doc)[0].sentence
    assert first.startswith("packed batching is")


def test_cell_and_method_findings() -> None:
    findings = compute_findings(builders.results())
    assert 3 <= len(findings) <= 5
    assert any(f.sentence.startswith("RNN is the fastest cell") for f in findings)
    method = findings[-1].sentence
    assert method.startswith("31 of 31 measured cases met the noise target")
    assert "1 case did not complete" in method


def test_missing_fields_give_fewer_findings_not_errors() -> None:
    doc = builders.results(cases=[
        {"id": "x", "suite": "batching", "status": "ok", "params": {"strategy": "padded"}},
        {"id": "y", "suite": "kernels", "status": "ok", "stats": {"median_s": "fast"}},
        {"id": "z", "suite": "batching", "status": "failed", "error": None}])
    findings = compute_findings(doc)
    assert [f.sentence for f in findings] == [
        "0 of 0 measured cases met the noise target (95% CI of the median within the target); "
        "3 cases did not complete (failed or skipped; listed below)."]


def test_train_finding_picks_the_first_to_reach_the_target() -> None:
    findings = compute_findings(builders.results(cases=builders.train_cases()))
    # accuracy passes 70% after epoch 5; bucketed epochs take 1 s, padded 2 s
    assert findings[0].sentence == "gru with bucketed reaches 70% test accuracy first, after 5 s " \
                                   "of training."


def test_train_finding_says_when_no_model_reached_the_target() -> None:
    cases = builders.train_cases()
    for c in cases:
        c["metrics"].update(time_to_accuracy_s=None, epochs_to_target=None, target_accuracy=0.9)
    findings = compute_findings(builders.results(cases=cases))
    assert findings[0].sentence == "No model reached 90% test accuracy; the best final accuracy " \
                                   "was 75% (gru with padded)."


def _batching_only(times: dict[str, float], spread: float = 0.01) -> dict:
    cases = [builders.case("batching", {"cell": "lstm", "dist": "names", "strategy": name,
                                        "mode": "inference"}, t,
                           {"tokens_per_s": builders.TOKENS / t}, spread=spread, seed=i)
             for i, (name, t) in enumerate(times.items())]
    return builders.results(cases=cases)


def test_padded_fastest_is_said_plainly() -> None:
    doc = _batching_only({"padded": 0.1, "packed": 0.3, "bucketed": 0.2})
    sentence = compute_findings(doc)[0].sentence
    assert sentence.startswith("padded batching is the fastest for name-length LSTM inference "
                               "on cpu: 2.0")
    assert "than the best alternative, bucketed." in sentence


def test_a_difference_inside_the_noise_is_not_called_a_win() -> None:
    doc = _batching_only({"padded": 0.10, "bucketed": 0.09}, spread=0.5)
    finding = compute_findings(doc)[0]
    assert finding.sentence.startswith("No batching strategy is clearly faster than padded")
    assert "an interval that includes 1" in finding.sentence
    assert finding.short == "no clear winner over padded (names, LSTM, cpu)"


def test_gpu_against_cpu_on_the_same_settings() -> None:
    cases = [builders.case("kernels", {"cell": "lstm", "impl": "torch", "mode": "training",
                                       "hidden": 512, "device": device}, t,
                           {"tokens_per_s": 1000 / t})
             for device, t in (("cpu", 0.8), ("cuda", 0.02))]
    sentences = [f.sentence for f in compute_findings(builders.results(cases=cases))]
    assert "The GPU is up to 40" in " ".join(sentences)
    assert any(s.endswith("faster than the CPU (LSTM training).") for s in sentences)
