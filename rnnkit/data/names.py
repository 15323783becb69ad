"""The names corpus: a folder of <Language>.txt files, one name per line, UTF-8."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

from rnnkit.data.errors import CorpusError
from rnnkit.data.files import read_regular
from rnnkit.encoding import unicode_to_ascii

# The real corpus's longest name has 20 characters. A padded batch costs its longest sequence
# times the batch, so one 2-million-character line would ask for tens of gigabytes.
MAX_LENGTH = 64
MAX_FILE_BYTES = 64 << 20  # the real files are below 100 kB each


@dataclass
class NamesCorpus:
    pairs: list[tuple[str, str]]  # (name folded to ASCII, language)
    languages: list[str]  # sorted; a label's class index is its position here
    skipped: int = 0  # blank lines and lines that are empty once folded to ASCII
    skipped_lines: list[tuple[str, int]] = field(default_factory=list)  # (file name, line number)
    too_long: int = 0  # names longer than the maximum length, left out (not in `skipped`)

    def label_index(self) -> dict[str, int]:
        return {language: k for k, language in enumerate(self.languages)}


def load_names(folder: str | Path, max_length: int = MAX_LENGTH) -> NamesCorpus:
    """Read every <Language>.txt in `folder`; the file's stem is the language.

    Names are folded with unicode_to_ascii, as in the tutorial. Lines that are blank, or become
    empty after folding (a name in another script, say), are skipped and counted in `.skipped`;
    names longer than `max_length` characters are left out and counted in `.too_long`.
    Raises CorpusError for a missing folder, no .txt files, one that is not a regular file or
    larger than MAX_FILE_BYTES, a non-UTF-8 file or no names at all.
    """
    if max_length < 1:
        raise ValueError(f"max_length must be at least 1, got {max_length}")
    folder = Path(folder)
    if not folder.is_dir():
        raise CorpusError(f"names folder not found: {folder}")
    files = sorted(folder.glob("*.txt"))
    if not files:
        raise CorpusError(f"no <Language>.txt files in {folder}")
    corpus = NamesCorpus(pairs=[], languages=[])
    for path in files:
        corpus.languages.append(path.stem)
        for number, line in enumerate(_read_utf8(path).splitlines(), start=1):
            name = unicode_to_ascii(line)
            if not line.strip() or not name.strip():
                corpus.skipped += 1
                corpus.skipped_lines.append((path.name, number))
                continue
            if len(name) > max_length:
                corpus.too_long += 1
                continue
            corpus.pairs.append((name, path.stem))
    if not corpus.pairs:
        raise CorpusError(f"empty corpus: no names in the {len(files)} files of {folder}")
    return corpus


def _read_utf8(path: Path) -> str:
    data = read_regular(path, MAX_FILE_BYTES)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{path} is not UTF-8 (bad byte at offset {exc.start})") from None


def train_test_split(pairs: list[tuple[str, str]], test_fraction: float = 0.15,
                     seed: int = 0) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """A seeded random split into (train, test); the same seed always gives the same split."""
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be between 0 and 1, got {test_fraction}")
    shuffled = list(pairs)
    random.Random(seed).shuffle(shuffled)
    n_test = round(len(shuffled) * test_fraction)
    return shuffled[n_test:], shuffled[:n_test]
