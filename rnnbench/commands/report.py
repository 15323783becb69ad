"""`rnnbench report`: render one results file as a run report, or several as a comparison."""

from __future__ import annotations

from pathlib import Path

import typer

from rnnbench.commands import UserError


def default_output(results: list[Path]) -> Path:
    """Next to the first results file: <stem>.html for one run, comparison.html for several."""
    first = Path(results[0])
    return first.with_suffix(".html") if len(results) == 1 else first.with_name("comparison.html")


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
    if out.is_dir():
        raise UserError(f"{out}: is a folder; give a file name such as {out / 'report.html'}", 2)
    try:
        written = (render_run_report(runs[0], out) if len(runs) == 1
                   else render_comparison(runs, out))
    except OSError as exc:
        raise UserError(f"{out}: cannot write ({exc.strerror or exc})", 1) from None
    typer.echo(str(written))
    return 0
