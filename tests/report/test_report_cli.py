"""`rnnbench run` writes the report and the index; `rnnbench report` renders files as a user
would call it: in a subprocess, with one-line errors for bad input."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from conftest import rnnbench


def _report(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([rnnbench(), "report", *args], capture_output=True, text=True,
                          timeout=120)


def test_a_real_run_writes_report_svgs_and_index(real_run: Path) -> None:
    run_dir, reports = real_run.parent, real_run.parent.parent
    page = (run_dir / "index.html").read_text(encoding="utf-8")
    findings = page.split('aria-label="findings"', 1)[1].split("</ol>", 1)[0]
    sentences = re.findall(r"<li>(.*?)</li>", findings, flags=re.S)
    assert 3 <= len(sentences) <= 5
    # which strategy wins on a busy 2-core machine is up to the noise; that one is named is not
    batching = r"(\w+ batching is [\d.]+× \(95% CI|No batching strategy is clearly faster|" \
               r"padded batching is the fastest)"
    assert re.match(batching, sentences[0]), sentences[0]
    assert any("fastest cell" in s for s in sentences)
    cases = len(json.loads(real_run.read_text(encoding="utf-8"))["cases"])
    assert re.match(rf"\d+ of {cases} measured cases met the noise target", sentences[-1])
    assert sorted(p.name for p in run_dir.glob("*.svg")) == ["index-batching.svg",
                                                            "index-kernels-hidden.svg"]
    index = (reports / "index.html").read_text(encoding="utf-8")
    assert f'href="{run_dir.name}/index.html"' in index and "Doctor:" in index
    assert (run_dir / "index.html").stat().st_size < 2 * 1024 * 1024


def test_report_renders_one_file_and_a_comparison(real_run: Path, tmp_path: Path) -> None:
    one = _report(str(real_run), "-o", str(tmp_path / "one.html"))
    assert one.returncode == 0, one.stderr
    assert one.stdout.strip() == str(tmp_path / "one.html")
    two = _report(str(real_run), str(real_run), "-o", str(tmp_path / "two.html"))
    assert two.returncode == 0, two.stderr
    html = (tmp_path / "two.html").read_text(encoding="utf-8")
    cases = len(json.loads(real_run.read_text())["cases"])
    assert f"0 real regression(s), 0 real improvement(s), {cases} unchanged" in html


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{\"schema\": \"rnnbench.results/1\", \"cases\": [", encoding="utf-8")
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"schema": "something/2"}), encoding="utf-8")
    for path in (garbage, wrong, tmp_path / "missing.json"):
        done = _report(str(path))
        assert done.returncode == 2
        assert done.stderr.count("\n") == 1 and done.stderr.startswith("rnnbench: error: ")
        assert str(path) in done.stderr and "Traceback" not in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["garbage.json", "wrong.json"]
