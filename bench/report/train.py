"""The train workload's part of the run report: its table, its accuracy chart, its finding.

Its pieces are `PIECES` at the end, named by the workload in bench/workloads/train.py.
"""

from __future__ import annotations

import altair as alt

from bench.report.cases import setting, workload_cases
from bench.report.charts import PANEL_WIDTH, Chart, finish, label
from bench.report.fields import fmt_percent, fmt_seconds, number, text
from bench.report.section import ReportPieces
from bench.report.sentences import Finding, Rank, word
from bench.report.tables import Table, labels, num_cell, numeric_params, param_cell, param_columns
from bench.results import CaseResult, RunResults

WORKLOAD = "train"


def epoch_seconds(case: CaseResult) -> float | None:
    """Median wall time of one training epoch (the train workload's step)."""
    stats_median = case.stats.median_s if case.stats is not None else None
    return number(case.metrics.time_per_epoch_s) or number(stats_median)


def accuracy_curve(case: CaseResult) -> list[tuple[float, float]]:
    """(wall seconds, test accuracy) after each epoch, at the median epoch time."""
    curve = case.metrics.accuracy_curve or []
    per_epoch = epoch_seconds(case)
    if per_epoch is None:
        return []
    return [(per_epoch * (k + 1), a) for k, value in enumerate(curve)
            if (a := number(value)) is not None]


def time_to_target(case: CaseResult) -> float | None:
    """Seconds of training until the target accuracy was first reached; None if never."""
    return number(case.metrics.time_to_accuracy_s) or None


# ------------------------------------------------------------------------------ table
def train_table(results: RunResults) -> Table | None:
    cases = workload_cases(results, WORKLOAD)
    if not cases:
        return None
    params, constants = param_columns(cases, always=("model",))
    table = Table("train-table", labels(params) + ["time to target", "epochs to target",
                                                   "target accuracy", "final accuracy",
                                                   "epochs", "time per epoch"],
                  numeric_params(cases, params) + [True] * 6, constants=constants)
    for case in cases:
        table.rows.append([param_cell(case, k) for k in params] + [
            num_cell(time_to_target(case), fmt_seconds),
            num_cell(case.metrics.epochs_to_target, text),
            num_cell(case.metrics.target_accuracy, fmt_percent),
            num_cell(case.metrics.final_accuracy, fmt_percent),
            num_cell(case.metrics.epochs, text),
            num_cell(epoch_seconds(case), fmt_seconds),
        ])
    return table


# ------------------------------------------------------------------------------ chart
def train_charts(results: RunResults) -> list[Chart]:
    """Test accuracy against wall time per model and strategy."""
    rows = []
    for case in workload_cases(results, WORKLOAD):
        series = label(case, ["model", "strategy", "device"]) or text(case.id)
        points = accuracy_curve(case)
        if not points:
            final = (epoch_seconds(case), number(case.metrics.final_accuracy))
            epochs = number(case.metrics.epochs) or 1
            points = [(final[0] * epochs, final[1])] if None not in final else []
        for epoch, (wall, accuracy) in enumerate(points, start=1):
            rows.append({"series": series, "wall_s": wall, "accuracy": accuracy,
                         "epoch": epoch, "time": fmt_seconds(wall),
                         "acc": fmt_percent(accuracy)})
    if not rows:
        return []
    chart = alt.Chart(alt.Data(values=rows)).mark_line(point=True).encode(
        x=alt.X("wall_s:Q", title="wall time (s)"),
        y=alt.Y("accuracy:Q", title="test accuracy", axis=alt.Axis(format="%")),
        color=alt.Color("series:N", title="model · strategy"),
        tooltip=[alt.Tooltip("series:N", title="model · strategy"),
                 alt.Tooltip("epoch:Q"), alt.Tooltip("time:N", title="wall time"),
                 alt.Tooltip("acc:N", title="test accuracy")],
    ).properties(width=2 * PANEL_WIDTH, height=240)
    return [Chart("train", "Test accuracy against wall time", finish(chart))]


# ------------------------------------------------------------------------------ finding
def train_finding(results: RunResults) -> list[Finding]:
    """Which model and strategy reached the target accuracy soonest (or that none did)."""
    cases = workload_cases(results, WORKLOAD)
    if not cases:
        return []

    def name(case: CaseResult) -> str:
        parts = [word(setting(case, k)) for k in ("model", "strategy")
                 if setting(case, k) is not None]
        return " with ".join(parts) or case.id

    target = number(cases[0].metrics.target_accuracy)
    goal = f"{fmt_percent(target)} test accuracy" if target is not None else "the target accuracy"
    timed = [c for c in cases if time_to_target(c) is not None]
    if not timed:
        finals = [c for c in cases if number(c.metrics.final_accuracy) is not None]
        if not finals:
            return []
        best = max(finals, key=lambda c: c.metrics.final_accuracy)
        return [Finding(f"No model reached {goal}; the best final accuracy was "
                        f"{fmt_percent(best.metrics.final_accuracy)} ({name(best)}).",
                        "target accuracy not reached", Rank.TRAINING)]
    best = min(timed, key=time_to_target)
    seconds = time_to_target(best)
    return [Finding(f"{name(best)} reaches {goal} first, after {seconds:.3g} s of training.",
                    f"{name(best)}: target in {seconds:.3g} s", Rank.TRAINING)]


# This workload's section of the run report (bench/report/pieces.py).
PIECES = ReportPieces(
    section="Training: accuracy against wall time", tables=(train_table,),
    charts=(train_charts,), findings=(train_finding,))
