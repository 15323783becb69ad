"""The batching workload: one epoch of a CharClassifier over variable-length sequences.

The same sequences and the same model go through these strategies:
  padded           batches of `batch` in random order, each padded to its longest sequence
  packed           the same batches, run through pack_padded_sequence
  bucketed         rnnkit's BucketBatchSampler (similar lengths share a batch of `batch`), padded
  bucketed+packed  the bucketed batches, packed
  budget           BucketBatchSampler with a token budget: batches of at most `max_tokens`
                   padded tokens (as fairseq, ESPnet and Lhotse batch), cut where padding plus
                   a per-call charge is least (rnnkit.batching.budget_cut), padded
  budget+packed    the budget batches, packed
  ideal            random-order batches of `batch`, every sequence at the mean length: a
                   reference at one batch size, not a bound (a token budget can beat it)
and, to split every gap, the limits and the per-call cost:
  <s>-limit        strategy s's own batches (same sizes, same order) with the padding removed:
                   each batch's sequences at its rounded mean length, so the token count stays
  calls            64 calls on one sequence of length 1: what one model call costs beyond its
                   tokens
The sequences come from a named synthetic distribution (`dist`) or, with dist = "data", from
the user's lengths (`source`, a rnnkit.data.lengths.LengthSource spec), sampled to `n`.
`denormals` = "flush" runs the step under torch.set_flush_denormal(True): gradients through
long sequences become denormal numbers, on which a CPU's backward pass can crawl.
The model's weights (embedding, recurrent layers, head) are in the case's precision, so a bf16 case
computes in bf16 (no autocast, which runs cuDNN's RNNs in fp16 when asked for bf16); training
takes the loss in fp32 and updates the weights in their own precision with plain SGD.
The padded tensors are built before timing, as a DataLoader's workers would; packing happens
inside the model call and is timed, because it is part of what the packed strategy costs.
"""

from __future__ import annotations

import functools
import math
import random
from collections.abc import Callable

import torch
import torch.nn.functional as F

from bench.relative import fraction_with_ci
from bench.report.fields import fmt_fraction_ci
from bench.results import CaseChecks, CaseMetrics, CaseResult
from bench.stats import Interval
from bench.workloads.base import (
    CELLS,
    VERIFIED_ELSEWHERE,
    Prepared,
    VerificationError,
    Workload,
    check_whole_numbers,
    fp32_only,
    in_precision,
    verifies,
)
from rnnkit.batching import BucketBatchSampler, pad_batch, padding_efficiency
from rnnkit.data.lengths import LengthSource, load_lengths, sample_lengths_of
from rnnkit.data.synthetic import sequences_for_lengths, synthetic_sequences
from rnnkit.models.classifier import CharClassifier

RUN_STRATEGIES = ("padded", "packed", "bucketed", "bucketed+packed", "budget", "budget+packed")
LIMITS = {"padded-limit": "padded", "bucketed-limit": "bucketed", "budget-limit": "budget"}
STRATEGIES = (*RUN_STRATEGIES, "ideal", *LIMITS, "calls")
BUDGETED = ("budget", "budget+packed", "budget-limit")  # sized by max_tokens, not batch
DEFAULT_BATCH = 64
DEFAULT_MAX_TOKENS = 2048
CALLS = 64  # model calls of the per-call-cost case
DATA = "data"  # the `dist` of the user's own lengths
SEEDS_FOR_SPREAD = 5  # seeds over which a case's padding efficiency is given as a range
VOCAB_SIZE = 60  # about the size of the names alphabet plus padding and unknown
N_CLASSES = 18  # the names corpus has 18 languages
EMBED_DIM = 32
LEARNING_RATE = 0.01  # plain SGD in training mode
# Largest allowed difference between two strategies' per-sequence final states.
TOLERANCE = {"fp32": 1e-4, "fp16": 1e-2, "bf16": 5e-2}


def random_batches(n: int, batch_size: int, seed: int) -> list[list[int]]:
    order = list(range(n))
    random.Random(seed).shuffle(order)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def bucketed_batches(lengths: list[int], batch_size: int, seed: int) -> list[list[int]]:
    return BucketBatchSampler(lengths, batch_size=batch_size, seed=seed).batches()


def budget_batches(lengths: list[int], max_tokens: int, seed: int) -> list[list[int]]:
    return BucketBatchSampler(lengths, max_tokens=max_tokens, seed=seed).batches()


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


def limit_lengths(batch_lengths: list[list[int]]) -> list[int]:
    """Each batch's rounded mean length: the same batch without its padding (its token count
    moves by less than half a token per sequence)."""
    return [max(1, round(sum(b) / len(b))) for b in batch_lengths]


def base_strategy(strategy: str) -> str:
    """The batching a strategy runs (its packed or limit variants share it)."""
    if strategy == "packed":
        return "padded"
    return LIMITS.get(strategy, strategy.removesuffix("+packed"))


def strategy_batches(strategy: str, lengths: list[int], batch_size: int, max_tokens: int,
                     seed: int) -> list[list[int]]:
    """The batches (indices into `lengths`) that a padded or packed strategy runs."""
    base = base_strategy(strategy)
    if base == "padded":
        return random_batches(len(lengths), batch_size, seed)
    if base == "bucketed":
        return bucketed_batches(lengths, batch_size, seed)
    if base == "budget":
        return budget_batches(lengths, max_tokens, seed)
    raise ValueError(f"unknown batching strategy {strategy!r} (known: {', '.join(STRATEGIES)})")


def _equal_length_sequences(sizes: list[int], lengths: list[int], seed: int
                            ) -> tuple[list[torch.Tensor], list[list[int]]]:
    """Batches of the given sizes, the k-th all of length lengths[k], random ids."""
    gen = torch.Generator().manual_seed(seed + 1)
    seqs: list[torch.Tensor] = []
    batches = []
    for size, length in zip(sizes, lengths, strict=True):
        batches.append(list(range(len(seqs), len(seqs) + size)))
        seqs += list(torch.randint(2, VOCAB_SIZE, (size, length), generator=gen))
    return seqs, batches


def _plan(strategy: str, seqs: list[torch.Tensor], batch_size: int, seed: int,
          max_tokens: int = 2048) -> tuple[list[torch.Tensor], list[list[int]]]:
    """The sequences this strategy runs and its batches (lists of indices into them)."""
    lengths = [len(s) for s in seqs]
    if strategy == "ideal":
        sizes = [len(b) for b in random_batches(len(seqs), batch_size, seed)]
        return _equal_length_sequences(sizes, ideal_lengths(lengths, sizes), seed)
    if strategy == "calls":
        return _equal_length_sequences([1] * CALLS, [1] * CALLS, seed)
    batches = strategy_batches(strategy, lengths, batch_size, max_tokens, seed)
    if strategy in LIMITS:
        own = [[lengths[i] for i in b] for b in batches]
        return _equal_length_sequences([len(b) for b in batches], limit_lengths(own), seed)
    return seqs, batches


def _final_states(model: CharClassifier, seqs: list[torch.Tensor], batches: list[list[int]],
                  packed: bool, device: str, dtype: str) -> torch.Tensor:
    """Per-sequence final states [n, H] in the sequences' own order, whatever the batching."""
    out = torch.empty(len(seqs), model.head.in_features)
    with torch.inference_mode():
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
    if strategy == "ideal" or strategy in LIMITS or strategy == "calls":
        return CaseChecks(verified=False, why=f"{strategy} runs its own equal-length sequences")
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


@functools.lru_cache(maxsize=4)
def _source_lengths(spec: str) -> tuple[int, ...]:
    """The user's lengths, read once per process (every case of a run shares them)."""
    return tuple(load_lengths(LengthSource.parse(spec)).lengths)


def case_lengths(params: dict, seed: int) -> list[int]:
    """The `n` sequence lengths this case batches: synthetic, or sampled from the user's."""
    n = int(params["n"])
    if params["dist"] != DATA:
        from rnnkit.data.synthetic import sample_lengths

        return sample_lengths(params["dist"], n, seed)
    if not params.get("source"):
        raise ValueError('dist = "data" needs a source (rnnbench run --corpus or --lengths)')
    return sample_lengths_of(list(_source_lengths(str(params["source"]))), n, seed)


def _sequences(params: dict, seed: int) -> list[torch.Tensor]:
    if params["dist"] != DATA:
        return synthetic_sequences(params["dist"], int(params["n"]), VOCAB_SIZE, seed)
    return sequences_for_lengths(case_lengths(params, seed), VOCAB_SIZE, seed)


def efficiency_spread(params: dict, seed: int) -> tuple[float, float] | None:
    """The padding efficiency of this strategy's batches over SEEDS_FOR_SPREAD samples (seed,
    seed+1, ...): how much a finding at this n owes to the one sample measured."""
    strategy = params["strategy"]
    if strategy not in RUN_STRATEGIES or strategy.endswith("packed"):
        return None
    values = []
    for k in range(SEEDS_FOR_SPREAD):
        lengths = case_lengths(params, seed + k)
        batches = strategy_batches(strategy, lengths, int(params.get("batch", DEFAULT_BATCH)),
                                   int(params.get("max_tokens", DEFAULT_MAX_TOKENS)), seed + k)
        values.append(padding_efficiency([[lengths[i] for i in b] for b in batches]))
    return min(values), max(values)


def _with_denormals(step: Callable[[], None], flush: bool) -> Callable[[], None]:
    """The step under the case's flush-denormal state, put back to torch's default after, so
    other cases in the process run as they were set."""
    if not flush:
        def plain() -> None:
            torch.set_flush_denormal(False)
            step()
        return plain

    def flushed() -> None:
        torch.set_flush_denormal(True)
        try:
            step()
        finally:
            torch.set_flush_denormal(False)
    return flushed


@torch.no_grad()
def _sgd_step(params: list[torch.nn.Parameter], lr: float) -> None:
    """p -= lr * grad over all parameters in one foreach call: the update torch.optim.SGD makes
    without momentum (its default on a GPU is this same foreach path). Written out because
    constructing any torch.optim optimizer imports torch._dynamo, about 1 s of every worker's
    start-up, for what is one fused add."""
    grads = [p.grad for p in params if p.grad is not None]
    torch._foreach_add_([p for p in params if p.grad is not None], grads, alpha=-lr)


def build_batching(params: dict, device: str, dtype: str, seed: int,
                   context: dict | None = None) -> Prepared:
    strategy, mode = params["strategy"], params["mode"]
    batch_size = int(params.get("batch", DEFAULT_BATCH))
    max_tokens = int(params.get("max_tokens", DEFAULT_MAX_TOKENS))
    seqs = _sequences(params, seed)
    torch.manual_seed(seed)
    model = CharClassifier(VOCAB_SIZE, N_CLASSES, cell=params["cell"],
                           hidden_size=int(params["hidden"]), embed_dim=EMBED_DIM,
                           num_layers=int(params.get("layers", 1)))
    # Every weight in the case's precision (the embedding's too, so the RNN's input is in it as
    # well); the ids stay integers.
    model = in_precision(model, device, dtype)
    run_seqs, batches = _plan(strategy, seqs, batch_size, seed, max_tokens)
    if verifies(context):
        checks = _verify(model, run_seqs, strategy, batches, batch_size, seed, device, dtype)
    else:
        checks = CaseChecks(verified=None, why=VERIFIED_ELSEWHERE)

    packed = strategy.endswith("+packed") or strategy == "packed"
    labels = torch.randint(0, N_CLASSES, (len(run_seqs),),
                           generator=torch.Generator().manual_seed(seed))
    # Everything a step needs is moved to the device before timing, as a DataLoader's workers
    # would: the padded path's lengths (its gather index) live on the device, and packed
    # batches come sorted longest first (rnnkit.batching.pack then needs no sorting index on the
    # device). Otherwise each batch would copy a small tensor from pageable host memory, which
    # stalls the host until the GPU catches up and hides the strategies' differences.
    prepared = []
    for batch in batches:
        if packed:
            batch = sorted(batch, key=lambda i: -len(run_seqs[i]))
        ids, lengths = pad_batch([run_seqs[i] for i in batch])
        prepared.append((ids.to(device), lengths if packed else lengths.to(device),
                         labels[batch].to(device)))

    if mode == "inference":
        def step() -> None:
            with torch.inference_mode():
                for ids, lengths, _ in prepared:
                    model(ids, lengths, packed=packed)
    elif mode == "training":
        weights = list(model.parameters())

        def step() -> None:
            for ids, lengths, y in prepared:
                for w in weights:
                    w.grad = None
                # The loss in fp32, as mixed-precision training computes it.
                loss = F.cross_entropy(model(ids, lengths, packed=packed).float(), y)
                loss.backward()
                _sgd_step(weights, LEARNING_RATE)
    else:
        raise ValueError(f"unknown mode {mode!r} (inference or training)")

    batch_lengths = [[len(run_seqs[i]) for i in b] for b in batches]
    real_tokens = sum(map(sum, batch_lengths))
    efficiency = 1.0 if packed else padding_efficiency(batch_lengths)
    spread = efficiency_spread(params, seed)

    def metrics(median_s: float) -> CaseMetrics:
        return CaseMetrics(tokens_per_s=real_tokens / median_s,
                           sequences_per_s=len(run_seqs) / median_s,
                           time_per_epoch_s=median_s,
                           padding_efficiency=efficiency,
                           padding_efficiency_seeds=spread,
                           real_tokens=real_tokens,
                           computed_tokens=round(real_tokens / efficiency),
                           batches=len(batches))

    return Prepared(_with_denormals(step, params.get("denormals") == "flush"), metrics, checks)


def _group_key(case: CaseResult) -> tuple:
    rest = {k: v for k, v in case.params.items() if k not in ("strategy", "batch", "max_tokens")}
    return (case.device, case.dtype, tuple(sorted(rest.items())))


def _sized(members: list[CaseResult], strategy: str, like: CaseResult) -> CaseResult | None:
    """The member running `strategy` at `like`'s size (batch or budget), else at the default
    batch size, else the first one."""
    same = [c for c in members if c.param("strategy") == strategy]
    for key in ("batch", "max_tokens"):
        if like.param(key) is not None:
            hit = next((c for c in same if c.param(key) == like.param(key)), None)
            if hit is not None:
                return hit
    return next((c for c in same if c.param("batch") == DEFAULT_BATCH), same[0] if same else None)


def add_relative_metrics(cases: list[CaseResult]) -> None:
    """Speed-up over `padded`, fraction of `ideal` and of the case's own padding-free limit, and
    the gap to ideal split into padding, batch shape and per-call cost, among cases that differ
    only in strategy and size.

    Rates are tokens/s, since the limits' and ideal's token counts differ from the strategy's by
    a few tokens; the gap is in seconds per epoch at the case's own token count.
    """
    groups: dict[tuple, list[CaseResult]] = {}
    for case in cases:
        if case.workload != "batching" or case.status != "ok" or not case.metrics.tokens_per_s:
            continue
        groups.setdefault(_group_key(case), []).append(case)
    for members in groups.values():
        calls = next((c for c in members if c.param("strategy") == "calls"), None)
        per_call = (calls.metrics.time_per_epoch_s / CALLS
                    if calls and calls.metrics.time_per_epoch_s else None)
        for case in members:
            _relate(case, members, per_call)


def _relate(case: CaseResult, members: list[CaseResult], per_call: float | None) -> None:
    m = case.metrics
    name = case.param("strategy")
    if name == "calls":
        m.per_call_s = per_call
        return
    padded, ideal = _sized(members, "padded", case), _sized(members, "ideal", case)
    if padded is not None:
        m.speedup_vs_padded = m.tokens_per_s / padded.metrics.tokens_per_s
    if ideal is not None:
        m.fraction_of_ideal = m.tokens_per_s / ideal.metrics.tokens_per_s
    if name not in RUN_STRATEGIES:
        return
    # A merged record starts as a copy of one worker's: drop what that worker related it to.
    m.fraction_of_limit = m.fraction_of_limit_ci = None
    m.gap_padding_s = m.gap_shape_s = m.gap_calls_s = None
    limit = _sized(members, base_strategy(name) + "-limit", case)
    if limit is None or limit.param("batch") != case.param("batch") \
            or limit.param("max_tokens") != case.param("max_tokens"):
        return
    m.fraction_of_limit, m.fraction_of_limit_ci = _fraction_of_limit(case, limit)
    if ideal is None or not m.real_tokens or not m.time_per_epoch_s:
        return
    at_limit = m.real_tokens / limit.metrics.tokens_per_s
    at_ideal = m.real_tokens / ideal.metrics.tokens_per_s
    m.gap_padding_s = m.time_per_epoch_s - at_limit
    m.gap_calls_s = (per_call * ((m.batches or 0) - (ideal.metrics.batches or 0))
                     if per_call is not None else None)
    m.gap_shape_s = at_limit - at_ideal - (m.gap_calls_s or 0.0)


def _fraction_of_limit(case: CaseResult, limit: CaseResult
                       ) -> tuple[float, Interval | None]:
    """The case's tokens/s over its limit's, with a 95% CI. The two are timed in the same
    rounds, so the fraction is taken round by round (limit time / case time, bench.relative
    `paired_fraction`); where the replicates do not pair up, the ratio of the medians with a
    conservative interval. Times are restated per token: the limit's rounded lengths move its
    token count by a few."""
    m, own = case.metrics, limit.metrics
    ratio = m.tokens_per_s / own.tokens_per_s
    a, b = limit.stats, case.stats
    if a is None or b is None or not m.real_tokens or not own.real_tokens:
        return ratio, None
    per_token = m.real_tokens / own.real_tokens
    value, ci = fraction_with_ci(a, b)
    per_token_ci = (ci[0] * per_token, ci[1] * per_token) if ci is not None else None
    return (value * per_token if value is not None else ratio), per_token_ci


def size_label(params: dict) -> str:
    """"batch 64" or "max_tokens 2048": how a case's batches are sized."""
    if params.get("strategy") in BUDGETED:
        return f"max_tokens {params.get('max_tokens')}"
    if params.get("strategy") == "calls":
        return ""
    return f"batch {params.get('batch', DEFAULT_BATCH)}"


def _or_nan(value: float | None) -> float:
    return math.nan if value is None else value


def headline(case: CaseResult) -> str | None:
    """Each strategy against padded, ideal and its own limit; padded at the default batch size
    is the baseline, and the limits and the per-call case are only references."""
    m, p = case.metrics, case.params
    if p["strategy"] not in (*RUN_STRATEGIES, "ideal") or (p["strategy"] == "padded"
                                                          and p.get("batch") == DEFAULT_BATCH):
        return None
    parts = [f"{_or_nan(m.tokens_per_s):>10.0f} tok/s"]
    if m.speedup_vs_padded is not None:
        parts.append(f"x{m.speedup_vs_padded:.2f} vs padded")
    if m.fraction_of_ideal is not None:
        parts.append(f"{m.fraction_of_ideal:.2f} of ideal")
    if m.fraction_of_limit is not None:
        parts.append(f"{fmt_fraction_ci(m.fraction_of_limit, m.fraction_of_limit_ci)} of its "
                     "limit")
    state = f" {p['denormals']}" if p.get("mode") == "training" and p.get("denormals") else ""
    return (f"{p['dist']:<9} {p['cell']} {p['mode']:<9}{state} {p['strategy']:<15} "
            f"{size_label(p):<16} " + "  ".join(parts))


def validate(params: dict) -> None:
    check_whole_numbers(params, ("batch", "hidden", "layers", "n", "max_tokens"))
    # An unknown synthetic distribution fails its case when built, as it always has.
    if params.get("dist") == DATA and not params.get("source"):
        raise ValueError('dist = "data" needs the user\'s lengths (rnnbench run --corpus FILE '
                         'or --lengths FILE)')


def prune(params: dict) -> dict:
    """Drop the sizes a strategy does not use: a token budget has no batch size, a fixed-size
    strategy no budget, the per-call case neither; and the source of synthetic lengths."""
    strategy = params.get("strategy")
    drop = {"batch"} if strategy in BUDGETED else {"max_tokens"}
    if strategy == "calls":
        drop = {"batch", "max_tokens"}
    if params.get("dist") != DATA:
        drop.add("source")
    return {k: v for k, v in params.items() if k not in drop}


WORKLOAD = Workload(
    name="batching",
    build=build_batching,
    id_keys=("dist", "cell", "mode", "strategy", "batch", "max_tokens", "hidden", "layers", "n",
             "denormals", "source"),
    defaults={"layers": 1, "batch": DEFAULT_BATCH, "max_tokens": DEFAULT_MAX_TOKENS, "hidden": 256,
              "n": 1024, "denormals": "keep"},
    choices={"cell": CELLS, "strategy": STRATEGIES, "mode": ("inference", "training"),
             "denormals": ("keep", "flush")},
    validate=validate,
    prune=prune,
    default_dtypes=fp32_only,
    cell_key="cell",
    after_cases=add_relative_metrics,
    headline=headline,
    report="batching",
)
