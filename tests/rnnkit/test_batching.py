import itertools
import random

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.nn.utils.rnn import pad_packed_sequence
from torch.utils.data import DataLoader

from rnnkit.batching import (
    BucketBatchSampler,
    budget_cut,
    collate_padded,
    pack,
    pad_batch,
    padding_efficiency,
)
from rnnkit.data.lengths import LengthSource, load_lengths, sample_lengths_of
from rnnkit.data.synthetic import sample_lengths, synthetic_sequences


def test_pad_batch_pads_with_zero_and_keeps_lengths_on_cpu():
    ids, lengths = pad_batch([torch.tensor([5, 6, 7]), torch.tensor([8])])
    assert ids.tolist() == [[5, 6, 7], [8, 0, 0]]
    assert lengths.tolist() == [3, 1]
    assert lengths.device.type == "cpu" and lengths.dtype == torch.int64
    with pytest.raises(ValueError):
        pad_batch([])


def test_collate_padded_returns_ids_lengths_labels():
    ids, lengths, labels = collate_padded([(torch.tensor([2, 3]), 4), (torch.tensor([9]), 1)])
    assert ids.tolist() == [[2, 3], [9, 0]]
    assert lengths.tolist() == [2, 1]
    assert labels.tolist() == [4, 1]


def test_pack_accepts_unsorted_batches_and_round_trips():
    seqs = synthetic_sequences("uniform", 9, vocab_size=20, seed=0)
    ids, lengths = pad_batch(seqs)
    packed = pack(ids.unsqueeze(-1).float(), lengths)
    back, back_lengths = pad_packed_sequence(packed, batch_first=True)
    assert torch.equal(back.squeeze(-1).long(), ids[:, : int(lengths.max())])
    assert torch.equal(back_lengths, lengths)


def test_padding_efficiency_by_hand():
    assert padding_efficiency([[3, 1], [2, 2]]) == pytest.approx(8 / 10)
    assert padding_efficiency([[5]]) == 1.0


@settings(max_examples=60, deadline=None)
@given(lengths=st.lists(st.integers(1, 40), min_size=1, max_size=300),
       size=st.integers(1, 70), by_tokens=st.booleans(), seed=st.integers(0, 5),
       epoch=st.integers(0, 3))
def test_every_index_exactly_once_per_epoch_and_budget_respected(lengths, size, by_tokens,
                                                                 seed, epoch):
    budget = size * 10
    sampler = (BucketBatchSampler(lengths, max_tokens=budget, seed=seed) if by_tokens
               else BucketBatchSampler(lengths, batch_size=size, seed=seed))
    sampler.set_epoch(epoch)
    batches = list(sampler)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    assert len(batches) == len(sampler)
    for batch in batches:
        if by_tokens:
            padded_tokens = len(batch) * max(lengths[i] for i in batch)
            assert padded_tokens <= budget or len(batch) == 1
        else:
            assert len(batch) <= size


def test_order_depends_only_on_seed_and_epoch():
    lengths = sample_lengths("names", 2000, seed=0)

    def epoch_batches(seed, epoch):
        sampler = BucketBatchSampler(lengths, batch_size=32, seed=seed)
        sampler.set_epoch(epoch)
        return list(sampler)

    assert epoch_batches(1, 0) == epoch_batches(1, 0)
    assert epoch_batches(1, 0) != epoch_batches(1, 1)
    assert epoch_batches(1, 0) != epoch_batches(2, 0)
    # Not only the batch order changes: the contents of batches do too.
    first = {tuple(sorted(b)) for b in epoch_batches(1, 0)}
    second = {tuple(sorted(b)) for b in epoch_batches(1, 1)}
    assert first != second


def test_no_shuffle_gives_sorted_batches():
    lengths = [5, 1, 3, 2, 4]
    assert list(BucketBatchSampler(lengths, batch_size=2, shuffle=False)) == [[1, 3], [2, 4], [0]]


def test_bad_arguments():
    with pytest.raises(ValueError):
        BucketBatchSampler([1, 2], batch_size=2, max_tokens=10)
    with pytest.raises(ValueError):
        BucketBatchSampler([1, 2])
    with pytest.raises(ValueError):
        BucketBatchSampler([1, 2], batch_size=0)
    with pytest.raises(ValueError):
        BucketBatchSampler([1, 2], batch_size=2, batch_cost_tokens=4)
    with pytest.raises(ValueError):
        BucketBatchSampler([1, 2], max_tokens=8, batch_cost_tokens=-1)


def test_bucketing_beats_random_batching_on_names_lengths():
    lengths = sample_lengths("names", 20000, seed=0)
    bucketed = [[lengths[i] for i in b] for b in BucketBatchSampler(lengths, batch_size=64)]
    order = list(range(len(lengths)))
    random.Random(0).shuffle(order)
    shuffled = [[lengths[i] for i in order[k:k + 64]] for k in range(0, len(order), 64)]
    assert padding_efficiency(bucketed) >= 0.9
    assert padding_efficiency(shuffled) < 0.6


def test_works_as_a_dataloader_batch_sampler():
    seqs = synthetic_sequences("names", 200, vocab_size=20, seed=0)
    dataset = [(s, k % 3) for k, s in enumerate(seqs)]
    sampler = BucketBatchSampler([len(s) for s in seqs], max_tokens=120, seed=0)
    loader = DataLoader(dataset, batch_sampler=sampler, collate_fn=collate_padded)
    seen = 0
    for ids, lengths, labels in loader:
        assert ids.shape == (len(lengths), int(lengths.max()))
        assert ids.numel() <= 120 or len(lengths) == 1
        assert labels.shape == lengths.shape
        seen += len(lengths)
    assert seen == 200


def test_bucketing_on_the_real_names_corpus(names_dir):
    from rnnkit.data.names import load_names

    lengths = [len(name) for name, _ in load_names(names_dir).pairs]
    by_count = [[lengths[i] for i in b] for b in BucketBatchSampler(lengths, batch_size=64)]
    by_tokens = [[lengths[i] for i in b] for b in BucketBatchSampler(lengths, max_tokens=512)]
    assert padding_efficiency(by_count) >= 0.9
    assert padding_efficiency(by_tokens) >= 0.9
    assert all(len(b) * max(b) <= 512 for b in by_tokens)


def _cut_cost(lengths, sizes, budget, batch_cost):
    """Padded tokens plus batch_cost per batch of consecutive `sizes`; None over the budget."""
    cost, begin = 0, 0
    for size in sizes:
        longest = lengths[begin + size - 1]
        if size > 1 and size * longest > budget:
            return None
        cost += size * longest + batch_cost
        begin += size
    return cost


def _brute_force_cost(lengths, budget, batch_cost):
    """The least cost over every way to cut the sorted lengths into consecutive batches."""
    n, best = len(lengths), None
    for cuts in itertools.product((False, True), repeat=n - 1):
        ends = [i + 1 for i, cut in enumerate(cuts) if cut] + [n]
        sizes = [b - a for a, b in zip([0, *ends], ends, strict=False)]
        cost = _cut_cost(lengths, sizes, budget, batch_cost)
        if cost is not None and (best is None or cost < best):
            best = cost
    return best


def test_the_budget_cut_is_the_brute_force_optimum():
    rng = random.Random(0)
    for _ in range(150):
        lengths = sorted(rng.randint(1, 30) for _ in range(rng.randint(1, 11)))
        budget, batch_cost = rng.randint(1, 120), rng.randint(0, 40)
        sizes = budget_cut(lengths, budget, batch_cost)
        assert sum(sizes) == len(lengths) and min(sizes) >= 1
        assert _cut_cost(lengths, sizes, budget, batch_cost) == _brute_force_cost(
            lengths, budget, batch_cost), (lengths, budget, batch_cost, sizes)


def _greedy_cut(lengths, budget):
    """Fill each batch until the next (longer) sequence would overflow the budget."""
    batches, current = [], []
    for n in sorted(lengths):
        if current and (len(current) + 1) * n > budget:
            batches.append(current)
            current = []
        current.append(n)
    return [*batches, current]


def test_the_budget_cut_pads_less_than_filling_greedily_on_nietzsche(nietzsche_file):
    source = LengthSource("text", str(nietzsche_file), "sentences", "words")
    lengths = sample_lengths_of(load_lengths(source).lengths, 2048, 0)
    sampler = BucketBatchSampler(lengths, max_tokens=1024)
    cut = padding_efficiency([[lengths[i] for i in b] for b in sampler])
    greedy = padding_efficiency(_greedy_cut(lengths, 1024))
    assert cut >= 0.98
    assert cut >= greedy
    # Charging nothing per batch pads less still, with many more batches: the charge matters.
    free = BucketBatchSampler(lengths, max_tokens=1024, batch_cost_tokens=0)
    assert len(free) > len(sampler)


def test_the_budget_cut_is_the_same_every_epoch_and_cached():
    lengths = sample_lengths("sentences", 3000, seed=1)
    sampler = BucketBatchSampler(lengths, max_tokens=2048, seed=3)
    shapes = []
    for epoch in range(3):
        sampler.set_epoch(epoch)
        shapes.append(sorted((len(b), max(lengths[i] for i in b)) for b in sampler))
    assert shapes[0] == shapes[1] == shapes[2]
    assert len(sampler) == len(shapes[0])
    assert sampler._sizes is not None  # the cut is kept, not redone each epoch
