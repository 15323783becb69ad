"""Performance outliers: among nodes with the same hardware, a node whose reference workload or
any case is slower than its siblings' median by more than the measured noise.

For one measure (a case id, or a device's reference workload) a node's median and 95% CI are
set against the siblings' median, whose interval runs from the median of the siblings' lower
ends to the median of their upper ends (each sibling's interval holds its median, so this
interval holds the median of their medians). The ratio's interval takes opposite ends
(`bench.stats.ratio_interval`), so it is conservative: a node is named only when even the
fastest end of its interval is slower than the slowest end of its siblings', by more than the
threshold (5% by default, as `rnnbench compare`).
"""

from __future__ import annotations

from dataclasses import dataclass

from bench.fleet.nodes import NodeRecord
from bench.results import RunResults
from bench.stats import median, median_ci, ratio_interval

THRESHOLD = 0.05
Interval = tuple[float, float]


def hardware_key(facts: dict) -> str:
    """What makes two nodes identical hardware, in words: CPU, threads, memory, GPUs."""
    cpu = facts.get("cpu") if isinstance(facts.get("cpu"), dict) else {}
    driver = facts.get("driver") if isinstance(facts.get("driver"), dict) else {}
    gpus = driver.get("gpus") if isinstance(driver.get("gpus"), list) else []
    gpus = gpus or (facts.get("pci_gpus") if isinstance(facts.get("pci_gpus"), list) else [])
    names = sorted(str(g.get("name")) for g in gpus if isinstance(g, dict) and g.get("name"))
    memory = cpu.get("memory_total_gib")
    memory_text = f"{round(memory)} GiB" if isinstance(memory, int | float) else "? GiB"
    return (f"{cpu.get('model') or 'unknown CPU'} × {cpu.get('logical_cores') or '?'} threads, "
            f"{memory_text}, {' + '.join(names) if names else 'no GPU'}")


def measures(run: RunResults) -> dict[str, tuple[float, Interval]]:
    """Each measured case's and each reference workload's median and 95% CI, by name."""
    found = {}
    for case in run.ok_cases:
        ci, mid = case.stats.ci95_s, case.stats.median_s
        if ci is not None and mid is not None and mid > 0:
            found[case.id] = (mid, ci)
    for ref in run.references or []:
        rounds = [x for x in ref.per_round_median_s or [] if x > 0]
        if len(rounds) >= 2:  # the rounds are the replicates of the reference
            found[f"reference workload ({ref.device})"] = (median(rounds), median_ci(rounds))
    return found


@dataclass
class Outlier:
    node: str
    measure: str
    hardware: str
    median_s: float
    siblings_median_s: float
    siblings: int
    ratio: float
    ratio_ci: Interval

    @property
    def sentence(self) -> str:
        return (f"{self.node} is {self.ratio:.2f}× slower than the median of its "
                f"{self.siblings} same-hardware sibling(s) on {self.measure} "
                f"(95% CI {self.ratio_ci[0]:.2f}–{self.ratio_ci[1]:.2f}×).")

    def to_dict(self) -> dict:
        return {"node": self.node, "measure": self.measure, "hardware": self.hardware,
                "median_s": self.median_s, "siblings_median_s": self.siblings_median_s,
                "siblings": self.siblings, "ratio": self.ratio, "ratio_ci": list(self.ratio_ci),
                "sentence": self.sentence}


@dataclass
class Group:
    hardware: str
    nodes: list[str]
    compared: int  # measures compared across at least two nodes


def same_hardware(nodes: list[NodeRecord]) -> dict[str, list[NodeRecord]]:
    """Nodes with results, grouped by hardware."""
    groups: dict[str, list[NodeRecord]] = {}
    for node in nodes:
        if node.ok and node.results is not None:
            groups.setdefault(hardware_key(node.facts), []).append(node)
    return groups


def find_outliers(nodes: list[NodeRecord], threshold: float = THRESHOLD
                  ) -> tuple[list[Outlier], list[Group]]:
    """Every (node, measure) slower than its siblings beyond the noise; and the groups."""
    outliers, groups = [], []
    for hardware, members in same_hardware(nodes).items():
        by_node = {n.name: measures(n.results) for n in members}
        names = sorted({m for found in by_node.values() for m in found})
        compared = 0
        for measure in names:
            having = {node: found[measure] for node, found in by_node.items() if measure in found}
            if len(having) < 2:
                continue
            compared += 1
            for node, (mid, ci) in having.items():
                siblings = [v for other, v in having.items() if other != node]
                outlier = _judge(node, measure, hardware, mid, ci, siblings, threshold)
                if outlier is not None:
                    outliers.append(outlier)
        groups.append(Group(hardware, [n.name for n in members], compared))
    outliers.sort(key=lambda o: -o.ratio)
    return outliers, groups


def _judge(node: str, measure: str, hardware: str, mid: float, ci: Interval,
           siblings: list[tuple[float, Interval]], threshold: float) -> Outlier | None:
    sib_median = median([m for m, _ in siblings])
    sib_ci = (median([c[0] for _, c in siblings]), median([c[1] for _, c in siblings]))
    ratio_ci = ratio_interval(ci, sib_ci)
    if ratio_ci[0] <= 1 + threshold:
        return None
    return Outlier(node, measure, hardware, mid, sib_median, len(siblings), mid / sib_median,
                   ratio_ci)
