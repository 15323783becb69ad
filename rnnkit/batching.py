"""Turning variable-length sequences into batches: padding, packing and length bucketing.

A padded batch computes max_len * batch_size steps however many are real; `padding_efficiency`
measures that waste and `BucketBatchSampler` removes most of it by batching similar lengths.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence

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


class BucketBatchSampler:
    """Batches of indices whose sequences have similar lengths.

    Indices are ordered by length (ties broken by a seeded shuffle, so batch contents change
    from epoch to epoch), cut into batches of `batch_size` indices or of at most `max_tokens`
    padded tokens (len(batch) * longest length), and the batch order is shuffled. Each epoch
    yields every index exactly once. Call `set_epoch(e)` before each epoch (as with
    DistributedSampler) to get a new order; the order is a function of (seed, epoch) only.

    A single sequence longer than `max_tokens` is put in a batch of its own rather than dropped.
    Use it as `DataLoader(dataset, batch_sampler=BucketBatchSampler(...), collate_fn=...)`.
    """

    def __init__(self, lengths: Sequence[int], batch_size: int | None = None,
                 max_tokens: int | None = None, shuffle: bool = True, seed: int = 0) -> None:
        if (batch_size is None) == (max_tokens is None):
            raise ValueError("give exactly one of batch_size or max_tokens")
        if batch_size is not None and batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        if max_tokens is not None and max_tokens < 1:
            raise ValueError("max_tokens must be at least 1")
        self.lengths = [int(n) for n in lengths]
        self.batch_size = batch_size
        self.max_tokens = max_tokens
        self.shuffle = shuffle
        self.seed = seed
        self.epoch = 0

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

    def _cut(self, order: list[int]) -> list[list[int]]:
        if self.batch_size is not None:
            return [order[i:i + self.batch_size] for i in range(0, len(order), self.batch_size)]
        batches: list[list[int]] = []
        current: list[int] = []
        for index in order:
            # `order` is sorted by length, so the newcomer is the longest in the batch.
            if current and (len(current) + 1) * self.lengths[index] > self.max_tokens:
                batches.append(current)
                current = []
            current.append(index)
        if current:
            batches.append(current)
        return batches

    def __iter__(self) -> Iterator[list[int]]:
        return iter(self.batches())

    def __len__(self) -> int:
        if self.batch_size is not None:
            return math.ceil(len(self.lengths) / self.batch_size)
        # The sorted sequence of lengths is the same every epoch, so the count is too.
        return len(self._cut(sorted(range(len(self.lengths)), key=self.lengths.__getitem__)))
