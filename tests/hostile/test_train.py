"""Hostile corpora and options for `rnnbench train names`: too small to split, a folder or a
FIFO where a file should be, a 2-million-character line, terminal escapes in language names,
absurd thread counts. Each asserts the exit code, one line of error, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from rnnkit.data.errors import CorpusError
from rnnkit.data.names import load_names
from tests.hostile.outcomes import assert_one_line_error

RNNBENCH = str(Path(sys.executable).with_name("rnnbench"))
TOO_MANY_THREADS = 4 * (os.cpu_count() or 1) + 1


def _train(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([RNNBENCH, "train", "names", *args], capture_output=True, text=True,
                          timeout=120)




def _corpus(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


SMALL = {"English.txt": "Smith\nJones\nBrown\nTaylor\nWilson\nDavies\n",
         "French.txt": "Martin\nBernard\nDubois\nThomas\nRobert\nRichard\n",
         "German.txt": "Muller\nSchmidt\nSchneider\nFischer\nWeber\nMeyer\n"}


@pytest.mark.parametrize("names", [["Bob"], ["Bob", "Ann"], ["Bob", "Ann", "Eve"]])
def test_a_corpus_too_small_to_split_is_one_line(tmp_path, names):
    data = _corpus(tmp_path / "tiny", {"English.txt": "\n".join(names) + "\n"})
    assert_one_line_error(_train("--data", str(data), "--epochs", "1"), 2, "too small")


def test_a_folder_named_like_a_language_file_is_one_line(tmp_path):
    data = _corpus(tmp_path / "names", SMALL)
    (data / "Greek.txt").mkdir()
    assert_one_line_error(_train("--data", str(data), "--epochs", "1"), 2, "Greek.txt",
                           "not a regular file")


def test_a_fifo_is_refused_not_read_forever(tmp_path):
    data = _corpus(tmp_path / "names", SMALL)
    os.mkfifo(data / "Greek.txt")
    assert_one_line_error(_train("--data", str(data), "--epochs", "1"), 2, "Greek.txt",
                           "not a regular file")


@pytest.mark.parametrize("threads", [str(TOO_MANY_THREADS), "100000"])
def test_absurd_thread_counts_are_refused(tmp_path, threads):
    data = _corpus(tmp_path / "names", SMALL)
    assert_one_line_error(_train("--data", str(data), "--threads", threads), 2, "--threads")


@pytest.mark.parametrize("length", ["0", "-3"])
def test_a_max_length_below_one_is_refused(tmp_path, length):
    data = _corpus(tmp_path / "names", SMALL)
    assert_one_line_error(_train("--data", str(data), "--max-length", length), 2,
                           "--max-length")


def test_long_lines_are_skipped_counted_and_said(tmp_path):
    files = dict(SMALL)
    files["English.txt"] += "x" * 2_000_000 + "\n" + "y" * 65 + "\n"
    data = _corpus(tmp_path / "names", files)
    corpus = load_names(data)
    assert corpus.too_long == 2 and len(corpus.pairs) == 18
    assert load_names(data, max_length=65).too_long == 1
    result = _train("--data", str(data), "--epochs", "1", "--model", "rnn")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "skipped 2 names longer than 64 characters" in result.stderr


def test_a_file_over_the_size_limit_is_refused(tmp_path, monkeypatch):
    import rnnkit.data.names as names

    data = _corpus(tmp_path / "names", SMALL)
    monkeypatch.setattr(names, "MAX_FILE_BYTES", 20)
    with pytest.raises(CorpusError, match="larger than"):
        load_names(data)


def test_escapes_in_language_names_reach_the_terminal_as_text(tmp_path):
    files = dict(SMALL)
    files["\x1b]0;owned\x07\x1b[2JEvil.txt"] = files.pop("German.txt")
    data = _corpus(tmp_path / "names", files)
    result = _train("--data", str(data), "--epochs", "1", "--model", "rnn")
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout + result.stderr
    assert "\\x1b[2JEvil" in result.stdout


def test_escapes_in_an_error_reach_the_terminal_as_text(tmp_path):
    data = _corpus(tmp_path / "names", SMALL)
    (data / "\x1b[2JBad.txt").write_bytes(b"\xff\xfe not UTF-8\n")
    result = _train("--data", str(data), "--epochs", "1")
    assert_one_line_error(result, 2, "not UTF-8", "\\x1b[2JBad.txt")
    assert "\x1b" not in result.stderr
