import copy
import random

import torch

from rnnkit.models.tutorial import TutorialRNN, manual_sgd_step, name_to_tensor
from rnnkit.training import evaluate_tutorial, train_tutorial


def test_name_to_tensor_is_one_hot_per_character():
    x = name_to_tensor("Ab'")
    assert x.shape == (3, 1, 57)
    assert x.sum().item() == 3
    assert x[0, 0].argmax().item() == 26 and x[1, 0].argmax().item() == 1
    assert x[2, 0].argmax().item() == 56


def test_classify_returns_log_probabilities():
    torch.manual_seed(0)
    out = TutorialRNN(5).classify(name_to_tensor("Hello"))
    assert out.shape == (1, 5)
    torch.testing.assert_close(out.exp().sum(), torch.tensor(1.0))


def test_manual_sgd_step_subtracts_lr_times_gradient():
    torch.manual_seed(0)
    model = TutorialRNN(3, hidden_size=8)
    before = copy.deepcopy(model)
    x, label = name_to_tensor("Abe"), torch.tensor([2])
    loss = torch.nn.functional.nll_loss(before.classify(x), label)
    grads = torch.autograd.grad(loss, list(before.parameters()))
    manual_sgd_step(model, x, label, lr=0.1)
    for new, old, grad in zip(model.parameters(), before.parameters(), grads, strict=True):
        torch.testing.assert_close(new, old - 0.1 * grad)


def test_tutorial_loop_learns_an_easy_split():
    torch.manual_seed(0)
    # Class 0: names of a's, class 1: names of z's.
    examples = [(name_to_tensor("a" * n), 0) for n in range(2, 7)]
    examples += [(name_to_tensor("z" * n), 1) for n in range(2, 7)]
    model = TutorialRNN(2, hidden_size=16)
    first = evaluate_tutorial(model, examples, 2).accuracy
    stats = train_tutorial(model, examples, 300, random.Random(0), lr=0.05)
    assert stats.examples == 300
    assert evaluate_tutorial(model, examples, 2).accuracy == 1.0 or first == 1.0
    assert evaluate_tutorial(model, examples, 2).accuracy == 1.0


def test_divergence_is_recorded_not_hidden():
    torch.manual_seed(0)
    examples = [(name_to_tensor("abcdefghijklmnop"), 0), (name_to_tensor("zyxwvutsrqponm"), 1)]
    calm = train_tutorial(TutorialRNN(2, hidden_size=8), examples, 50, random.Random(0))
    assert calm.diverged_at is None
    wild = train_tutorial(TutorialRNN(2, hidden_size=8), examples, 50, random.Random(0), lr=50.0)
    assert wild.diverged_at is not None and 1 <= wild.diverged_at <= 50
