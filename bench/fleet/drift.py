"""Configuration drift: each fact on which a node differs from the majority of the nodes that
report it (nodes that do not know a fact, e.g. a driver on a machine without a GPU, are not
comparable on it)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.fleet.nodes import NodeRecord

MAX_NAMED = 5


def _get(facts: Any, *path: str) -> Any:
    for step in path:
        facts = facts.get(step) if isinstance(facts, dict) else None
    return facts


def _plain(value: Any) -> str | None:
    if value is None or value == "" or isinstance(value, dict | list):
        return None
    return str(value)


def _gpu_models(facts: dict) -> str | None:
    """The node's GPUs, counted per model: '8× NVIDIA H100', '2× A100 + Tesla V100' (a node
    with one GPU of a model shows its name alone)."""
    gpus = _get(facts, "driver", "gpus") or _get(facts, "pci_gpus") or []
    counts = Counter(str(g["name"]) for g in gpus if isinstance(g, dict) and g.get("name"))
    return " + ".join(f"{n}× {name}" if n > 1 else name
                      for name, n in sorted(counts.items())) or None


def _cuda(facts: dict) -> str | None:
    toolkits = _get(facts, "cuda", "toolkits")
    first = toolkits[0] if isinstance(toolkits, list) and toolkits else None
    return _plain(_get(facts, "cuda", "nvcc_version")) or _plain(_get(first, "version"))


@dataclass(frozen=True)
class Fact:
    """A compared fact: its name and a verb phrase with {v} for the value ('run driver {v}')."""

    name: str
    phrase: str
    read: Callable[[dict], str | None]


def _path(*steps: str) -> Callable[[dict], str | None]:
    return lambda facts: _plain(_get(facts, *steps))


FACTS = (
    Fact("driver", "run driver {v}", _path("driver", "version")),
    Fact("CUDA", "run CUDA {v}", _cuda),
    Fact("torch", "run torch {v}", _path("torch", "version")),
    Fact("kernel", "run kernel {v}", _path("os", "kernel")),
    Fact("GPU model", "have {v}", _gpu_models),
    Fact("governor", "use CPU governor {v}", _path("cpu", "governor")),
    Fact("OS", "run {v}", _path("os", "pretty_name")),
    Fact("Python", "run Python {v}", _path("python", "version")),
    Fact("torch threads", "run torch with {v} CPU threads", _path("torch", "num_threads")),
)


@dataclass
class Drift:
    """Nodes whose `fact` is `value` while most comparable nodes have `majority`."""

    fact: str
    value: str
    nodes: list[str]
    comparable: int
    majority: str | None  # None when no value has a majority (a tie)
    majority_count: int
    sentence: str

    def to_dict(self) -> dict:
        return {"fact": self.fact, "value": self.value, "nodes": self.nodes,
                "count": len(self.nodes), "comparable": self.comparable,
                "majority": self.majority, "majority_count": self.majority_count,
                "sentence": self.sentence}


def _verb(phrase: str, value: str, count: int) -> str:
    """'run driver X' for several nodes, 'runs driver X' for one."""
    text = phrase.format(v=value)
    if count != 1:
        return text
    first, _, rest = text.partition(" ")
    third = {"have": "has"}.get(first, first + "s")
    return f"{third} {rest}"


def _named(nodes: list[str]) -> str:
    shown = ", ".join(nodes[:MAX_NAMED])
    more = len(nodes) - MAX_NAMED
    return shown + (f" and {more} more" if more > 0 else "")


def _others(fact: Fact, shown: list[tuple[str, int]], total_values: int) -> str:
    """The other values of a tie, the largest first, at most MAX_NAMED of them."""
    text = "; ".join(f"{c} {_verb(fact.phrase, v, c)}" for v, c in shown)
    more = total_values - len(shown)
    return text + (f"; and {more} more values" if more > 0 else "")


def find_drift(nodes: list[NodeRecord]) -> list[Drift]:
    """Every minority value of every fact, largest minority first within a fact."""
    found = []
    for fact in FACTS:
        values = {n.name: fact.read(n.facts) for n in nodes if n.ok}
        values = {name: v for name, v in values.items() if v is not None}
        counts = Counter(values.values()).most_common()
        if len(counts) < 2:
            continue
        total = len(values)
        (top, top_count), (_, second_count) = counts[0], counts[1]
        tie = top_count == second_count
        by_value: dict[str, list[str]] = {}  # one pass: linear in nodes, however many values
        for name, value in values.items():
            by_value.setdefault(value, []).append(name)
        for value, count in counts if tie else counts[1:]:
            members = sorted(by_value[value])
            if tie:
                others = _others(fact, [(v, c) for v, c in counts[:MAX_NAMED + 1]
                                        if v != value][:MAX_NAMED], len(counts) - 1)
                sentence = (f"No majority on {fact.name}: {count} of {total} nodes "
                            f"({_named(members)}) {_verb(fact.phrase, value, count)}; {others}.")
            else:
                sentence = (f"{count} of {total} nodes ({_named(members)}) "
                            f"{_verb(fact.phrase, value, count)} while {top_count} "
                            f"{_verb(fact.phrase, top, top_count)}.")
            found.append(Drift(fact.name, value, members, total, None if tie else top,
                               0 if tie else top_count, sentence))
    return found
