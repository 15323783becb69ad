"""The train workload: time-to-accuracy on the real names corpus (`--data FOLDER`).

One step is one training epoch followed by an evaluation of the test split (the accuracy curve
is what this workload is for, so the evaluation is part of the epoch; it costs a small fraction
of it). The time to reach the target accuracy is the number of epochs it took times the median
epoch time; the final accuracy is the one after the last epoch.

Models: the PyTorch tutorial's RNN (one name per step, hand-written SGD; strategy `single`) and
rnnkit's CharClassifier (rnn/gru/lstm) under padded, packed and bucketed batching.
"""

from __future__ import annotations

from bench.results import CaseChecks, CaseMetrics
from bench.workloads.base import (
    Prepared,
    Workload,
    check_whole_numbers,
    fp32_only,
)
from rnnkit.data.names import load_names, train_test_split
from rnnkit.encoding import Vocab
from rnnkit.trainers import ClassifierSettings, ClassifierTrainer, TutorialTrainer

LEARNING_RATE = 0.005  # Adam, for the batched classifiers


def _trainer(corpus, train, test, params: dict, device: str,
             seed: int) -> TutorialTrainer | ClassifierTrainer:
    if params["model"] == "tutorial":
        return TutorialTrainer(corpus.languages, train, test, seed,
                               hidden_size=int(params["hidden"]))
    settings = ClassifierSettings(cell=params["model"], batching=params["strategy"],
                                  batch_size=int(params["batch"]),
                                  hidden_size=int(params["hidden"]),
                                  learning_rate=LEARNING_RATE, eval_batch_size=256,
                                  eval_packed=True)
    vocab = Vocab.from_texts(name for name, _ in train)
    return ClassifierTrainer(corpus.languages, train, test, vocab, settings, seed, device)


def build_train(params: dict, device: str, dtype: str, seed: int, context: dict) -> Prepared:
    if dtype != "fp32":
        raise ValueError("the train workload runs in fp32 only")
    corpus = load_names(params["data"])
    train, test = train_test_split(corpus.pairs, seed=seed)
    trainer = _trainer(corpus, train, test, params, device, seed)  # seeds torch, numpy, random
    examples = len(trainer.train)
    accuracies: list[float] = []
    epoch = 0

    def step() -> None:
        nonlocal epoch
        _, evaluation = trainer.epoch(epoch)
        accuracies.append(evaluation.accuracy)
        epoch += 1

    target = float(params["target_accuracy"])
    epochs = int(params["max_epochs"])

    def metrics(median_s: float) -> CaseMetrics:
        reached = next((k + 1 for k, a in enumerate(accuracies) if a >= target), None)
        return CaseMetrics(time_per_epoch_s=median_s, sequences_per_s=examples / median_s,
                           epochs=len(accuracies), accuracy_curve=list(accuracies),
                           final_accuracy=accuracies[-1] if accuracies else None,
                           target_accuracy=target, epochs_to_target=reached,
                           time_to_accuracy_s=reached * median_s if reached else None)

    # Exactly `epochs` epochs: one warm-up epoch, then epochs - 1 timed ones, whatever the noise.
    timing = {"warmup_fraction": 0.0, "min_samples": max(epochs - 1, 1),
              "max_samples": max(epochs - 1, 1), "target": 0.0, "budget_s": 1e9}
    return Prepared(step, metrics, CaseChecks(verified=False, why="training run"), timing)


def validate_train(params: dict) -> None:
    """Counts are whole numbers (max_epochs >= 1: 0 used to train 2); the target a fraction."""
    check_whole_numbers(params, ("batch", "hidden", "max_epochs"))
    target = params.get("target_accuracy")
    if isinstance(target, bool) or not isinstance(target, (int, float)) or not 0 <= target <= 1:
        raise ValueError(f"target_accuracy = {target!r} must be a fraction from 0 to 1")


WORKLOAD = Workload(
    name="train",
    build=build_train,
    id_keys=("model", "strategy", "batch", "hidden", "target_accuracy", "max_epochs"),
    defaults={"batch": 64, "hidden": 128, "target_accuracy": 0.7, "max_epochs": 10},
    choices={"strategy": ("single", "padded", "packed", "bucketed"),
             "model": ("tutorial", "rnn", "gru", "lstm")},
    validate=validate_train,
    default_dtypes=fp32_only,
    cell_key="model",
    requires_data=True,
    report="train",
)
