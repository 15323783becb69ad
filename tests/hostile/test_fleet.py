"""Hostile fleet files (issue 21): node names, check ids, facts and case ids are shown as text
on the terminal (item 4), so a newline or an escape in a node's file cannot forge or hide a line.
Real fleet folders and the installed CLI in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

RNNBENCH = str(Path(sys.executable).with_name("rnnbench"))
FORGED = "all 16 nodes OK"


def cli(*args: str | Path, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([RNNBENCH, *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)


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
