"""`rnnbench report`: render one results file as a run report, or several as a comparison."""

from __future__ import annotations

from pathlib import Path

import typer

from bench.files import check_output, same_file
from provision.text import printable
from rnnbench.commands import UserError


def default_output(results: list[Path]) -> Path:
    """Next to the first results file: <stem>.html for one run, comparison.html for several."""
    first = Path(results[0])
    return first.with_suffix(".html") if len(results) == 1 else first.with_name("comparison.html")


def check_not_over_inputs(inputs: list[Path], out: Path) -> None:
    """Refuse an output that would replace an input: the page itself, or one of the chart
    images written beside it as <page stem>-<chart>.svg."""
    for path in inputs:
        path = Path(path)
        if same_file(path, out):
            raise UserError(f"{out}: is an input file; refusing to write the report over it "
                            "(give another name with -o)", 2)
        try:
            in_folder = path.resolve().parent == out.resolve().parent
        except (OSError, RuntimeError):  # a link loop: the write says so in one line
            continue
        if in_folder and path.name.startswith(f"{out.stem}-") and path.suffix == ".svg":
            raise UserError(f"{path}: an input would be replaced by a chart image of {out}; "
                            "give the page another name with -o", 2)


def report_command(results: list[Path], output: Path | None = None) -> int:
    """Write the page and print its path; bad input is a one-line UserError."""
    from bench.report import render_comparison, render_run_report
    from bench.results import ResultsError, read_results

    if not results:
        raise UserError("give at least one results file", 2)
    runs = []
    for path in results:
        try:
            runs.append(read_results(path))
        except ResultsError as exc:
            raise UserError(str(exc), 2) from None
    out = Path(output) if output is not None else default_output(results)
    try:
        check_output(out)  # before the chart images are written beside it
    except OSError as exc:
        raise UserError(f"{out}: cannot write ({exc.strerror or exc})", 2) from None
    if out.is_dir():
        raise UserError(f"{out}: is a folder; give a file name such as {out / 'report.html'}", 2)
    check_not_over_inputs(results, out)
    envs = list(dict.fromkeys(c.env for c in runs[0].cases if c.env is not None))
    try:
        if len(runs) == 1 and len(envs) >= 2:  # an A/B run: its environments side by side
            from rnnbench.commands.compare import env_sides

            a, b, label_a, label_b = env_sides(runs[0], envs[0], envs[1])
            written = render_comparison([a, b], out, labels=[f"env {label_a}", f"env {label_b}"],
                                        same_rounds=True)
        else:
            written = (render_run_report(runs[0], out) if len(runs) == 1
                       else render_comparison(runs, out))
    except OSError as exc:
        raise UserError(f"{out}: cannot write ({exc.strerror or exc})", 1) from None
    typer.echo(printable(str(written), keep_newlines=False))
    return 0
