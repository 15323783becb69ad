"""Tables of a report as plain data: columns, and rows of (display text, sort key) cells.

The templates turn these into sortable HTML tables; nothing here writes markup.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bench.report.cases import (
    epoch_seconds,
    group_by,
    setting_items,
    speed,
    speedup,
    strategy,
    suite_cases,
    time_to_target,
)
from bench.report.fields import (
    DASH,
    PARAM_ALIASES,
    case_ci,
    case_metric,
    case_ok,
    case_param,
    case_stat,
    dig,
    fmt_bytes,
    fmt_interval,
    fmt_percent,
    fmt_ratio,
    fmt_seconds,
    fmt_si,
    number,
    text,
)

# Parameters in the order a reader scans them; whichever of these vary become columns.
PARAM_ORDER = ["cell", "distribution", "strategy", "model", "impl", "mode", "device", "dtype",
               "hidden", "batch", "seq_len", "layers", "n", "max_tokens"]
# Covered by a name in PARAM_ORDER through an alias, so never a column of their own.
ALIASED = {PARAM_ALIASES[k] for k in PARAM_ORDER if k in PARAM_ALIASES}
PARAM_LABELS = {"n": "sequences", "seq_len": "seq len", "max_tokens": "max tokens"}


@dataclass(frozen=True)
class Cell:
    text: str
    sort: str | float | None = None
    css: str = ""


@dataclass
class Table:
    """A sortable table: `numeric[i]` says whether column i sorts as numbers."""

    id: str
    columns: list[str]
    numeric: list[bool]
    rows: list[list[Cell]] = field(default_factory=list)
    constants: list[tuple[str, str]] = field(default_factory=list)


def num_cell(value: Any, fmt: Callable[[Any], str]) -> Cell:
    x = number(value)
    return Cell(fmt(x), x)


def text_cell(value: Any, css: str = "") -> Cell:
    shown = text(value)
    return Cell(shown, None if shown == DASH else shown, css)


def param_columns(cases: list[dict], always: tuple[str, ...] = ()) -> tuple[list[str],
                                                                            list[tuple[str, str]]]:
    """Parameters that vary (or are always wanted) become columns; the rest are constants."""
    columns, constants = [], []
    keys = PARAM_ORDER + sorted({k for c in cases for k in (dig(c, "params") or {})
                                 if k not in PARAM_ORDER and k not in ALIASED})
    for key in keys:
        values = {text(case_param(c, key)) for c in cases}
        if values == {DASH}:
            continue
        if len(values) > 1 or key in always:
            columns.append(key)
        else:
            constants.append((PARAM_LABELS.get(key, key), values.pop()))
    return columns, constants


def _numeric_params(cases: list[dict], params: list[str]) -> list[bool]:
    """Parameter columns holding only numbers sort as numbers (64 before 128)."""
    return [all(number(case_param(c, k)) is not None for c in cases) for k in params]


def _labels(params: list[str]) -> list[str]:
    return [PARAM_LABELS.get(k, k) for k in params]


def _param_cell(case: Mapping, key: str) -> Cell:
    value = case_param(case, key)
    return num_cell(value, text) if number(value) is not None else text_cell(value)


def _timing_cells(case: Mapping) -> list[Cell]:
    return [num_cell(case_stat(case, "median_s"), fmt_seconds),
            Cell(fmt_interval(case_ci(case), fmt_seconds), case_stat(case, "iqr_s")),
            num_cell(case_stat(case, "n"), lambda x: text(int(x)) if x is not None else DASH),
            text_cell({True: "yes", False: "no"}.get(dig(case, "stats", "target_met")),
                      "" if dig(case, "stats", "target_met") is not False else "warn")]


TIMING_COLUMNS = ["median time", "95% CI of median", "samples", "noise target met"]


def _speed_cells(case: Mapping) -> list[Cell]:
    measured = speed(case)
    tokens = case_metric(case, "tokens_per_s")
    bounds = measured[1] if measured and tokens else None
    return [num_cell(tokens, lambda x: fmt_si(x, "tok/s")),
            Cell(fmt_interval(bounds, fmt_si), bounds[0] if bounds else None)]


BATCHING_COLUMNS = ["tokens/s", "95% CI tokens/s", "speed-up vs padded", "fraction of ideal",
                    "padding efficiency", "same results"]


def _speedup_cell(case: Mapping, padded: Mapping | None) -> Cell:
    """Speed-up over padded in the same setting, with its interval when both have one."""
    ratio = speedup(case, padded) if padded is not None else None
    if ratio is None:
        return num_cell(case_metric(case, "speedup_vs_padded"), fmt_ratio)
    shown = fmt_ratio(ratio.value)
    if ratio.lo is not None and case is not padded:
        shown += f" ({ratio.lo:.2f}–{ratio.hi:.2f})"
    return Cell(shown, ratio.value)


def _verified_cell(case: Mapping) -> Cell:
    """Whether the variant was checked to compute the same per-sequence results."""
    verified = dig(case, "checks", "verified")
    if verified is None:
        return text_cell(None)
    # One line per row: a wrapped reason made the unverified (ideal) rows twice as tall.
    if not verified:
        return text_cell(f"not checked: {text(dig(case, 'checks', 'why'))}", "nowrap")
    diff = number(dig(case, "checks", "max_abs_diff"))
    return text_cell("yes" + (f" (max diff {diff:.1e})" if diff is not None else ""), "nowrap")


def batching_table(results: Mapping) -> Table | None:
    cases = suite_cases(results, "batching")
    if not cases:
        return None
    params, constants = param_columns(cases, always=("cell", "distribution", "strategy"))
    variants = ["strategy", "variant"]
    padded = {key: next((c for c in group if strategy(c) == "padded"), None)
              for key, group in group_by(cases, variants).items()}
    table = Table("batching-table", _labels(params) + BATCHING_COLUMNS + TIMING_COLUMNS,
                  _numeric_params(cases, params) + [True] * 5 + [False, True, True, True, False],
                  constants=constants)
    for case in cases:
        table.rows.append([_param_cell(case, k) for k in params] + _speed_cells(case) + [
            _speedup_cell(case, padded.get(setting_items(case, variants))),
            num_cell(case_metric(case, "fraction_of_ideal"), fmt_percent),
            num_cell(case_metric(case, "padding_efficiency"), fmt_percent),
            _verified_cell(case),
        ] + _timing_cells(case))
    return table


def kernels_table(results: Mapping) -> Table | None:
    cases = suite_cases(results, "kernels")
    if not cases:
        return None
    params, constants = param_columns(cases, always=("cell",))
    table = Table("kernels-table", _labels(params) + ["tokens/s", "95% CI tokens/s", "FLOP/s",
                                             "fraction of peak", "peak memory"] + TIMING_COLUMNS,
                  _numeric_params(cases, params) + [True] * 5 + [True, True, True, False],
                  constants=constants)
    for case in cases:
        table.rows.append([_param_cell(case, k) for k in params] + _speed_cells(case) + [
            num_cell(case_metric(case, "flops_per_s"), lambda x: fmt_si(x, "FLOP/s")),
            num_cell(case_metric(case, "peak_fraction"), fmt_percent),
            num_cell(case_metric(case, "peak_memory_bytes"), fmt_bytes),
        ] + _timing_cells(case))
    return table


def train_table(results: Mapping) -> Table | None:
    cases = suite_cases(results, "train")
    if not cases:
        return None
    params, constants = param_columns(cases, always=("model",))
    table = Table("train-table", _labels(params) + ["time to target", "epochs to target",
                                                    "target accuracy", "final accuracy",
                                                    "epochs", "time per epoch"],
                  _numeric_params(cases, params) + [True] * 6, constants=constants)
    for case in cases:
        table.rows.append([_param_cell(case, k) for k in params] + [
            num_cell(time_to_target(case), fmt_seconds),
            num_cell(case_metric(case, "epochs_to_target"), text),
            num_cell(case_metric(case, "target_accuracy"), fmt_percent),
            num_cell(case_metric(case, "final_accuracy"), fmt_percent),
            num_cell(case_metric(case, "epochs"), text),
            num_cell(epoch_seconds(case), fmt_seconds),
        ])
    return table


def failed_table(results: Mapping) -> Table | None:
    cases = [c for c in dig(results, "cases", default=[]) if isinstance(c, dict) and not case_ok(c)]
    if not cases:
        return None
    table = Table("failed-table", ["case", "suite", "status", "reason"], [False] * 4)
    for case in cases:
        table.rows.append([text_cell(dig(case, "id")), text_cell(dig(case, "suite")),
                           text_cell(dig(case, "status", default="no measurement"), "bad"),
                           text_cell(dig(case, "error"))])
    return table
