"""Outputs that never clobber (issue 21, items 1 and 9): every writer goes through
bench.files.write_atomic, which writes through a device or a pipe, follows a link to its target,
never replaces an index.html rnnbench did not write, and the commands never write over an input.
Names no file can have (too long, a loop of links) are one line of error, whichever option.

Real processes and real files: the device is a real character device made with mknod (the
/dev/null device numbers) inside tmp_path, so the test never risks the machine's own /dev/null.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.hostile.outcomes import assert_one_line_error

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "fixtures" / "results-0.1.0-quick.json"
MACHINE = REPO / "tests" / "provision" / "machines" / "fedora29-gtx1050-healthy"
RNNBENCH = str(Path(sys.executable).with_name("rnnbench"))
# 100 CJK characters: 300 bytes in UTF-8, over the 255 bytes a file name may have.
LONG_NAME = "\u3042" * 100
USERS_PAGE = b"<html><body>my own page</body></html>\n"


def cli(*args: str | Path, cwd: Path | None = None, timeout: float = 120,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([RNNBENCH, *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, cwd=cwd, env=env)


def null_device(folder: Path) -> Path:
    """A character device with /dev/null's numbers (1, 3), made where the test may break it."""
    if os.geteuid() != 0:
        pytest.skip("making a device node needs root")
    path = folder / "null"
    os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    return path


def assert_still_device(path: Path) -> None:
    mode = os.lstat(path).st_mode
    assert stat.S_ISCHR(mode), f"{path} was replaced by a {stat.filemode(mode)} file"


def doctor_file(folder: Path) -> Path:
    """A doctor document of the replayed Fedora 29 laptop, for `fleet merge`."""
    done = subprocess.run([RNNBENCH, "doctor", "--root", str(MACHINE / "root"), "--no-gpu-tests",
                           "--json"], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PATH": str(MACHINE / "bin")})
    path = folder / "doctor-gpu01.json"
    path.write_text(done.stdout, encoding="utf-8")
    assert json.loads(done.stdout)["schema"].startswith("rnnbench.doctor")
    return path


# ------------------------------------------------------------------ devices, pipes, links
def test_report_writes_through_a_device_and_leaves_it_a_device(tmp_path: Path) -> None:
    device = null_device(tmp_path)
    result = cli("report", FIXTURE, "-o", device)
    assert result.returncode == 0, result.stderr
    assert_still_device(device)
    assert not list(tmp_path.glob("null-*.svg"))  # no chart images "beside" a device


def test_fleet_merge_and_doctor_html_leave_a_device_a_device(tmp_path: Path) -> None:
    device = null_device(tmp_path)
    result = cli("fleet", "merge", FIXTURE, "-o", device)
    assert result.returncode == 0, result.stderr
    assert_still_device(device)
    result = subprocess.run([RNNBENCH, "doctor", "--root", str(MACHINE / "root"),
                             "--no-gpu-tests", "--html", str(device)], capture_output=True,
                            text=True, timeout=60, env={**os.environ, "PATH": str(MACHINE / "bin")})
    assert "Traceback" not in result.stderr
    assert_still_device(device)


def test_a_link_stays_a_link_and_its_target_gets_the_page(tmp_path: Path) -> None:
    target = tmp_path / "shared" / "page.html"
    target.parent.mkdir()
    target.write_text("old")
    link = tmp_path / "link.html"
    link.symlink_to(target)
    result = cli("fleet", "merge", FIXTURE, "-o", link)
    assert result.returncode == 0, result.stderr
    assert link.is_symlink()
    assert b'<meta name="generator" content="rnnbench">' in target.read_bytes()


def test_a_pipe_someone_reads_gets_the_page(tmp_path: Path) -> None:
    fifo = tmp_path / "page.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    # A daemon: should the FIFO be replaced by a file, its reader waits for ever.
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    result = cli("fleet", "merge", FIXTURE, "-o", fifo)
    reader.join(timeout=60)
    assert result.returncode == 0, result.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert received and received[0].rstrip().endswith(b"</html>")


def test_a_pipe_nobody_reads_is_one_line_not_a_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "page.fifo"
    os.mkfifo(fifo)
    result = cli("fleet", "merge", FIXTURE, "-o", fifo, timeout=60)
    assert_one_line_error(result, 1, "nobody reads")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


# ------------------------------------------------------------------ what rnnbench does not own
def test_run_refuses_to_replace_the_users_own_index_page(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_bytes(USERS_PAGE)
    result = cli("run", "--suite", "quick", "--device", "cpu", "--out", tmp_path)
    assert_one_line_error(result, 2, "index.html", "not written by rnnbench")
    assert (tmp_path / "index.html").read_bytes() == USERS_PAGE
    assert [p.name for p in tmp_path.iterdir()] == ["index.html"]  # no run was started


def test_the_index_of_runs_is_never_written_over_a_foreign_page(tmp_path: Path) -> None:
    # The library path too: a page that appeared while the run was going is kept.
    from bench.files import OutputRefused
    from bench.report import update_index

    (tmp_path / "index.html").write_bytes(USERS_PAGE)
    with pytest.raises(OutputRefused):
        update_index(tmp_path)
    assert (tmp_path / "index.html").read_bytes() == USERS_PAGE
    (tmp_path / "index.html").unlink()
    update_index(tmp_path)  # its own page it replaces freely
    update_index(tmp_path)


def test_fleet_report_and_merge_keep_a_foreign_index_page(tmp_path: Path) -> None:
    node = doctor_file(tmp_path)
    (tmp_path / "index.html").write_bytes(USERS_PAGE)
    assert_one_line_error(cli("fleet", "merge", node, "-o", tmp_path), 2, "not written by")
    fleet = tmp_path / "fleet"
    fleet.mkdir()
    (fleet / "fleet.json").write_text(json.dumps(
        {"schema": "rnnbench.fleet/1", "kind": "doctor", "command": [], "nodes": []}))
    (fleet / "index.html").write_bytes(USERS_PAGE)
    assert_one_line_error(cli("fleet", "report", fleet), 2, "not written by")
    assert (tmp_path / "index.html").read_bytes() == USERS_PAGE
    assert (fleet / "index.html").read_bytes() == USERS_PAGE


def test_fleet_merge_never_writes_over_its_input(tmp_path: Path) -> None:
    node = tmp_path / "a.json"
    node.write_bytes(FIXTURE.read_bytes())
    assert_one_line_error(cli("fleet", "merge", node, "-o", node), 2, "input")
    os.symlink(node, tmp_path / "other-name.json")
    assert_one_line_error(cli("fleet", "merge", node, "-o", "other-name.json", cwd=tmp_path),
                          2, "input")
    assert node.read_bytes() == FIXTURE.read_bytes()


def test_run_export_never_writes_over_the_config(tmp_path: Path) -> None:
    config = tmp_path / "grid.toml"
    text = '[settings]\nbudget_s = 0.05\n[[matmul]]\nn = 8\n'
    config.write_text(text)
    result = cli("run", "--config", config, "--device", "cpu", "--out", tmp_path / "r",
                 "--export", "pytest-benchmark", config)
    assert_one_line_error(result, 2, "--export", "input")
    assert config.read_text() == text


# ------------------------------------------------------------------ names no file can have
@pytest.mark.parametrize("args", [
    ("run", "--out", LONG_NAME), ("report", FIXTURE, "-o", LONG_NAME),
    ("fleet", "merge", FIXTURE, "-o", LONG_NAME), ("fleet", "report", LONG_NAME),
    ("data", "fetch", "names", "--dest", LONG_NAME), ("doctor", "--root", LONG_NAME),
    ("doctor", "--profile", LONG_NAME), ("train", "names", "--data", LONG_NAME),
])
def test_a_name_over_255_bytes_is_one_line(tmp_path: Path, args: tuple) -> None:
    result = cli(*args, cwd=tmp_path, timeout=60)
    assert_one_line_error(result, 2, "too long")
    assert list(tmp_path.iterdir()) == []


def test_an_output_in_a_loop_of_links_is_one_line(tmp_path: Path) -> None:
    os.symlink("b.html", tmp_path / "a.html")
    os.symlink("a.html", tmp_path / "b.html")
    assert_one_line_error(cli("report", FIXTURE, "-o", "a.html", cwd=tmp_path), 2,
                          "symbolic links")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.html", "b.html"]
