"""Inputs that ended in a traceback (issue 21, item 9): seeds no generator takes, a probe
timeout of inf or nan, and results files whose medians are 0 or 1e308. Each is one line of
error, or for the results files a page, never a traceback. The installed CLI in a subprocess."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.hostile.outcomes import assert_one_line_error

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "fixtures" / "results-0.1.0-quick.json"
MACHINE = REPO / "tests" / "provision" / "machines" / "fedora29-gtx1050-healthy"
RNNBENCH = str(Path(sys.executable).with_name("rnnbench"))


def cli(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([RNNBENCH, *map(str, args)], capture_output=True, text=True,
                          timeout=120, env={**os.environ, **(env or {})})


@pytest.mark.parametrize("args", [("train", "names", "--data", "data", "--seed", "-1"),
                                  ("run", "--suite", "quick", "--seed", str(10**23))])
def test_a_seed_no_generator_takes_is_one_line(tmp_path: Path, args: tuple) -> None:
    names = tmp_path / "data"
    names.mkdir()
    (names / "English.txt").write_text("Ada\nAlan\nGrace\nEdsger\n")
    result = subprocess.run([RNNBENCH, *args, "--out" if args[0] == "run" else "--threads",
                             str(tmp_path / "out") if args[0] == "run" else "1"],
                            capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert_one_line_error(result, 2, "--seed", "4294967295")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("value", ["inf", "nan", "-1"])
def test_a_probe_timeout_of_inf_or_nan_is_the_default(value: str) -> None:
    done = subprocess.run([RNNBENCH, "doctor", "--root", str(MACHINE / "root"), "--no-gpu-tests"],
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PATH": str(MACHINE / "bin"),
                               "RNNBENCH_PROBE_TIMEOUT": value})
    assert "Traceback" not in done.stderr
    assert done.returncode in (0, 1) and "ready:" in done.stdout, done.stderr


@pytest.mark.parametrize("median", [0.0, 1e308])
def test_report_on_medians_of_0_or_1e308_is_a_page(tmp_path: Path, median: float) -> None:
    doc = json.loads(FIXTURE.read_text(encoding="utf-8"))
    for case in doc["cases"]:
        if case.get("stats"):
            case["stats"]["median_s"] = median
            case["stats"]["samples_s"] = [median] * len(case["stats"]["samples_s"])
    results = tmp_path / "results.json"
    results.write_text(json.dumps(doc), encoding="utf-8")
    result = cli("report", results, "-o", tmp_path / "page.html")
    assert result.returncode == 0, result.stderr[-2000:]
    page = (tmp_path / "page.html").read_text(encoding="utf-8")
    blocks = re.findall(r'<script type="application/json"[^>]*>(.*?)</script>', page, re.S)
    assert blocks
    for block in blocks:  # JSON as browsers parse it: no Infinity, no NaN
        json.loads(block, parse_constant=lambda name: pytest.fail(f"{name} in the page data"))
