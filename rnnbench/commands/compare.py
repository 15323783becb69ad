"""`rnnbench compare BASE.json NEW.json`: which cases changed, and is the change real?"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from bench.compare import Comparison, compare_results
from bench.results import ResultsError, read_results
from provision.text import printable
from rnnbench.commands import UserError

# Facts shown side by side, so a comparison across machines says what differs between them.
FACT_LINES = (
    ("OS", ("os", "pretty_name")),
    ("CPU", ("cpu", "model")),
    ("CPU cores", ("cpu", "physical_cores")),
    ("GPU", ("pci_gpus", 0, "name")),
    ("driver", ("driver", "version")),
    ("CUDA toolkit", ("cuda", "nvcc_version")),
    ("torch", ("torch", "version")),
    ("torch CUDA", ("torch", "cuda")),
    ("Python", ("python", "version")),
)


def parse_threshold(text: str) -> float:
    """'5%' or '0.05' -> 0.05."""
    raw = text.strip()
    try:
        value = float(raw[:-1]) / 100.0 if raw.endswith("%") else float(raw)
    except ValueError:
        raise UserError(f"--threshold: expected a percentage like 5% or a fraction like 0.05, "
                        f"got {text!r}", 2) from None
    if not 0.0 <= value < 10.0:
        raise UserError(f"--threshold: {text!r} is out of range", 2)
    return value


def _fact(facts: dict, path: tuple) -> str:
    node: object = facts
    for key in path:
        if isinstance(node, dict) and isinstance(key, str):
            node = node.get(key)
        elif isinstance(node, list) and isinstance(key, int):
            node = node[key] if len(node) > key else None
        else:
            return "-"
    if isinstance(node, dict):  # a probe that could not answer records why
        node = node.get("value") or node.get("reason") or "-"
    return "-" if node in (None, "") else _shown(node)


def _shown(value: object) -> str:
    """Text from an input file (or its name), made safe for the terminal, on one line."""
    return printable(value, keep_newlines=False)


def _print_table(cmp: Comparison, base: Path, new: Path) -> None:
    typer.echo(f"base: {_shown(base)}\nnew:  {_shown(new)}\n")
    width = max(len(label) for label, _ in FACT_LINES)
    for label, path in FACT_LINES:
        typer.echo(f"  {label:<{width}}  {_fact(cmp.base_facts, path):<40}  "
                   f"{_fact(cmp.new_facts, path)}")
    typer.echo("")
    ids = {r.id: _shown(r.id) for r in cmp.rows}
    id_width = max([len(shown) for shown in ids.values()] + [4])
    typer.echo(f"{'case':<{id_width}}  {'base ms':>10}  {'new ms':>10}  {'ratio':>7}  "
               f"{'p':>7}  verdict")
    for r in cmp.rows:
        base_ms = f"{r.base_median_s * 1e3:.4g}" if r.base_median_s is not None else "-"
        new_ms = f"{r.new_median_s * 1e3:.4g}" if r.new_median_s is not None else "-"
        ratio = f"{r.ratio:.3f}" if r.ratio is not None else "-"
        p = f"{r.p_value:.3g}" if r.p_value is not None else "-"
        verdict = r.verdict + (" (real)" if r.real and r.verdict == "same" else "")
        typer.echo(f"{ids[r.id]:<{id_width}}  {base_ms:>10}  {new_ms:>10}  {ratio:>7}  {p:>7}  "
                   f"{verdict}{'  ' + r.note if r.note else ''}")
    counts = {v: sum(r.verdict == v for r in cmp.rows)
              for v in ("slower", "faster", "same", "missing")}
    typer.echo(f"\nmethod: {cmp.method}; threshold {cmp.threshold:.1%}")
    typer.echo(", ".join(f"{n} {v}" for v, n in counts.items()))
    for device, label, base_s, new_s in cmp.references:
        typer.echo(f"machine reference on {_shown(device)} ({_shown(label)}, timed in every "
                   f"round of both runs): base {base_s * 1e3:.4g} ms, new {new_s * 1e3:.4g} ms, "
                   f"ratio {new_s / base_s:.3f}: the reference ran "
                   f"{abs(new_s / base_s - 1):.1%} {'slower' if new_s > base_s else 'faster'} "
                   "in the new run (a hint of the machine's own change, not a correction: "
                   "cases can move differently)")
    within, matched = cmp.agreement
    if matched:
        typer.echo(f"agreement: the medians of {within} of {matched} matched cases "
                   f"({within / matched:.0%}) are within {cmp.threshold:.1%} of each other")


def compare_command(base: Path, new: Path, threshold: str, fail_on_regression: bool,
                    json_out: bool) -> int:
    """Print the comparison; exit 1 on a real regression beyond the threshold when asked."""
    limit = parse_threshold(threshold)
    try:
        base_run, new_run = read_results(base), read_results(new)
    except ResultsError as exc:
        raise UserError(str(exc), 2) from None
    cmp = compare_results(base_run, new_run, limit)
    if json_out:
        doc = cmp.to_dict() | {"base": str(base), "new": str(new)}
        # ASCII escapes keep terminal controls in ids inert; no NaN: the output is strict JSON.
        typer.echo(json.dumps(doc, indent=1, allow_nan=False))
    else:
        _print_table(cmp, base, new)
    return 1 if fail_on_regression and cmp.regressions else 0
