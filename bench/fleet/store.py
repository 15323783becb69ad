"""A fleet folder on disk: one file per node (nodes/<name>/doctor.json or results.json) and
fleet.json, the index that names every node, the file it sent, or why it sent none.

Nodes travel as "wire" documents, plain JSON a Ray task can return:
`{"node": name, "source": ..., "document": {...}}` or `{"node": name, "unreachable": reason}`.
Keeping each node in its own file keeps fleet.json small at a thousand nodes and lets
`rnnbench fleet merge nodes/*/doctor.json` read the same files.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bench.files import read_regular, write_atomic
from bench.fleet.nodes import NodeRecord, document_kind, node_from_document, unreachable, unreadable

FLEET_SCHEMA = "rnnbench.fleet/1"
INDEX = "fleet.json"
MAX_FILE_BYTES = 64 * 2**20  # a node's file larger than this is not read (a broken node)


def safe_name(name: str) -> str:
    """A folder name made of the node name's harmless characters."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "node"
    return cleaned[:80]


def write_fleet(out_dir: Path, wires: list[dict], kind: str, command: list[str]) -> Path:
    """Write each node's document and the index; return the index's path."""
    out_dir = Path(out_dir)
    entries, used = [], set()
    for wire in wires:
        name = str(wire.get("node") or "node")
        entry: dict[str, Any] = {"node": name, "source": wire.get("source")}
        doc = wire.get("document")
        if "unreachable" in wire or doc is None:
            entry["unreachable"] = str(wire.get("unreachable") or "sent no document")
        else:
            folder = safe_name(name)
            while folder in used:
                folder += "_"
            used.add(folder)
            file_name = "results.json" if document_kind(doc) == "results" else "doctor.json"
            relative = f"nodes/{folder}/{file_name}"
            write_atomic(out_dir / relative, json.dumps(doc, indent=1, default=str) + "\n")
            entry["file"] = relative
        entries.append(entry)
    index = {"schema": FLEET_SCHEMA, "kind": kind, "command": list(command),
             "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
             "nodes": entries}
    return write_atomic(out_dir / INDEX, json.dumps(index, indent=1) + "\n")


def load_json(path: Path) -> Any:
    """A JSON file's content; ValueError with a one-line reason when it cannot be read."""
    path = Path(path)
    data = read_regular(path, MAX_FILE_BYTES, "a node's file")  # UnreadableFile: a ValueError
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{path}: cannot read (not UTF-8 text)") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno})"
                         ) from None
    except RecursionError:
        raise ValueError(f"{path}: nested too deeply") from None


def read_fleet(index_path: Path) -> list[NodeRecord]:
    """The nodes a fleet.json names; a node whose file is missing or broken is unreadable."""
    index_path = Path(index_path)
    index = load_json(index_path)
    if not isinstance(index, dict) or index.get("schema") != FLEET_SCHEMA:
        raise ValueError(f"{index_path}: not a fleet index (schema {FLEET_SCHEMA})")
    entries = index.get("nodes")
    if not isinstance(entries, list):
        raise ValueError(f"{index_path}: 'nodes' is not a list")
    nodes = []
    for i, entry in enumerate(entries):
        entry = entry if isinstance(entry, dict) else {}
        name = str(entry.get("node") or f"node {i}")
        source = entry.get("source") if isinstance(entry.get("source"), str) else None
        if "unreachable" in entry:
            nodes.append(unreachable(name, str(entry["unreachable"]), source))
        elif isinstance(entry.get("file"), str) and _inside(index_path.parent, entry["file"]):
            nodes.append(read_node(index_path.parent / entry["file"], name))
        else:
            nodes.append(unreadable(name, "the index names no file for it", source))
    return nodes


def read_node(path: Path, name: str) -> NodeRecord:
    """One node's doctor or results file; its run report is linked where it lies beside it."""
    try:
        doc = load_json(path)
    except ValueError as exc:
        return unreadable(name, str(exc), str(path))
    node = node_from_document(name, doc, str(path))
    page = Path(path).with_name("index.html")
    if node.results is not None and page.is_file():
        node.report = str(page)
    return node


def _inside(folder: Path, relative: str) -> bool:
    """A path from the index that stays inside the fleet folder (no '..', not absolute)."""
    target = (folder / relative).resolve()
    return target.is_relative_to(folder.resolve())
