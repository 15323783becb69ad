"""The run's summary for a terminal: the answer first, then each workload's table, in 80 columns.

Every figure is the cell text of the run report's own tables and findings (the same records
through the same formatting), so the terminal and the page never disagree. Text from a results
file goes through `printable()` before it reaches the terminal.
"""

from __future__ import annotations

import io
import textwrap

from bench.labels import short_labels
from bench.report.findings import compute_findings
from bench.report.pieces import report_pieces
from bench.report.tables import Cell, Table
from bench.results import RunResults
from provision.text import printable

WIDTH = 80
BEST_MARK = "★"
# Shorter headers where the page's would not fit 80 columns; the unit stays in "tokens/s".
SHORT_HEADERS = {"95% CI tokens/s": "95% CI", "speed-up vs padded": "vs padded",
                 "fraction of ideal": "ideal", "of GEMM ceiling": "of ceiling",
                 "sequences": "seqs", "distribution": "lengths"}


def _shown(value: object) -> str:
    return printable(value, keep_newlines=False)


def numbered(sentences: list[str], width: int = WIDTH) -> list[str]:
    """Sentences as a numbered list wrapped to `width`, continuation lines indented."""
    lines = []
    for i, sentence in enumerate(sentences, 1):
        lines += textwrap.wrap(_shown(sentence), width, initial_indent=f"{i:>2}. ",
                               subsequent_indent="    ", break_on_hyphens=False)
    return lines


def table_lines(table: Table, width: int = WIDTH,
                names: dict[str, str] | None = None) -> list[str]:
    """A report table's brief columns as plain text no wider than `width`; best rows marked.
    With `names` (case id -> short label), a table of cases names each case in one column
    instead of one column per parameter (a terminal has no room for seven of them)."""
    from rich import box
    from rich.console import Console
    from rich.table import Table as RichTable

    if names and table.row_ids and table.param_count:
        table = _named(table, names)
    brief = [i for i in range(len(table.columns)) if not table.is_detail(i)]
    # A column with one value in every row says it once, above the table, like the page's
    # constants: the terminal has no width to spare.
    same = [i for i in brief if len(table.rows) > 1 and len({r[i].text for r in table.rows}) == 1]
    shown = [i for i in brief if i not in same]
    constants = list(table.constants) + [(table.columns[i], table.rows[0][i].text) for i in same]

    def render(gap: int, room: int) -> str:
        grid = RichTable(box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 0, 0, gap),
                         show_edge=False)
        for n, i in enumerate(shown):
            header = _shown(SHORT_HEADERS.get(table.columns[i], table.columns[i]))
            header = f"  {header}" if n == 0 else header  # room for the best row's mark
            grid.add_column(header, justify="right" if table.numeric[i] else "left",
                            no_wrap=True, overflow="fold")
        for r, row in enumerate(table.rows):
            # An interval's spaced dash is the page's; the terminal needs the two columns.
            cells = [_shown(row[i].text).replace(" – ", "–") for i in shown]
            if cells:
                cells[0] = f"{BEST_MARK if r in table.best else ' '} {cells[0]}"
            grid.add_row(*cells)
        buffer = io.StringIO()
        Console(file=buffer, width=room, color_system=None, force_terminal=False,
                highlight=False, emoji=False).print(grid)
        return buffer.getvalue()

    # Two spaces between columns where the table fits so, one where two would cut a column.
    wide = render(1, 1000)
    natural = max(len(line.rstrip()) for line in wide.splitlines())
    text = wide if natural <= width else render(0, width)
    lines = [line.rstrip() for line in text.splitlines()]
    if constants:
        said = "; ".join(f"{_shown(k)} {_shown(v)}" for k, v in constants)
        lines = textwrap.wrap(f"All rows: {said}", width, subsequent_indent="  ") + lines
    if table.best_note:
        lines.append(table.best_note)
    return lines


def _named(table: Table, names: dict[str, str]) -> Table:
    """`table` with its parameter columns replaced by one "case" column of short labels (the
    workload's name, which every row shares, left out)."""
    params = table.param_count
    rows = []
    for case_id, row in zip(table.row_ids, table.rows, strict=True):
        label = names.get(case_id, case_id).split(" ", 1)
        rows.append([Cell(label[-1] if len(label) > 1 else label[0])] + row[params:])
    named = Table(table.id, ["case"] + table.columns[params:],
                  [False] + table.numeric[params:], rows, table.constants,
                  None if table.brief is None else ["case"] + table.brief,
                  table.best, table.best_note, table.row_ids, 1)
    return named


def run_summary(results: RunResults, width: int = WIDTH) -> list[str]:
    """The summary `rnnbench run` prints at the end: findings (the answer first), then the
    brief columns of each workload's tables of cases (other tables, such as the batching
    recommendation, have their own lines: bench/recommend.py)."""
    names = short_labels(results.cases)
    lines = ["", "Findings (the same as the report's):"]
    lines += numbered([f.sentence for f in compute_findings(results)], width)
    for _, pieces in report_pieces():
        tables = [t for make in pieces.tables if (t := make(results)) and t.row_ids]
        if not tables:
            continue
        lines += ["", _shown(pieces.section)]
        for table in tables:
            lines += table_lines(table, width, names)
    return lines
