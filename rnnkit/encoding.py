"""Characters to integers: the tutorial's ASCII folding, a vocabulary, and one-hot vectors."""

from __future__ import annotations

import string
import unicodedata
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

# The PyTorch names tutorial's alphabet: 52 letters and 5 punctuation marks.
ALL_LETTERS = string.ascii_letters + " .,;'"
_KEEP = frozenset(ALL_LETTERS)


def unicode_to_ascii(s: str) -> str:
    """Fold accents away (NFD, drop combining marks) and keep only ALL_LETTERS: 'Ślusàrski' ->
    'Slusarski'. Anything else (digits, '-', ':', non-breaking space, other scripts) is dropped."""
    return "".join(
        c for c in unicodedata.normalize("NFD", s)
        if unicodedata.category(c) != "Mn" and c in _KEEP
    )


class Vocab:
    """Characters <-> ids. Id 0 is padding, id 1 stands for any character not in the vocabulary."""

    PAD = 0
    UNK = 1
    _UNK_CHAR = "\ufffd"  # what decode() shows for an unknown id

    def __init__(self, chars: Iterable[str]) -> None:
        self.chars = sorted(set(chars))
        self._ids = {c: i + 2 for i, c in enumerate(self.chars)}

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> Vocab:
        """A vocabulary of every character that occurs in `texts`, in code-point order."""
        seen: set[str] = set()
        for text in texts:
            seen.update(text)
        return cls(seen)

    def __len__(self) -> int:
        return len(self.chars) + 2

    def encode(self, s: str) -> list[int]:
        return [self._ids.get(c, self.UNK) for c in s]

    def decode(self, ids: Iterable[int]) -> str:
        """Text for `ids`; padding is skipped and unknown ids show as U+FFFD."""
        out = []
        for i in ids:
            i = int(i)
            if i == self.PAD:
                continue
            out.append(self.chars[i - 2] if 2 <= i < len(self) else self._UNK_CHAR)
        return "".join(out)


def one_hot(ids: Sequence[int] | torch.Tensor, size: int) -> torch.Tensor:
    """Float one-hot rows [len(ids), size] (the tutorial's per-character input)."""
    # Imported here so that loading a corpus (and failing on a bad one) does not pay torch's
    # import time: `rnnbench train names` reports bad input in a fraction of a second.
    import torch

    ids = torch.as_tensor(ids, dtype=torch.int64)
    return torch.nn.functional.one_hot(ids, size).float()
