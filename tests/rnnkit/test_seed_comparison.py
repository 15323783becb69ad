"""A small run of scripts/tutorial_vs_rnnkit.py: the figures it reports hang together."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "tutorial_vs_rnnkit.py"


@pytest.fixture(scope="module")
def small_corpus(small_names_corpus):
    return small_names_corpus(60)


def _run(*args):
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True,
                          timeout=120)


def test_small_comparison_reports_consistent_figures(small_corpus, tmp_path):
    saved = tmp_path / "tutorial.json"
    common = ["--data", str(small_corpus), "--seeds", "0", "1", "--tutorial-steps", "300",
              "--epochs", "2", "--hidden", "32", "--embed", "8", "--eval-every", "2",
              "--threads", "1"]
    result = _run(*common, "--json", "--save-tutorial", str(saved))
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    accuracies = [t["accuracy"] for t in doc["tutorial"]]
    assert doc["targets"]["mean"] == pytest.approx(sum(accuracies) / 2)
    assert doc["targets"]["best_seed"] == max(accuracies)
    for kit in doc["rnnkit"]:
        assert kit["best_accuracy"] == max(acc for _, acc in kit["curve"])
        times = [t for t, _ in kit["curve"]]
        assert times == sorted(times) and times[-1] == kit["train_seconds"]
        for name, seconds in kit["seconds_to_reach"].items():
            first = next((t for t, acc in kit["curve"] if acc >= doc["targets"][name]), None)
            assert seconds == first

    # Reusing the saved tutorial figures gives the same targets and a markdown table.
    table = _run(*common, "--tutorial-results", str(saved))
    assert table.returncode == 0, table.stderr
    assert "tutorial seed" not in table.stderr  # the tutorial was not trained again
    rows = [line for line in table.stdout.splitlines() if line.startswith("| ")]
    assert len(rows) == 3 and rows[1].split("|")[1].strip() == "0"


def test_bad_corpus_is_one_line(tmp_path):
    result = _run("--data", str(tmp_path / "none"))
    assert result.returncode == 2
    assert result.stderr.strip() == f"tutorial_vs_rnnkit: error: names folder not found: " \
                                    f"{tmp_path / 'none'}"
