"""Unbounded inputs to `rnnbench run` (issue 21, item 8): a --config that is a FIFO or a device is
refused without waiting or reading without end, and a grid is counted before it is expanded and
refused beyond the limit the message names. The installed CLI in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.suites import MAX_CASES, SuiteError, plan
from tests.hostile.outcomes import assert_one_line_error

RNNBENCH = str(Path(sys.executable).with_name("rnnbench"))


def run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([RNNBENCH, "run", "--device", "cpu", "--out", "out",
                           *map(str, args)], capture_output=True, text=True, timeout=60, cwd=cwd)


@pytest.mark.parametrize("kind", ["fifo", "/dev/zero"])
def test_a_config_that_is_no_file_is_one_line(tmp_path: Path, kind: str) -> None:
    config = Path("/dev/zero")
    if kind == "fifo":
        config = tmp_path / "grid.toml"
        os.mkfifo(config)
    assert_one_line_error(run("--config", config, cwd=tmp_path), 2, "not a regular file")
    assert not (tmp_path / "out").exists()


def test_a_grid_is_counted_before_it_is_expanded(tmp_path: Path) -> None:
    config = tmp_path / "huge.toml"
    lines = ["[[batching]]", 'dist = "names"', 'strategy = "padded"', 'mode = "inference"']
    lines += [f"{key} = [{', '.join(str(v) for v in range(1, 41))}]"
              for key in ("hidden", "batch", "n", "layers", "max_tokens", "seed_extra")]
    config.write_text("\n".join(lines[:-1]) + "\n")  # 40**5: 10**8 combinations
    started = time.monotonic()
    with pytest.raises(SuiteError, match=f"{MAX_CASES:,}"):
        plan("x", ["cpu"], None, None, config, with_train=False)
    assert time.monotonic() - started < 5
    done = run("--config", config, cwd=tmp_path)
    assert_one_line_error(done, 2, f"{MAX_CASES:,}")
