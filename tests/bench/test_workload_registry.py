"""The workload registry: a workload is declared once, in its own module, and the engine (suites,
runner, headlines) reads everything about it from there.

The fourth-workload test follows the recipe of docs/interfaces.md with a module written at test
time: if it needs anything beyond that module and one registry entry, the recipe is wrong.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import json
import sys
import textwrap
from pathlib import Path

import pytest

from bench import workloads
from bench.results import CaseMetrics, RunResults, read_results
from bench.runner import run_cases
from bench.suites import Case, SuiteError, plan

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "fixtures" / "results-0.1.0-quick-train.json"

# What `rnnbench run` printed for FIXTURE before the headlines moved into the workload modules
# (rnnbench.commands.run._headlines at commit 50488b6), frozen so this outlives that function;
# since issue 23 (batch-size and token-budget sweeps) each batching line names its size.
FIXTURE_HEADLINES = [
    "names     lstm inference packed          batch 64             142044 tok/s"
    "  x1.27 vs padded  0.70 of ideal",
    "names     lstm inference bucketed        batch 64             196518 tok/s"
    "  x1.75 vs padded  0.97 of ideal",
    "names     lstm inference ideal           batch 64             203596 tok/s"
    "  x1.81 vs padded  1.00 of ideal",
    "sentences lstm inference bucketed        batch 64             160789 tok/s"
    "  x3.20 vs padded  0.70 of ideal",
    "sentences lstm inference ideal           batch 64             228427 tok/s"
    "  x4.55 vs padded  1.00 of ideal",
    "rnn torch inference h256 b64 cpu/fp32: 435460 tok/s, 114.2 GFLOP/s (68% of matmul peak)",
    "gru torch inference h256 b64 cpu/fp32: 144140 tok/s, 113.4 GFLOP/s (67% of matmul peak)",
    "lstm torch inference h256 b64 cpu/fp32: 132333 tok/s, 138.8 GFLOP/s (82% of matmul peak)",
    "lstm loop  inference h256 b64 cpu/fp32: 93891 tok/s, 98.5 GFLOP/s (58% of matmul peak)",
]

NOOP_MODULE = '''
"""A tiny workload: one small torch op per step."""

import torch

from bench.results import CaseChecks, CaseMetrics
from bench.workloads.base import Prepared, Workload, fp32_only


def build(params, device, dtype, seed, context):
    x = torch.ones(int(params["size"]), device=device)
    op = torch.add if params["op"] == "add" else torch.mul

    def step():
        op(x, x)

    def metrics(median_s):
        # a metric only this workload reads: kept under its own name in `extra`
        return CaseMetrics(extra={"elements_per_s": int(params["size"]) / median_s})

    return Prepared(step, metrics, CaseChecks(verified=False, why="test workload"))


def validate(params):
    if int(params["size"]) <= 0:
        raise ValueError(f"size={params['size']!r} must be a whole number > 0")


def rank(records):
    mine = [r for r in records if r.workload == "noop" and r.status == "ok"]
    for place, record in enumerate(sorted(mine, key=lambda r: r.param("size")), 1):
        record.metrics.extra["size_rank"] = place


def headline(case):
    return f"noop {case.param('op')} x{case.param('size')}: {case.metrics.extra['size_rank']}"


WORKLOAD = Workload(
    name="noop",
    build=build,
    id_keys=("op", "size"),
    defaults={"size": 8},
    choices={"op": ("add", "mul")},
    validate=validate,
    default_dtypes=fp32_only,
    after_cases=rank,
    headline=headline,
)
'''


@pytest.fixture
def noop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The fourth workload: its own module, and one registry entry."""
    (tmp_path / "noop_workload.py").write_text(textwrap.dedent(NOOP_MODULE))
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("noop_workload")
    monkeypatch.setitem(workloads.REGISTRY, "noop", module.WORKLOAD)
    yield module.WORKLOAD
    sys.modules.pop("noop_workload", None)


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mine.toml"
    path.write_text(text)
    return path


def test_headlines_print_what_run_printed_for_a_real_results_file() -> None:
    assert workloads.headlines(read_results(FIXTURE).cases) == FIXTURE_HEADLINES


def test_failed_and_unknown_cases_have_no_headline() -> None:
    kernel = next(c for c in read_results(FIXTURE).cases if c.workload == "kernels")
    failed = dataclasses.replace(kernel, status="failed", metrics=CaseMetrics())
    stranger = dataclasses.replace(kernel, workload="retired")
    assert workloads.headlines([failed, stranger, kernel]) == [FIXTURE_HEADLINES[5]]


def test_registry_holds_each_workload_under_its_name_in_run_order() -> None:
    assert list(workloads.REGISTRY) == ["batching", "kernels", "matmul", "ceiling", "train"]
    assert all(name == w.name for name, w in workloads.REGISTRY.items())
    assert [w.name for w in workloads.config_workloads()] == ["batching", "kernels", "train"]
    with pytest.raises(ValueError, match="unknown workload 'nope'"):
        workloads.get("nope")


def test_workload_modules_never_import_the_registry() -> None:
    folder = REPO / "bench" / "workloads"
    for path in folder.glob("*.py"):
        if path.name == "__init__.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                assert node.module != "bench.workloads", f"{path.name} imports the registry"
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
                assert "bench.workloads" not in names, f"{path.name} imports the registry"


def test_a_fourth_workload_plans_runs_and_summarises(noop, tmp_path: Path) -> None:
    config = _config(tmp_path, "[settings]\nbudget_s = 0.05\n"
                               "[[noop]]\nop = 'add'\nsize = [16, 4]\n")
    cases = plan("quick", ["cpu"], None, None, config, with_train=False).cases
    assert [c.id for c in cases] == ["noop/cpu/fp32/op=add/size=16", "noop/cpu/fp32/op=add/size=4"]

    out = run_cases(cases, RunResults(), tmp_path / "results.json", seed=0, budget_s=0.05,
                    target=0.5)
    assert out.status == "complete"
    records = out.cases
    assert [r.status for r in records] == ["ok", "ok"]
    assert all(r.metrics.extra["elements_per_s"] > 0 for r in records)
    # after_cases ran over all records: the smaller size ranks first whatever the run order
    assert [r.metrics.extra["size_rank"] for r in records] == [2, 1]
    assert json.loads((tmp_path / "results.json").read_text())["cases"][1]["id"] == cases[1].id
    assert workloads.headlines(records) == ["noop add x16: 2", "noop add x4: 1"]


def test_a_case_that_fails_to_build_is_recorded_and_the_others_are_sampled_in_rounds(
        noop, tmp_path: Path) -> None:
    cases = [Case("t", "noop", {"op": "mul", "size": size}, "cpu", "fp32") for size in (4, -1)]
    out = run_cases(cases, RunResults(), tmp_path / "results.json", seed=0, budget_s=0.05,
                    target=0.5)
    assert [r.status for r in out.cases] == ["failed", "ok"]  # torch.ones(-1) fails
    ok = out.cases[1]
    assert ok.stats.schedule == "interleaved" and ok.stats.visits == 6
    assert len(ok.stats.replicates_s) == 6  # one median per round, the CI taken over them


@pytest.mark.parametrize(("text", "message"), [
    ("[[noop]]\nop = 'add'\nwidth = 3\n",
     "unknown parameter(s) width for noop (known: op, size)"),
    ("[[noop]]\nop = 'div'\n", "op='div' is not one of add, mul"),
    ("[[noop]]\nop = 'add'\nsize = 0\n", "size=0 must be a whole number > 0"),
])
def test_a_fourth_workloads_bad_entries_are_one_line_suite_errors(noop, tmp_path: Path,
                                                                  text: str, message: str) -> None:
    config = _config(tmp_path, text)
    with pytest.raises(SuiteError) as info:
        plan("quick", ["cpu"], None, None, config, with_train=False)
    assert str(info.value) == f"--config {config}: {message}"
    assert "\n" not in str(info.value)


def test_without_registering_it_the_table_is_unknown(tmp_path: Path) -> None:
    config = _config(tmp_path, "[[noop]]\nop = 'add'\n")
    with pytest.raises(SuiteError, match=r"unknown table\(s\) noop"):
        plan("quick", ["cpu"], None, None, config, with_train=False)
