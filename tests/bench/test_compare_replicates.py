"""compare on replicates: the statistics against scipy, and by simulation the false-alarm rate
under whole-run drift (A/A) and the power to find a real slowdown."""

from __future__ import annotations

import json
import math
import random
import statistics
import subprocess
from pathlib import Path

import pytest

from bench.compare import compare_results
from bench.relative import shift_corrected_test
from bench.results import CaseResult, CaseStats, Reference, RunResults, write_results
from bench.stats import holm_adjust

RNNBENCH = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "rnnbench"
CASES = 14
NOISE = 0.03  # sd of a replicate's log: lognormal noise of about 3%
DRIFT = 0.08  # each run's speed is multiplied by U(1 - DRIFT, 1 + DRIFT)


def _case(case_id: str, replicates: list[float], processes: int, env: str | None = None
          ) -> CaseResult:
    ordered = sorted(replicates)
    stats = CaseStats(median_s=ordered[len(ordered) // 2], samples_s=list(replicates),
                      replicates_s=list(replicates), processes=processes,
                      replicate_process=[i % processes for i in range(len(replicates))])
    return CaseResult(id=case_id, env=env, stats=stats)


def _run(rng: random.Random, replicates: int, processes: int = 3,
         slow: dict[int, float] | None = None) -> RunResults:
    """One simulated run: 14 cases of different sizes, the run's own speed, lognormal noise,
    and a reference workload that drifts with the machine."""
    speed = rng.uniform(1 - DRIFT, 1 + DRIFT)
    slow = slow or {}
    cases = [_case(f"case{i}", [0.001 * (i + 1) * speed * slow.get(i, 1.0)
                                * math.exp(rng.gauss(0, NOISE)) for _ in range(replicates)],
                   processes) for i in range(CASES)]
    rounds = [0.016 * speed * math.exp(rng.gauss(0, 0.01)) for _ in range(6)]
    ref = Reference(device="cpu", label="ref", median_s=sorted(rounds)[3],
                    per_round_median_s=rounds)
    return RunResults(cases=cases, references=[ref])


# -- the statistics ------------------------------------------------------------------------------

def test_the_case_test_is_a_rank_test_with_the_hodges_lehmann_ratio() -> None:
    stats = pytest.importorskip("scipy.stats")
    rng = random.Random(3)
    base = [math.exp(rng.gauss(0, 0.03)) for _ in range(7)]
    new = [1.1 * math.exp(rng.gauss(0, 0.05)) for _ in range(9)]
    mine = shift_corrected_test(base, new, log_shift=0.0, shift_log_se=0.0)
    logs_b, logs_n = [math.log(v) for v in base], [math.log(v) for v in new]
    theirs = stats.mannwhitneyu(logs_n, logs_b, alternative="two-sided", method="asymptotic",
                                use_continuity=True)
    assert mine.p_value == pytest.approx(theirs.pvalue, rel=1e-9)
    pairwise = sorted(n - b for b in logs_b for n in logs_n)
    assert math.log(mine.relative) == pytest.approx(statistics.median(pairwise), rel=1e-12)
    assert mine.ci[0] < mine.relative < mine.ci[1]
    # A known shift is taken out of the new side before testing.
    shifted = shift_corrected_test(base, [v * 1.2 for v in new], math.log(1.2), 0.0)
    assert shifted.p_value == pytest.approx(mine.p_value, rel=1e-9)
    assert shifted.relative == pytest.approx(mine.relative, rel=1e-9)


def test_one_disturbed_replicate_cannot_make_a_change() -> None:
    base = [1.0, 1.01, 0.99, 1.0, 1.02, 0.98]
    new = [1.0, 1.01, 0.99, 1.0, 1.02, 1.9]  # one visit while something else ran
    test = shift_corrected_test(base, new, 0.0, 0.0)
    assert abs(test.relative - 1.0) < 0.02 and test.p_value > 0.3


def test_the_hodges_lehmann_ci_covers_the_true_ratio() -> None:
    rng = random.Random(11)
    covered = 0
    for _ in range(400):
        base = [math.exp(rng.gauss(0, 0.03)) for _ in range(8)]
        new = [1.07 * math.exp(rng.gauss(0, 0.03)) for _ in range(8)]
        lo, hi = shift_corrected_test(base, new, 0.0, 0.0).ci
        covered += lo <= 1.07 <= hi
    assert covered / 400 >= 0.93


def test_the_shifts_uncertainty_widens_the_case_ci() -> None:
    base, new = [1.0, 1.01, 0.99, 1.02], [1.05, 1.06, 1.04, 1.07]
    plain = shift_corrected_test(base, new, 0.0, 0.0)
    wider = shift_corrected_test(base, new, 0.0, 0.02)
    assert wider.ci[0] < plain.ci[0] and wider.ci[1] > plain.ci[1]
    assert wider.p_value > plain.p_value


def test_holm_matches_its_definition_on_a_worked_example() -> None:
    # sorted p 0.01, 0.03, 0.04, 0.2 times 4, 3, 2, 1, made monotone: 0.04, 0.09, 0.09, 0.2
    assert holm_adjust([0.04, 0.01, 0.2, 0.03]) == pytest.approx([0.09, 0.04, 0.2, 0.09])


# -- by simulation -------------------------------------------------------------------------------

def _verdicts(pairs: int, replicates: int, seed: int, slow: dict[int, float] | None = None
              ) -> tuple[list[str], list[str], int]:
    """Verdicts of untouched and slowed cases over simulated pairs, and how many pairs
    --fail-on-regression would fail."""
    rng = random.Random(seed)
    untouched, slowed, failing = [], [], 0
    for _ in range(pairs):
        cmp = compare_results(_run(rng, replicates), _run(rng, replicates, slow=slow))
        for i, row in enumerate(cmp.rows):
            (slowed if slow and i in slow else untouched).append(row.verdict)
        failing += cmp.fails
    return untouched, slowed, failing


@pytest.mark.parametrize("replicates", [6, 12])
def test_a_drifting_machine_raises_no_false_alarms(replicates: int) -> None:
    pairs = 200
    verdicts, _, failing = _verdicts(pairs, replicates, seed=replicates)
    alarms = sum(v != "same" for v in verdicts) / len(verdicts)
    print(f"\nA/A, {replicates} replicates: non-'same' verdicts {alarms:.2%} of "
          f"{len(verdicts)} case comparisons, --fail-on-regression fires in {failing}/{pairs}")
    assert alarms <= 0.05
    assert failing <= 0.10 * pairs


def test_the_raw_per_case_ratio_would_have_alarmed() -> None:
    """The drift alone moves whole runs by more than the threshold: without the shift
    correction many cases would look changed, so the A/A test above is not trivially easy."""
    rng = random.Random(1)
    beyond = total = 0
    for _ in range(100):
        cmp = compare_results(_run(rng, 6), _run(rng, 6))
        beyond += sum(not 1 / 1.05 <= r.ratio <= 1.05 for r in cmp.rows)
        total += len(cmp.rows)
    assert beyond / total > 0.2


@pytest.mark.parametrize("replicates", [12, 18])
def test_a_real_slowdown_of_four_cases_is_found(replicates: int) -> None:
    pairs = 100
    slow = {1: 1.25, 5: 1.25, 8: 1.25, 12: 1.25}
    untouched, slowed, failing = _verdicts(pairs, replicates, seed=50 + replicates, slow=slow)
    found = slowed.count("slower") / len(slowed)
    print(f"\npower, x1.25 on 4 cases, {replicates} replicates: {found:.1%} called slower; "
          f"untouched cases non-'same' {sum(v != 'same' for v in untouched)}/{len(untouched)}")
    assert found >= 0.90
    assert failing >= 0.90 * pairs
    assert sum(v != "same" for v in untouched) / len(untouched) <= 0.05


def test_smallest_change_found_reliably_at_twelve_replicates() -> None:
    """Scan the injected change; print where detection reaches 90% (for the closing note) and
    check it sits between the threshold and x1.25."""
    slow_ids = (1, 5, 8, 12)
    reliable = None
    for factor in (1.08, 1.10, 1.12, 1.15, 1.18, 1.20):
        _, slowed, _ = _verdicts(40, 12, seed=int(factor * 100),
                                 slow=dict.fromkeys(slow_ids, factor))
        rate = slowed.count("slower") / len(slowed)
        print(f"x{factor}: {rate:.0%} called slower")
        if rate >= 0.9 and reliable is None:
            reliable = factor
    print(f"smallest change detected in >= 90% at 12 replicates: x{reliable}")
    assert reliable is not None and 1.05 < reliable <= 1.20


def test_a_whole_run_slowdown_beyond_the_drift_fails_the_gate_without_case_alarms() -> None:
    rng = random.Random(7)
    base = _run(rng, 6)
    new = _run(rng, 6)
    for case in new.cases:
        case.stats.replicates_s = [v * 1.4 for v in case.stats.replicates_s]
        case.stats.median_s *= 1.4
    new.references[0] = base.references[0]  # the machine did not move: the code did
    cmp = compare_results(base, new)
    assert not cmp.regressions
    assert cmp.shift is not None and cmp.shift.beyond_drift and cmp.fails


def test_an_uncertain_case_says_how_many_processes_might_decide_it() -> None:
    rng = random.Random(11)
    base, new = _run(rng, 3, processes=3), _run(rng, 3, processes=3)
    noisy = new.cases[2].stats
    noisy.replicates_s = [v * f for v, f in zip(noisy.replicates_s, (1.0, 1.3, 1.25),
                                                strict=True)]
    row = compare_results(base, new).rows[2]
    assert row.verdict == "uncertain"
    assert row.processes_needed is not None and row.processes_needed > 3
    assert "more worker process(es) per side" in row.note and "estimate" in row.note


# -- the command ---------------------------------------------------------------------------------

def test_cli_shows_the_shift_and_json_carries_it(tmp_path: Path) -> None:
    rng = random.Random(5)
    base_path, new_path = tmp_path / "base.json", tmp_path / "new.json"
    write_results(_run(rng, 12), base_path)
    write_results(_run(rng, 12, slow={0: 1.5}), new_path)
    text = subprocess.run([RNNBENCH, "compare", base_path, new_path], capture_output=True,
                          text=True)
    assert text.returncode == 0, text.stderr
    assert "whole-run shift: new/base" in text.stdout and "95% CI" in text.stdout
    assert "adj. p" in text.stdout
    doc = json.loads(subprocess.run([RNNBENCH, "compare", "--json", "--fail-on-regression",
                                     base_path, new_path], capture_output=True,
                                    text=True).stdout)
    assert {"value", "ci95", "reference_ratio", "beyond_drift"} <= set(doc["shift"])
    row = doc["rows"][0]
    assert row["verdict"] == "slower" and row["method"] == "replicates"
    assert row["relative_ci"][0] > 1.05 and row["adjusted_p"] < 0.05


def test_one_file_with_two_environments_is_an_ab_comparison(tmp_path: Path) -> None:
    rng = random.Random(9)
    cases = []
    for env, factor in (("A", 1.0), ("B", 1.3)):
        for i in range(6):
            cases.append(_case(f"c{i}", [0.001 * (i + 1) * (factor if i < 3 else 1.0)
                                         * math.exp(rng.gauss(0, NOISE)) for _ in range(6)],
                               3, env))
    path = tmp_path / "ab.json"
    write_results(RunResults(cases=cases), path)
    proc = subprocess.run([RNNBENCH, "compare", "--json", path], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert [r["verdict"] for r in doc["rows"]] == ["slower"] * 3 + ["same"] * 3
    assert doc["shift"]["corrected"] is False
    text = subprocess.run([RNNBENCH, "compare", path], capture_output=True, text=True).stdout
    assert "A/B in one run" in text and "drift" not in text.split("A/B in one run")[1][:40]
    page = tmp_path / "ab.html"
    shown = subprocess.run([RNNBENCH, "report", path, "-o", page], capture_output=True,
                           text=True)
    assert shown.returncode == 0, shown.stderr
    html = page.read_text(encoding="utf-8")
    assert "env B against env A" in html and "A/B in one run" in html
    # The environments' own entries, as a hostile file may write them, describe each side
    # without a traceback and without raw control characters.
    run = RunResults(cases=cases)
    run.settings.extra["environments"] = [
        {"label": "A", "python": "/venv/a\x1b[2J", "env_vars": ["not", "a", "dict"]},
        {"label": "B", "python": "/venv/b", "threads": 2, "env_vars": {"OMP_NUM_THREADS": "2"}},
        "not an entry"]
    write_results(run, path)
    described = subprocess.run([RNNBENCH, "compare", path], capture_output=True, text=True)
    assert described.returncode == 0, described.stderr
    lines = described.stdout.splitlines()
    first = next(line for line in lines if line.startswith("base:"))
    second = next(line for line in lines if line.startswith("new:"))
    assert "\x1b" not in first and "/venv/a" in first
    assert "threads 2, OMP_NUM_THREADS=2" in second
    refused = subprocess.run([RNNBENCH, "compare", path, "--a", "A", "--b", "C"],
                             capture_output=True, text=True)
    assert refused.returncode == 2 and "C" in refused.stderr


def test_the_comparison_page_shows_the_shift_and_each_cases_ci(tmp_path: Path) -> None:
    from bench.report.pages import render_comparison

    rng = random.Random(13)
    base, new = _run(rng, 3, processes=3), _run(rng, 3, processes=3)
    noisy = new.cases[2].stats
    noisy.replicates_s = [v * f for v, f in zip(noisy.replicates_s, (1.0, 1.3, 1.25),
                                                strict=True)]
    page = render_comparison([base, new], tmp_path / "cmp.html").read_text(encoding="utf-8")
    assert "Whole-run shift (median new / base over 14 cases)" in page
    assert "vs shift (95% CI)" in page and "more worker process(es) per side" in page
