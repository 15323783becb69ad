"""A real Ray cluster of four nodes on this machine: `fleet doctor`, then a tiny `fleet run`
during which one node is killed.

Network rule: the cluster lives in namespaces this test makes itself (`unshare -n -p -f -m
--mount-proc`): a network namespace where loopback is the only interface, so every node
reports 127.0.0.1 and no traffic leaves it, and a PID namespace, so `ray stop --force` there can
only see (and stop) this test's processes, and the kernel ends any of them left when it exits.
One node is started with OMP_NUM_THREADS=2: its doctor reports another torch thread count, a
real configuration drift.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

pytestmark = [pytest.mark.fleet, pytest.mark.slow]
REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PORT = 6379  # a fresh network namespace has every port free
NODE = ("--node-ip-address=127.0.0.1 --num-cpus=1 --object-store-memory=80000000 "
        "--disable-usage-stats")
TINY = """\
[settings]
budget_s = 0.3
threads = 1
[[batching]]
dist = "names"
cell = "rnn"
mode = "inference"
strategy = ["padded", "packed"]
batch = 8
hidden = 16
n = 32
"""

# Runs inside the namespaces, after the nodes started: the two fleet commands, and the kill.
DRIVER = textwrap.dedent("""\
    import json, os, signal, subprocess, sys, time
    out, rnnbench, address = sys.argv[1], sys.argv[2], sys.argv[3]
    summary = {}
    started = time.monotonic()
    doctor = subprocess.run([rnnbench, "fleet", "doctor", "--address", address, "--out",
                             out + "/doctor", "--json", "--no-gpu-tests", "--timeout", "60"],
                            capture_output=True, text=True)
    summary["doctor_wall_s"] = time.monotonic() - started
    summary["doctor_rc"] = doctor.returncode
    summary["doctor_stderr"] = doctor.stderr[-3000:]
    run = subprocess.Popen([rnnbench, "fleet", "run", "--config", out + "/tiny.toml",
                            "--address", address, "--out", out + "/run", "--json",
                            "--timeout", "90"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
    seen = []
    for line in run.stderr:  # the tasks are out: kill the labelled node's raylet now
        seen.append(line)
        if "alive node(s)" in line:
            break
    for pid in os.listdir("/proc"):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                argv = fh.read().split(b"\\0")
        except OSError:
            continue
        if argv[0].endswith(b"/raylet") and any(b"fleet_victim" in a for a in argv):
            os.kill(int(pid), signal.SIGKILL)
            summary["killed"] = int(pid)
    stdout, rest = run.communicate(timeout=150)
    summary["run_rc"] = run.returncode
    summary["run_stderr"] = ("".join(seen) + rest)[-3000:]
    summary["total_s"] = time.monotonic() - started
    with open(out + "/summary.json", "w") as fh:
        json.dump(summary, fh)
""")


def _namespaces_work() -> str | None:
    """Why the cluster cannot run here, or None."""
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return "unshare or ip not installed"
    if not (BIN / "ray").is_file():
        return "ray is not installed (pip install 'rnnbench[fleet]')"
    probe = subprocess.run(["unshare", "-n", "-p", "-f", "-m", "--mount-proc", "true"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        return f"cannot make namespaces: {probe.stderr.strip()[:200]}"
    return None


def _ours_alive(marker: str) -> list[int]:
    """Processes anywhere on the machine whose command line names this test's temp folder."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if marker.encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(int(pid))
        except OSError:
            continue
    return found


@pytest.fixture(scope="module")
def cluster_run():
    why = _namespaces_work()
    if why:
        pytest.skip(why)
    work = Path(tempfile.mkdtemp(prefix="rf"))  # short: Ray's socket paths have a length limit
    try:
        (work / "tiny.toml").write_text(TINY)
        (work / "driver.py").write_text(DRIVER)
        ray = BIN / "ray"
        start = f"{ray} start --address=127.0.0.1:{PORT} {NODE}"
        script = "\n".join([
            "ip link set lo up",
            "export RAY_USAGE_STATS_ENABLED=0",
            f"{ray} start --head --port={PORT} {NODE} --include-dashboard=false "
            f"--temp-dir={work}/ray --resources='{{\"fleet_head\": 1}}' >{work}/ray.log 2>&1",
            f"{start} --resources='{{\"fleet_plain\": 1}}' >>{work}/ray.log 2>&1",
            f"OMP_NUM_THREADS=2 {start} --resources='{{\"fleet_threads\": 1}}' "
            f">>{work}/ray.log 2>&1",
            f"{start} --resources='{{\"fleet_victim\": 1}}' >>{work}/ray.log 2>&1",
            f"{sys.executable} {work}/driver.py {work} {BIN / 'rnnbench'} 127.0.0.1:{PORT}",
            "code=$?",
            f"{ray} stop --force >/dev/null 2>&1",
            "exit $code",
        ])
        env = dict(os.environ, PATH=f"{BIN}:{os.environ.get('PATH', '')}")
        done = subprocess.run(["unshare", "-n", "-p", "-f", "-m", "--mount-proc", "bash", "-c",
                               script], capture_output=True, text=True, timeout=240, env=env,
                              cwd=work)
        left = _ours_alive(str(work))
        log = (work / "ray.log").read_text(errors="replace")[-2000:]
        assert done.returncode == 0, f"{done.stderr[-3000:]}\n{log}"
        summary = json.loads((work / "summary.json").read_text())
        yield work, summary, left
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _view(folder: Path) -> dict:
    result = subprocess.run([str(BIN / "rnnbench"), "fleet", "report", str(folder), "--json"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


def test_fleet_doctor_reaches_every_node_and_finds_the_thread_drift(cluster_run):
    work, summary, _ = cluster_run
    assert summary["doctor_rc"] in (0, 1), summary["doctor_stderr"]
    view = _view(work / "doctor")
    assert len(view["nodes"]) == 4
    assert all(n["state"] == "ok" and n["checks"] for n in view["nodes"]), view["nodes"]
    threads = [d for d in view["drift"] if d["fact"] == "torch threads"]
    assert len(threads) == 1 and threads[0]["count"] == 1 and threads[0]["comparable"] == 4
    assert threads[0]["value"] == "2", threads
    assert (work / "doctor" / "index.html").is_file()
    print(f"fleet doctor on 4 nodes: {summary['doctor_wall_s']:.1f} s wall")


def test_fleet_run_names_the_killed_node_unreachable_and_keeps_the_rest(cluster_run):
    work, summary, _ = cluster_run
    assert "killed" in summary, summary["run_stderr"]
    assert summary["run_rc"] == 1, summary["run_stderr"]  # a node could not be measured
    view = _view(work / "run")
    states = sorted(n["state"] for n in view["nodes"])
    assert states == ["ok", "ok", "ok", "unreachable"], view["nodes"]
    dead = next(n for n in view["nodes"] if n["state"] == "unreachable")
    assert dead["reason"], dead
    print(f"killed node: {dead['reason']}; fleet run {summary['total_s']:.1f} s")
    live = [n for n in view["nodes"] if n["state"] == "ok"]
    assert all(n["kind"] == "results" and n["report"] for n in live)
    # the three live nodes are the same hardware: their cases and references were compared
    assert [len(g["nodes"]) for g in view["groups"]] == [3]
    assert view["groups"][0]["measures_compared"] >= 2
    assert isinstance(view["outliers"], list)
    html = (work / "run" / "index.html").read_text()
    assert "unreachable" in html and "nodes/" in html


def test_no_process_of_the_cluster_outlives_the_test(cluster_run):
    _, _, left = cluster_run
    assert left == []
