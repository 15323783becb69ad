"""Results files: round trip, atomic writes, and one-line errors for files that cannot be used."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.results import ResultsError, load_results, write_results

from .synthetic import case, results


def test_round_trip(tmp_path: Path) -> None:
    doc = results([case("a", 0.01), case("b", 0.02)])
    path = tmp_path / "run" / "results.json"
    write_results(doc, path)
    assert load_results(path) == doc
    assert [p.name for p in path.parent.iterdir()] == ["results.json"]  # no temp file left


def test_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    write_results(results([case("a", 0.01)]), path)
    with pytest.raises(ValueError):
        write_results(results([case("a", float("nan"))]), path)  # NaN is not JSON
    assert load_results(path)["cases"][0]["id"] == "a"
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]


@pytest.mark.parametrize(("content", "message"), [
    ("", "empty file"),
    ("\x00\x01 garbage", "not valid JSON"),
    ('{"schema": "rnnbench.results/1", "cases": [', "truncated"),
    ('{"schema": "rnnbench.results/1", "comm', "truncated"),  # cut inside a string
    ('{"schema": "rnnbench.doctor/1"}', "expected 'rnnbench.results/1'"),
    ("[1, 2]", "top level is not an object"),
    ('{"schema": "rnnbench.results/1"}', "missing created"),
])
def test_bad_files_give_one_line_errors(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(ResultsError) as info:
        load_results(path)
    text = str(info.value)
    assert message in text and str(path) in text and "\n" not in text


def test_truncated_real_file_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    write_results(results([case("a", 0.01)]), path)
    full = path.read_text()
    path.write_text(full[: len(full) // 2])
    with pytest.raises(ResultsError, match="truncated"):
        load_results(path)


def test_ok_case_without_samples_is_rejected(tmp_path: Path) -> None:
    doc = results([case("a", 0.01)])
    doc["cases"][0]["stats"]["samples_s"] = []
    path = tmp_path / "r.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(ResultsError, match="empty samples"):
        load_results(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ResultsError, match="no such file"):
        load_results(tmp_path / "nope.json")
