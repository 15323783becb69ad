import pytest
import torch

from rnnkit.data.synthetic import synthetic_sequences
from rnnkit.models.classifier import CharClassifier
from rnnkit.training import (
    ManualSGD,
    evaluate,
    evaluation_from,
    make_batches,
    make_optimizer,
    seed_everything,
    train_epoch,
)


def test_evaluation_by_hand():
    ev = evaluation_from(torch.tensor([0, 1, 1, 2]), torch.tensor([0, 1, 2, 2]), n_classes=4)
    assert ev.accuracy == 0.75
    assert ev.per_class_accuracy == [1.0, 1.0, 0.5, None]
    assert ev.confusion.tolist() == [[1, 0, 0, 0], [0, 1, 0, 0], [0, 1, 1, 0], [0, 0, 0, 0]]
    as_dict = ev.to_dict(["a", "b", "c", "d"])
    assert as_dict["per_class_accuracy"]["c"] == 0.5 and as_dict["labels"][3] == "d"


def _toy_examples(n=200):
    seqs = synthetic_sequences("uniform", n, vocab_size=6, seed=0)
    return [(s, int(bool((s == 3).any()))) for s in seqs]


@pytest.mark.parametrize("batching", ["padded", "packed", "bucketed"])
def test_make_batches_covers_every_example_once(batching):
    examples = _toy_examples()
    batches = make_batches(examples, batching, 16, seed=0, epoch=1)
    assert sum(len(labels) for _, _, labels in batches) == len(examples)
    assert sum(int(lengths.sum()) for _, lengths, _ in batches) == sum(len(s) for s, _ in examples)
    with pytest.raises(ValueError):
        make_batches(examples, "sorted", 16, seed=0)


def test_manual_sgd_matches_torch_sgd():
    torch.manual_seed(0)
    a = torch.nn.Linear(3, 2)
    b = torch.nn.Linear(3, 2)
    b.load_state_dict(a.state_dict())
    x = torch.randn(5, 3)
    for model, opt in ((a, ManualSGD(a.parameters(), 0.1)), (b, make_optimizer(b, "sgd", 0.1))):
        opt.zero_grad()
        model(x).square().sum().backward()
        opt.step()
    torch.testing.assert_close(a.weight, b.weight)
    with pytest.raises(ValueError):
        make_optimizer(a, "lion", 0.1)


def _train_once(seed):
    seed_everything(seed)
    model = CharClassifier(6, 2, cell="gru", hidden_size=16, embed_dim=8)
    opt = make_optimizer(model, "adam", 0.02)
    examples = _toy_examples()
    for epoch in range(8):
        stats = train_epoch(model, make_batches(examples, "bucketed", 32, seed, epoch), opt)
    return model, stats, evaluate(model, make_batches(examples, "padded", 64, 0), 2)


def test_training_is_seeded_and_learns():
    model_a, stats, ev = _train_once(seed=3)
    model_b, _, _ = _train_once(seed=3)
    for p, q in zip(model_a.parameters(), model_b.parameters(), strict=True):
        assert torch.equal(p, q)
    assert stats.examples == 200 and stats.seconds > 0
    assert ev.accuracy > 0.9
