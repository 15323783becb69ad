"""`rnnbench run` end to end, in a subprocess as a user runs it, on tiny custom grids."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import pytest

from bench.results import load_results

RNNBENCH = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "rnnbench"

TINY = """
[settings]
budget_s = 0.1
threads = 1

[[batching]]
dist = ["names", "no-such-distribution"]
cell = "gru"
mode = "inference"
strategy = ["padded", "packed", "bucketed", "bucketed+packed", "ideal"]
batch = 8
hidden = 16
n = 32

[[kernels]]
cell = "lstm"
impl = ["torch", "loop"]
mode = ["inference", "training"]
hidden = 16
batch = 2
seq_len = 4
"""


def _run(args: list, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([RNNBENCH, "run", *args], capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess,
                                                                  Path, Path]:
    folder = tmp_path_factory.mktemp("run")
    config = folder / "tiny.toml"
    config.write_text(TINY)
    export = folder / "pb.json"
    proc = _run(["--config", config, "--device", "cpu", "--out", folder / "out", "--json",
                 "--export", "pytest-benchmark", export])
    return proc, folder, export


def test_tiny_run_writes_a_valid_results_file(tiny_run) -> None:
    proc, folder, _ = tiny_run
    summary = json.loads(proc.stdout)
    doc = load_results(Path(summary["results"]))
    assert doc["status"] == "complete"
    assert doc["settings"]["threads"] == 1
    assert doc["facts"] and "checks" in doc["doctor"]
    by_status = {}
    for case in doc["cases"]:
        by_status.setdefault(case["status"], []).append(case)
    # 5 strategies on names + 4 kernel cases + the matmul peak at 2 sizes + 3 ceilings (LSTM
    # inference; training with a fused backward (torch) and without (loop)); the unknown
    # distribution fails five times (ideal plans its lengths from the same distribution).
    assert len(by_status["ok"]) == 14
    assert len(by_status["failed"]) == 5
    assert all("no-such-distribution" in c["id"] for c in by_status["failed"])
    assert all("unknown length distribution" in c["error"] for c in by_status["failed"])
    assert proc.returncode == 1  # some cases failed; the run still went on to the end
    assert sorted(summary["failed"]) == sorted(c["id"] for c in by_status["failed"])


def test_tiny_run_metrics_and_checks(tiny_run) -> None:
    proc, _, _ = tiny_run
    doc = load_results(Path(json.loads(proc.stdout)["results"]))
    ok = {c["id"]: c for c in doc["cases"] if c["status"] == "ok"}
    batching = [c for c in ok.values() if c["workload"] == "batching"]
    for case in batching:
        stats, metrics = case["stats"], case["metrics"]
        assert stats["n"] == len(stats["samples_s"]) >= 3
        assert stats["ci95_s"][0] <= stats["median_s"] <= stats["ci95_s"][1]
        assert metrics["tokens_per_s"] > 0 and 0 < metrics["padding_efficiency"] <= 1
        assert "speedup_vs_padded" in metrics and "fraction_of_ideal" in metrics
        assert metrics["peak_memory_bytes"] > 0
        # Every case is timed in interleaved rounds (bench/rounds.py).
        assert stats["schedule"] == "interleaved" and stats["visits"] >= 6
        assert len(stats["samples_per_visit"]) == stats["visits"]
        assert sum(stats["samples_per_visit"]) == stats["n"]
        if case["params"]["strategy"] != "ideal":
            assert case["checks"]["verified"] and case["checks"]["max_abs_diff"] <= 1e-4
    kernels = [c for c in ok.values() if c["workload"] == "kernels"]
    assert len(kernels) == 4
    assert all(c["stats"]["schedule"] == "interleaved" for c in kernels)
    # each kernel against the ceiling at its own shapes, timed in the same rounds
    for case in kernels:
        metrics = case["metrics"]
        lo, hi = metrics["ceiling_fraction_ci"]
        assert 0 < lo <= metrics["ceiling_fraction"] <= hi
        assert metrics["ceiling_flops_per_s"] > 0
    # The reference workload timed beside the batching cases in every round.
    [reference] = doc["references"]
    assert reference["device"] == "cpu" and "LSTM inference epoch" in reference["label"]
    rounds = doc["settings"]["rounds"]
    assert len(reference["per_round_median_s"]) == rounds == 6
    lo, hi = min(reference["per_round_median_s"]), max(reference["per_round_median_s"])
    assert 0 < lo <= reference["median_s"] <= hi
    assert reference["spread"] == pytest.approx(hi / lo - 1)
    for case in kernels:
        assert 0 < case["metrics"]["peak_fraction"] < 1


def test_export_reads_in_pytest_benchmark(tiny_run) -> None:
    from pytest_benchmark.storage.file import FileStorage

    _, folder, export = tiny_run

    class Log:
        def warning(self, text: str) -> None:
            raise AssertionError(text)

        info = warning

    storage = FileStorage(folder, logger=Log())
    benchmarks = list(storage.load_benchmarks(str(export)))
    assert len(benchmarks) == 14
    assert all(b["median"] > 0 and b["rounds"] >= 3 for b in benchmarks)
    compare = subprocess.run([RNNBENCH.parent / "pytest-benchmark", "compare", export],
                             capture_output=True, text=True, timeout=60)
    assert compare.returncode == 0 and "kernels/cpu/fp32" in compare.stdout


def _interrupt_once_cases_appear(config: Path, out: Path, count: int) -> tuple[str, dict]:
    """Run the config, press Ctrl-C once the results file holds `count` cases, and return the
    run's stderr and its results, after checking it stopped as an interrupted run should."""
    # Ctrl-C reaches the child even where this test's own runner ignores SIGINT (a job started
    # in the background of a non-interactive shell inherits SIGINT ignored).
    proc = subprocess.Popen([RNNBENCH, "run", "--config", config, "--out", out],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 90
    written = 0
    while time.monotonic() < deadline and written < count and proc.poll() is None:
        time.sleep(0.2)
        files = list(out.glob("*/results.json"))
        if files:
            written = len(json.loads(files[0].read_text())["cases"])
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    doc = load_results(next(out.glob("*/results.json")))
    assert doc["status"] == "interrupted"
    return stderr, doc


def test_interrupt_keeps_finished_cases(tmp_path: Path) -> None:
    config = tmp_path / "long.toml"
    config.write_text("[settings]\nbudget_s = 0.3\nthreads = 1\n[[kernels]]\ncell = 'gru'\n"
                      "impl = 'torch'\nmode = 'inference'\nhidden = 16\nbatch = 2\n"
                      "seq_len = [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]\n")
    out = tmp_path / "out"
    _, doc = _interrupt_once_cases_appear(config, out, 2)
    assert len(doc["cases"]) >= 2
    assert all(c["status"] == "ok" for c in doc["cases"])
    # stopped inside the rounds: every case keeps the rounds it had, none got all six
    assert all(1 <= c["stats"]["visits"] < 6 for c in doc["cases"])
    assert not list(out.glob("*/.results.json.*"))  # no temp file left behind


def test_interrupt_during_interleaved_rounds_keeps_the_samples_taken(tmp_path: Path) -> None:
    config = tmp_path / "rounds.toml"
    # Each case spends its 20 s budget over 6 rounds: the rounds would take 40 s.
    config.write_text("[settings]\nbudget_s = 20\nthreads = 1\n"
                      "[[batching]]\ndist = 'names'\ncell = 'rnn'\nmode = 'inference'\n"
                      "strategy = ['padded', 'bucketed']\nbatch = 8\nhidden = 16\nn = 64\n")
    # The interrupt comes after round 1, well inside the 40 s the two cases may sample for.
    stderr, doc = _interrupt_once_cases_appear(config, tmp_path / "out", 2)
    assert "round 1:" in stderr
    assert len(doc["cases"]) == 2
    for case in doc["cases"]:
        assert case["status"] == "ok" and case["stats"]["n"] >= 1
        assert case["stats"]["schedule"] == "interleaved"
    bucketed = next(c for c in doc["cases"] if c["params"]["strategy"] == "bucketed")
    assert bucketed["metrics"]["speedup_vs_padded"] > 0


@pytest.mark.parametrize(("args", "message"), [
    (["--suite", "nope"], "unknown suite"),
    (["--cells", "lstm,tree"], "--cells"),
    (["--dtype", "fp8"], "--dtype"),
    (["--device", "tpu"], "--device"),
    (["--suite", "train"], "needs --data"),
    (["--config", "/no/such.toml"], "no such file"),
    (["--export", "csv", "x.csv"], "--export"),
])
def test_bad_input_is_one_line_and_exit_2(args: list[str], message: str, tmp_path: Path) -> None:
    proc = _run([*args, "--out", tmp_path], timeout=60)
    assert proc.returncode == 2
    assert message in proc.stderr and proc.stderr.count("\n") == 1, proc.stderr
    assert not list(tmp_path.iterdir())  # nothing written


def test_garbage_config_is_one_line(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("[[kernels]]\ncell = 'lstm'\nwidth = 3\n")
    proc = _run(["--config", config, "--out", tmp_path / "out"], timeout=60)
    assert proc.returncode == 2 and "unknown parameter(s) width" in proc.stderr
    config.write_text("this is = = not toml")
    proc = _run(["--config", config, "--out", tmp_path / "out"], timeout=60)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1


@pytest.mark.gpu
def test_cuda_run_times_with_events_and_records_gpu_memory(tmp_path: Path) -> None:
    config = tmp_path / "gpu.toml"
    config.write_text("[settings]\nbudget_s = 0.2\n[[kernels]]\ncell = 'lstm'\nimpl = 'torch'\n"
                      "mode = 'inference'\nhidden = 256\nbatch = 64\nseq_len = 32\n"
                      "dtype = ['fp32', 'bf16']\n")
    proc = _run(["--config", config, "--device", "cuda", "--out", tmp_path, "--json"])
    doc = load_results(Path(json.loads(proc.stdout)["results"]))
    assert proc.returncode == 0, proc.stderr
    kernels = [c for c in doc["cases"] if c["workload"] == "kernels"]
    assert {c["dtype"] for c in kernels} == {"fp32", "bf16"}
    for case in kernels:
        assert case["metrics"]["peak_memory_kind"] == "cuda max_memory_allocated"
        assert case["metrics"]["peak_memory_bytes"] > 0
        assert case["metrics"]["peak_fraction"] > 0


def test_a_run_embeds_the_doctors_benchmark_readiness_section(tiny_run) -> None:
    proc, _, _ = tiny_run
    doc = load_results(Path(json.loads(proc.stdout)["results"]))
    readiness = {c["id"]: c["status"] for c in doc["doctor"]["readiness"]}
    assert {"bench.governor", "bench.load", "bench.smt"} <= set(readiness)
    assert set(readiness.values()) <= {"pass", "warn", "skip"}
    page = (Path(json.loads(proc.stdout)["report"])).read_text(encoding="utf-8")
    assert 'id="readiness-table"' in page


USER_DATA_CONFIG = """
[settings]
budget_s = 0.05
threads = 1

[[batching]]
dist = "names"
cell = "gru"
mode = "inference"
strategy = ["padded", "bucketed", "budget", "ideal", "calls", "bucketed-limit", "budget-limit"]
batch = 8
max_tokens = 128
hidden = 8
n = 64
"""


def test_a_run_on_the_users_lengths_ends_with_a_recommendation(tmp_path: Path) -> None:
    config = tmp_path / "mine.toml"
    config.write_text(USER_DATA_CONFIG)
    lengths = tmp_path / "lengths.txt"
    lengths.write_text("\n".join(str(3 + (i * 7) % 40) for i in range(200)) + "\n")
    proc = _run(["--config", config, "--device", "cpu", "--out", tmp_path / "out",
                 "--lengths", lengths])
    assert proc.returncode == 0, proc.stderr
    assert "Recommended batching" in proc.stdout and "BucketBatchSampler" in proc.stdout
    doc = json.loads(next((tmp_path / "out").glob("*/results.json")).read_text())
    assert doc["data_lengths"]["sequences"] == 200
    assert {c["params"]["dist"] for c in doc["cases"]} == {"data"}
    (advice,) = doc["recommendation"]
    assert advice["strategy"] in ("padded", "bucketed", "budget")
    assert all(c["settings"]["flush_denormal"] is False for c in doc["cases"])
    memory = [c["metrics"] for c in doc["cases"] if c["workload"] == "batching"]
    assert all("above the process's RSS before this case" in m["peak_memory_kind"]
               and m["peak_memory_bytes"] >= 0 for m in memory)
    page = next((tmp_path / "out").glob("*/index.html")).read_text()
    assert "batching-recommendation" in page and "batching-data" in page


@pytest.mark.parametrize(("content", "message"), [
    (b"", "empty file"), (b"\x00\x01binary", "binary"), (b"3\nabc\n", "line 2")])
def test_bad_lengths_files_are_one_line(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "lengths.txt"
    path.write_bytes(content)
    proc = _run(["--lengths", path, "--out", tmp_path / "out"], timeout=60)
    assert proc.returncode == 2
    assert message in proc.stderr and proc.stderr.count("\n") == 1, proc.stderr
    assert not (tmp_path / "out").exists()
