"""The batching workload: one epoch of a CharClassifier over variable-length sequences.

The same sequences and the same model go through five strategies:
  padded           batches in random order, each padded to its longest sequence
  packed           the same batches, run through pack_padded_sequence
  bucketed         rnnkit's BucketBatchSampler (similar lengths share a batch), padded
  bucketed+packed  the bucketed batches, packed
  ideal            equal-length batches holding the same number of tokens: the limit that no
                   strategy can beat (no padding, and one kernel call per batch)
The padded tensors are built before timing, as a DataLoader's workers would; packing happens
inside the model call and is timed, because it is part of what the packed strategy costs.
"""

from __future__ import annotations

import math
import random

import torch
import torch.nn.functional as F

from bench.report import batching as report
from bench.results import CaseChecks, CaseMetrics, CaseResult
from bench.workloads.base import (
    CELLS,
    Prepared,
    ReportPieces,
    VerificationError,
    Workload,
    autocast_for,
    fp32_only,
    whole_numbers,
)
from rnnkit.batching import BucketBatchSampler, pad_batch, padding_efficiency
from rnnkit.data.synthetic import synthetic_sequences
from rnnkit.models.classifier import CharClassifier

STRATEGIES = ("padded", "packed", "bucketed", "bucketed+packed", "ideal")
VOCAB_SIZE = 60  # about the size of the names alphabet plus padding and unknown
N_CLASSES = 18  # the names corpus has 18 languages
EMBED_DIM = 32
# Largest allowed difference between two strategies' per-sequence final states.
TOLERANCE = {"fp32": 1e-4, "fp16": 1e-2, "bf16": 5e-2}


def random_batches(n: int, batch_size: int, seed: int) -> list[list[int]]:
    order = list(range(n))
    random.Random(seed).shuffle(order)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def bucketed_batches(lengths: list[int], batch_size: int, seed: int) -> list[list[int]]:
    return BucketBatchSampler(lengths, batch_size=batch_size, seed=seed).batches()


def ideal_lengths(lengths: list[int], batch_sizes: list[int]) -> list[int]:
    """One length per batch, so that every batch is free of padding and the total token count
    matches `lengths` to within one batch's worth."""
    total = sum(lengths)
    base = total // len(lengths)
    extra = total - base * len(lengths)
    out = []
    for size in batch_sizes:
        grow = extra >= size
        extra -= size if grow else 0
        out.append(base + 1 if grow else base)
    return out


def _plan(strategy: str, seqs: list[torch.Tensor], batch_size: int, seed: int
          ) -> tuple[list[torch.Tensor], list[list[int]]]:
    """The sequences this strategy runs and its batches (lists of indices into them)."""
    lengths = [len(s) for s in seqs]
    if strategy in ("padded", "packed"):
        return seqs, random_batches(len(seqs), batch_size, seed)
    if strategy in ("bucketed", "bucketed+packed"):
        return seqs, bucketed_batches(lengths, batch_size, seed)
    if strategy == "ideal":
        sizes = [len(b) for b in random_batches(len(seqs), batch_size, seed)]
        gen = torch.Generator().manual_seed(seed + 1)
        ideal, batches = [], []
        for size, length in zip(sizes, ideal_lengths(lengths, sizes), strict=True):
            batches.append(list(range(len(ideal), len(ideal) + size)))
            ideal += list(torch.randint(2, VOCAB_SIZE, (size, length), generator=gen))
        return ideal, batches
    raise ValueError(f"unknown batching strategy {strategy!r} (known: {', '.join(STRATEGIES)})")


def _final_states(model: CharClassifier, seqs: list[torch.Tensor], batches: list[list[int]],
                  packed: bool, device: str, dtype: str) -> torch.Tensor:
    """Per-sequence final states [n, H] in the sequences' own order, whatever the batching."""
    out = torch.empty(len(seqs), model.head.in_features)
    with torch.inference_mode(), autocast_for(device, dtype):
        for batch in batches:
            ids, lengths = pad_batch([seqs[i] for i in batch])
            out[batch] = model.final_state(ids.to(device), lengths, packed=packed).float().cpu()
    return out


# Reference states of the latest groups of cases: the strategies (and both modes) of one group
# share sequences and weights, so each reference epoch is computed once, not once per case.
# Two entries: the padded strategy's reference (packed) and everyone else's (padded).
_reference_cache: dict[tuple, torch.Tensor] = {}
_REFERENCES_KEPT = 2


def _reference_states(model: CharClassifier, seqs: list[torch.Tensor], packed: bool,
                      batch_size: int, seed: int, device: str, dtype: str) -> torch.Tensor:
    weights = tuple(float(p.detach().double().sum()) for p in model.parameters())
    key = (len(seqs), sum(int(s.sum()) for s in seqs), weights, packed, batch_size, seed,
           device, dtype)
    if key not in _reference_cache:
        while len(_reference_cache) >= _REFERENCES_KEPT:
            _reference_cache.pop(next(iter(_reference_cache)))
        batches = random_batches(len(seqs), batch_size, seed)
        _reference_cache[key] = _final_states(model, seqs, batches, packed, device, dtype)
    return _reference_cache[key]


def _verify(model: CharClassifier, seqs: list[torch.Tensor], strategy: str,
            batches: list[list[int]], batch_size: int, seed: int, device: str,
            dtype: str) -> CaseChecks:
    """Check this strategy's per-sequence results against padded-and-gathered random batches
    (the padded strategy itself is checked against packing the same batches)."""
    if strategy == "ideal":
        return CaseChecks(verified=False, why="ideal runs its own equal-length sequences")
    packed = strategy.endswith("packed")
    reference_packed = strategy == "padded"
    got = _final_states(model, seqs, batches, packed, device, dtype)
    want = _reference_states(model, seqs, reference_packed, batch_size, seed, device, dtype)
    worst = float((got - want).abs().max())
    tolerance = TOLERANCE[dtype]
    reference = "packed random batches" if reference_packed else "padded random batches"
    if not math.isfinite(worst) or worst > tolerance:
        raise VerificationError(f"{strategy} differs from {reference} by {worst:.3g} "
                                f"(tolerance {tolerance:g}): the variants disagree")
    return CaseChecks(verified=True, against=reference, max_abs_diff=worst, tolerance=tolerance)


def build_batching(params: dict, device: str, dtype: str, seed: int,
                   context: dict | None = None) -> Prepared:
    strategy, mode = params["strategy"], params["mode"]
    batch_size = int(params["batch"])
    seqs = synthetic_sequences(params["dist"], int(params["n"]), VOCAB_SIZE, seed)
    torch.manual_seed(seed)
    model = CharClassifier(VOCAB_SIZE, N_CLASSES, cell=params["cell"],
                           hidden_size=int(params["hidden"]), embed_dim=EMBED_DIM,
                           num_layers=int(params.get("layers", 1))).to(device)
    run_seqs, batches = _plan(strategy, seqs, batch_size, seed)
    checks = _verify(model, run_seqs, strategy, batches, batch_size, seed, device, dtype)

    packed = strategy.endswith("packed") and strategy != "ideal"
    labels = torch.randint(0, N_CLASSES, (len(run_seqs),),
                           generator=torch.Generator().manual_seed(seed))
    prepared = []
    for batch in batches:
        ids, lengths = pad_batch([run_seqs[i] for i in batch])
        prepared.append((ids.to(device), lengths, labels[batch].to(device)))

    if mode == "inference":
        def step() -> None:
            with torch.inference_mode(), autocast_for(device, dtype):
                for ids, lengths, _ in prepared:
                    model(ids, lengths, packed=packed)
    elif mode == "training":
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01)

        def step() -> None:
            for ids, lengths, y in prepared:
                optimizer.zero_grad(set_to_none=True)
                with autocast_for(device, dtype):
                    loss = F.cross_entropy(model(ids, lengths, packed=packed), y)
                loss.backward()
                optimizer.step()
    else:
        raise ValueError(f"unknown mode {mode!r} (inference or training)")

    batch_lengths = [[len(run_seqs[i]) for i in b] for b in batches]
    real_tokens = sum(map(sum, batch_lengths))
    efficiency = 1.0 if packed else padding_efficiency(batch_lengths)

    def metrics(median_s: float) -> CaseMetrics:
        return CaseMetrics(tokens_per_s=real_tokens / median_s,
                           sequences_per_s=len(run_seqs) / median_s,
                           time_per_epoch_s=median_s,
                           padding_efficiency=efficiency,
                           real_tokens=real_tokens,
                           computed_tokens=round(real_tokens / efficiency),
                           batches=len(batches))

    return Prepared(step, metrics, checks)


def add_relative_metrics(cases: list[CaseResult]) -> None:
    """Speed-up over `padded` and fraction of `ideal`, among cases that differ only in strategy.

    Uses tokens/s, since ideal's token count may differ from the others' by a few tokens.
    """
    groups: dict[tuple, dict[str, CaseResult]] = {}
    for case in cases:
        if case.workload != "batching" or case.status != "ok" or not case.metrics.tokens_per_s:
            continue
        rest = {k: v for k, v in case.params.items() if k != "strategy"}
        key = (case.device, case.dtype, tuple(sorted(rest.items())))
        groups.setdefault(key, {})[case.param("strategy")] = case
    for members in groups.values():
        padded, ideal = members.get("padded"), members.get("ideal")
        for case in members.values():
            rate = case.metrics.tokens_per_s
            if padded:
                case.metrics.speedup_vs_padded = rate / padded.metrics.tokens_per_s
            if ideal:
                case.metrics.fraction_of_ideal = rate / ideal.metrics.tokens_per_s


def _or_nan(value: float | None) -> float:
    return math.nan if value is None else value


def headline(case: CaseResult) -> str | None:
    """Each strategy against padded and ideal; padded itself is the baseline, not a line."""
    m, p = case.metrics, case.params
    if p["strategy"] == "padded":
        return None
    return (f"{p['dist']:<9} {p['cell']} {p['mode']:<9} {p['strategy']:<15} "
            f"{_or_nan(m.tokens_per_s):>10.0f} tok/s  "
            f"x{_or_nan(m.speedup_vs_padded):.2f} vs padded  "
            f"{_or_nan(m.fraction_of_ideal):.2f} of ideal")


WORKLOAD = Workload(
    name="batching",
    build=build_batching,
    id_keys=("dist", "cell", "mode", "strategy", "batch", "hidden", "layers", "n"),
    defaults={"layers": 1, "batch": 64, "hidden": 256, "n": 1024},
    choices={"cell": CELLS, "strategy": STRATEGIES, "mode": ("inference", "training")},
    validate=whole_numbers("batch", "hidden", "layers", "n"),
    default_dtypes=fp32_only,
    cell_key="cell",
    after_cases=add_relative_metrics,
    headline=headline,
    report=ReportPieces(section="Batching: padded, packed, bucketed",
                        tables=(report.batching_table,), charts=(report.batching_charts,),
                        findings=(report.batching_findings,)),
)
