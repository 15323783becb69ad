"""Fixtures of the report tests: documents built in the test, rendered once per session."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import builders  # noqa: E402


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every page type written once: a run, a hostile run, a comparison, the doctor, the index."""
    from bench.report import render_comparison, render_doctor, render_run_report, update_index

    root = tmp_path_factory.mktemp("reports")
    runs = {"run-a": builders.results(created="2026-11-22T20:00:00+00:00"),
            "run-hostile": builders.hostile_results()}
    pages = {}
    for name, doc in runs.items():
        (root / name).mkdir()
        (root / name / "results.json").write_text(json.dumps(doc), encoding="utf-8")
        pages[name] = render_run_report(doc, root / name / "index.html")
    slower = builders.results(created="2026-11-22T20:30:00+00:00")
    slower["cases"][0]["stats"] = builders.stats_for(
        2 * slower["cases"][0]["stats"]["median_s"], seed=1)
    pages["comparison"] = render_comparison([runs["run-a"], slower], root / "comparison.html")
    pages["doctor"] = render_doctor(builders.doctor_document(builders.HOSTILE),
                                    root / "doctor.html")
    pages["index"] = update_index(root)
    pages["fleet"] = _fleet_page(root / "fleet.html")
    pages["comparison-replicates"] = render_comparison(list(builders.replicate_runs()),
                                                       root / "comparison-replicates.html")
    return pages


def _fleet_page(path: Path) -> Path:
    from bench.fleet.merge import build_view
    from bench.fleet.nodes import node_from_document
    from bench.report.fleet import render_fleet

    nodes = [node_from_document(name, doc, f"{name}.json")
             for name, doc in builders.fleet_documents().items()]
    return render_fleet(build_view(nodes), path)


TINY_CONFIG = """
[settings]
budget_s = 0.15
target = 0.05
threads = 1

[[batching]]
dist = ["names", "sentences"]
cell = ["lstm"]
mode = ["inference"]
strategy = ["padded", "bucketed", "ideal"]
batch = 16
hidden = 32
n = 96

[[kernels]]
cell = ["rnn", "lstm"]
impl = ["torch"]
mode = ["inference"]
hidden = [32, 64]
batch = [8]
seq_len = 8
"""


def rnnbench() -> str:
    """The installed console script, as a user would run it."""
    found = Path(sys.executable).with_name("rnnbench")
    return str(found) if found.exists() else (shutil.which("rnnbench") or "rnnbench")


@pytest.fixture(scope="session")
def real_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real, tiny `rnnbench run` on this CPU: its results.json, next to its HTML report."""
    root = tmp_path_factory.mktemp("real")
    config = root / "tiny.toml"
    config.write_text(TINY_CONFIG, encoding="utf-8")
    out = root / "reports"
    done = subprocess.run([rnnbench(), "run", "--config", str(config), "--device", "cpu",
                           "--out", str(out)], capture_output=True, text=True, timeout=240,
                          env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert done.returncode == 0, done.stderr[-2000:]
    found = sorted(out.glob("*/results.json"))
    assert len(found) == 1, done.stdout
    return found[0]
