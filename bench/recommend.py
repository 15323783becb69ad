"""The answer a batching run ends with: for the lengths measured, in inference and in training,
which batching to use, what it measured, and the code that applies it.

Per length distribution and mode the candidates are the batching cases that ran a real strategy
(padded, packed, bucketed, token budget; never the limits, ideal or the per-call case). The
fastest size of each strategy represents it. The fastest strategy is recommended, except that
when its interval of tokens/s overlaps another strategy's (the two are not told apart by this
run) the one earlier in PREFERENCE is: a token budget bounds every batch's tokens (its memory
and time), whatever the tail of the lengths, and needs no retuning when the data changes; then
fixed-size buckets; packing and plain padding last. Of the chosen strategy's sizes, the one that
pads least among those within the noise of its fastest. Training candidates that flushed denormals
stand for their strategy where both states ran; the measured gain of flushing is reported.
"""

from __future__ import annotations

from bench import stats
from bench.report.fields import fmt_bytes, fmt_fraction_ci
from bench.results import Advice, CaseResult, RunResults
from bench.workloads.batching import BUDGETED, DATA, DEFAULT_BATCH, RUN_STRATEGIES
from rnnkit.batching import default_batch_cost
from rnnkit.data.lengths import LengthSource

PREFERENCE = ("budget", "bucketed", "bucketed+packed", "budget+packed", "packed", "padded")


def _rate(case: CaseResult) -> tuple[float, tuple[float, float] | None]:
    tokens = float(case.metrics.tokens_per_s or 0.0)
    s = case.stats
    if s is None or not s.median_s or s.ci95_s is None:
        return tokens, None
    return tokens, stats.rate_interval(tokens, s.median_s, s.ci95_s)


def _key(case: CaseResult) -> tuple:
    p = case.params
    return (case.device, case.dtype, p.get("dist"), p.get("source"), p.get("cell"),
            p.get("hidden"), p.get("layers"), p.get("n"), p.get("mode"))


def _same_but_denormals(a: CaseResult, b: CaseResult) -> bool:
    skip = {"denormals"}
    return ({k: v for k, v in a.params.items() if k not in skip}
            == {k: v for k, v in b.params.items() if k not in skip})


def recommend(doc: RunResults) -> list[Advice]:
    """One Advice per (length distribution, mode, device) the run measured batching for."""
    groups: dict[tuple, list[CaseResult]] = {}
    for case in doc.cases:
        if (case.workload == "batching" and case.ok and case.metrics.tokens_per_s
                and case.param("strategy") in RUN_STRATEGIES):
            groups.setdefault(_key(case), []).append(case)
    return [a for a in (_advise(members) for members in groups.values()) if a is not None]


def _advise(members: list[CaseResult]) -> Advice | None:
    flushed = [c for c in members if c.param("denormals") == "flush"]
    candidates = flushed or members
    best: dict[str, CaseResult] = {}
    for case in candidates:
        name = str(case.param("strategy"))
        if name not in best or _rate(case)[0] > _rate(best[name])[0]:
            best[name] = case
    if not best:
        return None
    top = max(best.values(), key=lambda c: _rate(c)[0])
    ties = [c for c in best.values() if c is top or _overlap(_rate(c)[1], _rate(top)[1])]
    chosen = min(ties, key=lambda c: PREFERENCE.index(str(c.param("strategy"))))
    why = "the fastest strategy measured"
    if chosen is not top:
        why = (f"within the measurement's noise of the fastest ({top.param('strategy')}); "
               "preferred because a token budget bounds every batch's tokens, whatever the tail "
               "of the lengths" if chosen.param("strategy") in BUDGETED
               else f"within the measurement's noise of the fastest ({top.param('strategy')}); "
               "preferred as the simpler batching")
    # Among the strategy's sizes that this run cannot tell from its fastest, the one that pads
    # least: its speed owes least to the luck of this sample, and it holds the fewest tokens.
    sizes = [c for c in candidates if c.param("strategy") == chosen.param("strategy")
             and (c is chosen or _overlap(_rate(c)[1], _rate(chosen)[1]))]
    leanest = max(sizes, key=lambda c: (c.metrics.padding_efficiency or 0.0, _rate(c)[0]))
    if leanest is not chosen:
        why += ("; of its sizes within the noise of the fastest, the one that pads least")
    return _advice(leanest, members, why)


def _overlap(a: tuple[float, float] | None, b: tuple[float, float] | None) -> bool:
    return a is not None and b is not None and stats.intervals_overlap(a, b)


def _advice(case: CaseResult, members: list[CaseResult], why: str) -> Advice:
    p, m = case.params, case.metrics
    padded = _padded(case, members)
    ratio, interval = None, None
    if padded is not None:
        ratio = m.tokens_per_s / padded.metrics.tokens_per_s
        mine, theirs = _rate(case)[1], _rate(padded)[1]
        if mine is not None and theirs is not None:
            interval = stats.ratio_interval(mine, theirs)
    flush = p.get("denormals") == "flush"
    kept = next((c for c in members if c.param("denormals") == "keep"
                 and _same_but_denormals(c, case)), None)
    if flush and kept is None:  # the gain measured on another size of the same data and mode
        kept = next((c for c in members if c.param("denormals") == "keep"), None)
    flush_gain, flush_advised = None, False
    if flush and kept is not None:
        twin = next((c for c in members if c.param("denormals") == "flush"
                     and _same_but_denormals(c, kept)), None)
        if twin is not None:
            flush_gain = twin.metrics.tokens_per_s / kept.metrics.tokens_per_s
            # Advised only where flushing was measured clearly faster, not within the noise.
            flush_advised = flush_gain > 1 and not _overlap(_rate(twin)[1], _rate(kept)[1])
    strategy = str(p["strategy"])
    budget = int(p["max_tokens"]) if strategy in BUDGETED else None
    batch = None if budget else int(p.get("batch", DEFAULT_BATCH))
    dist = str(p.get("dist"))
    if dist == DATA and p.get("source"):
        dist = LengthSource.parse(str(p["source"])).describe()
    return Advice(mode=p.get("mode"), dist=dist, device=case.device, strategy=strategy,
                  batch=batch, max_tokens=budget, tokens_per_s=m.tokens_per_s,
                  speedup_vs_padded=ratio, speedup_ci=interval,
                  padded_batch=int(padded.param("batch")) if padded is not None else None,
                  fraction_of_limit=m.fraction_of_limit,
                  fraction_of_limit_ci=m.fraction_of_limit_ci,
                  padding_efficiency=m.padding_efficiency,
                  padding_efficiency_seeds=m.padding_efficiency_seeds,
                  peak_memory_bytes=m.peak_memory_bytes, peak_memory_kind=m.peak_memory_kind,
                  flush_denormal=flush, flush_speedup=flush_gain, flush_advised=flush_advised,
                  why=why, snippet=snippet(strategy, batch, budget, flush_advised,
                                           p.get("mode") == "training"),
                  snippet_plain=plain_snippet(strategy, batch, budget))


def _padded(case: CaseResult, members: list[CaseResult]) -> CaseResult | None:
    """Padded at the default batch size, in the same denormal state: the usual way to batch."""
    same = [c for c in members if c.param("strategy") == "padded"
            and c.param("denormals") == case.param("denormals")]
    return next((c for c in same if c.param("batch") == DEFAULT_BATCH), same[0] if same else None)


def snippet(strategy: str, batch: int | None, budget: int | None, flush: bool,
            training: bool) -> str:
    """Applying the recommendation with rnnkit's sampler (the dataset yields (ids, label))."""
    size = f"max_tokens={budget}" if budget else f"batch_size={batch}"
    lines = ["import torch",
             "from torch.utils.data import DataLoader",
             "from rnnkit.batching import BucketBatchSampler, collate_padded, pack", ""]
    if flush:
        lines += ["torch.set_flush_denormal(True)  # measured clearly faster in training here",
                  ""]
    if strategy.startswith(("bucketed", "budget")):
        lines += ["lengths = [len(ids) for ids, _ in dataset]",
                  f"sampler = BucketBatchSampler(lengths, {size}, seed=0)",
                  "loader = DataLoader(dataset, batch_sampler=sampler,",
                  "                    collate_fn=collate_padded)",
                  "for epoch in range(epochs):",
                  "    sampler.set_epoch(epoch)",
                  "    for ids, lengths, labels in loader:"]
    else:
        lines += [f"loader = DataLoader(dataset, batch_size={batch}, shuffle=True, "
                  "collate_fn=collate_padded)",
                  "for epoch in range(epochs):",
                  "    for ids, lengths, labels in loader:"]
    if strategy.endswith("packed"):
        lines.append("        x = pack(model.embed(ids), lengths)  # run the RNN on x")
    else:
        lines.append("        out = model(ids, lengths)  # padded; gather outputs at lengths - 1")
    if training:
        lines.append("        ...  # loss, backward, step")
    return "\n".join(lines)


def plain_snippet(strategy: str, batch: int | None, budget: int | None) -> str:
    """The same batches in plain PyTorch and Python, without rnnkit."""
    if strategy.startswith("budget"):
        return plain_budget_snippet(int(budget or 0))
    if strategy.startswith("bucketed"):
        return "\n".join([
            "import random",
            "from torch.utils.data import DataLoader",
            "",
            "order = sorted(range(len(lengths)), key=lengths.__getitem__)",
            f"batches = [order[i:i + {batch}] for i in range(0, len(order), {batch})]",
            "random.shuffle(batches)  # again each epoch",
            "loader = DataLoader(dataset, batch_sampler=batches, collate_fn=collate)"])
    return "\n".join([
        "from torch.nn.utils.rnn import pad_sequence",
        "from torch.utils.data import DataLoader",
        "",
        f"loader = DataLoader(dataset, batch_size={batch}, shuffle=True, collate_fn=lambda b: "
        "pad_sequence([ids for ids, _ in b], batch_first=True))"])


def plain_budget_snippet(budget: int) -> str:
    """rnnkit's token-budget cut (rnnkit.batching.budget_cut) in plain Python: the batches of
    the sorted lengths with the fewest padded tokens plus a call's cost per batch. The same
    batches as BucketBatchSampler(lengths, max_tokens=budget): ties go to the first start."""
    cost = default_batch_cost(budget)
    return "\n".join([
        "import random",
        "from torch.utils.data import DataLoader",
        "",
        f"# Sorted by length, cut where padded tokens + {cost} per batch (a call's cost)",
        f"# are fewest; no batch over {budget} padded tokens (size * longest length).",
        "order = sorted(range(len(lengths)), key=lengths.__getitem__)",
        "n = len(order)",
        "best, start = [0] + [float(\"inf\")] * n, [0] * (n + 1)",
        "for j in range(1, n + 1):",
        "    longest = lengths[order[j - 1]]",
        f"    for i in range(max(0, j - max(1, {budget} // longest)), j):",
        f"        cost = best[i] + (j - i) * longest + {cost}",
        "        if cost < best[j]:",
        "            best[j], start[j] = cost, i",
        "batches, j = [], n",
        "while j:",
        "    batches.append(order[start[j]:j])",
        "    j = start[j]",
        "random.shuffle(batches)  # again each epoch",
        "loader = DataLoader(dataset, batch_sampler=batches, collate_fn=collate)"])


def sized(advice: Advice) -> str:
    return (f"max_tokens={advice.max_tokens}" if advice.max_tokens
            else f"batch size {advice.batch}")


def summary_line(advice: Advice) -> str:
    """One line per recommendation, for the terminal and the report."""
    ratio = "?" if advice.speedup_vs_padded is None else f"{advice.speedup_vs_padded:.2f}x"
    ci = (f" (95% CI {advice.speedup_ci[0]:.2f}-{advice.speedup_ci[1]:.2f})"
          if advice.speedup_ci else "")
    # A preset without the limit cases (quick) cannot say how far from it the strategy is.
    limit = ("its padding-free limit not measured" if advice.fraction_of_limit is None
             else f"{fmt_fraction_ci(advice.fraction_of_limit, advice.fraction_of_limit_ci)} "
             "of its padding-free limit")
    peak = ("peak memory not measured" if advice.peak_memory_bytes is None
            else f"peak memory {fmt_bytes(advice.peak_memory_bytes)}")
    flush = ""
    if advice.flush_advised:
        flush = (f"; with torch.set_flush_denormal(True): {advice.flush_speedup:.2f}x faster "
                 "than with denormals kept")
    elif advice.flush_speedup is not None:
        flush = (f"; flushing denormals measured {advice.flush_speedup:.2f}x, not clearly "
                 "faster: leave torch's default")
    return (f"{advice.mode} on {advice.dist} ({advice.device}): {advice.strategy}, "
            f"{sized(advice)}: {ratio} padded batches of {advice.padded_batch}{ci}, "
            f"{limit}, {peak}"
            f"{flush}")


def recommendation_lines(doc: RunResults) -> list[str]:
    """What `rnnbench run` prints last: a heading, one line per recommendation and the snippet
    of the first (the report has every snippet)."""
    if not doc.recommendation:
        return []
    lines = ["", "Recommended batching for the lengths measured:"]
    lines += [f"  {summary_line(a)}" for a in doc.recommendation]
    first = doc.recommendation[-1]  # training, when measured: it has the longer snippet
    if first.snippet:
        lines += ["", f"  How ({first.mode}, with rnnkit):"]
        lines += [f"    {line}" for line in first.snippet.splitlines()]
    return lines
