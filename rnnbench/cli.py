"""The `rnnbench` command line: argument parsing and wiring only.

Each command imports its implementation lazily so that `rnnbench --help` and `rnnbench doctor`
start fast (importing torch alone costs about a second).
"""

from __future__ import annotations

import errno
import signal
import sys
from pathlib import Path
from typing import Optional

import typer

from rnnbench.commands import UserError
from rnnbench.commands.fleet import fleet_app

app = typer.Typer(
    name="rnnbench",
    help=(
        "Is this machine ready for GPU deep learning (`doctor`), and which RNN batching strategy "
        "and kernel runs fastest on it (`run`)? Every answer can be read as a self-contained "
        "HTML report."
    ),
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
)
data_app = typer.Typer(help="Download the real corpora (the default benchmark needs none).",
                       no_args_is_help=True)
train_app = typer.Typer(help="Train the rnnkit models on a real corpus.", no_args_is_help=True)
app.add_typer(data_app, name="data")
app.add_typer(train_app, name="train")
app.add_typer(fleet_app, name="fleet")


def _print_version(value: bool) -> None:
    if value:
        from rnnbench import __version__

        typer.echo(f"rnnbench {__version__}")
        raise typer.Exit(0)


@app.callback()
def _options(
    version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """Options that come before the command."""


# --------------------------------------------------------------------------- doctor
@app.command()
def doctor(
    profile: str = typer.Option(None, "--profile", help="Expectations to check against, e.g. "
                                "fedora29-gtx1050-cuda10. Default: inferred from this machine."),
    root: Path = typer.Option(Path("/"), "--root", help="Read machine files below this folder "
                              "(for replaying a recorded machine)."),
    json_out: bool = typer.Option(False, "--json", help="Print the result as JSON "
                                  "(schema rnnbench.doctor/1)."),
    html: Path = typer.Option(None, "--html", help="Also write the checklist as an HTML page."),
    verbose: bool = typer.Option(False, "-v", "--verbose", help="Show each check's detail."),
    no_gpu_tests: bool = typer.Option(False, "--no-gpu-tests",
                                      help="Skip the real computations on the GPU."),
    advise_torch: bool = typer.Option(False, "--advise-torch",
                                      help="Only name the newest torch build this machine's "
                                      "driver, GPUs and Python can run, and why (--json too)."),
) -> None:
    """Check whether this machine is ready for GPU deep learning, with the fix for each problem.

    Exit 0 when nothing failed (warnings allowed), 1 when a check failed, 2 for usage errors.
    """
    from rnnbench.commands.doctor import advise_torch_command, doctor_command

    if advise_torch:
        raise typer.Exit(advise_torch_command(root=root, json_out=json_out))
    raise typer.Exit(doctor_command(profile=profile, root=root, json_out=json_out, html=html,
                                    verbose=verbose, gpu_tests=not no_gpu_tests))


# --------------------------------------------------------------------------- run
@app.command()
def run(
    suite: str = typer.Option("quick", "--suite", help="quick | batching | kernels | train | full"),
    device: str = typer.Option("all", "--device", help="cpu | cuda | all (all present devices)"),
    cells: str = typer.Option(None, "--cells", help="Comma list of rnn,gru,lstm (default: all)."),
    dtype: str = typer.Option(None, "--dtype", help="Comma list of fp32,bf16,fp16."),
    config: Path = typer.Option(None, "--config", help="A TOML file with a custom grid."),
    data: Path = typer.Option(None, "--data", help="Names corpus folder, for the train suite."),
    corpus: Path = typer.Option(None, "--corpus", help="Your sequences for the batching "
                                "cases: a UTF-8 text file (see --split, --count) or the names "
                                "corpus folder; they replace the synthetic lengths."),
    lengths: Path = typer.Option(None, "--lengths", help="Your sequence lengths for the "
                                 "batching cases: a file of whole numbers, one per line."),
    split: str = typer.Option("lines", "--split", help="--corpus text: one sequence per "
                              "'lines' or 'sentences'."),
    count: str = typer.Option("chars", "--count", help="--corpus text: length in 'chars' or "
                              "'words' (whitespace-separated)."),
    n: int = typer.Option(None, "--n", min=1, help="Sequences per batching case, sampled from "
                          "your data with --seed (default: the suite's)."),
    with_synthetic: bool = typer.Option(False, "--with-synthetic", help="Run the synthetic "
                                        "length distributions beside your data."),
    out: Path = typer.Option(Path("reports"), "--out", help="Folder that receives "
                             "<run-id>/results.json and the HTML report."),
    export: Optional[tuple[str, Path]] = typer.Option(  # noqa: UP045 (typer reads the hint)
        None, "--export", help="Also export, e.g. --export pytest-benchmark FILE.json"),
    json_out: bool = typer.Option(False, "--json", help="Print the results JSON path and a "
                                  "summary as JSON."),
    seed: int = typer.Option(0, "--seed", help="Seed for data, weights and batch order."),
    threads: int = typer.Option(None, "--threads", min=1, help="torch CPU threads (default: "
                                "the suite's setting: 1 for quick and batching, else torch's)."),
    processes: int = typer.Option(None, "--processes", min=1, help="Fresh worker processes "
                                  "that share each case's rounds and budget, so comparisons "
                                  "test per-process replicates (default: the suite's setting: "
                                  "3 for quick, kernels and full, else 1 = in this process, "
                                  "whose CIs leave out process-to-process variation)."),
    python: list[str] = typer.Option(None, "--python", help="Run the workers in this "
                                     "interpreter; give it twice (A, then B) to time two "
                                     "environments in the same rounds, in one results file."),
) -> None:
    """Benchmark batching strategies and RNN kernels here; write results.json and an HTML report."""
    from rnnbench.commands.run import LengthsOption, run_command

    raise typer.Exit(run_command(suite=suite, device=device, cells=cells, dtype=dtype,
                                 config=config, data=data, out=out, export=export,
                                 json_out=json_out, seed=seed, threads=threads,
                                 processes=processes, pythons=python or [],
                                 lengths=LengthsOption(corpus, lengths, split, count, n,
                                                       with_synthetic)))


# --------------------------------------------------------------------------- compare
@app.command()
def compare(
    base: Path = typer.Argument(..., help="Results file of the baseline run (alone: an A/B run "
                                "of two environments, compared A against B)."),
    new: Path = typer.Argument(None, help="Results file of the new run."),
    threshold: str = typer.Option("5%", "--threshold", help="Smallest change that matters."),
    fail_on_regression: bool = typer.Option(False, "--fail-on-regression",
                                            help="Exit 1 on a real regression beyond threshold."),
    json_out: bool = typer.Option(False, "--json", help="Print the comparison as JSON."),
    env_a: str = typer.Option(None, "--a", help="A/B run: the baseline environment's label "
                              "(with two files: the environment to take from BASE)."),
    env_b: str = typer.Option(None, "--b", help="A/B run: the new environment's label "
                              "(with two files: the environment to take from NEW)."),
    allow_incomplete: bool = typer.Option(False, "--allow-incomplete", help="With "
                                          "--fail-on-regression, pass a new run that did not "
                                          "finish or whose cases failed or are missing "
                                          "(by default such a run fails the gate)."),
) -> None:
    """Compare two results files case by case and say which differences are real."""
    from rnnbench.commands.compare import compare_command

    raise typer.Exit(compare_command(base=base, new=new, threshold=threshold,
                                     fail_on_regression=fail_on_regression, json_out=json_out,
                                     a=env_a, b=env_b, allow_incomplete=allow_incomplete))


# --------------------------------------------------------------------------- report
@app.command()
def report(
    results: list[Path] = typer.Argument(..., help="One results file, or several to compare."),
    output: Path = typer.Option(None, "-o", "--output", help="HTML file to write (default: "
                                "next to the first results file, as <name>.html for one file "
                                "and comparison.html for several)."),
) -> None:
    """Render results as a self-contained HTML page (several files: a comparison)."""
    from rnnbench.commands.report import report_command

    raise typer.Exit(report_command(results=results, output=output))


# --------------------------------------------------------------------------- train
@train_app.command("names")
def train_names(
    data: Path = typer.Option(None, "--data", help="Folder of <Language>.txt files."),
    model: str = typer.Option("gru", "--model", help="tutorial | rnn | gru | lstm"),
    epochs: int = typer.Option(5, "--epochs", help="Passes over the training split (>= 1)."),
    batching: str = typer.Option("bucketed", "--batching", help="padded | packed | bucketed"),
    seed: int = typer.Option(0, "--seed"),
    json_out: bool = typer.Option(False, "--json", help="Print per-epoch figures as JSON."),
    threads: int = typer.Option(None, "--threads", min=1, help="torch CPU threads (default: "
                                "torch's choice, usually one per core)."),
    max_length: int = typer.Option(64, "--max-length", help="Leave out (and count) names "
                                   "longer than this many characters."),
) -> None:
    """Train a name classifier and print wall time, names/s and test accuracy per epoch."""
    from rnnbench.commands.train import train_names_command

    raise typer.Exit(train_names_command(data=data, model=model, epochs=epochs,
                                         batching=batching, seed=seed, json_out=json_out,
                                         threads=threads, max_length=max_length))


# --------------------------------------------------------------------------- data
@data_app.command("fetch")
def data_fetch(
    corpus: str = typer.Argument(..., help="names | nietzsche"),
    dest: Path = typer.Option(Path("data"), "--dest", help="Folder to put the corpus in."),
    url: str = typer.Option(None, "--url", help="Override the download address (mirrors, tests)."),
) -> None:
    """Download a corpus from its public address and verify its checksum."""
    from rnnbench.commands.data import fetch_command

    raise typer.Exit(fetch_command(corpus=corpus, dest=dest, url=url))


def _interrupt_on_signals() -> None:
    """SIGTERM and SIGHUP stop a command as Ctrl-C does, so every Ctrl-C path (the run marked
    interrupted, its page and the index written, exit 130) serves them too."""
    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    for signum in (signal.SIGTERM, signal.SIGHUP):
        # An ignored signal stays ignored: `nohup rnnbench run` must outlive the terminal.
        if signal.getsignal(signum) is not signal.SIG_IGN:
            signal.signal(signum, interrupt)


def _unusable_name(exc: OSError) -> bool:
    """An error that is the given name's fault, whichever option or file it came from: longer
    than the file system allows (255 bytes a component: about 85 CJK characters), or a loop of
    links. Every command meets such a name first in a different place; all say it in one line."""
    return exc.errno in (errno.ENAMETOOLONG, errno.ELOOP) and exc.filename is not None


def main() -> None:
    """Console-script entry point."""
    _interrupt_on_signals()
    from provision.text import printable
    from rnnbench import streams

    streams.watch_stdout()
    code: int | str | None = 0
    try:
        app()
    except SystemExit as exc:
        code = exc.code
    except UserError as exc:
        typer.echo(f"rnnbench: error: {printable(exc)}", err=True)
        code = exc.exit_code
    except KeyboardInterrupt:
        typer.echo("rnnbench: interrupted", err=True)
        code = 130
    except OSError as exc:  # a write to stdout failed mid-command, or a name no file can have
        if streams.stdout_failure() is not None:
            code = 1
        elif _unusable_name(exc):
            where = printable(exc.filename, keep_newlines=False)
            typer.echo(f"rnnbench: error: {where}: {exc.strerror}", err=True)
            code = 2
        else:  # anything else is a bug
            raise
    failure = streams.stdout_failure()
    if failure is not None:
        streams.report_stdout_failure(failure)
        streams.abandon_stdout()
        code = code or 1
    sys.exit(code)


if __name__ == "__main__":
    main()
