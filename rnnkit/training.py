"""Seeded training loops and held-out evaluation for the names classifiers.

Two styles: the tutorial's (one random name per step, weights updated by hand) and the batched
one (padded, packed or bucketed batches, any optimizer). Both are judged by `Evaluation`:
accuracy, per-class accuracy and the confusion matrix on the test split.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from rnnkit.batching import BucketBatchSampler, collate_padded
from rnnkit.encoding import Vocab
from rnnkit.models.tutorial import LEARNING_RATE, TutorialRNN, manual_sgd_step, name_to_tensor
from rnnkit.progress import Progress

Example = tuple[torch.Tensor, int]  # (ids of one name, class index)
Batch = tuple[torch.Tensor, torch.Tensor, torch.Tensor]  # (padded ids, lengths, labels)
BATCHINGS = ("padded", "packed", "bucketed")
OPTIMIZERS = ("manual", "sgd", "adam")


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


# --------------------------------------------------------------------------- evaluation
@dataclass
class Evaluation:
    accuracy: float
    per_class_accuracy: list[float | None]  # None for a class with no test examples
    confusion: torch.Tensor  # [true class, predicted class] counts

    def to_dict(self, labels: Sequence[str] | None = None) -> dict:
        names = list(labels) if labels is not None else [str(k) for k in
                                                         range(len(self.per_class_accuracy))]
        return {"accuracy": self.accuracy,
                "per_class_accuracy": dict(zip(names, self.per_class_accuracy, strict=True)),
                "labels": names, "confusion": self.confusion.tolist()}


def evaluation_from(predicted: torch.Tensor, actual: torch.Tensor, n_classes: int) -> Evaluation:
    """Accuracy, per-class accuracy (recall) and confusion matrix from class indices."""
    predicted, actual = predicted.cpu().long(), actual.cpu().long()
    confusion = torch.bincount(actual * n_classes + predicted, minlength=n_classes ** 2)
    confusion = confusion.view(n_classes, n_classes)
    per_class_total = confusion.sum(1)
    per_class = [None if int(total) == 0 else float(confusion[k, k] / total)
                 for k, total in enumerate(per_class_total)]
    accuracy = float(confusion.diag().sum() / max(len(actual), 1))
    return Evaluation(accuracy, per_class, confusion)


@torch.no_grad()
def evaluate(model: nn.Module, batches: Iterable[Batch], n_classes: int,
             packed: bool = False) -> Evaluation:
    """Evaluate a CharClassifier over (ids, lengths, labels) batches."""
    was_training = model.training
    model.eval()
    predicted, actual = [], []
    for ids, lengths, labels in batches:
        predicted.append(model(ids, lengths, packed=packed).argmax(1))
        actual.append(labels)
    model.train(was_training)
    return evaluation_from(torch.cat(predicted), torch.cat(actual), n_classes)


@torch.no_grad()
def evaluate_tutorial(model: TutorialRNN, pairs: Sequence[tuple[torch.Tensor, int]],
                      n_classes: int) -> Evaluation:
    """Evaluate the tutorial model one name at a time over (one-hot name, class) pairs."""
    predicted = torch.tensor([int(model.classify(x).argmax(1)) for x, _ in pairs])
    actual = torch.tensor([label for _, label in pairs])
    return evaluation_from(predicted, actual, n_classes)


# --------------------------------------------------------------------------- data
def encode_examples(pairs: Sequence[tuple[str, str]], vocab: Vocab,
                    label_index: dict[str, int]) -> list[Example]:
    return [(torch.tensor(vocab.encode(name)), label_index[label]) for name, label in pairs]


def make_batches(examples: Sequence[Example], batching: str, batch_size: int, seed: int,
                 epoch: int = 0, shuffle: bool = True) -> list[Batch]:
    """One epoch of padded batches: random batches for padded/packed, bucketed by length else."""
    if batching not in BATCHINGS:
        raise ValueError(f"batching must be one of {', '.join(BATCHINGS)}, not {batching!r}")
    if batching == "bucketed":
        sampler = BucketBatchSampler([len(x) for x, _ in examples], batch_size=batch_size,
                                     shuffle=shuffle, seed=seed)
        sampler.set_epoch(epoch)
        groups = list(sampler)
    else:
        order = list(range(len(examples)))
        if shuffle:
            random.Random(seed * 1_000_003 + epoch).shuffle(order)
        groups = [order[k:k + batch_size] for k in range(0, len(order), batch_size)]
    return [collate_padded([examples[i] for i in group]) for group in groups]


# --------------------------------------------------------------------------- optimisation
class ManualSGD:
    """p -= lr * grad, written out as the tutorial does; same interface as torch.optim."""

    def __init__(self, params: Iterable[nn.Parameter], lr: float) -> None:
        self.params = list(params)
        self.lr = lr

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        for p in self.params:
            if p.grad is not None:
                p.add_(p.grad, alpha=-self.lr)


def make_optimizer(model: nn.Module, name: str, lr: float) -> ManualSGD | torch.optim.Optimizer:
    if name == "manual":
        return ManualSGD(model.parameters(), lr)
    if name == "sgd":
        return torch.optim.SGD(model.parameters(), lr=lr)
    if name == "adam":
        return torch.optim.Adam(model.parameters(), lr=lr)
    raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, not {name!r}")


@dataclass
class EpochStats:
    loss: float  # mean training loss per example
    examples: int
    seconds: float  # training only; evaluation is timed separately
    diverged_at: int | None = None  # first step whose loss was not finite (tutorial loop)


def train_epoch(model: nn.Module, batches: Sequence[Batch],
                optimizer: ManualSGD | torch.optim.Optimizer, packed: bool = False,
                progress: Progress | None = None, clip: float | None = None) -> EpochStats:
    """One pass of cross-entropy training over prepared batches."""
    model.train()
    start = time.perf_counter()
    total_loss, seen = 0.0, 0
    for ids, lengths, labels in batches:
        optimizer.zero_grad()
        loss = F.cross_entropy(model(ids, lengths, packed=packed), labels)
        loss.backward()
        if clip is not None:
            nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        total_loss += loss.item() * len(labels)
        seen += len(labels)
        if progress is not None:
            progress.update(len(labels))
    return EpochStats(total_loss / max(seen, 1), seen, time.perf_counter() - start)


def tutorial_examples(pairs: Sequence[tuple[str, str]],
                      label_index: dict[str, int]) -> list[tuple[torch.Tensor, int]]:
    return [(name_to_tensor(name), label_index[label]) for name, label in pairs]


def train_tutorial(model: TutorialRNN, examples: Sequence[tuple[torch.Tensor, int]], steps: int,
                   rng: random.Random, lr: float = LEARNING_RATE,
                   progress: Progress | None = None) -> EpochStats:
    """The tutorial's loop: each step picks a random class, then a random name of that class.

    Picking the class first (as the tutorial's randomTrainingExample does) trains on a
    class-balanced stream, whatever the corpus's class sizes.
    """
    by_class: dict[int, list[torch.Tensor]] = {}
    for x, label in examples:
        by_class.setdefault(label, []).append(x)
    classes = sorted(by_class)
    targets = {label: torch.tensor([label]) for label in classes}
    start = time.perf_counter()
    total_loss, diverged_at = 0.0, None
    for step in range(1, steps + 1):
        label = rng.choice(classes)
        loss = manual_sgd_step(model, rng.choice(by_class[label]), targets[label], lr)
        total_loss += loss
        # The tutorial's hidden state is linear in the previous one and nothing clips the
        # gradient, so some seeds blow up to inf/NaN; record when, rather than hide it.
        if diverged_at is None and not math.isfinite(loss):
            diverged_at = step
        if progress is not None:
            progress.update()
    return EpochStats(total_loss / max(steps, 1), steps, time.perf_counter() - start,
                      diverged_at)
