"""bench.files.write_atomic: whole files or nothing, with ordinary permissions."""

from __future__ import annotations

import os
import stat

import pytest

from bench.files import write_atomic


def test_writes_text_and_bytes(tmp_path):
    write_atomic(tmp_path / "a.txt", "héllo")
    write_atomic(tmp_path / "sub" / "b.bin", b"\x00\x01")
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == "héllo"
    assert (tmp_path / "sub" / "b.bin").read_bytes() == b"\x00\x01"


def test_permissions_follow_the_umask_not_mkstemp(tmp_path):
    old = os.umask(0o022)
    try:
        path = write_atomic(tmp_path / "r.json", "{}")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path):
    path = tmp_path / "keep.txt"
    path.write_text("old")

    with pytest.raises(TypeError):
        write_atomic(path, 12345)  # not str or bytes: the write fails after the temp file exists
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]
