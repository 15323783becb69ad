"""compare: real regressions are found, equal runs show none, and the rank test is right."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from bench.compare import compare_results as compare_runs
from bench.results import RunResults, write_results

from .synthetic import case, results


def compare_results(base: dict, new: dict, threshold: float = 0.05):
    """compare_results on records built from the documents the tests write out by hand."""
    return compare_runs(RunResults.from_dict(base), RunResults.from_dict(new), threshold)

RNNBENCH = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "rnnbench"


def test_twice_slower_case_is_a_real_regression() -> None:
    base = results([case("fast", 0.010, seed=1), case("steady", 0.020, seed=2)])
    new = results([case("fast", 0.020, seed=3), case("steady", 0.020, seed=4)])
    cmp = compare_results(base, new, threshold=0.05)
    rows = {r.id: r for r in cmp.rows}
    assert rows["fast"].verdict == "slower" and rows["fast"].real
    assert rows["fast"].ratio == pytest.approx(2.0, rel=0.03)
    assert rows["steady"].verdict == "same"
    assert [r.id for r in cmp.regressions] == ["fast"]
    assert "Mann-Whitney" in cmp.method and "CI" in cmp.method


def test_equal_runs_show_no_real_difference() -> None:
    base = results([case(f"c{i}", 0.01 * (i + 1), seed=i) for i in range(5)])
    new = results([case(f"c{i}", 0.01 * (i + 1), seed=100 + i) for i in range(5)])
    cmp = compare_results(base, new)
    assert [r.verdict for r in cmp.rows] == ["same"] * 5
    assert not cmp.regressions


def test_faster_and_missing_cases() -> None:
    base = results([case("a", 0.02), case("gone", 0.01)])
    new = results([case("a", 0.01, seed=5), case("added", 0.01)])
    rows = {r.id: r for r in compare_results(base, new).rows}
    assert rows["a"].verdict == "faster"
    assert rows["gone"].verdict == "missing" and rows["added"].verdict == "missing"


def test_small_real_change_within_threshold_is_same() -> None:
    base = results([case("a", 0.0100, n=200, spread=0.001)])
    new = results([case("a", 0.0102, n=200, spread=0.001, seed=9)])
    row = compare_results(base, new, threshold=0.05).rows[0]
    assert row.real and row.verdict == "same"


def test_agreement_counts_medians_within_the_threshold_either_way() -> None:
    base = results([case("same", 0.0100), case("up4", 0.0100), case("down6", 0.0100),
                    case("gone", 0.0100)])
    new = results([case("same", 0.0100, seed=5), case("up4", 0.0104, seed=6),
                   case("down6", 0.0094, seed=7)])
    cmp = compare_results(base, new, threshold=0.05)
    assert cmp.agreement == (2, 3)  # "gone" is in one run only and is not counted
    assert cmp.to_dict()["agreement"] == {"within_threshold": 2, "matched": 3}


def test_reference_workloads_of_both_runs_are_paired_by_device_and_label() -> None:
    base = results([case("a", 0.01)])
    new = results([case("a", 0.011, seed=3)])
    base["references"] = [{"device": "cpu", "label": "epoch", "median_s": 0.0004},
                          {"device": "cuda", "label": "epoch", "median_s": 0.002}]
    new["references"] = [{"device": "cpu", "label": "epoch", "median_s": 0.00044},
                         {"device": "cpu", "label": "another workload", "median_s": 0.003},
                         {"device": "cpu", "median_s": 1.0}]
    cmp = compare_results(base, new)
    assert cmp.references == [("cpu", "epoch", 0.0004, 0.00044)]
    [ref] = cmp.to_dict()["references"]
    assert ref["ratio"] == pytest.approx(1.1)
    assert compare_results(results([case("a", 0.01)]), new).references == []


def _write_pair(tmp_path: Path, slow_factor: float) -> tuple[Path, Path]:
    base, new = tmp_path / "base.json", tmp_path / "new.json"
    write_results(results([case("a", 0.01)]), base)
    write_results(results([case("a", 0.01 * slow_factor, seed=7)]), new)
    return base, new


def test_cli_exit_codes(tmp_path: Path) -> None:
    base, new = _write_pair(tmp_path, 2.0)
    plain = subprocess.run([RNNBENCH, "compare", base, new], capture_output=True, text=True)
    assert plain.returncode == 0 and "slower" in plain.stdout and "Mann-Whitney" in plain.stdout
    assert "agreement: the medians of 0 of 1 matched cases (0%)" in plain.stdout
    failing = subprocess.run([RNNBENCH, "compare", base, new, "--fail-on-regression", "--json"],
                             capture_output=True, text=True)
    assert failing.returncode == 1
    assert json.loads(failing.stdout)["regressions"] == ["a"]
    same = subprocess.run([RNNBENCH, "compare", base, base, "--fail-on-regression"],
                          capture_output=True, text=True)
    assert same.returncode == 0


def test_cli_names_a_change_in_the_machine_itself(tmp_path: Path) -> None:
    base, new = tmp_path / "base.json", tmp_path / "new.json"
    for path, seconds in ((base, 0.0004), (new, 0.00044)):
        doc = results([case("a", 0.01)])
        doc["references"] = [{"device": "cpu", "label": "one small epoch", "median_s": seconds}]
        write_results(doc, path)
    shown = subprocess.run([RNNBENCH, "compare", base, new], capture_output=True, text=True)
    assert shown.returncode == 0, shown.stderr
    assert "machine reference on cpu (one small epoch, timed in every round" in shown.stdout
    assert "ratio 1.100: the reference ran 10.0% slower in the new run" in shown.stdout


def test_cli_rejects_garbage_in_one_line(tmp_path: Path) -> None:
    base, _ = _write_pair(tmp_path, 1.0)
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json")
    proc = subprocess.run([RNNBENCH, "compare", base, garbage], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "garbage.json" in proc.stderr
    assert "Traceback" not in proc.stderr
    bad_threshold = subprocess.run([RNNBENCH, "compare", base, base, "--threshold", "lots"],
                                   capture_output=True, text=True)
    assert bad_threshold.returncode == 2 and "--threshold" in bad_threshold.stderr
