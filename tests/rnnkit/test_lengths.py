"""The user's own lengths: counting, splitting, sampling, and one-line refusals of bad files."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from rnnkit.data.errors import CorpusError
from rnnkit.data.lengths import (
    LengthSource,
    load_lengths,
    sample_lengths_of,
    summarize,
)


def _text(tmp_path: Path, content: str | bytes, name: str = "corpus.txt") -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def test_sentences_in_words_and_lines_in_characters(tmp_path: Path) -> None:
    path = _text(tmp_path, "One two three. Four\nfive? Six!\n\nSeven eight")
    words = load_lengths(LengthSource("text", str(path), "sentences", "words"))
    assert words.lengths == [3, 2, 1, 2]
    chars = load_lengths(LengthSource("text", str(path), "lines", "chars"))
    assert chars.lengths == [len("One two three. Four"), len("five? Six!"), len("Seven eight")]
    assert chars.blank == 1


def test_a_sentence_across_read_chunks_is_one_sentence(tmp_path: Path) -> None:
    # 70,000 words in sentences of 7 words: the 64 KiB chunks cut sentences in two.
    text = " ".join(["a b c d e f g."] * 10_000)
    path = _text(tmp_path, text)
    got = load_lengths(LengthSource("text", str(path), "sentences", "words")).lengths
    assert got == [7] * 10_000


def test_the_real_nietzsche_sentences(nietzsche_file: Path) -> None:
    lengths = load_lengths(LengthSource("text", str(nietzsche_file), "sentences", "words"))
    s = summarize(lengths.lengths)
    assert (s.count, s.median, s.max) == (2976, 25, 439)
    assert 150 <= s.p99 <= 152
    assert sum(s.counts) == s.count and len(s.edges) == len(s.counts) + 1


def test_names_folder_and_lengths_file(names_dir: Path, tmp_path: Path) -> None:
    names = load_lengths(LengthSource("names", str(names_dir)))
    assert len(names.lengths) == 20074 and max(names.lengths) == 19
    path = _text(tmp_path, "# lengths\n3\n\n12\n5000\n")
    got = load_lengths(LengthSource("lengths", str(path)))
    assert got.lengths == [3, 12] and got.too_long == 1 and got.blank == 2


def test_spec_round_trips() -> None:
    for source in (LengthSource("text", "/a:b/c.txt", "sentences", "words"),
                   LengthSource("lengths", "x.txt"), LengthSource("names", "n")):
        assert LengthSource.parse(source.spec) == source


@pytest.mark.parametrize(("content", "words"), [
    (b"", "empty file"),
    (b"abc\x00def\n", "binary"),
    (b"caf\xe9\n", "not UTF-8"),
    (b"\n  \n", "no sequence left"),
])
def test_bad_text_files_are_one_line(tmp_path: Path, content: bytes, words: str) -> None:
    path = _text(tmp_path, content)
    with pytest.raises(CorpusError, match=words) as info:
        load_lengths(LengthSource("text", str(path)))
    assert "\n" not in str(info.value)


def test_a_huge_line_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    path = tmp_path / "one-line.txt"
    path.write_bytes(b"x" * (3 << 20))  # 3 MB, no line break
    started = time.perf_counter()
    with pytest.raises(CorpusError, match="longer than"):
        load_lengths(LengthSource("text", str(path)))
    assert time.perf_counter() - started < 5
    sparse = tmp_path / "two-gigabytes.txt"
    with open(sparse, "wb") as fh:  # a 2 GB file that takes no disk: refused by its size
        fh.truncate(2 << 30)
    with pytest.raises(CorpusError, match="too large"):
        load_lengths(LengthSource("text", str(sparse)))


def test_a_bad_lengths_file_names_the_line(tmp_path: Path) -> None:
    path = _text(tmp_path, "3\n4\n-2\n")
    with pytest.raises(CorpusError, match="line 3"):
        load_lengths(LengthSource("lengths", str(path)))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_refused_without_waiting(tmp_path: Path) -> None:
    fifo = tmp_path / "corpus.txt"
    os.mkfifo(fifo)
    with pytest.raises(CorpusError, match="not a regular file"):
        load_lengths(LengthSource("text", str(fifo)))


def test_sampling_is_seeded_and_keeps_the_distribution() -> None:
    pool = list(range(1, 101))
    a = sample_lengths_of(pool, 60, seed=1)
    assert a == sample_lengths_of(pool, 60, seed=1) and a != sample_lengths_of(pool, 60, 2)
    assert len(set(a)) == 60  # without replacement when the pool is large enough
    more = sample_lengths_of(pool, 250, seed=1)
    counts = {v: more.count(v) for v in pool}
    assert set(counts.values()) <= {2, 3} and sum(counts.values()) == 250
