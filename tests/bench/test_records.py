"""The typed records of a results file: real files load and round-trip, bad values read as None,
documents that are not results files are refused with one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.results import (
    CaseResult,
    CaseStats,
    ResultsError,
    RunResults,
    read_results,
    write_results,
)

FIXTURES = Path(__file__).parents[1] / "fixtures"
RELEASED = sorted(FIXTURES.glob("results-0.1.0-*.json"))


@pytest.mark.parametrize("path", RELEASED, ids=lambda p: p.name)
def test_a_file_written_by_release_0_1_0_reads_and_writes_back_unchanged(path: Path,
                                                                          tmp_path: Path) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    run = read_results(path)
    assert run.to_dict() == doc
    assert len(run.cases) == len(doc["cases"]) and all(c.ok for c in run.cases)
    batching = [c for c in run.cases if c.workload == "batching"]
    assert batching and all(c.metrics.tokens_per_s > 0 for c in batching)
    assert all(c.stats.schedule == "interleaved" and c.stats.samples_per_visit
               for c in batching)
    assert run.references and run.references[0].median_s > 0
    write_results(run, tmp_path / "again.json")
    assert json.loads((tmp_path / "again.json").read_text(encoding="utf-8")) == doc


def test_two_released_fixtures_exist() -> None:
    assert len(RELEASED) == 2


def _doc(case: dict) -> dict:
    return {"schema": "rnnbench.results/1", "cases": [case]}


@pytest.mark.parametrize(("stats", "field", "expected"), [
    ({"median_s": "0.5"}, "median_s", None),
    ({"median_s": float("nan")}, "median_s", None),
    ({"median_s": True}, "median_s", None),
    ({"n": 10**5000}, "n", None),
    ({"n": 1e300}, "n", None),
    ({"n": 12}, "n", 12),
    ({"ci95_s": [0.2, 0.1]}, "ci95_s", None),
    ({"ci95_s": "0.1-0.2"}, "ci95_s", None),
    ({"ci95_s": [0.1]}, "ci95_s", None),
    ({"ci95_s": [0.1, 0.2]}, "ci95_s", (0.1, 0.2)),
    ({"samples_s": ["0.1", "0.2"]}, "samples_s", []),
    ({"samples_s": [0.1, 0.2]}, "samples_s", [0.1, 0.2]),
])
def test_a_malformed_value_reads_as_missing(stats: dict, field: str, expected: object) -> None:
    case = RunResults.from_dict(_doc({"id": "a", "status": "ok", "stats": stats})).cases[0]
    assert getattr(case.stats, field) == expected


def test_unknown_keys_are_kept_and_metrics_that_do_not_apply_are_absent() -> None:
    case = CaseResult.from_dict({"id": "a", "future_key": [1, 2], "metrics": {"new_rate": 3.0,
                                                                                "tokens_per_s": 5}})
    out = case.to_dict()
    assert out["future_key"] == [1, 2]
    assert out["metrics"] == {"tokens_per_s": 5, "new_rate": 3.0}
    assert case.metrics.flops_per_s is None and case.metrics.tokens_per_s == 5


def test_a_case_without_a_median_is_not_ok() -> None:
    assert not CaseResult("a", stats=CaseStats(samples_s=[0.1])).ok
    assert not CaseResult("a", status="failed", stats=CaseStats(median_s=0.1)).ok
    assert CaseResult("a", stats=CaseStats(median_s=0.1)).ok


@pytest.mark.parametrize(("doc", "message"), [
    ([1, 2], "top level is not an object"),
    ({"schema": "rnnbench.doctor/1", "cases": []}, "expected 'rnnbench.results/1'"),
    ({"schema": "rnnbench.results/1", "cases": 5}, "'cases' is not a list"),
    ({"schema": "rnnbench.results/1", "cases": ["x"]}, "case 0 is not an object"),
    ({"schema": "rnnbench.results/1", "cases": [{"id": ["a"]}]}, "'id' is not a non-empty"),
])
def test_a_document_that_is_not_a_results_file_is_refused_in_one_line(doc: object,
                                                                       message: str) -> None:
    with pytest.raises(ResultsError) as caught:
        RunResults.from_dict(doc, "f.json")
    assert message in str(caught.value) and "\n" not in str(caught.value)
    assert str(caught.value).startswith("f.json")
