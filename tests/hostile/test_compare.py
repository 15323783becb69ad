"""Hostile results files for `rnnbench compare`: out-of-range numbers, terminal escapes in the
text it prints, files that are not files, and random damage (hypothesis)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from rnnbench.commands import UserError
from tests.hostile.test_report import (
    FIXTURE,
    assert_one_line_error,
    cli,
    fixture,
    mutated,
    mutations,
    write_json,
)


def _strict_json(text: str) -> object:
    def refuse(name: str) -> None:
        raise AssertionError(f"not JSON: bare {name}")

    return json.loads(text, parse_constant=refuse)


def _ok_index(doc: dict) -> int:
    return next(i for i, c in enumerate(doc["cases"]) if c["status"] == "ok")


@pytest.mark.parametrize(("base_median", "new_median"), [(1e-300, 1e308), (1e308, 1e-300),
                                                         (0, 1.0), (1.0, 0)])
def test_compare_json_is_json_whatever_the_medians(tmp_path: Path, base_median: float,
                                                   new_median: float) -> None:
    base, new = fixture(), fixture()
    i = _ok_index(base)
    base["cases"][i]["stats"]["median_s"] = base_median
    new["cases"][i]["stats"]["median_s"] = new_median
    write_json(tmp_path / "base.json", base)
    write_json(tmp_path / "new.json", new)
    result = cli("compare", "--json", tmp_path / "base.json", tmp_path / "new.json")
    assert result.returncode == 0, result.stderr
    doc = _strict_json(result.stdout)
    for row in doc["rows"]:
        for key in ("ratio", "base_median_s", "new_median_s", "p_value"):
            value = row[key]
            assert value is None or (math.isfinite(value) and value > 0 or key == "p_value")
    # a median of 0 is not a measurement: that case cannot be compared
    if 0 in (base_median, new_median):
        assert base["cases"][i]["id"] not in [r["id"] for r in doc["rows"]
                                              if r["verdict"] != "missing"]


def test_terminal_escapes_in_the_files_are_printed_as_text(tmp_path: Path) -> None:
    doc = fixture()
    i = _ok_index(doc)
    doc["cases"][i]["id"] = "case\x1b]0;pwned\x07\x1b[2J"
    doc["facts"]["cpu"] = {"model": "cpu\x1b[31mred\u202e"}
    name = tmp_path / "base\x1b[2J.json"
    write_json(name, doc)
    for flags in ([], ["--json"]):
        result = cli("compare", *flags, name, FIXTURE)
        assert result.returncode == 0, result.stderr
        assert "\x1b" not in result.stdout and "\u202e" not in result.stdout
        assert "\x07" not in result.stdout
    assert "\\x1b]0;pwned" in cli("compare", name, FIXTURE).stdout


def test_an_error_quoting_the_file_name_is_printable(tmp_path: Path) -> None:
    name = tmp_path / "bad\x1b]0;title\x07.json"
    name.write_text("{", encoding="utf-8")
    result = cli("compare", name, FIXTURE)
    line = assert_one_line_error(result, 2)
    assert "\x1b" not in result.stderr and "\\x1b" in line


@pytest.mark.parametrize("source", ["/dev/zero", "/dev/null", "/"])
def test_compare_with_something_that_is_not_a_file(source: str) -> None:
    result = cli("compare", source, FIXTURE)
    assert_one_line_error(result, 2)


def test_compare_of_deeply_nested_json(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text('{"cases": ' + "[" * 100_000 + "]" * 100_000 + "}", encoding="utf-8")
    assert_one_line_error(cli("compare", path, FIXTURE), 2, "deep.json")


COUNTS: dict[str, int] = {"compare ok": 0, "compare refused": 0}


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(changes=mutations)
def test_randomly_damaged_results_compare_cleanly(tmp_path: Path, changes: list,
                                                  capsys: pytest.CaptureFixture) -> None:
    from rnnbench.commands.compare import compare_command

    path = tmp_path / "damaged.json"
    write_json(path, mutated(changes))
    before = path.read_bytes()
    for base, new, as_json in ((path, FIXTURE, True), (FIXTURE, path, False)):
        capsys.readouterr()
        try:
            assert compare_command(base, new, "5%", True, as_json) in (0, 1)
            out = capsys.readouterr().out
            if as_json:
                _strict_json(out)
            assert "\x1b" not in out
            COUNTS["compare ok"] += 1
        except UserError as exc:
            assert exc.exit_code == 2 and "\n" not in str(exc)
            COUNTS["compare refused"] += 1
    assert path.read_bytes() == before


@pytest.fixture(scope="module", autouse=True)
def _tally() -> object:
    """Print how the random documents fared (seen with -s), for the closing note."""
    yield
    print(f"\nhostile comparisons: {COUNTS}")
