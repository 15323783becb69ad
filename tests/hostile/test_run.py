"""Hostile inputs and faults for `rnnbench run`: malformed config values, absurd thread counts,
unwritable outputs, a signal mid-run and a disk that fills mid-run.

Each CLI attempt asserts the exit code, one line of error and no traceback, and what is left on
disk. Config values are also fed straight to the planner (hypothesis), where they cost nothing.
"""

from __future__ import annotations

import json
import math
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.suites import SuiteError, plan
from tests.hostile.outcomes import assert_one_line_error

RNNBENCH = str(Path(sys.executable).with_name("rnnbench"))
TOO_MANY_THREADS = 4 * (os.cpu_count() or 1) + 1

# Small enough to run in a few seconds, long enough that a signal lands mid-run.
KERNELS_CONFIG = """
[settings]
budget_s = {budget}
target = 0.05
threads = 1

[[kernels]]
cell = ["rnn", "gru", "lstm"]
impl = ["torch"]
mode = ["inference"]
hidden = [16, 32]
batch = [4]
seq_len = 8
"""


def _rnnbench(*args: str, timeout: float = 120, **options) -> subprocess.CompletedProcess:
    return subprocess.run([RNNBENCH, *args], capture_output=True, text=True, timeout=timeout,
                          **options)


# ----------------------------------------------------------------------- config values, planned
def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def _plan_config(tmp_path: Path, text: str, name: str = "hostile") -> None:
    path = tmp_path / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    plan("quick", ["cpu"], None, None, path, with_train=True)


def _assert_suite_error(tmp_path: Path, text: str, *words: str) -> None:
    with pytest.raises(SuiteError) as caught:
        _plan_config(tmp_path, text)
    message = str(caught.value)
    assert "\n" not in message and message.startswith("--config ")
    for word in words:
        assert word in message, message


BAD_NUMBERS = st.one_of(st.sampled_from([math.inf, -math.inf, math.nan, 0, -1, 0.0, -0.5]),
                        st.floats(max_value=0), st.integers(max_value=0), st.booleans(),
                        st.text(alphabet="ab01 .-", max_size=5))

KERNEL_ENTRY = 'cell = "rnn"\nimpl = "torch"\nmode = "inference"\nhidden = 8\nbatch = 4\n'
ENTRIES = {
    "batching": 'dist = "names"\ncell = "lstm"\nmode = "inference"\nstrategy = "padded"\n',
    "kernels": KERNEL_ENTRY,
    "train": 'model = "gru"\nstrategy = "bucketed"\n',
}
COUNTS = [("batching", k) for k in ("batch", "hidden", "layers", "n")] \
    + [("kernels", k) for k in ("batch", "hidden", "layers", "seq_len", "input")] \
    + [("train", k) for k in ("batch", "hidden", "max_epochs")]
FIXTURE_OK = [HealthCheck.function_scoped_fixture]  # tmp_path is only a place to write to
TEXT = "ab01 .-"
NOT_WHOLE = st.one_of(st.floats(allow_nan=True, allow_infinity=True).filter(
    lambda v: not (math.isfinite(v) and v == int(v) and v >= 1)), st.integers(max_value=0),
    st.booleans(), st.text(alphabet="ab01 .-", max_size=4), st.just([]))


@settings(max_examples=40, deadline=None, suppress_health_check=FIXTURE_OK)
@given(key=st.sampled_from(["budget_s", "target"]), value=BAD_NUMBERS)
def test_bad_number_settings_are_refused(tmp_path, key, value):
    if key == "target" and isinstance(value, (int, float)) and 0 < value < 1:
        return
    _assert_suite_error(tmp_path, f"[settings]\n{key} = {_toml(value)}\n[[kernels]]\n"
                        + KERNEL_ENTRY, key)


@settings(max_examples=15, deadline=None, suppress_health_check=FIXTURE_OK)
@given(value=st.one_of(st.integers(min_value=TOO_MANY_THREADS, max_value=10**18),
                       st.integers(max_value=0), st.floats(), st.text(alphabet=TEXT, max_size=3)))
def test_bad_thread_settings_are_refused(tmp_path, value):
    _assert_suite_error(tmp_path, f"[settings]\nthreads = {_toml(value)}\n[[kernels]]\n"
                        + KERNEL_ENTRY, "threads")


@settings(max_examples=80, deadline=None, suppress_health_check=FIXTURE_OK)
@given(target=st.sampled_from(COUNTS), value=NOT_WHOLE)
def test_counts_must_be_whole_numbers(tmp_path, target, value):
    workload, key = target
    entry = "".join(line + "\n" for line in ENTRIES[workload].splitlines()
                    if not line.startswith(f"{key} ="))
    _assert_suite_error(tmp_path, f"[[{workload}]]\n{entry}{key} = {_toml(value)}\n", key)


@settings(max_examples=20, deadline=None, suppress_health_check=FIXTURE_OK)
@given(dtype=st.one_of(st.sampled_from(["fp64", "FP32", "float16", "", "int8"]),
                       st.text(alphabet="fpb16 .-", max_size=6).filter(
                           lambda t: t not in ("fp32", "bf16", "fp16")),
                       st.integers(), st.booleans()))
def test_unknown_dtypes_are_refused_up_front(tmp_path, dtype):
    _assert_suite_error(tmp_path, f"[[kernels]]\n{KERNEL_ENTRY}dtype = {_toml(dtype)}\n",
                        "dtype", "fp32, bf16, fp16")


def test_max_epochs_zero_is_refused(tmp_path):
    _assert_suite_error(tmp_path, f"[[train]]\n{ENTRIES['train']}max_epochs = 0\n", "max_epochs")


def test_whole_numbers_and_known_dtypes_still_plan(tmp_path):
    _plan_config(tmp_path, f"[settings]\nbudget_s = 2\nthreads = 1\n[[kernels]]\n{KERNEL_ENTRY}"
                 'dtype = ["fp32", "bf16"]\nlayers = 2\n'
                 f"[[train]]\n{ENTRIES['train']}max_epochs = 1\n")


# ----------------------------------------------------------------------- the command line
@pytest.mark.parametrize("text", [
    b"[settings]\nbudget_s = 0.1\n\xff\xfe\n",          # not UTF-8
    b"[settings]\nbudget_s = inf\n[[kernels]]\n" + KERNEL_ENTRY.encode(),
    b"[[kernels]]\n" + KERNEL_ENTRY.replace("batch = 4\n", "").encode() + b"batch = 4.5\n",
    b"[[kernels]]\n" + KERNEL_ENTRY.encode() + b'dtype = "fp64"\n',
], ids=["not-utf8", "budget-inf", "batch-4.5", "dtype-fp64"])
def test_bad_config_is_one_line_before_any_work(tmp_path, text):
    config = tmp_path / "bad.toml"
    config.write_bytes(text)
    out = tmp_path / "out"
    result = _rnnbench("run", "--config", str(config), "--device", "cpu", "--out", str(out))
    assert_one_line_error(result, 2, "--config")
    assert not out.exists()


@pytest.mark.parametrize("threads", [str(TOO_MANY_THREADS), "20000", "100000"])
def test_absurd_thread_counts_are_refused(tmp_path, threads):
    out = tmp_path / "out"
    result = _rnnbench("run", "--suite", "quick", "--device", "cpu", "--threads", threads,
                       "--out", str(out))
    assert_one_line_error(result, 2, "--threads", str(TOO_MANY_THREADS - 1))
    assert not out.exists()


def test_unwritable_outputs_are_refused_before_any_work(tmp_path):
    a_file = tmp_path / "a-file"
    a_file.write_text("keep me\n")
    folder = tmp_path / "a-folder"
    folder.mkdir()
    read_only = Path("/proc/self/rnnbench-out")  # not writable, even for root
    attempts = [(["--out", str(a_file)], "--out"),
                (["--out", str(read_only)], "--out"),
                (["--out", str(a_file / "sub")], "--out"),
                (["--out", str(tmp_path / "o"), "--export", "pytest-benchmark", str(folder)],
                 "--export")]
    for args, word in attempts:
        started = time.perf_counter()
        result = _rnnbench("run", "--suite", "quick", "--device", "cpu", *args)
        assert_one_line_error(result, 2, word)
        assert time.perf_counter() - started < 20  # refused before the suite ran
    assert a_file.read_text() == "keep me\n"
    assert list(folder.iterdir()) == []
    assert not (tmp_path / "o").exists()


# ----------------------------------------------------------------------- faults mid-run
def _results_file(out: Path) -> Path | None:
    found = list(out.glob("*/results.json"))
    return found[0] if found else None


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_signal_is_handled_like_ctrl_c(tmp_path, signum):
    config = tmp_path / "slow.toml"
    config.write_text(KERNELS_CONFIG.format(budget=2.0), encoding="utf-8")
    out = tmp_path / "out"
    # The child starts with the signal at its default, as from a terminal, even when pytest
    # itself runs under nohup (whose ignored SIGHUP rnnbench rightly keeps: the next test).
    child = subprocess.Popen([RNNBENCH, "run", "--config", str(config), "--device", "cpu",
                              "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, preexec_fn=lambda: signal.signal(signum, signal.SIG_DFL))
    deadline = time.monotonic() + 60
    while _results_file(out) is None and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert child.poll() is None, "the run ended before the signal"
    child.send_signal(signum)
    _, stderr = child.communicate(timeout=60)
    assert child.returncode == 130, stderr
    assert "Traceback" not in stderr
    results = _results_file(out)
    doc = json.loads(results.read_text())
    assert doc["status"] == "interrupted"
    assert (results.parent / "index.html").is_file()
    assert (out / "index.html").is_file()


def test_nohup_is_respected_an_ignored_sighup_does_not_stop_the_run(tmp_path):
    config = tmp_path / "slow.toml"
    config.write_text(KERNELS_CONFIG.format(budget=2.0), encoding="utf-8")
    out = tmp_path / "out"
    child = subprocess.Popen([RNNBENCH, "run", "--config", str(config), "--device", "cpu",
                              "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True,
                             preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN))
    deadline = time.monotonic() + 60
    while _results_file(out) is None and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    child.send_signal(signal.SIGHUP)  # as when the terminal of `nohup rnnbench run` closes
    time.sleep(1.0)
    assert child.poll() is None, "an ignored SIGHUP stopped the run"
    child.send_signal(signal.SIGTERM)
    _, stderr = child.communicate(timeout=60)
    assert child.returncode == 130, stderr
    assert json.loads(_results_file(out).read_text())["status"] == "interrupted"


def _limit_file_size(limit: int):
    def limit_in_child() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        # A write past the limit then fails with EFBIG instead of killing the process.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    return limit_in_child


def test_a_full_disk_mid_run_marks_the_run_failed_and_keeps_the_cases(tmp_path):
    assert signal.getsignal(signal.SIGXFSZ) == signal.SIG_IGN  # so is it in the child
    config = tmp_path / "tiny.toml"
    config.write_text(KERNELS_CONFIG.format(budget=0.15), encoding="utf-8")
    out = tmp_path / "out"
    # Room for the file after the first round (every case with its first samples, about 52 kB
    # here) but not for the rounds after it, whose samples make it grow.
    result = _rnnbench("run", "--config", str(config), "--device", "cpu", "--out", str(out),
                       preexec_fn=_limit_file_size(60_000))
    assert_one_line_error(result, 1, "results", "File too large")
    doc = json.loads(_results_file(out).read_text())
    assert doc["status"] == "failed"
    assert "File too large" in doc["error"]
    assert len(doc["cases"]) >= 1
    assert all(c["status"] == "ok" and c["stats"]["samples_s"] for c in doc["cases"])
    # the rounds did not all make it into the file
    assert any(c["stats"]["visits"] < 6 for c in doc["cases"])
    assert not list(out.glob("*/.results.json.*"))  # no temporary file left behind
