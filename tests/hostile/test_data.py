"""Hostile addresses, archives and disks for `rnnbench data fetch`. Servers listen on
127.0.0.1 only. Each asserts the exit code, one line of error, no traceback, and that nothing
is left in the destination."""

from __future__ import annotations

import io
import resource
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from rnnkit.data.fetch import FetchError, extract_names
from tests.hostile.outcomes import assert_one_line_error
from tests.rnnkit.test_cli_data import _names_zip, _Server

RNNBENCH = str(Path(sys.executable).with_name("rnnbench"))


def _fetch(*args: str, **options) -> subprocess.CompletedProcess:
    return subprocess.run([RNNBENCH, "data", "fetch", *args], capture_output=True, text=True,
                          timeout=60, **options)




def _nothing_left(dest: Path) -> bool:
    return not dest.exists() or list(dest.iterdir()) == []


def _deflated(names_dir: Path) -> bytes:
    """The names as a compressed zip: smaller than its largest file, as the real one is."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(names_dir.glob("*.txt")):
            zf.writestr(f"data/names/{path.name}", path.read_bytes())
    return buffer.getvalue()


@pytest.fixture(scope="module")
def server(names_dir):
    files = {"/data.zip": _deflated(names_dir),
             "/tampered.zip": _names_zip(names_dir, tamper="Spanish.txt")}
    with _Server(files) as s:
        yield s


@pytest.mark.parametrize("url", ["not a url", "", "ftp//x", "ftp://127.0.0.1/data.zip",
                                 "javascript:alert(1)", "http://", "http://[::1", "file://",
                                 "data:,hello"])
def test_an_address_that_is_not_http_is_one_line(tmp_path, url):
    dest = tmp_path / "corpora"
    assert_one_line_error(_fetch("names", "--dest", str(dest), "--url", url), 2, "--url")
    assert not dest.exists()


def test_the_archive_is_verified_before_anything_is_extracted(names_dir, tmp_path):
    archive = tmp_path / "tampered.zip"
    archive.write_bytes(_names_zip(names_dir, tamper="Spanish.txt"))
    staged = tmp_path / "staged"
    staged.mkdir()
    with pytest.raises(FetchError, match="checksum mismatch for data/names/Spanish.txt"):
        extract_names(archive, staged)
    assert list(staged.iterdir()) == []  # not even the files that verified


def test_a_tampered_archive_leaves_nothing(server, tmp_path):
    dest = tmp_path / "corpora"
    result = _fetch("names", "--dest", str(dest), "--url", f"{server.url}/tampered.zip")
    assert_one_line_error(result, 1, "checksum mismatch")
    assert _nothing_left(dest)


def _limit_file_size(limit: int):
    def limit_in_child() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG, not a killed process
    return limit_in_child


def test_extraction_onto_a_full_disk_is_one_line_and_leaves_nothing(server, names_dir,
                                                                      tmp_path):
    download = len(server.files["/data.zip"])
    largest = max(p.stat().st_size for p in names_dir.glob("*.txt"))
    assert download < largest  # the download fits below the limit, the largest file does not
    dest = tmp_path / "corpora"
    result = _fetch("names", "--dest", str(dest), "--url", f"{server.url}/data.zip",
                    preexec_fn=_limit_file_size((download + largest) // 2))
    assert_one_line_error(result, 1, "cannot write", "File too large")
    assert _nothing_left(dest)


def test_a_destination_that_is_a_file_is_one_line(server, tmp_path):
    dest = tmp_path / "a-file"
    dest.write_text("keep me\n")
    result = _fetch("names", "--dest", str(dest), "--url", f"{server.url}/data.zip")
    assert_one_line_error(result, 1, str(dest))
    assert dest.read_text() == "keep me\n"


def test_a_read_only_destination_is_one_line(server):
    result = _fetch("names", "--dest", "/proc/self/corpora", "--url", f"{server.url}/data.zip")
    assert_one_line_error(result, 1, "/proc/self/corpora")
