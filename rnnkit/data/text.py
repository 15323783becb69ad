"""A text corpus as character ids, cut into examples for the fast.ai character models."""

from __future__ import annotations

from pathlib import Path

import torch

from rnnkit.data.errors import CorpusError
from rnnkit.data.files import read_regular

MAX_FILE_BYTES = 256 << 20  # nietzsche.txt is 600 kB


def load_text(path: str | Path) -> str:
    """The whole file as a string; CorpusError if it is missing, not a regular file, larger than
    MAX_FILE_BYTES, not UTF-8 or empty."""
    path = Path(path)
    if not path.exists():
        raise CorpusError(f"text file not found: {path}")
    data = read_regular(path, MAX_FILE_BYTES)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{path} is not UTF-8 (bad byte at offset {exc.start})") from None
    if not text:
        raise CorpusError(f"empty corpus: {path}")
    return text


def context_windows(ids: list[int] | torch.Tensor, n: int,
                    step: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """Examples of n consecutive ids and the id after them: (x[N, n], y[N]).

    step=1 gives every window (fast.ai's CharLoop data); step=n gives disjoint windows
    (its Char3Model data, with n=3).
    """
    ids = torch.as_tensor(ids, dtype=torch.int64)
    if n < 1 or step < 1:
        raise ValueError("n and step must be at least 1")
    if len(ids) <= n:
        raise ValueError(f"need more than {n} ids for a window of {n}")
    starts = torch.arange(0, len(ids) - n, step)
    x = ids[starts[:, None] + torch.arange(n)[None, :]]
    return x, ids[starts + n]


def sequence_chunks(ids: list[int] | torch.Tensor,
                    seq_len: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Disjoint chunks for a language model: x[N, seq_len] and y = x shifted one id ahead.

    Ids that do not fill a last chunk are dropped.
    """
    ids = torch.as_tensor(ids, dtype=torch.int64)
    if seq_len < 1:
        raise ValueError("seq_len must be at least 1")
    n_chunks = (len(ids) - 1) // seq_len
    if n_chunks == 0:
        raise ValueError(f"need more than {seq_len} ids for one chunk")
    usable = n_chunks * seq_len
    return ids[:usable].view(n_chunks, seq_len), ids[1:usable + 1].view(n_chunks, seq_len)
