"""`rnnbench compare BASE.json NEW.json`: which cases changed, and is the change real?"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from bench.compare import Comparison, compare_results, incomplete
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


def _facts_lines(cmp: Comparison) -> list[str]:
    """The machines: one line when they agree; otherwise the facts that differ, side by side,
    and the ones that agree named once."""
    values = [(label, _fact(cmp.base_facts, path), _fact(cmp.new_facts, path))
              for label, path in FACT_LINES]
    differ = [(label, b, n) for label, b, n in values if b != n]
    agree = [(label, b) for label, b, n in values if b == n and b != "-"]
    lines = []
    if differ:
        width = max(len(label) for label, _, _ in differ)
        lines.append("Machines differ in:")
        lines += [f"  {label:<{width}}  base {b}\n  {'':<{width}}  new  {n}"
                  for label, b, n in differ]
    if agree:
        said = "; ".join(f"{label} {value}" for label, value in agree)
        lines.append(("Both machines: " if not differ else "Same on both: ") + said)
    return lines


def _print_table(cmp: Comparison, base: Path | str, new: Path | str,
                 runs: tuple[RunResults, RunResults]) -> None:
    """The verdict counts first, the two inputs, one table per workload, then each note once
    and the statistics (bench/report/compare_terminal.py)."""
    import textwrap

    from rich.console import Console

    from bench.report import compare_terminal as view

    console = Console(highlight=False, soft_wrap=True)
    # Sentences wrap to a terminal's width; in a pipe or a file each stays one line, for grep.
    width = console.width if console.is_terminal else None

    def say(text: str = "", style: str = "") -> None:
        lines = (textwrap.wrap(text, width, subsequent_indent="  ", break_on_hyphens=False)
                 if width else [text])
        for line in lines or [""]:
            console.print(line, style=style or None, markup=False, highlight=False)

    say(view.counts_line(cmp), "bold")
    say(f"base: {_shown(base)}")
    say(f"new:  {_shown(new)}")
    for line in _facts_lines(cmp):
        for part in line.split("\n"):
            say(part)
    say()
    say(view.ratio_line(cmp) + ".")
    notes = view.Notes()
    for group in view.groups(cmp, runs):
        say()
        say(view.heading(group), "bold")
        console.print(view.group_table(group, cmp, notes))
    if notes.texts:
        say()
        say("Notes:")
        for line in notes.lines():
            say(line)
    say()
    shift = cmp.shift
    if shift is not None and cmp.same_rounds:
        lo, hi = shift.ci
        say(f"A/B in one run: median new/base over {shift.cases} cases {shift.value:.3f} "
            f"(95% CI {_ratio_ci(lo, hi)}); both sides were measured in the same rounds, so "
            "no machine drift lies between them and case verdicts are as measured")
    elif shift is not None:
        say(shift_sentence(shift, cmp.threshold))
    for device, label, base_s, new_s in cmp.references:
        say(f"machine reference on {_shown(device)} ({_shown(label)}, timed in every round of "
            f"both runs): base {base_s * 1e3:.4g} ms, new {new_s * 1e3:.4g} ms, ratio "
            f"{new_s / base_s:.3f}: the reference ran {abs(new_s / base_s - 1):.1%} "
            f"{'slower' if new_s > base_s else 'faster'} in the new run (a hint of the "
            "machine's own change, not a correction: cases can move differently)")
    within, matched = cmp.agreement
    if matched:
        say(f"agreement: the medians of {within} of {matched} matched cases "
            f"({within / matched:.0%}) are within {cmp.threshold:.1%} of each other")
    say(f"method: {cmp.method}; threshold {cmp.threshold:.1%}")


def _ratio_ci(lo: float, hi: float) -> str:
    return f"{lo:.3f}-{hi:.3f}"


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
                     new if new is not None else new_name, (base_run, new_run))
    if not fail_on_regression:
        return 0
    gate_problems = [] if allow_incomplete else problems
    for problem in gate_problems:  # stderr: the gate's reasons, whatever --json prints
        typer.echo(f"rnnbench: gate fails: {_shown(problem)} (--allow-incomplete passes such "
                   "a run)", err=True)
    return 1 if cmp.fails or gate_problems else 0
