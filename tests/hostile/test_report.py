"""Hostile results files, output names and reports folders for `rnnbench report` and the index.

Each CLI test asserts the exit code, one line of error with no traceback, and the files
afterwards: inputs byte for byte as they were, no half-written page. The hypothesis test mutates
the release fixture at random paths and checks that the report never fails past a one-line error.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.results import ResultsError, load_results
from rnnbench.commands import UserError

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "results-0.1.0-quick.json"
RNNBENCH = str(Path(sys.executable).with_name("rnnbench"))
JAVASCRIPT_NAME = "javascript:document.title='X';1"

# Values a careless or hostile writer puts where a number, a string or an object belongs.
HOSTILE_VALUES = [None, "", "x", "1.5", "\x1b]0;pwned\x07", "a\x00b\x01", "\ufffe", "\u202e",
                  "javascript:alert(1)", "</script><b>x</b>", 0, -1, 1e308, -1e308, 1e-320,
                  10**30, True, [], [1, "a"], {}, {"value": {"x": 1}}, float("nan"),
                  float("inf"), ["a", None]]


def fixture() -> dict:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def cli(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([RNNBENCH, *map(str, args)], capture_output=True, text=True,
                          timeout=120, cwd=cwd)


def assert_one_line_error(result: subprocess.CompletedProcess, code: int, *words: str) -> str:
    assert result.returncode == code, (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("rnnbench: error:"), result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


# ------------------------------------------------------------------ item 8: never over an input
def test_report_refuses_to_write_its_page_over_the_results(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    results.write_bytes(FIXTURE.read_bytes())
    before = files_of(tmp_path)
    result = cli("report", results, "-o", results)
    assert_one_line_error(result, 2, "results.json")
    assert files_of(tmp_path) == before


def test_report_refuses_an_output_that_is_an_input_by_another_path(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    results = tmp_path / "a" / "results.json"
    results.write_bytes(FIXTURE.read_bytes())
    os.symlink(results, tmp_path / "link.json")
    before = files_of(tmp_path / "a")
    result = cli("report", FIXTURE, results, "-o", "link.json", cwd=tmp_path)
    assert_one_line_error(result, 2)
    result = cli("report", "a/../a/results.json", "-o", "a/results.json", cwd=tmp_path)
    assert_one_line_error(result, 2)
    assert files_of(tmp_path / "a") == before


def test_report_refuses_a_chart_image_that_would_replace_an_input(tmp_path: Path) -> None:
    # A comparison writes page-comparison.svg beside page.html: an input of that name must stay.
    victim = tmp_path / "page-comparison.svg"
    victim.write_bytes(FIXTURE.read_bytes())
    result = cli("report", FIXTURE, victim, "-o", tmp_path / "page.html")
    assert_one_line_error(result, 2, "page-comparison.svg")
    assert victim.read_bytes() == FIXTURE.read_bytes()
    assert not (tmp_path / "page.html").exists()


# ------------------------------------------------------------------ item 5: bounded reading
def test_report_of_a_device_is_one_line_and_does_not_read_it(tmp_path: Path) -> None:
    result = cli("report", "/dev/zero", "-o", tmp_path / "out.html")
    assert_one_line_error(result, 2, "/dev/zero", "not a regular file")
    assert list(tmp_path.iterdir()) == []


def test_report_of_a_fifo_does_not_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "results.json"
    os.mkfifo(fifo)
    result = cli("report", fifo, "-o", tmp_path / "out.html")
    assert_one_line_error(result, 2, "not a regular file")


def test_a_results_file_over_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    huge = tmp_path / "results.json"
    with huge.open("wb") as f:  # sparse: takes no disk
        f.truncate(300 * 1024 * 1024)
    with pytest.raises(ResultsError, match="too large"):
        load_results(huge)


@pytest.mark.parametrize("hostile", [
    pytest.param('{"schema": ' + "[" * 100_000 + "]" * 100_000 + "}", id="nested-100k"),
    pytest.param("[" * 100_000, id="unclosed-nesting"),
])
def test_deeply_nested_json_is_one_line(tmp_path: Path, hostile: str) -> None:
    path = tmp_path / "results.json"
    path.write_text(hostile, encoding="utf-8")
    result = cli("report", path, "-o", tmp_path / "out.html")
    assert_one_line_error(result, 2, "results.json")
    assert not (tmp_path / "out.html").exists()


def test_a_5000_digit_integer_reads_as_no_value(tmp_path: Path) -> None:
    doc = fixture()
    doc["cases"][0]["stats"]["n"] = 0  # replaced below by the long literal
    text = json.dumps(doc).replace('"n": 0', '"n": ' + "9" * 5000, 1)
    path = tmp_path / "results.json"
    path.write_text(text, encoding="utf-8")
    result = cli("report", path, "-o", tmp_path / "out.html")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert (tmp_path / "out.html").is_file()


# ------------------------------------------------------------------ item 4: chart text
def test_a_control_character_in_a_chart_label_is_drawn_escaped(tmp_path: Path) -> None:
    doc = fixture()
    for case in doc["cases"]:
        case["params"] = {k: (f"{v}\x01\x1b\ufffe" if isinstance(v, str) else v)
                          for k, v in case["params"].items()}
        case["id"] += "\x00\x07"
    path = tmp_path / "results.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    result = cli("report", path, "-o", tmp_path / "page.html")
    assert result.returncode == 0, (result.returncode, result.stderr[-1000:])
    svgs = sorted(tmp_path.glob("page-*.svg"))
    assert svgs
    for svg in svgs:
        text = svg.read_text(encoding="utf-8")
        assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe]", text)
    assert "\\x01" in "".join(svg.read_text(encoding="utf-8") for svg in svgs)


# ------------------------------------------------------------------ item 2: links and CSP
def test_links_are_relative_quoted_paths_never_a_scheme(tmp_path: Path) -> None:
    from bench.report import render_run_report, update_index

    run_dir = tmp_path / JAVASCRIPT_NAME
    run_dir.mkdir()
    (run_dir / "results.json").write_bytes(FIXTURE.read_bytes())
    render_run_report(fixture(), run_dir / "index.html")
    page = render_run_report(fixture(), tmp_path / f"{JAVASCRIPT_NAME}.html")
    index = update_index(tmp_path)
    for html in (index, page):
        hrefs = re.findall(r'href="([^"]*)"', html.read_text(encoding="utf-8"))
        assert hrefs
        for href in hrefs:
            first = href.split("/")[0]
            assert href.startswith("#") or ":" not in first, href
            assert "'" not in href and " " not in href, href
    assert 'href="javascript%3Adocument.title%3D%27X%27%3B1/index.html"' in \
        index.read_text(encoding="utf-8")


def _csp(html: str) -> str:
    found = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', html)
    assert found, "no CSP meta tag"
    return found.group(1)


def test_every_page_carries_a_csp_that_allows_only_its_own_scripts(tmp_path: Path) -> None:
    import base64
    import hashlib

    from bench.report import render_comparison, render_doctor, render_run_report, update_index

    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "results.json").write_bytes(FIXTURE.read_bytes())
    pages = [render_run_report(fixture(), run_dir / "index.html"),
             render_comparison([fixture(), fixture()], tmp_path / "comparison.html"),
             render_doctor({"schema": "rnnbench.doctor/1", "checks": []}, tmp_path / "d.html"),
             update_index(tmp_path)]
    for page in pages:
        html = page.read_text(encoding="utf-8")
        policy = dict(part.strip().split(" ", 1) for part in _csp(html).split(";"))
        assert policy["default-src"] == "'none'" and policy["connect-src"] == "'none'"
        script_src = policy["script-src"].split()
        assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
        bodies = re.findall(r"<script>(.*?)</script>", html, flags=re.S)
        assert bodies
        wanted = {"'sha256-" + base64.b64encode(hashlib.sha256(b.encode()).digest()).decode()
                  + "'" for b in bodies}
        assert set(script_src) == wanted


# ------------------------------------------------------------------ item 11: index
def test_one_unreadable_run_does_not_stop_the_index(tmp_path: Path) -> None:
    from bench.report import update_index

    good = tmp_path / "2026-good"
    good.mkdir()
    (good / "results.json").write_bytes(FIXTURE.read_bytes())
    (tmp_path / "2026-broken").mkdir()
    (tmp_path / "2026-broken" / "results.json").write_text("{", encoding="utf-8")
    (tmp_path / "2026-dangling").mkdir()
    os.symlink(tmp_path / "nowhere.json", tmp_path / "2026-dangling" / "results.json")
    (tmp_path / "2026-fifo").mkdir()
    os.mkfifo(tmp_path / "2026-fifo" / "results.json")
    hostile = fixture()
    for case in hostile["cases"]:
        if case.get("stats"):
            case["stats"]["median_s"] = 0
            case["stats"]["ci95_s"] = "x"
    hostile["facts"] = {"cpu": [1, 2], "os": "x"}
    (tmp_path / "2026-zero").mkdir()
    (tmp_path / "2026-zero" / "results.json").write_text(json.dumps(hostile), encoding="utf-8")
    html = update_index(tmp_path).read_text(encoding="utf-8")
    for name in ("2026-good", "2026-broken", "2026-dangling", "2026-fifo", "2026-zero"):
        assert name in html
    assert "truncated" in html and "no such file" in html and "not a regular file" in html


# ------------------------------------------------------------------ hypothesis: random damage
def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path to a value in a JSON document (keys and list indexes)."""
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, prefix + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node[:4]):  # the first few entries of a list are enough
            found += _paths(value, prefix + (i,))
    return found


BASE = fixture()
PATHS = [p for p in _paths(BASE) if p]


def _replace(doc: Any, path: tuple, value: Any) -> Any:
    doc = copy.deepcopy(doc)
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return doc


hostile_values = st.one_of(
    st.sampled_from(HOSTILE_VALUES),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12),
    st.floats(allow_nan=True, allow_infinity=True), st.integers(min_value=-(10**40),
                                                                max_value=10**40))
mutations = st.lists(st.tuples(st.sampled_from(PATHS), hostile_values), min_size=1, max_size=4)


def mutated(changes: list[tuple[tuple, Any]]) -> dict:
    doc = BASE
    for path, value in changes:
        try:
            doc = _replace(doc, path, value)
        except (KeyError, IndexError, TypeError):  # an earlier change removed the parent
            continue
    return doc


def write_json(path: Path, doc: Any) -> None:
    path.write_text(json.dumps(doc, allow_nan=True), encoding="utf-8")


def assert_report_is_clean(inputs: list[Path], out: Path) -> None:
    """The report writes a page or gives a one-line UserError; inputs are unchanged."""
    from rnnbench.commands.report import report_command

    before = [p.read_bytes() for p in inputs]
    try:
        assert report_command(inputs, out) == 0
        assert out.is_file()
    except UserError as exc:
        assert exc.exit_code in (1, 2)
        assert "\n" not in str(exc) and str(exc)
    assert [p.read_bytes() for p in inputs] == before


COUNTS: dict[str, int] = {"report ok": 0, "report refused": 0}


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(changes=mutations)
def test_randomly_damaged_results_never_escape_a_one_line_error(tmp_path: Path,
                                                                changes: list) -> None:
    doc = mutated(changes)
    path = tmp_path / "results.json"
    write_json(path, doc)
    out = tmp_path / "page.html"
    out.unlink(missing_ok=True)
    assert_report_is_clean([path], out)
    COUNTS["report ok" if out.exists() else "report refused"] += 1


@pytest.fixture(scope="module", autouse=True)
def _tally() -> Any:
    """Print how the random documents fared (seen with -s), for the closing note."""
    yield
    print(f"\nhostile results documents: {COUNTS}")
