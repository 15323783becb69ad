"""`rnnbench data fetch` against an HTTP server on 127.0.0.1 that this test starts."""

import hashlib
import http.server
import io
import os
import signal
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import pytest

from tests.conftest import SHARED_DATA

RNNBENCH = Path(sys.executable).with_name("rnnbench")


def _names_zip(names_dir: Path, tamper: str | None = None) -> bytes:
    """A data.zip laid out like the tutorial's: data/names/*.txt plus an unrelated file."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("data/eng-fra.txt", "not part of the names corpus\n")
        for path in sorted(names_dir.glob("*.txt")):
            data = path.read_bytes()
            if path.name == tamper:
                data = data.replace(b"a", b"b", 1)
            zf.writestr(f"data/names/{path.name}", data)
    return buffer.getvalue()


class _Server:
    """Serves fixed bodies by path; '/short' promises more bytes than it sends;
    '/stall' sends half a body and waits until released."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files
        self.stalled = threading.Event()
        self.release = threading.Event()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (the http.server API)
                body = server.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.path.startswith("/short"):
                    self.wfile.write(body[: len(body) // 2])
                    return
                if self.path.startswith("/stall"):
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    server.stalled.set()
                    server.release.wait(30)
                    return
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def server(names_dir):
    nietzsche = SHARED_DATA / "nietzsche" / "nietzsche.txt"
    good = _names_zip(names_dir)
    files = {"/data.zip": good, "/tampered.zip": _names_zip(names_dir, tamper="Greek.txt"),
             "/short.zip": good, "/stall.zip": good, "/notazip.zip": b"<html>oops</html>"}
    if nietzsche.is_file():
        files["/nietzsche.txt"] = nietzsche.read_bytes()
        files["/bad-nietzsche.txt"] = nietzsche.read_bytes()[:-1] + b"?"
    with _Server(files) as s:
        yield s


def _fetch(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(RNNBENCH), "data", "fetch", *args], capture_output=True,
                          text=True, timeout=60)


def _assert_nothing_left(dest: Path) -> None:
    """The destination may have been created, but holds nothing (no temp folder, no corpus)."""
    if dest.exists():
        assert list(dest.iterdir()) == []


def test_fetch_names_verifies_and_extracts(server, names_dir, tmp_path):
    result = _fetch("names", "--dest", str(tmp_path), "--url", f"{server.url}/data.zip")
    assert result.returncode == 0, result.stderr
    got = sorted(p.name for p in (tmp_path / "names").iterdir())
    assert got == sorted(p.name for p in names_dir.glob("*.txt"))
    for path in names_dir.glob("*.txt"):
        assert (tmp_path / "names" / path.name).read_bytes() == path.read_bytes()
    assert [p.name for p in tmp_path.iterdir()] == ["names"]  # no temp folder left behind
    # A second fetch leaves the verified copy alone.
    again = _fetch("names", "--dest", str(tmp_path), "--url", f"{server.url}/data.zip")
    assert again.returncode == 0 and "already exists" in again.stderr


def test_fetch_nietzsche(server, tmp_path):
    if "/nietzsche.txt" not in server.files:
        pytest.skip("nietzsche.txt not in ../shared/data")
    result = _fetch("nietzsche", "--dest", str(tmp_path), "--url", f"{server.url}/nietzsche.txt")
    assert result.returncode == 0, result.stderr
    data = (tmp_path / "nietzsche" / "nietzsche.txt").read_bytes()
    assert hashlib.sha256(data).hexdigest().startswith("23cf6987")
    bad = _fetch("nietzsche", "--dest", str(tmp_path / "b"), "--url",
                 f"{server.url}/bad-nietzsche.txt")
    assert bad.returncode == 1 and "checksum mismatch" in bad.stderr
    _assert_nothing_left(tmp_path / "b")


@pytest.mark.parametrize("path, message", [
    ("/tampered.zip", "checksum mismatch for data/names/Greek.txt"),
    ("/missing.zip", "HTTP 404"),
    ("/short.zip", "broke off"),
    ("/notazip.zip", "not a valid zip"),
])
def test_failed_fetch_says_why_in_one_line_and_leaves_nothing(server, tmp_path, path, message):
    dest = tmp_path / "corpora"
    result = _fetch("names", "--dest", str(dest), "--url", f"{server.url}{path}")
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("rnnbench: error")]
    assert len(errors) == 1 and message in errors[0], result.stderr
    assert "Traceback" not in result.stderr
    _assert_nothing_left(dest)


def test_unreachable_server_and_unknown_corpus(tmp_path):
    closed = _fetch("names", "--dest", str(tmp_path), "--url", "http://127.0.0.1:9/data.zip")
    assert closed.returncode == 1 and "cannot reach" in closed.stderr
    unknown = _fetch("shakespeare", "--dest", str(tmp_path))
    assert unknown.returncode == 2 and "unknown corpus" in unknown.stderr
    _assert_nothing_left(tmp_path)


def test_interrupted_fetch_leaves_nothing(server, tmp_path):
    server.stalled.clear()
    process = subprocess.Popen([str(RNNBENCH), "data", "fetch", "names", "--dest", str(tmp_path),
                                "--url", f"{server.url}/stall.zip"],
                               stderr=subprocess.PIPE, text=True,
                               # Ctrl-C must reach it even if this runner ignores SIGINT.
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert server.stalled.wait(30), "the download never started"
    time.sleep(0.3)
    os.kill(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=30)
    server.release.set()
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    _assert_nothing_left(tmp_path)
