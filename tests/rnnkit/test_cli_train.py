"""`rnnbench train names`, run as a user runs it: the installed command in a subprocess."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

RNNBENCH = Path(sys.executable).with_name("rnnbench")


def _train(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run([str(RNNBENCH), "train", "names", *args], capture_output=True,
                          text=True, timeout=120, env=env)


@pytest.fixture(scope="module")
def small_corpus(small_names_corpus):
    return small_names_corpus(80)


@pytest.mark.parametrize("model, batching", [("gru", "packed"), ("tutorial", "bucketed")])
def test_json_has_one_row_per_epoch_and_a_confusion_matrix(small_corpus, model, batching):
    result = _train("--data", str(small_corpus), "--model", model, "--epochs", "2",
                    "--batching", batching, "--json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert [row["epoch"] for row in doc["epochs"]] == [1, 2]
    assert doc["train_names"] + doc["test_names"] == 240
    for row in doc["epochs"]:
        assert row["names_per_s"] > 0 and 0 <= row["test_accuracy"] <= 1
    confusion = doc["final"]["confusion"]
    assert len(confusion) == 3 and sum(map(sum, confusion)) == doc["test_names"]
    assert doc["final"]["labels"] == ["Japanese", "Polish", "Scottish"]


def test_threads_option_sets_torch_threads(small_corpus):
    result = _train("--data", str(small_corpus), "--model", "gru", "--epochs", "1",
                    "--threads", "2", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["threads"] == 2  # OMP_NUM_THREADS=1 is overridden
    bad = _train("--data", str(small_corpus), "--threads", "0")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_table_output(small_corpus):
    result = _train("--data", str(small_corpus), "--model", "lstm", "--epochs", "1")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    header = next(k for k, line in enumerate(lines) if line.split()[:2] == ["epoch", "train"])
    assert lines[header + 1].split()[0] == "1"
    assert "per-language test accuracy:" in result.stdout


def _bad_corpora(root: Path) -> dict[str, Path]:
    empty = root / "empty"
    empty.mkdir()
    (empty / "Blank.txt").write_text("\n \n", encoding="utf-8")
    latin1 = root / "latin1"
    latin1.mkdir()
    (latin1 / "German.txt").write_bytes("Müller\n".encode("latin-1"))
    return {"empty": empty, "latin1": latin1, "missing": root / "missing"}


@pytest.mark.parametrize("case, message", [
    ("no-data", "rnnbench data fetch names"),
    ("missing", "names folder not found"),
    ("empty", "empty corpus"),
    ("latin1", "is not UTF-8"),
    ("unknown-model", "unknown model 'transformer'"),
    ("zero-epochs", "--epochs"),
])
def test_bad_input_is_one_line_and_nonzero(small_corpus, tmp_path, case, message):
    corpora = _bad_corpora(tmp_path)
    args = {"no-data": [], "missing": ["--data", str(corpora["missing"])],
            "empty": ["--data", str(corpora["empty"])],
            "latin1": ["--data", str(corpora["latin1"])],
            "unknown-model": ["--data", str(small_corpus), "--model", "transformer"],
            "zero-epochs": ["--data", str(small_corpus), "--epochs", "0"]}[case]
    result = _train(*args)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert message in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
