"""One node of a fleet: its doctor document or run results, validated, or why it has neither.

A node's document arrives from another machine (a Ray task, a file copied by Slurm) and is
checked like any input file: a document that is not what it claims to be makes that node
"unreadable: reason", never a crash of the whole report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bench.results import SCHEMA as RESULTS_SCHEMA
from bench.results import ResultsError, RunResults
from bench.results import validate as validate_results
from provision.doctor import SCHEMA as DOCTOR_SCHEMA
from provision.fix import Fixes, fixes_from_json

# Doctor documents a fleet still reads: 1 carried a check's fix as one string (read as words).
DOCTOR_SCHEMAS = ("rnnbench.doctor/1", DOCTOR_SCHEMA)
STATUSES = ("pass", "warn", "fail", "skip")
OK, UNREACHABLE, UNREADABLE = "ok", "unreachable", "unreadable"


class NodeError(Exception):
    """A node document that cannot be used; the message is one line saying why."""


@dataclass
class Check:
    id: str
    status: str
    summary: str = ""
    detail: str = ""
    fixes: Fixes = ()
    because: str = ""  # the check whose fix mends this one


@dataclass
class NodeRecord:
    """A node as the fleet sees it. `state` is ok, unreachable or unreadable (with `reason`)."""

    name: str
    state: str = OK
    reason: str | None = None
    source: str | None = None  # the file it was read from, or the Ray node id
    facts: dict = field(default_factory=dict)
    checks: list[Check] = field(default_factory=list)
    results: RunResults | None = None
    report: str | None = None  # the node's own run report, relative to the fleet page

    @property
    def ok(self) -> bool:
        return self.state == OK

    @property
    def failed_checks(self) -> list[Check]:
        return [c for c in self.checks if c.status == "fail"]

    @property
    def problem(self) -> str | None:
        """'unreachable: reason' / 'unreadable: reason' for a node with no usable document."""
        return None if self.ok else f"{self.state}: {self.reason or 'no reason given'}"


def unreachable(name: str, reason: str, source: str | None = None) -> NodeRecord:
    return NodeRecord(name, UNREACHABLE, _one_line(reason), source)


def unreadable(name: str, reason: str, source: str | None = None) -> NodeRecord:
    return NodeRecord(name, UNREADABLE, _one_line(reason), source)


def document_kind(doc: Any) -> str | None:
    """'doctor' or 'results' by the document's schema; None for anything else."""
    schema = doc.get("schema") if isinstance(doc, dict) else None
    kinds = {RESULTS_SCHEMA: "results", **dict.fromkeys(DOCTOR_SCHEMAS, "doctor")}
    return kinds.get(schema) if isinstance(schema, str) else None


def node_from_document(name: str, doc: Any, source: str | None = None) -> NodeRecord:
    """The node a doctor document or a results document describes; unreadable when invalid."""
    try:
        kind = document_kind(doc)
        if kind == "doctor":
            return NodeRecord(name, source=source, facts=_facts(doc.get("facts"), name),
                              checks=read_checks(doc.get("checks"), name))
        if kind == "results":
            validate_results(doc, name)
            run = RunResults.from_dict(doc, name)
            checks = run.doctor.get("checks", [])
            return NodeRecord(name, source=source, facts=_facts(run.facts, name),
                              checks=read_checks(checks, name), results=run)
        schema = doc.get("schema") if isinstance(doc, dict) else None
        raise NodeError(f"{name}: not a doctor or results document (schema {schema!r})")
    except (NodeError, ResultsError) as exc:
        return unreadable(name, str(exc), source)


def _facts(value: Any, where: str) -> dict:
    if not isinstance(value, dict):
        raise NodeError(f"{where}: 'facts' is not an object")
    return value


def read_checks(value: Any, where: str) -> list[Check]:
    """The doctor's checks; strict on shape (a list of objects with an id and a known status)."""
    if not isinstance(value, list):
        raise NodeError(f"{where}: 'checks' is not a list")
    checks = []
    for i, item in enumerate(value):
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not item["id"]:
            raise NodeError(f"{where}: check {i} has no id")
        if item.get("status") not in STATUSES:
            raise NodeError(f"{where}: check {item['id']} has unknown status "
                            f"{str(item.get('status'))[:40]!r}")
        checks.append(Check(item["id"], item["status"], _str(item.get("summary")),
                            _str(item.get("detail")), fixes_from_json(item),
                            _str(item.get("because"))))
    return checks


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _one_line(text: str, limit: int = 300) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[:limit - 1] + "…"
