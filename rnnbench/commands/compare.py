"""`rnnbench compare BASE.json NEW.json`: which cases changed, and is the change real?"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from bench.compare import Comparison, Row, compare_results, incomplete
from bench.results import ResultsError, RunResults, read_results
from bench.shift import Shift
from bench.sides import env_entry, env_labels, env_side
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


def _print_table(cmp: Comparison, base: Path | str, new: Path | str) -> None:
    typer.echo(f"base: {_shown(base)}\nnew:  {_shown(new)}\n")
    width = max(len(label) for label, _ in FACT_LINES)
    for label, path in FACT_LINES:
        typer.echo(f"  {label:<{width}}  {_fact(cmp.base_facts, path):<40}  "
                   f"{_fact(cmp.new_facts, path)}")
    typer.echo("")
    if cmp.shift is not None:
        _print_replicate_rows(cmp, cmp.shift)
        return
    ids = {r.id: _shown(r.id) for r in cmp.rows}
    id_width = max([len(shown) for shown in ids.values()] + [4])
    typer.echo(f"{'case':<{id_width}}  {'base ms':>10}  {'new ms':>10}  {'ratio':>7}  "
               f"{'p':>7}  verdict")
    for r in cmp.rows:
        base_ms, new_ms, ratio = _medians(r)
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


def _medians(r: Row) -> tuple[str, str, str]:
    """A row's base and new medians in ms and their ratio, as the tables print them."""
    return (f"{r.base_median_s * 1e3:.4g}" if r.base_median_s is not None else "-",
            f"{r.new_median_s * 1e3:.4g}" if r.new_median_s is not None else "-",
            f"{r.ratio:.3f}" if r.ratio is not None else "-")


def _ratio_ci(lo: float, hi: float) -> str:
    return f"{lo:.3f}-{hi:.3f}"


def _print_replicate_rows(cmp: Comparison, shift: Shift) -> None:
    """Cases judged on replicates: the ratio relative to the shift with its CI, the
    Holm-adjusted p, and the shift and the machine's drift on lines of their own."""
    ids = {r.id: _shown(r.id) for r in cmp.rows}
    id_width = max([len(shown) for shown in ids.values()] + [4])
    vs = "vs shift" if shift.corrected else "ratio"
    typer.echo(f"{'case':<{id_width}}  {'base ms':>10}  {'new ms':>10}  {'ratio':>7}  "
               f"{vs:>8}  {'95% CI':>11}  {'adj. p':>7}  verdict")
    for r in cmp.rows:
        base_ms, new_ms, ratio = _medians(r)
        rel = f"{r.relative_ratio:.3f}" if r.relative_ratio is not None else "-"
        ci = _ratio_ci(*r.relative_ci) if r.relative_ci is not None else "-"
        p = r.adjusted_p if r.adjusted_p is not None else r.p_value
        p_text = f"{p:.3g}" if p is not None else "-"
        typer.echo(f"{ids[r.id]:<{id_width}}  {base_ms:>10}  {new_ms:>10}  {ratio:>7}  "
                   f"{rel:>8}  {ci:>11}  {p_text:>7}  {r.verdict}"
                   f"{'  ' + r.note if r.note else ''}")
    counts = {v: sum(r.verdict == v for r in cmp.rows)
              for v in ("slower", "faster", "uncertain", "same", "missing")}
    typer.echo(f"\nmethod: {cmp.method}; threshold {cmp.threshold:.1%}")
    typer.echo(", ".join(f"{n} {v}" for v, n in counts.items()))
    if cmp.same_rounds:
        lo, hi = shift.ci
        typer.echo(f"A/B in one run: median new/base over {shift.cases} cases {shift.value:.3f} "
                   f"(95% CI {_ratio_ci(lo, hi)}); both sides were measured in the same rounds, "
                   "so no machine drift lies between them and case verdicts are as measured")
    else:
        typer.echo(shift_sentence(shift, cmp.threshold))
    within, matched = cmp.agreement
    if matched:
        typer.echo(f"agreement: the medians of {within} of {matched} matched cases "
                   f"({within / matched:.0%}) are within {cmp.threshold:.1%} of each other")


def shift_sentence(shift: Shift, threshold: float) -> str:
    """The whole-run shift, the reference beside it, and what the drift says of it."""
    lo, hi = shift.ci
    ref = (f"machine reference ratio {shift.reference_ratio:.3f}" if shift.reference_ratio
           is not None else "no reference workload in both runs")
    band = f"{shift.drift_band[0]:.3f}-{shift.drift_band[1]:.3f}"
    drift = (f"the machine's measured drift spans {band}" if shift.drift_measured else
             f"drift assumed up to {band} (not measured)")
    if shift.beyond_drift:
        verdict = ("beyond the machine's drift: the whole run moved (something every case "
                   "shares changed, or the machine did)")
        if shift.fails(threshold):
            verdict += f", slower by more than {threshold:.1%}"
    else:
        verdict = "within the machine's drift: a whole-run shift, not a per-case change"
    how = ("case verdicts are relative to it" if shift.corrected else
           "case verdicts are not corrected for it"
           + ("" if shift.cases >= 5 else " (too few cases to estimate it)"))
    return (f"whole-run shift: new/base {shift.value:.3f} (95% CI {_ratio_ci(lo, hi)}, median "
            f"over {shift.cases} matched cases); {ref}; {drift}; {verdict}; {how}")


def env_sides(run: RunResults, a: str | None, b: str | None) -> tuple[RunResults, RunResults,
                                                                     str, str]:
    """The two environments of an A/B run as two runs of their own (cases matched by id)."""
    labels = env_labels(run)
    if a is None and b is None and len(labels) == 2:
        a, b = labels
    if a is None or b is None:
        shown = ", ".join(_shown(label) for label in labels) or "none"
        raise UserError("compare with one results file compares two environments (--python) "
                        f"in it; this one has: {shown}"
                        + ("; pick two with --a LABEL --b LABEL" if len(labels) > 2 else
                           "; give two results files instead"), 2)
    for label in (a, b):
        if label not in labels:
            raise UserError(f"--a/--b: no environment {_shown(label)!r} in the file", 2)
    return env_side(run, a), env_side(run, b), a, b


def one_side(run: RunResults, label: str | None, option: str, path: Path) -> RunResults:
    """The run of `path` to compare: environment `label` of an A/B run (given with `option`),
    or the whole run. An A/B run without a label is refused, never half-read: matched by id
    alone, one environment's cases would silently stand for both."""
    labels = env_labels(run)
    if label is None:
        if len(labels) >= 2:
            raise UserError(f"{_shown(path)} holds the environments "
                            f"{', '.join(_shown(x) for x in labels)} of an A/B run: pick one "
                            f"with {option} LABEL", 2)
        return env_side(run, labels[0]) if labels else run
    if label not in labels:
        raise UserError(f"{option} {_shown(label)}: no such environment in {_shown(path)} "
                        f"(it has: {', '.join(_shown(x) for x in labels) or 'none'})", 2)
    return env_side(run, label)


def env_description(run: RunResults, label: str, other: str) -> str:
    """What distinguishes environment `label` of an A/B run: its interpreter, torch, threads and
    the setting variables it has that `other` has not (or sets differently)."""
    mine, theirs = env_entry(run, label), env_entry(run, other)
    env_vars, other_vars = (e.get("env_vars") if isinstance(e.get("env_vars"), dict) else {}
                            for e in (mine, theirs))
    differs = {k: v for k, v in env_vars.items() if other_vars.get(k) != v}
    parts = [f"python {mine.get('python') or '?'}", f"torch {mine.get('torch_version') or '?'}",
             f"threads {mine.get('threads') or '?'}"] + [f"{k}={v}" for k, v in differs.items()]
    return _shown(", ".join(parts))


def compare_command(base: Path, new: Path | None, threshold: str, fail_on_regression: bool,
                    json_out: bool, a: str | None = None, b: str | None = None,
                    allow_incomplete: bool = False) -> int:
    """Print the comparison; with `fail_on_regression`, exit 1 on a real regression beyond the
    threshold, and on a new run with failed, missing or unfinished cases unless
    `allow_incomplete`. With no `new`, `base` is an A/B run and its environments `a` and `b`
    are compared; with two files, `a` and `b` pick an environment in each."""
    limit = parse_threshold(threshold)
    try:
        base_run = read_results(base)
        new_run = read_results(new) if new is not None else None
    except ResultsError as exc:
        raise UserError(str(exc), 2) from None
    if new_run is None:
        base_run, new_run, a, b = env_sides(base_run, a, b)
        # Both sides ran in the same rounds: a shift between them is real, not drift.
        cmp = compare_results(base_run, new_run, limit, correct_shift=False)
        base_name = f"{base} env {a} ({env_description(base_run, a, b)})"
        new_name = f"{base} env {b} ({env_description(base_run, b, a)})"
    else:
        base_run, new_run = one_side(base_run, a, "--a", base), one_side(new_run, b, "--b", new)
        cmp = compare_results(base_run, new_run, limit)
        base_name = str(base) + (f" env {a}" if a is not None else "")
        new_name = str(new) + (f" env {b}" if b is not None else "")
    problems = incomplete(base_run, new_run)
    if json_out:
        doc = cmp.to_dict() | {"base": base_name, "new": new_name, "incomplete": problems}
        # ASCII escapes keep terminal controls in ids inert; no NaN: the output is strict JSON.
        typer.echo(json.dumps(doc, indent=1, allow_nan=False))
    else:
        _print_table(cmp, base if new is not None else base_name,
                     new if new is not None else new_name)
    if not fail_on_regression:
        return 0
    gate_problems = [] if allow_incomplete else problems
    for problem in gate_problems:  # stderr: the gate's reasons, whatever --json prints
        typer.echo(f"rnnbench: gate fails: {_shown(problem)} (--allow-incomplete passes such "
                   "a run)", err=True)
    return 1 if cmp.fails or gate_problems else 0
