"""The train workload: time-to-accuracy on the real names corpus (`--data FOLDER`).

One step is one training epoch followed by an evaluation of the test split (the accuracy curve
is what this workload is for, so the evaluation is part of the epoch; it costs a small fraction
of it). The time to reach the target accuracy is the number of epochs it took times the median
epoch time; the final accuracy is the one after the last epoch.

Models: the PyTorch tutorial's RNN (one name per step, hand-written SGD; strategy `single`) and
rnnkit's CharClassifier (rnn/gru/lstm) under padded, packed and bucketed batching.
"""

from __future__ import annotations

import random

from bench.workloads import Prepared
from rnnkit.data.names import load_names, train_test_split
from rnnkit.encoding import Vocab
from rnnkit.models.classifier import CharClassifier
from rnnkit.models.tutorial import TutorialRNN
from rnnkit.training import (
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

LEARNING_RATE = 0.005  # Adam, for the batched classifiers


def _tutorial_step(corpus, train, test, params: dict, seed: int, accuracies: list[float]):
    labels = corpus.label_index()
    n_classes = len(corpus.languages)
    model = TutorialRNN(n_classes, hidden_size=int(params["hidden"]))
    train_x, test_x = tutorial_examples(train, labels), tutorial_examples(test, labels)
    rng = random.Random(seed)

    def step() -> None:
        train_tutorial(model, train_x, len(train_x), rng)
        accuracies.append(evaluate_tutorial(model, test_x, n_classes).accuracy)

    return step, len(train_x)


def _classifier_step(corpus, train, test, params: dict, device: str, seed: int,
                     accuracies: list[float]):
    labels = corpus.label_index()
    n_classes = len(corpus.languages)
    vocab = Vocab.from_texts(name for name, _ in train)
    train_x = encode_examples(train, vocab, labels)
    test_x = encode_examples(test, vocab, labels)
    strategy, batch = params["strategy"], int(params["batch"])
    packed = strategy == "packed"
    model = CharClassifier(len(vocab), n_classes, cell=params["model"],
                           hidden_size=int(params["hidden"])).to(device)
    optimizer = make_optimizer(model, "adam", LEARNING_RATE)
    test_batches = [(ids.to(device), lengths, y.to(device)) for ids, lengths, y in
                    make_batches(test_x, "bucketed", 256, seed, shuffle=False)]
    epoch = 0

    def step() -> None:
        nonlocal epoch
        batches = [(ids.to(device), lengths, y.to(device)) for ids, lengths, y in
                   make_batches(train_x, strategy, batch, seed, epoch=epoch)]
        train_epoch(model, batches, optimizer, packed=packed)
        accuracies.append(evaluate(model, test_batches, n_classes, packed=True).accuracy)
        epoch += 1

    return step, len(train_x)


def build_train(params: dict, device: str, dtype: str, seed: int, context: dict) -> Prepared:
    if dtype != "fp32":
        raise ValueError("the train workload runs in fp32 only")
    corpus = load_names(params["data"])
    train, test = train_test_split(corpus.pairs, seed=seed)
    seed_everything(seed)
    accuracies: list[float] = []
    if params["model"] == "tutorial":
        step, examples = _tutorial_step(corpus, train, test, params, seed, accuracies)
    else:
        step, examples = _classifier_step(corpus, train, test, params, device, seed, accuracies)
    target = float(params["target_accuracy"])
    epochs = int(params["max_epochs"])

    def metrics(median_s: float) -> dict:
        reached = next((k + 1 for k, a in enumerate(accuracies) if a >= target), None)
        return {"time_per_epoch_s": median_s, "sequences_per_s": examples / median_s,
                "epochs": len(accuracies), "accuracy_curve": list(accuracies),
                "final_accuracy": accuracies[-1] if accuracies else None,
                "target_accuracy": target, "epochs_to_target": reached,
                "time_to_accuracy_s": reached * median_s if reached else None}

    # Exactly `epochs` epochs: one warm-up epoch, then epochs - 1 timed ones, whatever the noise.
    timing = {"warmup_fraction": 0.0, "min_samples": max(epochs - 1, 1),
              "max_samples": max(epochs - 1, 1), "target": 0.0, "budget_s": 1e9}
    return Prepared(step, metrics, {"verified": False, "why": "training run"}, timing)
