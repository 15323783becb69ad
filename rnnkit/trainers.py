"""Trainers for the names classifiers: a model with its data and optimizer, advanced one epoch at
a time, each epoch followed by an evaluation of the test split.

`rnnbench train names` and the benchmark's train workload both drive these, so "an epoch" means
the same work in both; they differ only in the settings they pass.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass

from rnnkit.encoding import Vocab
from rnnkit.models.classifier import CharClassifier
from rnnkit.models.tutorial import TutorialRNN
from rnnkit.progress import Progress
from rnnkit.training import (
    Batch,
    EpochStats,
    Evaluation,
    encode_examples,
    evaluate,
    evaluate_tutorial,
    make_batches,
    make_optimizer,
    seed_everything,
    train_epoch,
    train_tutorial,
    tutorial_examples,
)

Pair = tuple[str, str]  # (name, label)


def _label_index(labels: Sequence[str]) -> dict[str, int]:
    return {label: k for k, label in enumerate(labels)}


class TutorialTrainer:
    """The tutorial's RNN; an epoch is as many random single-name steps as training names."""

    def __init__(self, labels: Sequence[str], train_pairs: Sequence[Pair],
                 test_pairs: Sequence[Pair], seed: int, hidden_size: int = 128) -> None:
        seed_everything(seed)
        index = _label_index(labels)
        self.n_classes = len(labels)
        self.model = TutorialRNN(self.n_classes, hidden_size=hidden_size)
        self.train = tutorial_examples(train_pairs, index)
        self.test = tutorial_examples(test_pairs, index)
        self.rng = random.Random(seed)

    def epoch(self, number: int, progress: Progress | None = None) -> tuple[EpochStats,
                                                                           Evaluation]:
        """Train one epoch (its number does not change the random stream), then evaluate."""
        stats = train_tutorial(self.model, self.train, len(self.train), self.rng,
                               progress=progress)
        return stats, evaluate_tutorial(self.model, self.test, self.n_classes)


@dataclass(frozen=True)
class ClassifierSettings:
    """What shapes a CharClassifier's training; the sizes default to CharClassifier's own."""

    cell: str  # rnn | gru | lstm
    batching: str  # padded | packed | bucketed (rnnkit.training.BATCHINGS)
    batch_size: int = 64
    hidden_size: int = 128
    embed_dim: int = 32
    learning_rate: float = 0.005  # Adam
    eval_batch_size: int = 256  # the test split is evaluated in bucketed batches of this size
    eval_packed: bool = False


class ClassifierTrainer:
    """An rnnkit CharClassifier trained with Adam on padded, packed or bucketed batches."""

    def __init__(self, labels: Sequence[str], train_pairs: Sequence[Pair],
                 test_pairs: Sequence[Pair], vocab: Vocab, settings: ClassifierSettings,
                 seed: int, device: str = "cpu") -> None:
        seed_everything(seed)
        index = _label_index(labels)
        self.n_classes = len(labels)
        self.settings, self.seed, self.device = settings, seed, device
        self.model = CharClassifier(len(vocab), self.n_classes, cell=settings.cell,
                                    hidden_size=settings.hidden_size,
                                    embed_dim=settings.embed_dim).to(device)
        self.optimizer = make_optimizer(self.model, "adam", settings.learning_rate)
        self.train = encode_examples(train_pairs, vocab, index)
        test = encode_examples(test_pairs, vocab, index)
        self.test = self._on_device(make_batches(test, "bucketed", settings.eval_batch_size,
                                                 seed=0, shuffle=False))

    def _on_device(self, batches: list[Batch]) -> list[Batch]:
        # Lengths stay on the CPU: packing reads them there.
        return [(ids.to(self.device), lengths, labels.to(self.device))
                for ids, lengths, labels in batches]

    def epoch(self, number: int, progress: Progress | None = None) -> tuple[EpochStats,
                                                                           Evaluation]:
        """Train one epoch (its number picks the batch order), then evaluate the test split."""
        settings = self.settings
        start = time.perf_counter()
        batches = self._on_device(make_batches(self.train, settings.batching,
                                               settings.batch_size, self.seed, epoch=number))
        prepare_seconds = time.perf_counter() - start
        stats = train_epoch(self.model, batches, self.optimizer,
                            packed=settings.batching == "packed", progress=progress)
        stats.seconds += prepare_seconds  # making the batches is part of the training cost
        return stats, evaluate(self.model, self.test, self.n_classes,
                               packed=settings.eval_packed)

