import statistics

import pytest
import torch

from rnnkit.data.synthetic import (
    DISTRIBUTIONS,
    LengthDistribution,
    sample_lengths,
    synthetic_sequences,
)
from rnnkit.encoding import unicode_to_ascii


def test_the_four_named_distributions_exist():
    assert set(DISTRIBUTIONS) == {"names", "sentences", "uniform", "fixed"}


@pytest.mark.parametrize("name", sorted(DISTRIBUTIONS))
def test_same_seed_same_lengths_other_seed_other_lengths(name):
    a = sample_lengths(name, 500, seed=3)
    assert a == sample_lengths(name, 500, seed=3)
    assert len(a) == 500 and all(isinstance(n, int) and n >= 1 for n in a)
    if name != "fixed":
        assert a != sample_lengths(name, 500, seed=4)


def test_names_distribution_matches_the_real_corpus(names_dir):
    real = []
    for path in names_dir.glob("*.txt"):
        for line in path.read_text(encoding="utf-8").splitlines():
            name = unicode_to_ascii(line)
            if name:
                real.append(len(name))
    fake = sample_lengths("names", 20000, seed=0)
    assert abs(statistics.mean(fake) - statistics.mean(real)) < 0.15
    assert abs(statistics.median(fake) - statistics.median(real)) <= 1
    assert abs(statistics.pstdev(fake) - statistics.pstdev(real)) < 0.3
    assert min(real) <= min(fake) and max(fake) <= max(real)


def test_sentences_have_a_long_tail():
    lengths = sorted(sample_lengths("sentences", 20000, seed=0))
    median, p99 = lengths[10000], lengths[int(0.99 * 20000)]
    assert 15 <= median <= 40
    assert p99 > 3 * median
    assert 150 < lengths[-1] <= 400


def test_fixed_and_uniform():
    assert set(sample_lengths("fixed", 100, seed=0)) == {7}
    uniform = sample_lengths("uniform", 5000, seed=0)
    assert set(uniform) == set(range(2, 15))


def test_custom_distribution_and_bad_names():
    assert set(sample_lengths(LengthDistribution("fixed", 20, 20), 10, seed=0)) == {20}
    with pytest.raises(ValueError, match="unknown length distribution"):
        sample_lengths("tweets", 10, seed=0)
    with pytest.raises(ValueError):
        LengthDistribution("uniform", low=5, high=2)


def test_synthetic_sequences_follow_the_lengths_and_avoid_reserved_ids():
    seqs = synthetic_sequences("names", 300, vocab_size=30, seed=1)
    assert [len(s) for s in seqs] == sample_lengths("names", 300, seed=1)
    ids = torch.cat(seqs)
    assert ids.dtype == torch.int64 and all(s.dim() == 1 for s in seqs)
    assert int(ids.min()) == 2 and int(ids.max()) == 29
    again = synthetic_sequences("names", 300, vocab_size=30, seed=1)
    assert all(torch.equal(a, b) for a, b in zip(seqs, again, strict=True))
    with pytest.raises(ValueError):
        synthetic_sequences("names", 3, vocab_size=2, seed=0)
