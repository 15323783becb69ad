"""The seed comparison: the PyTorch names tutorial's RNN vs an rnnkit CharClassifier.

For each seed, the tutorial model trains its classic 100,000 single-name steps (random class,
then a random name of it; manual SGD, lr 0.005) and its final test accuracy and training wall
time are recorded. Then a CharClassifier (GRU by default) trains on bucketed batches with Adam.
It is evaluated on the test split every few batches; the clock stops while it is evaluated, so
"time to match" is training time only. Because accuracy is only checked at those points, the
recorded time to match is an upper bound on the true one. One throwaway Adam step runs before
the clock starts: torch imports its compiler machinery on an optimizer's first step (about a
second here), a one-off cost of the process, not of training.

Both use the same 85/15 split (split seed 0) of the real corpus, and the same torch thread count.

    python scripts/tutorial_vs_rnnkit.py --data ../shared/data/names [--seeds 0 1 2] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time

import torch

from rnnkit.data.errors import CorpusError
from rnnkit.data.names import load_names, train_test_split
from rnnkit.encoding import ALL_LETTERS, Vocab
from rnnkit.models.classifier import CharClassifier
from rnnkit.models.tutorial import TutorialRNN
from rnnkit.progress import Progress
from rnnkit.training import (
    encode_examples,
    evaluate,
    evaluate_tutorial,
    make_batches,
    seed_everything,
    train_tutorial,
    tutorial_examples,
)

SPLIT_SEED = 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", required=True, help="names folder (<Language>.txt files)")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.add_argument("--tutorial-steps", type=int, default=100_000)
    p.add_argument("--tutorial-results", metavar="JSON",
                   help="take the tutorial figures from an earlier --json run of this script "
                   "(same seeds and steps) instead of training it again")
    p.add_argument("--save-tutorial", metavar="JSON",
                   help="also write the tutorial figures here as soon as they are known")
    p.add_argument("--cell", default="gru", choices=["gru", "lstm"])
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--embed", type=int, default=64)
    p.add_argument("--layers", type=int, default=1)
    p.add_argument("--dropout", type=float, default=0.0)
    p.add_argument("--lr", type=float, default=0.005)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--epochs", type=int, default=8)
    p.add_argument("--threads", type=int, default=None,
                   help="torch threads for both models (default: torch's choice)")
    p.add_argument("--eval-every", type=int, default=5, help="batches between evaluations")
    return p.parse_args(argv)


def reuse_tutorial(path: str, seeds: list[int], steps: int) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        earlier = json.load(f)
    if earlier["config"]["tutorial_steps"] != steps:
        raise SystemExit(f"{path} trained the tutorial for {earlier['config']['tutorial_steps']} "
                         f"steps, not {steps}")
    by_seed = {r["seed"]: r for r in earlier["tutorial"]}
    missing = [s for s in seeds if s not in by_seed]
    if missing:
        raise SystemExit(f"{path} has no tutorial run for seeds {missing}")
    return [by_seed[s] for s in seeds]


def run_tutorial(train, test, n_classes: int, steps: int, seed: int) -> dict:
    seed_everything(seed)
    model = TutorialRNN(n_classes)
    progress = Progress(steps, f"tutorial seed {seed}")
    stats = train_tutorial(model, train, steps, random.Random(seed), progress=progress)
    progress.close()
    accuracy = evaluate_tutorial(model, test, n_classes).accuracy
    note = f", diverged (NaN loss) at step {stats.diverged_at}" if stats.diverged_at else ""
    print(f"tutorial seed {seed}: test accuracy {accuracy:.4f} after {stats.seconds:.1f}s{note}",
          file=sys.stderr)
    return {"seed": seed, "accuracy": accuracy, "train_seconds": stats.seconds,
            "diverged_at_step": stats.diverged_at}


def warm_up(train, vocab_size: int, n_classes: int, args: argparse.Namespace) -> None:
    model = CharClassifier(vocab_size, n_classes, cell=args.cell, hidden_size=args.hidden,
                           embed_dim=args.embed, num_layers=args.layers)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    ids, lengths, labels = make_batches(train[:args.batch_size], "padded", args.batch_size, 0)[0]
    torch.nn.functional.cross_entropy(model(ids, lengths), labels).backward()
    optimizer.step()


def run_rnnkit(train, test_batches, n_classes: int, vocab_size: int,
               targets: dict[str, float], seed: int, args: argparse.Namespace) -> dict:
    """Train with the clock running only around training; note when each target is reached."""
    seed_everything(seed)
    model = CharClassifier(vocab_size, n_classes, cell=args.cell, hidden_size=args.hidden,
                           embed_dim=args.embed, num_layers=args.layers, dropout=args.dropout)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    trained_s, best, curve = 0.0, 0.0, []
    reached: dict[str, float | None] = dict.fromkeys(targets)
    for epoch in range(args.epochs):
        tick = time.perf_counter()
        batches = make_batches(train, "bucketed", args.batch_size, seed, epoch)
        trained_s += time.perf_counter() - tick
        for k, (ids, lengths, labels) in enumerate(batches, start=1):
            tick = time.perf_counter()
            model.train()
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(ids, lengths), labels)
            loss.backward()
            optimizer.step()
            trained_s += time.perf_counter() - tick
            if k % args.eval_every and k != len(batches):
                continue
            accuracy = evaluate(model, test_batches, n_classes).accuracy
            curve.append((trained_s, accuracy))
            best = max(best, accuracy)
            for name, target in targets.items():
                if reached[name] is None and accuracy >= target:
                    reached[name] = trained_s
        print(f"rnnkit seed {seed} epoch {epoch + 1}: {trained_s:.1f}s trained, "
              f"best {best:.3f}", file=sys.stderr)
    return {"seed": seed, "seconds_to_reach": reached, "best_accuracy": best,
            "train_seconds": trained_s, "curve": curve}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        corpus = load_names(args.data)
    except CorpusError as exc:
        print(f"tutorial_vs_rnnkit: error: {exc}", file=sys.stderr)
        return 2
    n_classes = len(corpus.languages)
    labels = corpus.label_index()
    train_pairs, test_pairs = train_test_split(corpus.pairs, 0.15, seed=SPLIT_SEED)

    if args.tutorial_results:
        tutorial = reuse_tutorial(args.tutorial_results, args.seeds, args.tutorial_steps)
    else:
        tut_train = tutorial_examples(train_pairs, labels)
        tut_test = tutorial_examples(test_pairs, labels)
        tutorial = [run_tutorial(tut_train, tut_test, n_classes, args.tutorial_steps, seed)
                    for seed in args.seeds]
    if args.save_tutorial:
        with open(args.save_tutorial, "w", encoding="utf-8") as f:
            json.dump({"config": {"tutorial_steps": args.tutorial_steps}, "tutorial": tutorial}, f)
    # "mean" is the criterion. A seed whose training blew up (NaN) drags the mean down,
    # so the stricter "best_seed" target (the best tutorial seed's accuracy) is reported too.
    targets = {"mean": statistics.mean(r["accuracy"] for r in tutorial),
               "best_seed": max(r["accuracy"] for r in tutorial)}

    vocab = Vocab(ALL_LETTERS)
    train = encode_examples(train_pairs, vocab, labels)
    test_batches = make_batches(encode_examples(test_pairs, vocab, labels), "bucketed", 512,
                                seed=0, shuffle=False)
    warm_up(train, len(vocab), n_classes, args)
    rnnkit = [run_rnnkit(train, test_batches, n_classes, len(vocab), targets, seed, args)
              for seed in args.seeds]

    config = {k: v for k, v in vars(args).items() if k not in ("json", "data", "seeds")}
    document = {"targets": targets, "torch_threads": torch.get_num_threads(),
                "train_names": len(train_pairs), "test_names": len(test_pairs),
                "config": config, "tutorial": tutorial, "rnnkit": rnnkit}
    if args.json:
        print(json.dumps(document, indent=2))
    else:
        print(markdown_table(tutorial, rnnkit, targets))
    return 0


def _speedup(tutorial_s: float, rnnkit_s: float | None) -> str:
    return f"{tutorial_s / rnnkit_s:.0f}x" if rnnkit_s else "not reached"


def _seconds(value: float | None) -> str:
    return f"{value:.2f}" if value is not None else "-"


def markdown_table(tutorial: list[dict], rnnkit: list[dict], targets: dict[str, float]) -> str:
    rows = ["| seed | tutorial acc | tutorial time (s) | rnnkit time to mean acc (s) | speed-up "
            "| rnnkit time to best seed's acc (s) | speed-up | rnnkit best acc |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for tut, kit in zip(tutorial, rnnkit, strict=True):
        to_mean, to_best = kit["seconds_to_reach"]["mean"], kit["seconds_to_reach"]["best_seed"]
        diverged = " (NaN)" if tut.get("diverged_at_step") else ""
        rows.append(f"| {tut['seed']} | {tut['accuracy']:.3f}{diverged} "
                    f"| {tut['train_seconds']:.1f} | {_seconds(to_mean)} "
                    f"| {_speedup(tut['train_seconds'], to_mean)} | {_seconds(to_best)} "
                    f"| {_speedup(tut['train_seconds'], to_best)} | {kit['best_accuracy']:.3f} |")
    best = statistics.mean(k["best_accuracy"] for k in rnnkit)
    rows.append(f"\nTutorial mean final accuracy {targets['mean']:.3f}, best seed "
                f"{targets['best_seed']:.3f}; rnnkit mean best accuracy {best:.3f} "
                f"(+{100 * (best - targets['mean']):.1f} points over the mean, "
                f"+{100 * (best - targets['best_seed']):.1f} over the best seed).")
    for tut in tutorial:
        if tut.get("diverged_at_step"):
            rows.append(f"Tutorial seed {tut['seed']} diverged: its loss became NaN at step "
                        f"{tut['diverged_at_step']} (linear hidden update, no gradient clipping).")
    rows.append("Speed-up = tutorial training time / rnnkit training time to reach that "
                "accuracy (evaluation excluded; checked every --eval-every batches).")
    return "\n".join(rows)


if __name__ == "__main__":
    sys.exit(main())
