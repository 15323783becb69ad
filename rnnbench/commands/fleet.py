"""`rnnbench fleet doctor|run|report|merge`: many machines, one page.

`doctor` and `run` send one task per alive node of a Ray cluster (bench.fleet.ray_runner),
write the fleet folder (fleet.json and one file per node) and its page; `report` renders a
fleet folder again; `merge` builds the page from doctor/results files gathered any other way
(Slurm, scp). Exit 1 when a node fails a check, is an outlier or could not be checked; 130
after Ctrl-C (with every node gathered so far written).
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import typer

from bench.files import replaceable
from provision.text import printable
from rnnbench.commands import UserError

PAGE = "index.html"


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _finish(nodes: list, page: Path, json_out: bool, title: str) -> int:
    """Analyse, write the page, print the summary or the JSON view; return the exit code."""
    from bench.fleet.merge import build_view, view_document
    from bench.report.fleet import render_fleet, summary_sentence

    view = build_view(nodes)
    try:
        render_fleet(view, page, title)
    except OSError as exc:
        raise UserError(f"{page}: cannot write ({exc.strerror or exc})", 1) from None
    if json_out:
        typer.echo(json.dumps(view_document(view) | {"page": str(page)}, indent=1))
        return view.exit_code
    # Node names, check ids, facts and case ids come from the nodes' files: each line is shown
    # as text, so a newline or an escape in a name cannot forge or hide a line.
    lines = [summary_sentence(view)]
    for node in view.nodes:
        if not node.ok:
            lines.append(f"  {node.name}: {node.problem}")
        elif node.failed_checks:
            lines.append(f"  {node.name}: fails {', '.join(c.id for c in node.failed_checks)}")
    lines += [f"  {sentence}" for sentence in _drift_lines(view.drift)]
    lines += [f"  {o.sentence}" for o in view.outliers]
    lines.append(f"HTML: {page}")
    for line in lines:
        typer.echo(printable(line, keep_newlines=False))
    return view.exit_code


# Drift lines printed per fact; the rest are counted in one line (all are on the page and in
# --json): with every node on its own kernel, one line per node would bury the summary.
DRIFT_LINES_PER_FACT = 3


def _drift_lines(drift: list) -> list[str]:
    lines, shown, left = [], {}, {}
    for d in drift:
        shown[d.fact] = shown.get(d.fact, 0) + 1
        if shown[d.fact] <= DRIFT_LINES_PER_FACT:
            lines.append(d.sentence)
        else:
            left[d.fact] = left.get(d.fact, 0) + 1
    return lines + [f"... and {n} more values of {fact} (all on the page and in --json)"
                    for fact, n in left.items()]


def _default_out(kind: str) -> Path:
    return Path("reports") / f"fleet-{kind}-{datetime.now().strftime('%Y%m%d-%H%M%S')}"


def gather_command(kind: str, address: str | None, timeout: float, out: Path | None,
                   json_out: bool, suite: str = "quick", config: Path | None = None,
                   gpu_tests: bool = True) -> int:
    """`fleet doctor` (kind "doctor") and `fleet run` (kind "run")."""
    from bench.fleet.ray_runner import FleetError, gather
    from bench.fleet.store import read_fleet, write_fleet
    from bench.report.fleet import render_node_reports

    if timeout <= 0:
        raise UserError("--timeout must be positive", 2)
    config_text = None
    if config is not None:
        from bench.files import UnreadableFile, read_regular
        from bench.suites import MAX_CONFIG_BYTES

        try:  # a FIFO or a device is refused, not waited on or read without end
            config_text = read_regular(Path(config), MAX_CONFIG_BYTES, "a config").decode("utf-8")
        except (UnreadableFile, UnicodeDecodeError) as exc:
            reason = exc if isinstance(exc, UnreadableFile) else f"{config}: not UTF-8 text"
            raise UserError(f"--config {reason}", 2) from None
    out = Path(out) if out is not None else _default_out(kind)
    _refuse_foreign_page(out / PAGE)  # asked before the nodes are, not after
    try:
        wires, interrupted = gather(kind, address, timeout, suite, config_text, _say)
    except FleetError as exc:
        raise UserError(str(exc), 2) from None
    # Read back from the files just written: a node's document is checked like any file's.
    nodes = read_fleet(write_fleet(out, wires, kind, sys.argv))
    render_node_reports(nodes)
    code = _finish(nodes, out / PAGE, json_out, f"rnnbench fleet {kind}")
    return 130 if interrupted else code


def report_command(folder: Path, json_out: bool) -> int:
    """Render a fleet folder's page again from its fleet.json."""
    from bench.fleet.store import INDEX, read_fleet

    folder = Path(folder)
    index = folder / INDEX if folder.is_dir() else folder
    try:
        nodes = read_fleet(index)
    except ValueError as exc:
        raise UserError(str(exc), 2) from None
    _refuse_foreign_page(index.with_name(PAGE))
    return _finish(nodes, index.with_name(PAGE), json_out, "rnnbench fleet")


def _refuse_foreign_page(page: Path) -> None:
    """A folder's index.html is replaced only when rnnbench wrote it (it may be the user's)."""
    if not replaceable(page):
        raise UserError(f"{page}: was not written by rnnbench; refusing to replace it (move it "
                        "away, or give the page another name with -o)", 2)


def merge_command(files: list[Path], output: Path | None, json_out: bool) -> int:
    """The fleet page from doctor/results files (or fleet folders) gathered any other way."""
    from bench.files import input_at
    from bench.fleet.merge import read_files
    from bench.fleet.store import INDEX

    if not files:
        raise UserError("give at least one doctor or results file", 2)
    out = Path(output) if output is not None else Path("fleet.html")
    if out.is_dir():
        out = out / PAGE
        _refuse_foreign_page(out)
    inputs = [Path(f) / INDEX if Path(f).is_dir() else Path(f) for f in files]
    overwritten = input_at(inputs, out)
    if overwritten is not None:
        raise UserError(f"{out}: is the input {overwritten}; refusing to write the page over it "
                        "(give another name with -o)", 2)
    return _finish(read_files(files), out, json_out, "rnnbench fleet")


# ----------------------------------------------------------------------------- the sub-app
# Declared here rather than in rnnbench/cli.py so that the fleet stays one module; importing it
# costs nothing (every heavy import above is inside a function).
fleet_app = typer.Typer(help="Doctor and benchmark every node of a Ray cluster, or merge files "
                        "gathered another way (Slurm), into one page: checks by node, drift, "
                        "outliers.", no_args_is_help=True)

_ADDRESS = typer.Option(None, "--address", help="Ray cluster address, e.g. 10.0.0.1:6379 "
                        "(default: the cluster this machine is part of).")
_OUT = typer.Option(None, "--out", help="Folder for fleet.json, one file per node and "
                    "index.html (default: reports/fleet-<kind>-<time>).")
_JSON = typer.Option(False, "--json", help="Print the fleet view as JSON.")


@fleet_app.command("doctor")
def fleet_doctor(
    address: str = _ADDRESS,
    timeout: float = typer.Option(300.0, "--timeout", help="Seconds each node may take."),
    out: Path = _OUT,
    json_out: bool = _JSON,
    no_gpu_tests: bool = typer.Option(False, "--no-gpu-tests",
                                      help="Skip the real computations on the GPU nodes."),
) -> None:
    """Run the doctor on every alive node; exit 1 when a node fails a check or is unreachable."""
    raise typer.Exit(gather_command("doctor", address, timeout, out, json_out,
                                    gpu_tests=not no_gpu_tests))


@fleet_app.command("run")
def fleet_run(
    suite: str = typer.Option("quick", "--suite", help="quick | batching | kernels | full"),
    config: Path = typer.Option(None, "--config", help="A TOML grid, sent to every node."),
    address: str = _ADDRESS,
    timeout: float = typer.Option(1800.0, "--timeout", help="Seconds each node may take."),
    out: Path = _OUT,
    json_out: bool = _JSON,
) -> None:
    """Benchmark every alive node (each measures only itself); name the slow ones."""
    raise typer.Exit(gather_command("run", address, timeout, out, json_out, suite=suite,
                                    config=config))


@fleet_app.command("report")
def fleet_report(
    folder: Path = typer.Argument(..., help="A fleet folder (or its fleet.json)."),
    json_out: bool = _JSON,
) -> None:
    """Write a fleet folder's page (index.html) again."""
    raise typer.Exit(report_command(folder, json_out))


@fleet_app.command("merge")
def fleet_merge(
    files: list[Path] = typer.Argument(..., help="Doctor files (rnnbench doctor --json), "
                                       "results files, or fleet folders."),
    output: Path = typer.Option(None, "-o", "--output", help="HTML file to write "
                                "(default: fleet.html)."),
    json_out: bool = _JSON,
) -> None:
    """Build the fleet page from files gathered any other way (no Ray needed)."""
    raise typer.Exit(merge_command(files, output, json_out))
