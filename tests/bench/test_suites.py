"""Suites: presets and config files expand to the cases a user expects, filters apply."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.suites import PRESETS, SuiteError, parse_list, plan


def test_quick_suite_is_small_and_peaks_come_first() -> None:
    cases = plan("quick", ["cpu"], None, None, None, with_train=False).cases
    # 15, the training batching pair since issue 23 (one more), and since issue 22 three
    # ceilings in place of the n=2048 matmul (two more)
    assert len(cases) <= 18
    assert cases[0].workload == "matmul"
    assert len({c.id for c in cases}) == len(cases)
    assert {c.workload for c in cases} == {"matmul", "ceiling", "batching", "kernels"}
    # one ceiling per kernel shape: the torch and loop LSTM share theirs
    assert [c.workload for c in cases].count("ceiling") == 3
    with_data = plan("quick", ["cpu"], None, None, None, with_train=True).cases
    assert [c.workload for c in with_data].count("train") == 1


def test_ids_name_every_parameter() -> None:
    case = next(c for c in plan("batching", ["cpu"], None, None, None, False).cases
                if c.params["strategy"] == "bucketed")
    for key in ("dist", "cell", "mode", "batch", "hidden", "layers", "n"):
        assert f"{key}={case.params[key]}" in case.id
    assert case.id.startswith("batching/cpu/fp32/")


def test_filters() -> None:
    cases = plan("kernels", ["cpu", "cuda"], ["gru"], ["bf16"], None, False).cases
    kernels = [c for c in cases if c.workload == "kernels"]
    assert kernels and all(c.params["cell"] == "gru" and c.dtype == "bf16" for c in kernels)
    peaks = [c for c in cases if c.workload == "matmul"]
    assert {(c.device, c.dtype) for c in peaks} == {("cpu", "bf16"), ("cuda", "bf16")}


@pytest.mark.parametrize(("capability", "dtypes", "tf32", "fp16_sizes"), [
    ((9, 0), {"fp32", "bf16", "fp16"}, {False, True}, {4096, 8192}),  # Hopper
    ((7, 5), {"fp32", "fp16"}, {False}, {4096, 8192}),  # Turing: bf16 only emulated, no TF32
    ((6, 1), {"fp32", "fp16"}, {False}, {1024, 2048}),  # consumer Pascal: fp16 at 1/64 rate
])
def test_a_gpu_is_planned_in_the_precisions_it_runs_natively(
        monkeypatch: pytest.MonkeyPatch, capability, dtypes, tf32, fp16_sizes) -> None:
    import bench.workloads.base as base

    monkeypatch.setattr(base, "_capability", lambda device: capability)
    cases = plan("kernels", ["cuda"], None, None, None, False).cases
    assert {c.dtype for c in cases if c.workload == "kernels"} == dtypes
    assert {c.params["tf32"] for c in cases if c.workload == "matmul"
            and c.dtype == "fp32"} == tf32
    assert {c.params["n"] for c in cases if c.workload == "matmul"
            and c.dtype == "fp16"} == fp16_sizes


def test_presets_all_expand() -> None:
    for name in PRESETS:
        assert plan(name, ["cpu"], None, None, None, with_train=True).cases


def test_config_file(tmp_path: Path) -> None:
    config = tmp_path / "mine.toml"
    config.write_text("[settings]\nbudget_s = 0.5\n[[batching]]\ndist = 'names'\n"
                      "cell = ['gru', 'lstm']\nmode = 'inference'\nstrategy = 'padded'\n")
    p = plan("quick", ["cpu"], None, None, config, False)
    assert p.name == "mine" and p.settings == {"budget_s": 0.5}
    assert [c.params["cell"] for c in p.cases] == ["gru", "lstm"]
    assert p.cases[0].params["batch"] == 64  # defaults fill what the grid leaves out


@pytest.mark.parametrize(("text", "message"), [
    ("[[kernels]]\ncell = 'tree'\n", "cell='tree'"),
    ("[[batching]]\nwidth = 3\n", "unknown parameter(s) width"),
    ("[grid]\n", "unknown table(s) grid"),
    ("kernels = 3\n", "array of tables"),
    ("= broken", "--config"),
    ("[settings]\nbudget_s = 'abc'\n", "budget_s = 'abc' must be a number of seconds > 0"),
    ("[settings]\nbudget_s = 0\n", "budget_s = 0 must be"),
    ("[settings]\ntarget = 2\n", "target = 2 must be a fraction"),
    ("[settings]\nthreads = 1.5\n", "threads = 1.5 must be a whole number"),
    ("[settings]\nrounds = 3\n", "rounds = 3 must be a whole number >= 6"),
    ("[settings]\ncudnn_benchmark = 1\n", "cudnn_benchmark = 1 must be true or false"),
    ("[settings]\nbudget = 3\n", "unknown setting 'budget'"),
    ("[settings]\ndrift = -0.01\n", "drift = -0.01 must be a fraction from 0 to 0.5"),
    ("[settings]\ndrift = 'low'\n", "drift = 'low' must be"),
    ("settings = 3\n", "[settings] must be a table"),
])
def test_bad_configs(tmp_path: Path, text: str, message: str) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(text)
    with pytest.raises(SuiteError, match=None) as info:
        plan("quick", ["cpu"], None, None, config, False)
    assert message in str(info.value)


def test_parse_list() -> None:
    assert parse_list("GRU, lstm", ("rnn", "gru", "lstm"), "--cells") == ["gru", "lstm"]
    assert parse_list(None, ("a",), "--x") is None
    with pytest.raises(SuiteError, match="--cells"):
        parse_list("gru,tree", ("rnn", "gru", "lstm"), "--cells")
