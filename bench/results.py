"""The results file: schema `rnnbench.results/1` (docs/results-schema.md).

Reports and `rnnbench compare` read only this. Writes are atomic (temp file in the same folder,
then os.replace), so a reader never sees half a file, even when a run is interrupted.
"""

from __future__ import annotations

import json
from pathlib import Path

from bench.files import write_atomic

SCHEMA = "rnnbench.results/1"
REQUIRED_KEYS = ("schema", "created", "rnnbench_version", "command", "facts", "settings", "cases")
CASE_KEYS = ("id", "suite", "workload", "params", "device", "dtype", "status")
CASE_STATUSES = ("ok", "failed", "skipped")


class ResultsError(Exception):
    """A results file that cannot be used; the message is one line naming the file and why."""


def write_results(doc: dict, path: Path) -> None:
    """Write `doc` as JSON to `path` atomically."""
    text = json.dumps(doc, indent=1, allow_nan=False, default=str) + "\n"
    write_atomic(path, text)


def load_results(path: Path) -> dict:
    """Read and validate a results file; raise ResultsError with a one-line reason."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ResultsError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ResultsError(f"{path}: cannot read ({exc.__class__.__name__})") from None
    if not text.strip():
        raise ResultsError(f"{path}: empty file, not a results file")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        # A cut-off file fails at its end, or inside a string that never closes.
        cut = exc.pos >= len(text.rstrip()) - 1 or exc.msg.startswith("Unterminated string")
        hint = "truncated" if cut else "not valid JSON"
        raise ResultsError(f"{path}: {hint} (line {exc.lineno}, column {exc.colno})") from None
    validate(doc, str(path))
    return doc


def validate(doc: object, where: str = "results") -> None:
    """Check the shape a reader relies on; raise ResultsError naming the first problem."""
    if not isinstance(doc, dict):
        raise ResultsError(f"{where}: not a results file (top level is not an object)")
    schema = doc.get("schema")
    if schema != SCHEMA:
        raise ResultsError(f"{where}: schema is {schema!r}, expected {SCHEMA!r}")
    missing = [k for k in REQUIRED_KEYS if k not in doc]
    if missing:
        raise ResultsError(f"{where}: missing {', '.join(missing)}")
    if not isinstance(doc["cases"], list):
        raise ResultsError(f"{where}: 'cases' is not a list")
    for i, case in enumerate(doc["cases"]):
        _validate_case(case, f"{where}: case {i}")


def _validate_case(case: object, where: str) -> None:
    if not isinstance(case, dict):
        raise ResultsError(f"{where} is not an object")
    missing = [k for k in CASE_KEYS if k not in case]
    if missing:
        raise ResultsError(f"{where} ({case.get('id', '?')}): missing {', '.join(missing)}")
    if case["status"] not in CASE_STATUSES:
        raise ResultsError(f"{where} ({case['id']}): unknown status {case['status']!r}")
    if case["status"] == "ok":
        stats = case.get("stats")
        if not isinstance(stats, dict) or not isinstance(stats.get("samples_s"), list):
            raise ResultsError(f"{where} ({case['id']}): status ok but no stats.samples_s")
        if not stats["samples_s"] or not isinstance(stats.get("median_s"), (int, float)):
            raise ResultsError(f"{where} ({case['id']}): empty samples or no median")
