"""`rnnbench train names`: train a name classifier and report speed and test accuracy per epoch."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from provision.text import printable
from rnnbench.commands import UserError
from rnnkit.data.names import MAX_LENGTH
from rnnkit.seeds import seed_problem
from rnnkit.threads import threads_problem

MODELS = ("tutorial", "rnn", "gru", "lstm")
BATCHINGS = ("padded", "packed", "bucketed")
# The rnnkit classifier's settings (those of the tutorial-vs-rnnkit comparison).
HIDDEN, EMBED, LEARNING_RATE, BATCH_SIZE = 256, 64, 0.005, 64


def train_names_command(data: Path | None, model: str, epochs: int, batching: str, seed: int,
                        json_out: bool, threads: int | None = None,
                        max_length: int = MAX_LENGTH) -> int:
    _check_arguments(data, model, epochs, batching, threads, max_length)
    problem = seed_problem(seed)
    if problem:
        raise UserError(f"--seed {problem}", 2)
    import torch

    if threads:
        torch.set_num_threads(threads)
    from rnnkit.data.errors import CorpusError
    from rnnkit.data.names import load_names, train_test_split

    try:
        corpus = load_names(data, max_length)
    except CorpusError as exc:
        raise UserError(str(exc), 2) from None
    train_pairs, test_pairs = train_test_split(corpus.pairs, 0.15, seed=seed)
    if not train_pairs or not test_pairs:
        raise UserError(f"the corpus in {data} is too small to split: {len(corpus.pairs)} names "
                        f"give {len(train_pairs)} for training and {len(test_pairs)} for "
                        "testing, and each needs at least one", 2)
    if corpus.skipped:
        print(f"skipped {corpus.skipped} blank or non-Latin lines", file=sys.stderr)
    if corpus.too_long:
        print(f"skipped {corpus.too_long} names longer than {max_length} characters "
              "(--max-length)", file=sys.stderr)
    run, shown_batching, description = _trainer(corpus.languages, train_pairs, test_pairs, model,
                                                batching, seed)

    rows = []
    if not json_out:
        print(f"{model} on {len(train_pairs)} training / {len(test_pairs)} test names "
              f"({len(corpus.languages)} languages), {description}")
        print(f"{'epoch':>5} {'train s':>8} {'names/s':>9} {'loss':>7} {'test acc':>9}", flush=True)
    from rnnkit.progress import Progress

    for epoch in range(1, epochs + 1):
        progress = Progress(len(run.train), f"epoch {epoch}")
        stats, evaluation = run.epoch(epoch, progress)
        progress.close()
        row = {"epoch": epoch, "train_seconds": round(stats.seconds, 3),
               "names_per_s": round(stats.examples / stats.seconds, 1),
               "loss": round(stats.loss, 4), "test_accuracy": round(evaluation.accuracy, 4)}
        rows.append(row)
        if not json_out:
            print(f"{epoch:>5} {row['train_seconds']:>8.2f} {row['names_per_s']:>9.0f} "
                  f"{row['loss']:>7.3f} {row['test_accuracy']:>9.3f}", flush=True)
    if json_out:
        print(json.dumps({"model": model, "batching": shown_batching, "seed": seed,
                          "threads": torch.get_num_threads(),
                          "train_names": len(train_pairs), "test_names": len(test_pairs),
                          "skipped_lines": corpus.skipped,
                          "too_long_names": corpus.too_long, "epochs": rows,
                          "final": evaluation.to_dict(corpus.languages)}, indent=2))
    else:
        _print_per_class(evaluation, corpus.languages)
    return 0


def _check_arguments(data: Path | None, model: str, epochs: int, batching: str,
                     threads: int | None, max_length: int) -> None:
    if data is None:
        raise UserError("no names corpus given: get it with `rnnbench data fetch names` "
                        "(it lands in data/names), then pass --data data/names", 2)
    if model not in MODELS:
        raise UserError(f"unknown model {model!r}: choose one of {', '.join(MODELS)}", 2)
    if batching not in BATCHINGS:
        raise UserError(f"unknown batching {batching!r}: choose one of {', '.join(BATCHINGS)}", 2)
    if epochs < 1:
        raise UserError(f"--epochs must be at least 1, got {epochs}", 2)
    if max_length < 1:
        raise UserError(f"--max-length must be at least 1, got {max_length}", 2)
    problem = threads_problem(threads) if threads is not None else None
    if problem:
        raise UserError(f"--threads {problem}", 2)


def _print_per_class(evaluation, languages: list[str]) -> None:
    print("\nper-language test accuracy:")
    for language, accuracy in zip(languages, evaluation.per_class_accuracy, strict=True):
        shown = "  (no test names)" if accuracy is None else f"{accuracy:6.3f}"
        print(f"  {printable(language, keep_newlines=False):<12} {shown}")


def _trainer(languages: list[str], train_pairs: list, test_pairs: list, model: str,
             batching: str, seed: int):
    """The trainer for `model`, the batching to report and a one-line description of it."""
    from rnnkit.trainers import ClassifierSettings, ClassifierTrainer, TutorialTrainer

    if model == "tutorial":
        return (TutorialTrainer(languages, train_pairs, test_pairs, seed),
                "none (one name at a time)", "one random name per step, manual SGD lr 0.005")
    from rnnkit.encoding import ALL_LETTERS, Vocab

    settings = ClassifierSettings(cell=model, batching=batching, batch_size=BATCH_SIZE,
                                  hidden_size=HIDDEN, embed_dim=EMBED,
                                  learning_rate=LEARNING_RATE, eval_batch_size=512)
    trainer = ClassifierTrainer(languages, train_pairs, test_pairs, Vocab(ALL_LETTERS), settings,
                                seed)
    return (trainer, batching,
            f"{batching} batches of {BATCH_SIZE}, hidden {HIDDEN}, Adam lr {LEARNING_RATE}")
