"""The regression gate and A/B files (issue 21, item 5).

`compare OLD NEW --fail-on-regression` fails when NEW did not finish, when its cases failed, or
when cases OLD measured are missing from it, unless --allow-incomplete; --a/--b pick the
environment of each of two A/B files (or a file with two environments is refused); each
environment is shown with its own torch. Real results files, the installed CLI in a subprocess.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.hostile.outcomes import assert_one_line_error

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "fixtures" / "results-0.1.0-quick.json"
RNNBENCH = str(Path(sys.executable).with_name("rnnbench"))


def cli(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run([RNNBENCH, *map(str, args)], capture_output=True, text=True,
                          timeout=120)


def fixture() -> dict:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def write(path: Path, doc: dict) -> Path:
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def all_failed(doc: dict) -> dict:
    for case in doc["cases"]:
        case.update(status="failed", error="RuntimeError: worker died", stats=None)
    return doc


def interrupted(doc: dict) -> dict:
    doc["status"], doc["cases"] = "interrupted", doc["cases"][: len(doc["cases"]) // 2]
    return doc


def killed(doc: dict) -> dict:
    doc["status"], doc["cases"] = "running", []
    return doc


@pytest.mark.parametrize("spoil", [all_failed, interrupted, killed])
def test_a_new_run_that_failed_or_did_not_finish_fails_the_gate(tmp_path: Path, spoil) -> None:
    base = write(tmp_path / "base.json", fixture())
    new = write(tmp_path / "new.json", spoil(fixture()))
    gated = cli("compare", base, new, "--fail-on-regression")
    assert gated.returncode == 1, gated.stdout[-1500:]
    assert "Traceback" not in gated.stderr and "gate fails" in gated.stderr
    assert cli("compare", base, new, "--fail-on-regression", "--allow-incomplete"
               ).returncode == 0
    assert cli("compare", base, base, "--fail-on-regression").returncode == 0


def ab_file(path: Path, slow_a: float = 3.0) -> Path:
    """An A/B run: env A 3x slower than env B, each with its own torch; the parent's differs."""
    doc = fixture()
    cases = []
    for case in doc["cases"]:
        for env, factor in (("A", slow_a), ("B", 1.0)):
            side = copy.deepcopy(case) | {"env": env}
            stats = side.get("stats")
            if stats:
                stats["samples_s"] = [s * factor for s in stats["samples_s"]]
                stats["median_s"] *= factor
                if stats.get("ci95_s"):
                    stats["ci95_s"] = [v * factor for v in stats["ci95_s"]]
            cases.append(side)
    doc["cases"] = cases
    doc["facts"]["torch"]["version"] = "9.9.9-parent"
    doc["settings"]["environments"] = [
        {"label": "A", "python": "/envs/a/bin/python", "torch_version": "2.1.0+cpu"},
        {"label": "B", "python": "/envs/b/bin/python", "torch_version": "2.5.1+cpu"}]
    return write(path, doc)


def test_two_ab_files_honour_a_and_b_or_are_refused(tmp_path: Path) -> None:
    ab = ab_file(tmp_path / "ab.json")
    refused = cli("compare", ab, ab)
    assert_one_line_error(refused, 2, "--a")
    # B as the baseline, A (3x slower) as the new side: a regression, not "same".
    gated = cli("compare", ab, ab, "--a", "B", "--b", "A", "--fail-on-regression", "--json")
    assert gated.returncode == 1, gated.stderr
    assert json.loads(gated.stdout)["regressions"]
    assert cli("compare", ab, ab, "--a", "A", "--b", "A", "--fail-on-regression").returncode == 0
    assert_one_line_error(cli("compare", ab, ab, "--a", "C", "--b", "A"), 2, "C")


def test_each_environment_is_shown_with_its_own_torch(tmp_path: Path) -> None:
    ab = ab_file(tmp_path / "ab.json")
    shown = cli("compare", ab)
    assert shown.returncode == 0, shown.stderr
    assert "2.1.0+cpu" in shown.stdout and "2.5.1+cpu" in shown.stdout, shown.stdout
    assert "9.9.9-parent" not in shown.stdout
    page = tmp_path / "ab.html"
    assert cli("report", ab, "-o", page).returncode == 0
    html = page.read_text(encoding="utf-8")
    assert "2.5.1+cpu" in html and "2.1.0+cpu" in html and "9.9.9-parent" not in html
