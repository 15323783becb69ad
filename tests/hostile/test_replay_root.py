"""`doctor --root`: every path is resolved inside the root (issue 21, item 3).

A recorded machine's links are resolved as that machine would resolve them, with the root as
"/": an absolute link starts again at the root and ".." stops there. Before, they were followed on
the host, so a replayed Fedora 29 reported the host's distribution, and a link to any host file
put that file into --json, -v and --html. Real files, the installed CLI in a subprocess.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from provision.probe import below, read_text

REPO = Path(__file__).resolve().parents[2]
MACHINE = REPO / "tests" / "provision" / "machines" / "fedora29-gtx1050-healthy"
RNNBENCH = str(Path(sys.executable).with_name("rnnbench"))
SECRET = "host-secret-0f6c2d"


def replay(tmp_path: Path) -> Path:
    machine = tmp_path / "machine"
    shutil.copytree(MACHINE, machine, symlinks=True)
    return machine


def doctor(machine: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([RNNBENCH, "doctor", "--root", str(machine / "root"), "--no-gpu-tests",
                           *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PATH": str(machine / "bin"),
                               "RNNBENCH_PROBE_TIMEOUT": "2"})


def test_an_absolute_link_reads_the_recording_not_the_host(tmp_path: Path) -> None:
    machine = replay(tmp_path)
    root = machine / "root"
    (root / "usr" / "lib").mkdir(parents=True, exist_ok=True)
    (root / "etc" / "os-release").rename(root / "usr" / "lib" / "os-release")
    # As on a real Fedora: /etc/os-release -> ../usr/lib/os-release, here written absolute.
    (root / "etc" / "os-release").symlink_to("/usr/lib/os-release")
    done = doctor(machine, "--json")
    assert "Traceback" not in done.stderr
    facts = json.loads(done.stdout)["facts"]["os"]
    assert (facts["id"], facts["version_id"]) == ("fedora", "29"), facts


def test_a_link_to_a_host_file_never_brings_its_content_in(tmp_path: Path) -> None:
    machine = replay(tmp_path)
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    kernel = machine / "root" / "proc" / "sys" / "kernel" / "osrelease"
    kernel.unlink()
    kernel.symlink_to(secret)  # absolute, pointing out of the root
    (machine / "root" / "proc" / "cpuinfo").unlink()
    (machine / "root" / "proc" / "cpuinfo").symlink_to("../../" * 12 + str(secret)[1:])
    html = tmp_path / "doctor.html"
    for args in (["--json"], ["-v", "--html", str(html)]):
        done = doctor(machine, *args)
        assert "Traceback" not in done.stderr
        assert SECRET not in done.stdout + done.stderr, args
    assert SECRET not in html.read_text(encoding="utf-8")


def test_links_resolve_inside_the_root_and_loops_read_nothing(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "lib").mkdir()
    (root / "lib" / "os-release").write_text("ID=inside\n")
    (root / "etc" / "os-release").symlink_to("../../../../lib/os-release")
    (root / "etc" / "a").symlink_to("b")
    (root / "etc" / "b").symlink_to("/etc/a")
    assert read_text(root, "/etc/os-release") == "ID=inside\n"
    assert below(root, "/etc/os-release") == root / "lib" / "os-release"
    assert read_text(root, "/etc/a") is None
    assert below(root, "/etc/os-release", follow_last=False) == root / "etc" / "os-release"
