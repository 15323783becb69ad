"""The fleet view: nodes read from files (or from a fleet command's wire documents), their
checks side by side, configuration drift and performance outliers. Needs no Ray."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bench.fleet.drift import Drift, find_drift
from bench.fleet.nodes import NodeRecord, node_from_document, unreachable, unreadable
from bench.fleet.outliers import THRESHOLD, Group, Outlier, find_outliers
from bench.fleet.store import FLEET_SCHEMA, load_json, read_fleet, read_node

VIEW_SCHEMA = "rnnbench.fleet-view/1"


@dataclass
class FleetView:
    nodes: list[NodeRecord]
    drift: list[Drift] = field(default_factory=list)
    outliers: list[Outlier] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    threshold: float = THRESHOLD

    @property
    def check_ids(self) -> list[str]:
        """Every check any node ran, in the order the nodes list them."""
        ids: dict[str, None] = {}  # a dict keeps the order and finds an id in O(1)
        for node in self.nodes:
            ids.update(dict.fromkeys(c.id for c in node.checks))
        return list(ids)

    @property
    def exit_code(self) -> int:
        """1 when a node fails a check, is an outlier, or could not be checked at all."""
        bad = (any(n.failed_checks or not n.ok for n in self.nodes) or bool(self.outliers))
        return 1 if bad else 0


def build_view(nodes: list[NodeRecord], threshold: float = THRESHOLD) -> FleetView:
    nodes = unique_names(nodes)
    outliers, groups = find_outliers(nodes, threshold)
    return FleetView(nodes, find_drift(nodes), outliers, groups, threshold)


def unique_names(nodes: list[NodeRecord]) -> list[NodeRecord]:
    """Two nodes never share a name: a repeated name gets the first free '#2', '#3' ..., never
    one that another node has (nodes 'dup', 'dup' and 'dup#2' become 'dup', 'dup#3', 'dup#2')."""
    given = {node.name for node in nodes}
    taken: set[str] = set()
    next_number: dict[str, int] = {}  # per name, where the search goes on (linear in nodes)
    for node in nodes:
        if node.name in taken:
            base, number = node.name, next_number.get(node.name, 2)
            while f"{base}#{number}" in given or f"{base}#{number}" in taken:
                number += 1
            next_number[base] = number + 1
            node.name = f"{base}#{number}"
        taken.add(node.name)
    return nodes


def name_for(path: Path) -> str:
    """A node's name from its file: 'doctor-gpu07.json' -> gpu07, 'run1/results.json' -> run1."""
    path = Path(path)
    stem = path.stem
    if stem in ("results", "doctor") and path.parent.name:
        return path.parent.name
    for prefix in ("doctor-", "results-"):
        if stem.startswith(prefix) and len(stem) > len(prefix):
            return stem[len(prefix):]
    return stem


def read_files(paths: list[Path]) -> list[NodeRecord]:
    """Nodes from doctor files, results files and fleet indexes (fleet.json or its folder)."""
    nodes: list[NodeRecord] = []
    for path in map(Path, paths):
        if path.is_dir():
            path = path / "fleet.json"
        try:
            doc = load_json(path)
        except ValueError as exc:
            nodes.append(unreadable(name_for(path), str(exc), str(path)))
            continue
        if isinstance(doc, dict) and doc.get("schema") == FLEET_SCHEMA:
            nodes += read_fleet(path)
        else:
            nodes.append(read_node(path, name_for(path)))
    return nodes


def nodes_from_wire(wires: list[dict]) -> list[NodeRecord]:
    """Nodes from a fleet command's documents (each validated like a file)."""
    nodes = []
    for i, wire in enumerate(wires):
        wire = wire if isinstance(wire, dict) else {}
        name = str(wire.get("node") or f"node {i}")
        if "unreachable" in wire or "document" not in wire:
            nodes.append(unreachable(name, str(wire.get("unreachable") or "sent no document"),
                                     wire.get("source")))
        else:
            nodes.append(node_from_document(name, wire["document"], wire.get("source")))
    return nodes


def view_document(view: FleetView) -> dict:
    """The view as data: what --json prints and the page shows."""
    return {
        "schema": VIEW_SCHEMA,
        "nodes": [{"node": n.name, "state": n.state, "reason": n.reason, "source": n.source,
                   "kind": "results" if n.results is not None else "doctor" if n.ok else None,
                   "checks": {c.id: c.status for c in n.checks},
                   "failed": [c.id for c in n.failed_checks], "report": n.report}
                  for n in view.nodes],
        "drift": [d.to_dict() for d in view.drift],
        "outliers": [o.to_dict() for o in view.outliers],
        "groups": [{"hardware": g.hardware, "nodes": g.nodes, "measures_compared": g.compared}
                   for g in view.groups],
        "threshold": view.threshold,
        "exit_code": view.exit_code,
    }
