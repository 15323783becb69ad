"""`rnnbench train names`: train a name classifier and report speed and test accuracy per epoch."""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

from bench.commands import UserError

MODELS = ("tutorial", "rnn", "gru", "lstm")
BATCHINGS = ("padded", "packed", "bucketed")
# The rnnkit classifier's settings (those of the tutorial-vs-rnnkit comparison).
HIDDEN, EMBED, LEARNING_RATE, BATCH_SIZE = 256, 64, 0.005, 64


def train_names_command(data: Path | None, model: str, epochs: int, batching: str, seed: int,
                        json_out: bool, threads: int | None = None) -> int:
    _check_arguments(data, model, epochs, batching)
    import torch

    if threads:
        torch.set_num_threads(threads)
    from rnnkit.data.errors import CorpusError
    from rnnkit.data.names import load_names, train_test_split

    try:
        corpus = load_names(data)
    except CorpusError as exc:
        raise UserError(str(exc), 2) from None
    train_pairs, test_pairs = train_test_split(corpus.pairs, 0.15, seed=seed)
    if corpus.skipped:
        print(f"skipped {corpus.skipped} blank or non-Latin lines", file=sys.stderr)
    trainer = _TutorialTrainer if model == "tutorial" else _BatchedTrainer
    run = trainer(corpus.languages, train_pairs, test_pairs, model, batching, seed)

    rows = []
    if not json_out:
        print(f"{model} on {len(train_pairs)} training / {len(test_pairs)} test names "
              f"({len(corpus.languages)} languages), {run.describe()}")
        print(f"{'epoch':>5} {'train s':>8} {'names/s':>9} {'loss':>7} {'test acc':>9}", flush=True)
    for epoch in range(1, epochs + 1):
        stats, evaluation = run.epoch(epoch)
        row = {"epoch": epoch, "train_seconds": round(stats.seconds, 3),
               "names_per_s": round(stats.examples / stats.seconds, 1),
               "loss": round(stats.loss, 4), "test_accuracy": round(evaluation.accuracy, 4)}
        rows.append(row)
        if not json_out:
            print(f"{epoch:>5} {row['train_seconds']:>8.2f} {row['names_per_s']:>9.0f} "
                  f"{row['loss']:>7.3f} {row['test_accuracy']:>9.3f}", flush=True)
    if json_out:
        print(json.dumps({"model": model, "batching": run.batching, "seed": seed,
                          "threads": torch.get_num_threads(),
                          "train_names": len(train_pairs), "test_names": len(test_pairs),
                          "skipped_lines": corpus.skipped, "epochs": rows,
                          "final": evaluation.to_dict(corpus.languages)}, indent=2))
    else:
        _print_per_class(evaluation, corpus.languages)
    return 0


def _check_arguments(data: Path | None, model: str, epochs: int, batching: str) -> None:
    if data is None:
        raise UserError("no names corpus given: get it with `rnnbench data fetch names` "
                        "(it lands in data/names), then pass --data data/names", 2)
    if model not in MODELS:
        raise UserError(f"unknown model {model!r}: choose one of {', '.join(MODELS)}", 2)
    if batching not in BATCHINGS:
        raise UserError(f"unknown batching {batching!r}: choose one of {', '.join(BATCHINGS)}", 2)
    if epochs < 1:
        raise UserError(f"--epochs must be at least 1, got {epochs}", 2)


def _print_per_class(evaluation, languages: list[str]) -> None:
    print("\nper-language test accuracy:")
    for language, accuracy in zip(languages, evaluation.per_class_accuracy, strict=True):
        shown = "  (no test names)" if accuracy is None else f"{accuracy:6.3f}"
        print(f"  {language:<12} {shown}")


class _TutorialTrainer:
    """The tutorial's model; an epoch is as many random single-name steps as training names."""

    batching = "none (one name at a time)"

    def __init__(self, languages, train_pairs, test_pairs, model, batching, seed) -> None:
        from rnnkit.models.tutorial import TutorialRNN
        from rnnkit.training import seed_everything, tutorial_examples

        seed_everything(seed)
        labels = {language: k for k, language in enumerate(languages)}
        self.n_classes = len(languages)
        self.model = TutorialRNN(self.n_classes)
        self.train = tutorial_examples(train_pairs, labels)
        self.test = tutorial_examples(test_pairs, labels)
        self.rng = random.Random(seed)

    def describe(self) -> str:
        return "one random name per step, manual SGD lr 0.005"

    def epoch(self, number: int):
        from rnnkit.progress import Progress
        from rnnkit.training import evaluate_tutorial, train_tutorial

        progress = Progress(len(self.train), f"epoch {number}")
        stats = train_tutorial(self.model, self.train, len(self.train), self.rng,
                               progress=progress)
        progress.close()
        return stats, evaluate_tutorial(self.model, self.test, self.n_classes)


class _BatchedTrainer:
    """An rnnkit CharClassifier trained with Adam on padded, packed or bucketed batches."""

    def __init__(self, languages, train_pairs, test_pairs, model, batching, seed) -> None:
        import torch

        from rnnkit.encoding import ALL_LETTERS, Vocab
        from rnnkit.models.classifier import CharClassifier
        from rnnkit.training import encode_examples, make_batches, seed_everything

        seed_everything(seed)
        labels = {language: k for k, language in enumerate(languages)}
        vocab = Vocab(ALL_LETTERS)
        self.n_classes = len(languages)
        self.batching, self.seed = batching, seed
        self.model = CharClassifier(len(vocab), self.n_classes, cell=model, hidden_size=HIDDEN,
                                    embed_dim=EMBED)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=LEARNING_RATE)
        self.train = encode_examples(train_pairs, vocab, labels)
        self.test = make_batches(encode_examples(test_pairs, vocab, labels), "bucketed", 512,
                                 seed=0, shuffle=False)

    def describe(self) -> str:
        return (f"{self.batching} batches of {BATCH_SIZE}, hidden {HIDDEN}, "
                f"Adam lr {LEARNING_RATE}")

    def epoch(self, number: int):
        import time

        from rnnkit.progress import Progress
        from rnnkit.training import evaluate, make_batches, train_epoch

        start = time.perf_counter()
        batches = make_batches(self.train, self.batching, BATCH_SIZE, self.seed, number)
        collate_seconds = time.perf_counter() - start
        progress = Progress(len(self.train), f"epoch {number}")
        stats = train_epoch(self.model, batches, self.optimizer,
                            packed=self.batching == "packed", progress=progress)
        progress.close()
        stats.seconds += collate_seconds  # making the batches is part of the training cost
        return stats, evaluate(self.model, self.test, self.n_classes)
