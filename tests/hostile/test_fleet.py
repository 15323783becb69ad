"""Hostile fleet files (issue 21): node names, check ids, facts and case ids are shown as text
on the terminal (item 4), so a newline or an escape in a node's file cannot forge or hide a line.
Real fleet folders and the installed CLI in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.fleet.merge import build_view
from bench.fleet.nodes import Check, NodeRecord
from bench.report.fleet import columns, matrix

MACHINE = Path(__file__).resolve().parents[1] / "provision" / "machines" / \
    "fedora29-gtx1050-healthy"

RNNBENCH = str(Path(sys.executable).with_name("rnnbench"))
FORGED = "all 16 nodes OK"


def cli(*args: str | Path, timeout: float = 120, env: dict[str, str] | None = None
        ) -> subprocess.CompletedProcess:
    return subprocess.run([RNNBENCH, *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=env)


def fleet_folder(folder: Path, nodes: list[dict]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "fleet.json").write_text(json.dumps(
        {"schema": "rnnbench.fleet/1", "kind": "doctor", "command": [], "nodes": nodes}))
    return folder


def test_a_newline_or_an_escape_in_a_node_cannot_forge_a_line(tmp_path: Path) -> None:
    folder = fleet_folder(tmp_path / "fleet", [
        {"node": f"gpu01\n{FORGED}", "unreachable": "\x1b]0;pwned\x07 timed out"},
        {"node": "gpu02\x1b[2J", "unreachable": f"down\n{FORGED}"},
    ])
    for done in (cli("fleet", "report", folder),
                 cli("fleet", "merge", folder, "-o", tmp_path / "merged.html")):
        assert done.returncode == 1, done.stderr
        lines = done.stdout.splitlines()
        assert not any(line.startswith(FORGED) for line in lines), done.stdout
        assert "\x1b" not in done.stdout
        assert "gpu01\\x0a" + FORGED in done.stdout  # shown, as text


# ------------------------------------------------------------------ item 8: unbounded inputs
def test_fleet_merge_neither_waits_on_a_fifo_nor_reads_dev_zero(tmp_path: Path) -> None:
    fifo = tmp_path / "doctor-gpu01.json"
    os.mkfifo(fifo)
    done = cli("fleet", "merge", fifo, "/dev/zero", "-o", tmp_path / "page.html", timeout=60)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr[-2000:]
    assert done.stdout.count("not a regular file") == 2, done.stdout


def test_the_fleet_view_is_linear_in_nodes() -> None:
    # 3,000 nodes of 25 checks each, every node on its own kernel: before, the check ids were
    # gathered again for every node (2,000 nodes: 66 s) and each drift value scanned every node.
    checks = [Check(f"check.{i}", "pass", "fine") for i in range(25)]
    nodes = [NodeRecord(f"n{i}", facts={"os": {"kernel": f"6.1.{i}"}}, checks=list(checks))
             for i in range(3000)]
    started = time.process_time()
    view = build_view(nodes)
    rows = matrix(view, Path("index.html"), columns(view))
    spent = time.process_time() - started
    assert len(rows) == 3000 and len(view.drift) == 3000  # a tie: every value a line
    assert spent < 5.0, f"{spent:.1f} s of CPU for 3,000 nodes"


# ------------------------------------------------------------------ item 10: smaller things
def test_duplicate_names_never_collide_with_a_given_name() -> None:
    nodes = build_view([NodeRecord(name) for name in ("dup", "dup", "dup#2", "dup")]).nodes
    assert [n.name for n in nodes] == ["dup", "dup#3", "dup#2", "dup#4"]


def test_drift_is_a_few_lines_per_fact_not_one_per_node(tmp_path: Path) -> None:
    doc = json.loads(cli("doctor", "--root", MACHINE / "root", "--no-gpu-tests", "--json",
                         env={**os.environ, "PATH": str(MACHINE / "bin")}).stdout)
    files = []
    for i in range(12):
        doc["facts"]["os"]["kernel"] = f"6.1.{i}"
        files.append(tmp_path / f"doctor-node{i:02d}.json")
        files[-1].write_text(json.dumps(doc), encoding="utf-8")
    done = cli("fleet", "merge", *files, "-o", tmp_path / "page.html")
    kernel_lines = [line for line in done.stdout.splitlines() if "kernel" in line]
    assert 1 < len(kernel_lines) <= 4, done.stdout
    assert "more values of kernel" in kernel_lines[-1]
