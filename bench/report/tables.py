"""Tables of a report as plain data: columns, and rows of (display text, sort key) cells.

The templates turn these into sortable HTML tables; nothing here writes markup. The parts every
workload's table shares are here; each workload's own table is in its report module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.labels import PARAM_ORDER
from bench.report.cases import fastest, setting, speed
from bench.report.fields import (
    DASH,
    fmt_count,
    fmt_interval,
    fmt_seconds,
    number,
    text,
)
from bench.results import CaseResult, RunResults

PARAM_LABELS = {"dist": "distribution", "n": "sequences", "seq_len": "seq len",
                "max_tokens": "max tokens"}


@dataclass(frozen=True)
class Cell:
    text: str
    sort: str | float | None = None
    css: str = ""


@dataclass
class Table:
    """A sortable table: `numeric[i]` says whether column i sorts as numbers.

    `brief`: the columns a reader needs to answer the table's question (the rest sit behind a
    "details" toggle on a page and are left out of the terminal's summary); None: all.
    `best`: rows marked as the fastest of their group; `best_note` says what that means.
    """

    id: str
    columns: list[str]
    numeric: list[bool]
    rows: list[list[Cell]] = field(default_factory=list)
    constants: list[tuple[str, str]] = field(default_factory=list)
    brief: list[str] | None = None
    best: set[int] = field(default_factory=set)
    best_note: str = ""
    # A workload's table of cases: the id of each row's case and how many leading columns are
    # its parameters (the terminal names a case by its short label instead of those columns).
    row_ids: list[str] = field(default_factory=list)
    param_count: int = 0
    # On a phone, each row becomes a card of labelled lines (a checklist whose fix would
    # otherwise sit in a column off-screen, stretching every row).
    stack: bool = False

    def is_detail(self, column: int) -> bool:
        """Whether column `column` is one of the details behind the toggle."""
        return self.brief is not None and self.columns[column] not in self.brief

    @property
    def details(self) -> int:
        """How many columns are details."""
        return sum(self.is_detail(i) for i in range(len(self.columns)))


def num_cell(value: Any, fmt: Callable[[Any], str]) -> Cell:
    x = number(value)
    return Cell(fmt(x), x)


def text_cell(value: Any, css: str = "") -> Cell:
    shown = text(value)
    return Cell(shown, None if shown == DASH else shown, css)


def param_columns(cases: list[CaseResult], always: tuple[str, ...] = ()
                  ) -> tuple[list[str], list[tuple[str, str]]]:
    """Parameters that vary (or are always wanted) become columns; the rest are constants."""
    columns, constants = [], []
    keys = PARAM_ORDER + sorted({k for c in cases for k in c.params if k not in PARAM_ORDER})
    for key in keys:
        values = {text(setting(c, key)) for c in cases}
        if values == {DASH}:
            continue
        if len(values) > 1 or key in always:
            columns.append(key)
        else:
            constants.append((PARAM_LABELS.get(key, key), values.pop()))
    return columns, constants


def numeric_params(cases: list[CaseResult], params: list[str]) -> list[bool]:
    """Parameter columns holding only numbers sort as numbers (64 before 128)."""
    return [all(number(setting(c, k)) is not None for c in cases) for k in params]


def labels(params: list[str]) -> list[str]:
    return [PARAM_LABELS.get(k, k) for k in params]


def param_cell(case: CaseResult, key: str) -> Cell:
    value = setting(case, key)
    return num_cell(value, text) if number(value) is not None else text_cell(value)


TIMING_COLUMNS = ["median time", "95% CI of median", "samples", "noise target met"]


def timing_cells(case: CaseResult) -> list[Cell]:
    """The TIMING_COLUMNS of a measured case."""
    stats = case.stats
    target_met = stats.target_met if stats is not None else None
    return [num_cell(stats.median_s if stats else None, fmt_seconds),
            Cell(fmt_interval(stats.ci95_s if stats else None, fmt_seconds),
                 number(stats.iqr_s) if stats else None),
            num_cell(stats.n if stats else None,
                     lambda x: text(int(x)) if x is not None else DASH),
            text_cell({True: "yes", False: "no"}.get(target_met),
                      "" if target_met is not False else "warn")]


SPEED_COLUMNS = ["tokens/s", "95% CI tokens/s"]


def speed_cells(case: CaseResult) -> list[Cell]:
    """The SPEED_COLUMNS: tokens/s and its interval, in whole tokens with thousands separators
    (the unit is the column's)."""
    measured, tokens = speed(case), case.metrics.tokens_per_s
    bounds = measured[1] if measured and tokens else None
    return [num_cell(tokens, fmt_count),
            Cell(fmt_interval(bounds, fmt_count), bounds[0] if bounds else None)]


def mark_fastest(table: Table, cases: list[CaseResult], groups: list[list[CaseResult]],
                 note: str) -> None:
    """Mark the fastest case of each group of `cases` (row i is case i) as a best row."""
    for group in groups:
        best = fastest(group)
        if best is not None and len(group) > 1:
            table.best.add(next(i for i, c in enumerate(cases) if c is best))
    table.best_note = note if table.best else ""


def failed_table(results: RunResults) -> Table | None:
    """Cases that were not measured, and why."""
    cases = [c for c in results.cases if not c.ok]
    if not cases:
        return None
    table = Table("failed-table", ["case", "suite", "status", "reason"], [False] * 4)
    for case in cases:
        # a case that says "ok" but holds no median time was not measured either
        status = case.status if case.status != "ok" else "no measurement"
        table.rows.append([text_cell(case.id), text_cell(case.suite), text_cell(status, "bad"),
                           text_cell(case.error)])
    return table
