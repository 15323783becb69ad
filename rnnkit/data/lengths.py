"""The user's own sequence lengths: from a text corpus, a file of lengths, or the names folder.

Batching only cares how long the sequences are, so a corpus is reduced to its list of lengths:
  text     one sequence per line, or the text split into sentences; counted in characters or
           whitespace-separated words
  lengths  one whole number per line (blank lines and lines starting with '#' are skipped)
  names    the names corpus folder (<Language>.txt files), lengths in characters after folding
The file is read in bounded pieces: a 2 GB file with no line break is refused after the first
megabyte, not read whole, and a binary file is refused at its first NUL byte.
`sample_lengths_of` then draws the requested number of lengths with a seed.
"""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rnnkit.data.errors import CorpusError
from rnnkit.data.files import open_regular

KINDS = ("text", "lengths", "names")
SPLITS = ("lines", "sentences")
UNITS = ("chars", "words")
MAX_FILE_BYTES = 256 << 20  # nietzsche.txt is 600 kB; a corpus of lengths is read whole
MAX_SEQUENCE_BYTES = 1 << 20  # a "sequence" longer than this is not one: wrong split or binary
MAX_LENGTH = 4096  # a padded batch costs its longest sequence times its size
CHUNK_BYTES = 1 << 16
# A sentence ends at . ! or ? followed by white space (split there, the mark stays with it).
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class LengthSource:
    """Where the lengths come from and how they are counted; `spec` is its one-string form, as
    a case's parameters carry it to worker processes."""

    kind: str
    path: str
    split: str = "lines"
    unit: str = "chars"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown length source kind {self.kind!r} ({', '.join(KINDS)})")
        if self.split not in SPLITS:
            raise ValueError(f"split {self.split!r} is not one of {', '.join(SPLITS)}")
        if self.unit not in UNITS:
            raise ValueError(f"count {self.unit!r} is not one of {', '.join(UNITS)}")

    @property
    def spec(self) -> str:
        if self.kind == "text":
            return f"text:{self.split}:{self.unit}:{self.path}"
        return f"{self.kind}:{self.path}"

    @classmethod
    def parse(cls, spec: str) -> LengthSource:
        kind, _, rest = spec.partition(":")
        if kind == "text":
            split, unit, path = (rest.split(":", 2) + ["", ""])[:3]
            return cls("text", path, split, unit)
        return cls(kind, rest)

    def describe(self) -> str:
        name = Path(self.path).name or self.path
        if self.kind == "text":
            per = "one per line" if self.split == "lines" else "split into sentences"
            unit = "characters" if self.unit == "chars" else "words"
            return f"{name} ({per}, in {unit})"
        if self.kind == "names":
            return f"{name} (names corpus, in characters)"
        return f"{name} (a file of lengths)"


@dataclass
class CorpusLengths:
    """The lengths read from a source, and what was left out."""

    source: LengthSource
    lengths: list[int]
    blank: int = 0  # empty lines or sentences
    too_long: int = 0  # longer than max_length, left out


def load_lengths(source: LengthSource, max_length: int = MAX_LENGTH) -> CorpusLengths:
    """Read every sequence's length; CorpusError (one line) for a file that cannot be used."""
    if source.kind == "names":
        from rnnkit.data.names import load_names

        corpus = load_names(source.path, max_length=max_length)
        return CorpusLengths(source, [len(name) for name, _ in corpus.pairs],
                             blank=corpus.skipped, too_long=corpus.too_long)
    out = CorpusLengths(source, [])
    if source.kind == "lengths":
        for number, line in enumerate(_units(Path(source.path), "lines", 64), start=1):
            _add_length(out, line, number, max_length)
    else:
        for unit in _units(Path(source.path), source.split, MAX_SEQUENCE_BYTES):
            length = len(unit.split()) if source.unit == "words" else len(" ".join(unit.split()))
            if length == 0:
                out.blank += 1
            elif length > max_length:
                out.too_long += 1
            else:
                out.lengths.append(length)
    if not out.lengths:
        raise CorpusError(f"{source.path}: no sequence left ({out.blank} empty, "
                          f"{out.too_long} longer than {max_length})")
    return out


def _add_length(out: CorpusLengths, line: str, number: int, max_length: int) -> None:
    text = line.strip()
    if not text or text.startswith("#"):
        out.blank += 1
        return
    if not text.isdigit() or int(text) < 1:
        shown = text if len(text) <= 20 else text[:20] + "..."
        raise CorpusError(f"{out.source.path}: line {number}: {shown!r} is not a whole "
                          "number >= 1 (a lengths file holds one length per line)")
    if int(text) > max_length:
        out.too_long += 1
    else:
        out.lengths.append(int(text))


def _units(path: Path, split: str, limit: int) -> Iterator[str]:
    """The file's lines (or sentences), decoded as UTF-8, read in bounded chunks."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    pending, offset = "", 0
    for chunk in _chunks(path):
        if b"\0" in chunk:
            at = offset + chunk.index(b"\0")
            raise CorpusError(f"{path}: a binary file, not text (NUL byte at offset {at})")
        try:
            pending += decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            raise CorpusError(f"{path}: not UTF-8 text (bad byte near offset "
                              f"{offset + exc.start})") from None
        offset += len(chunk)
        pieces = pending.split("\n") if split == "lines" else _SENTENCE_END.split(pending)
        # The last piece may continue in the next chunk: hold it back.
        pending = pieces.pop()
        if len(pending) > limit:
            what = "line" if split == "lines" else "sentence"
            raise CorpusError(f"{path}: a {what} longer than {limit} characters near offset "
                              f"{offset}; not {'a lengths file' if limit < 1000 else 'text'} "
                              "of separate sequences")
        yield from pieces
    if pending:
        yield pending


def _chunks(path: Path) -> Iterator[bytes]:
    fd, info = open_regular(path)
    if info.st_size == 0:
        os.close(fd)
        raise CorpusError(f"{path}: empty file")
    if info.st_size > MAX_FILE_BYTES:
        os.close(fd)
        raise CorpusError(f"{path}: larger than {MAX_FILE_BYTES >> 20} MB, too large to read "
                          "here (give a file of lengths or a sample)")
    with os.fdopen(fd, "rb") as fh:
        while True:
            try:
                chunk = fh.read(CHUNK_BYTES)
            except OSError as exc:
                raise CorpusError(f"{path}: cannot read ({exc.strerror or exc})") from None
            if not chunk:
                return
            yield chunk


def sample_lengths_of(lengths: list[int], n: int, seed: int) -> list[int]:
    """`n` of the lengths, drawn with `seed`: without replacement when there are enough, else
    every length as often as it fits whole and a sample of the rest (so the distribution stays
    the corpus's own). The order is shuffled; the same seed gives the same list."""
    if n < 1:
        raise ValueError("n must be at least 1")
    rng = np.random.default_rng([seed, 2])
    pool = np.asarray(lengths, dtype=np.int64)
    whole, rest = divmod(n, len(pool))
    picked = np.concatenate([np.tile(pool, whole), rng.choice(pool, rest, replace=False)])
    rng.shuffle(picked)
    return picked.tolist()


@dataclass(frozen=True)
class LengthSummary:
    """What a person wants to know of their lengths before batching them."""

    count: int
    mean: float
    median: float
    p90: float
    p99: float
    min: int
    max: int
    edges: list[int]  # histogram bin edges (len(counts) + 1)
    counts: list[int]


def summarize(lengths: list[int], bins: int = 30) -> LengthSummary:
    values = np.asarray(lengths, dtype=np.int64)
    low, high = int(values.min()), int(values.max())
    width = max(1, -(-(high - low + 1) // bins))  # whole-number bins
    edges = list(range(low, high + width + 1, width))
    counts, _ = np.histogram(values, bins=edges)
    return LengthSummary(count=len(values), mean=float(values.mean()),
                         median=float(np.median(values)),
                         p90=float(np.percentile(values, 90)),
                         p99=float(np.percentile(values, 99)), min=low, max=high,
                         edges=edges, counts=counts.tolist())
