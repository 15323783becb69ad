"""The names corpus: a folder of <Language>.txt files, one name per line, UTF-8."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

from rnnkit.data.errors import CorpusError
from rnnkit.encoding import unicode_to_ascii


@dataclass
class NamesCorpus:
    pairs: list[tuple[str, str]]  # (name folded to ASCII, language)
    languages: list[str]  # sorted; a label's class index is its position here
    skipped: int = 0  # blank lines and lines that are empty once folded to ASCII
    skipped_lines: list[tuple[str, int]] = field(default_factory=list)  # (file name, line number)

    def label_index(self) -> dict[str, int]:
        return {language: k for k, language in enumerate(self.languages)}


def load_names(folder: str | Path) -> NamesCorpus:
    """Read every <Language>.txt in `folder`; the file's stem is the language.

    Names are folded with unicode_to_ascii, as in the tutorial. Lines that are blank, or become
    empty after folding (a name in another script, say), are skipped and counted in `.skipped`.
    Raises CorpusError for a missing folder, no .txt files, a non-UTF-8 file or no names at all.
    """
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
            corpus.pairs.append((name, path.stem))
    if not corpus.pairs:
        raise CorpusError(f"empty corpus: no names in the {len(files)} files of {folder}")
    return corpus


def _read_utf8(path: Path) -> str:
    data = path.read_bytes()
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
