"""The environment part of a page: the doctor's checklist, the machine's facts, run settings.

Nested documents are flattened to dotted keys ('driver.gpus.0.name') so that any version of the
Facts reads as a table, and several machines line up side by side.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bench.report.fields import DASH, text
from bench.report.tables import Cell, Table, text_cell
from bench.results import SCHEMA, RunResults
from provision.fix import as_script, fixes_from_json

STATUS_ORDER = {"fail": 0, "warn": 1, "pass": 2, "skip": 3}


def checks_table(checks: Any, table_id: str = "checks-table") -> Table:
    """The doctor's checklist, problems first."""
    table = Table(table_id, ["status", "check", "summary", "detail", "fix"], [False] * 5,
                  stack=True)
    rows = [c for c in checks if isinstance(c, dict)] if isinstance(checks, list) else []
    rows.sort(key=lambda c: STATUS_ORDER.get(str(c.get("status")), 4))
    for check in rows:
        status = str(check.get("status", "?"))
        table.rows.append([Cell(status, STATUS_ORDER.get(status, 4), f"status-{status}"),
                           text_cell(check.get("id")), text_cell(check.get("summary")),
                           text_cell(check.get("detail")), text_cell(_fix(check), "code")])
    return table


def _fix(check: Mapping[str, Any]) -> str:
    """A check's fixes as shell lines (doctor schema 2, or schema 1's one string as a comment)."""
    because = check.get("because")
    return as_script(fixes_from_json(dict(check)), because if isinstance(because, str) else "")


def flatten(doc: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Nested facts as ('gpus.0.name', 'GeForce GTX 1050') pairs, in document order."""
    if isinstance(doc, Mapping):
        pairs = []
        for key, value in doc.items():
            pairs += flatten(value, f"{prefix}.{key}" if prefix else str(key))
        return pairs or ([(prefix, "{}")] if prefix else [])
    if isinstance(doc, list) and doc and any(isinstance(v, Mapping | list) for v in doc):
        pairs = []
        for i, value in enumerate(doc):
            pairs += flatten(value, f"{prefix}.{i}")
        return pairs
    return [(prefix, text(doc))]


def facts_table(facts_list: list[Any], labels: list[str], table_id: str = "facts-table") -> Table:
    """Facts of one or more machines side by side; rows that differ are marked."""
    flat = [dict(flatten(f)) for f in facts_list]
    keys: list[str] = []
    for pairs in flat:
        keys += [k for k in pairs if k not in keys]
    table = Table(table_id, ["fact"] + labels, [False] * (1 + len(labels)))
    for key in keys:
        values = [pairs.get(key, DASH) for pairs in flat]
        css = "differs" if len(flat) > 1 and len(set(values)) > 1 else ""
        table.rows.append([text_cell(key, css)] + [text_cell(v, css) for v in values])
    return table


# Facts that change from minute to minute on any machine: when two runs differ in them, that says
# nothing about the machines, so "side by side" leaves them out rather than highlight them.
VOLATILE = ("gathered_at", "gather_seconds", "memory_available", "memory_free", "memory_used",
            "load_1min", "load_5min", "load_15min", "steal_fraction", "temperature",
            "utilization", "power_draw", "clocks", "uptime", "pstate", "fan_speed")


def volatile(key: str) -> bool:
    return any(part in key for part in VOLATILE)


@dataclass
class FactsSideBySide:
    """Machines' facts for a comparison: the lasting facts that differ, all lasting facts, and
    how many changing ones (load, free memory, times) were left out."""

    differing: Table
    lasting: Table
    left_out: int


def facts_side_by_side(facts_list: list[Any], labels: list[str],
                       table_id: str = "compare-facts-table") -> FactsSideBySide:
    everything = facts_table(facts_list, labels, table_id + "-all")
    lasting = Table(everything.id, everything.columns, everything.numeric,
                    [row for row in everything.rows if not volatile(row[0].text)])
    differing = Table(table_id, everything.columns, everything.numeric,
                      [row for row in lasting.rows if row[0].css == "differs"])
    for row in differing.rows:  # every row here differs: no highlight needed
        row[:] = [Cell(c.text, c.sort, "") for c in row]
    return FactsSideBySide(differing, lasting, len(everything.rows) - len(lasting.rows))


def settings_pairs(results: RunResults) -> list[tuple[str, str]]:
    """Run settings and provenance as label/value pairs for the environment section."""
    return flatten(results.settings.to_dict()) + [
        ("command", text(" ".join(results.command))),
        ("rnnbench version", text(results.rnnbench_version)),
        ("schema", SCHEMA), ("created", text(results.created))]
