"""Turning variable-length sequences into batches: padding, packing and length bucketing.

A padded batch computes max_len * batch_size steps however many are real; `padding_efficiency`
measures that waste and `BucketBatchSampler` removes most of it by batching similar lengths.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence

import numpy as np
import torch
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_sequence

PAD_ID = 0  # the padding id of rnnkit.encoding.Vocab


def pad_batch(seqs: Sequence[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """Pad 1-D id tensors to (ids[B, T], lengths[B]); lengths stay on the CPU as packing wants."""
    if not seqs:
        raise ValueError("cannot pad an empty batch")
    lengths = torch.tensor([len(s) for s in seqs], dtype=torch.int64)
    if int(lengths.min()) < 1:
        raise ValueError("every sequence needs at least one element")
    return pad_sequence(list(seqs), batch_first=True, padding_value=PAD_ID), lengths


def collate_padded(batch: Sequence[tuple[torch.Tensor, int]]
                   ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """DataLoader collate_fn for (sequence, label) items: (padded ids, lengths, labels)."""
    seqs, labels = zip(*batch, strict=True)
    ids, lengths = pad_batch(seqs)
    return ids, lengths, torch.as_tensor(labels, dtype=torch.int64)


def pack(x: torch.Tensor, lengths: torch.Tensor) -> PackedSequence:
    """Pack a batch-first padded tensor [B, T, ...]; the batch need not be sorted by length.

    A batch already sorted longest first is packed as it is: unsorted, torch sorts it and copies
    the order to x's device, a host-to-device copy that waits for the GPU on every call."""
    lengths = lengths.cpu()
    in_order = bool((lengths[:-1] >= lengths[1:]).all())
    return pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=in_order)


def padding_efficiency(batches_of_lengths: Sequence[Sequence[int]]) -> float:
    """Real tokens / computed tokens, where a padded batch computes len(batch) * max(batch)."""
    real = sum(sum(b) for b in batches_of_lengths)
    computed = sum(len(b) * max(b) for b in batches_of_lengths if len(b))
    if computed == 0:
        raise ValueError("no tokens in the batches")
    return real / computed


def default_batch_cost(max_tokens: int) -> int:
    """The per-batch charge of a token-budget cut unless one is given (BucketBatchSampler)."""
    return max_tokens // 8


def budget_cut(sorted_lengths: Sequence[int], max_tokens: int, batch_cost: int) -> list[int]:
    """Sizes of the consecutive batches of `sorted_lengths` (ascending) that minimise the padded
    tokens plus `batch_cost` per batch, every batch within `max_tokens` padded tokens (a single
    longer sequence is a batch of its own).

    Dynamic programming: best[j] is the least cost of the first j lengths, and a batch ending at
    j is padded to lengths[j-1], so best[j] = min over i of best[i] + (j-i)*lengths[j-1] + cost.
    The min over the allowed starts i is one vectorised step.
    """
    lengths = np.asarray(sorted_lengths, dtype=np.int64)
    n = len(lengths)
    best = np.zeros(n + 1, dtype=np.int64)
    start = np.zeros(n + 1, dtype=np.int64)  # where the last batch of best[j]'s cut begins
    at = np.arange(n + 1, dtype=np.int64)
    for j in range(1, n + 1):
        longest = int(lengths[j - 1])
        first = max(0, j - max(1, max_tokens // max(longest, 1)))
        costs = best[first:j] - at[first:j] * longest
        k = int(costs.argmin())  # the first minimum: the same cut for the same lengths
        start[j] = first + k
        best[j] = costs[k] + j * longest + batch_cost
    sizes = []
    while n > 0:
        sizes.append(n - int(start[n]))
        n = int(start[n])
    return sizes[::-1]


class BucketBatchSampler:
    """Batches of indices whose sequences have similar lengths.

    Indices are ordered by length (ties broken by a seeded shuffle, so batch contents change
    from epoch to epoch), cut into batches, and the batch order is shuffled. Each epoch yields
    every index exactly once. Call `set_epoch(e)` before each epoch (as with DistributedSampler)
    to get a new order; the order is a function of (seed, epoch) only.

    With `batch_size`, the cut is every `batch_size` indices. With `max_tokens`, every batch
    holds at most `max_tokens` padded tokens (len(batch) * its longest length), and the cut is
    the one that pads least once each batch is also charged `batch_cost_tokens` (default
    max_tokens // 8): each batch is a model call with a fixed cost (kernel launches, Python,
    per-step work that does not grow with the batch), here counted as that many padded tokens,
    so a batch is split only where that saves more padding than the extra call costs (at no
    cost, the least padding splits at every change of length). An eighth of a full batch buys
    most of the padding a cut can save for a few more calls: 2,048 nietzsche sentences at
    max_tokens=1024 are 0.984 efficient in 74 batches, against 0.971 in 71 when each batch is
    filled greedily.
    The cut depends only on the sorted lengths, so it is computed once and every epoch has the
    same number of batches.

    A single sequence longer than `max_tokens` is put in a batch of its own rather than dropped.
    Use it as `DataLoader(dataset, batch_sampler=BucketBatchSampler(...), collate_fn=...)`.
    """

    def __init__(self, lengths: Sequence[int], batch_size: int | None = None,
                 max_tokens: int | None = None, shuffle: bool = True, seed: int = 0,
                 batch_cost_tokens: int | None = None) -> None:
        if (batch_size is None) == (max_tokens is None):
            raise ValueError("give exactly one of batch_size or max_tokens")
        if batch_size is not None and batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        if max_tokens is not None and max_tokens < 1:
            raise ValueError("max_tokens must be at least 1")
        if batch_cost_tokens is not None and (max_tokens is None or batch_cost_tokens < 0):
            raise ValueError("batch_cost_tokens goes with max_tokens and must be at least 0")
        self.lengths = [int(n) for n in lengths]
        self.batch_size = batch_size
        self.max_tokens = max_tokens
        self.batch_cost_tokens = (batch_cost_tokens if batch_cost_tokens is not None
                                  else default_batch_cost(max_tokens or 0))
        self.shuffle = shuffle
        self.seed = seed
        self.epoch = 0
        self._sizes: list[int] | None = None  # the token-budget cut, once computed

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def batches(self) -> list[list[int]]:
        """This epoch's batches, in the order they will be yielded."""
        rng = random.Random(self.seed * 1_000_003 + self.epoch)
        order = list(range(len(self.lengths)))
        if self.shuffle:
            rng.shuffle(order)
        # A stable sort keeps the shuffled order among equal lengths.
        order.sort(key=self.lengths.__getitem__)
        batches = self._cut(order)
        if self.shuffle:
            rng.shuffle(batches)
        return batches

    def _batch_sizes(self) -> list[int]:
        if self.batch_size is not None:
            n, size = len(self.lengths), self.batch_size
            return [min(size, n - i) for i in range(0, n, size)]
        if self._sizes is None:
            assert self.max_tokens is not None
            self._sizes = budget_cut(sorted(self.lengths), self.max_tokens,
                                     self.batch_cost_tokens)
        return self._sizes

    def _cut(self, order: list[int]) -> list[list[int]]:
        # `order` is sorted by length, so its lengths are the sorted lengths the cut was made for.
        batches, begin = [], 0
        for size in self._batch_sizes():
            batches.append(order[begin:begin + size])
            begin += size
        return batches

    def __iter__(self) -> Iterator[list[int]]:
        return iter(self.batches())

    def __len__(self) -> int:
        return len(self._batch_sizes())
