"""A results file written by release 0.1.0 loads, compares and renders exactly as it did then.

The goldens in tests/fixtures/golden were produced by release 0.1.0 itself (commit 50488b6) from
the two fixture files: `rnnbench compare A B` (text and --json), `rnnbench report B -o report.html`
and `rnnbench report A B -o comparison.html`. Pages are compared with the inlined JavaScript
bodies, their CSP hashes and the Vega-Lite schema address taken out: those come from the
installed altair and vl-convert versions, not from rnnbench. The goldens were regenerated when
every page gained its Content-Security-Policy (line 6), and again when issue 24 reworked what a
person reads (compare as tables per workload, rates with thousands separators, brief table columns
with the rest behind a toggle, charts with CIs): the figures are the same, their layout is not.
The same regeneration takes in what other issues changed in these outputs meanwhile: compare
--json's `incomplete` list, the batching and kernels tables' new columns, the checklist's styles.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
GOLDEN = FIXTURES / "golden"
QUICK = FIXTURES / "results-0.1.0-quick.json"
QUICK_TRAIN = FIXTURES / "results-0.1.0-quick-train.json"


def _rnnbench(*args: str | Path, cwd: Path) -> str:
    proc = subprocess.run([sys.executable, "-m", "rnnbench", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _page(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"<script>.*?</script>", "<script></script>", text, flags=re.S)
    # The CSP's script hashes follow the inlined bundle, i.e. the installed vl-convert version.
    text = re.sub(r"'sha256-[A-Za-z0-9+/=]+'", "'sha256-HASH'", text)
    return re.sub(r"https://vega\.github\.io/schema/vega-lite/v[0-9.]+\.json",
                  "VEGA_LITE_SCHEMA", text)


@pytest.mark.parametrize("flag", ["", "--json"])
def test_compare_prints_what_release_0_1_0_printed(flag: str, tmp_path: Path) -> None:
    golden = (GOLDEN / ("compare.json" if flag else "compare.txt")).read_text(encoding="utf-8")
    args = ["compare", *([flag] if flag else []), QUICK, QUICK_TRAIN]
    out = _rnnbench(*args, cwd=tmp_path).replace(str(FIXTURES), "FIXTURES")
    assert out == golden


@pytest.mark.parametrize(("inputs", "name"), [((QUICK_TRAIN,), "report.html"),
                                              ((QUICK, QUICK_TRAIN), "comparison.html")])
def test_report_renders_what_release_0_1_0_rendered(inputs: tuple[Path, ...], name: str,
                                                    tmp_path: Path) -> None:
    _rnnbench("report", *inputs, "-o", tmp_path / name, cwd=tmp_path)
    assert _page(tmp_path / name) == (GOLDEN / name).read_text(encoding="utf-8")
