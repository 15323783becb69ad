"""`rnnbench compare` for a terminal: the verdict counts first, then one table per workload in
the manner of torch.utils.benchmark's Compare and asv compare.

Rows are grouped by workload (and device, precision); the parameters that vary within a group
are its columns, the ones that do not are said once in its heading; a case id is printed only
when it says more than those columns (a file whose ids were not written by rnnbench). Times are
in one unit per table, stated once; each note is printed once below the tables and marked in
the rows it belongs to. Verdicts are coloured where the console has colour (rich leaves it out
for NO_COLOR, a pipe or a file). Every text from a results file goes through `printable()`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bench.compare import Comparison, Row
from bench.labels import in_reading_order
from bench.results import CaseResult, RunResults
from provision.text import printable

VERDICT_STYLES = {"slower": "bold red", "faster": "bold green", "uncertain": "yellow",
                  "same": "", "missing": "magenta"}
VERDICT_ORDER = ("slower", "faster", "uncertain", "same", "missing")
SUPERSCRIPTS = "¹²³⁴⁵⁶⁷⁸⁹"
SHORT_PARAMS = {"dist": "lengths", "seq_len": "seq"}


def shown(value: object) -> str:
    """Text from an input file, safe for the terminal, on one line."""
    return printable(value, keep_newlines=False)


def counts_line(cmp: Comparison) -> str:
    """'1 slower · 0 faster · 2 uncertain · 11 same · 0 missing (threshold 5.0%)'."""
    counts = {v: sum(r.verdict == v for r in cmp.rows) for v in VERDICT_ORDER}
    if cmp.shift is None and not counts["uncertain"]:
        counts.pop("uncertain")
    said = " · ".join(f"{n:,} {v}" for v, n in counts.items())
    return f"{said} (threshold {cmp.threshold:.1%})"


@dataclass
class Group:
    """Rows of one workload on one device and precision."""

    title: str
    constants: list[tuple[str, str]]
    columns: list[str]
    rows: list[tuple[Row, list[str], str | None]] = field(default_factory=list)  # row, values, id


def _explained(case: CaseResult, case_id: str) -> bool:
    """Whether the id is made of these settings, as rnnbench writes ids (in any parameter
    order, some parameters left out): then the group's heading and columns say all it says."""
    named = {f"{k}={v}" for k, v in case.params.items()}
    head, *rest = case_id.split("/")[:3], *case_id.split("/")[3:]
    return head == [str(case.workload), str(case.device), str(case.dtype)] and set(rest) <= named


def groups(cmp: Comparison, runs: Sequence[RunResults]) -> list[Group]:
    """The comparison's rows by workload/device/precision, in the order they first appear."""
    cases: dict[str, CaseResult] = {}
    for run in runs:
        for case in run.cases:
            cases.setdefault(case.id, case)
    keyed: dict[tuple, list[tuple[Row, CaseResult | None]]] = {}
    for row in cmp.rows:
        case = cases.get(row.id)
        key = ((case.workload, case.device, case.dtype) if case is not None and case.workload
               else ("cases", None, None))
        keyed.setdefault(key, []).append((row, case))
    return [_group(key, members) for key, members in keyed.items()]


def _group(key: tuple, members: list[tuple[Row, CaseResult | None]]) -> Group:
    cases = [c for _, c in members if c is not None]
    keys = in_reading_order(k for c in cases for k in c.params)
    varying = [k for k in keys if len({shown(c.params.get(k)) for c in cases}) > 1]
    constants = [(k, shown(cases[0].params[k])) for k in keys
                 if k not in varying and all(k in c.params for c in cases)]
    title = " · ".join(shown(p) for p in key if p)
    group = Group(title, constants, [SHORT_PARAMS.get(k, k) for k in varying])
    for row, case in members:
        values = [shown(case.params.get(k, "-")) if case else "-" for k in varying]
        explained = case is not None and _explained(case, row.id) and (
            len(members) == 1 or bool(varying))
        group.rows.append((row, values, None if explained else shown(row.id)))
    return group


def _ms(seconds: float | None, scale: float) -> str:
    """Four significant digits, trailing zeros kept so a column's digits line up."""
    return "-" if seconds is None else f"{seconds * scale:#.4g}".rstrip(".")


def _unit(rows: list[Row]) -> tuple[str, float]:
    """One time unit for a table: the one its smallest median reads best in."""
    times = [t for r in rows for t in (r.base_median_s, r.new_median_s) if t]
    smallest = min(times) if times else 1.0
    if smallest >= 1:
        return "s", 1.0
    if smallest >= 1e-3:
        return "ms", 1e3
    return "µs", 1e6


class Notes:
    """Each distinct note once, numbered in order of first use."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def mark(self, note: str) -> str:
        if not note:
            return ""
        if note not in self.texts:
            self.texts.append(note)
        return self._sign(self.texts.index(note))

    @staticmethod
    def _sign(index: int) -> str:
        return SUPERSCRIPTS[index] if index < len(SUPERSCRIPTS) else f"[{index + 1}]"

    def marked(self) -> list[tuple[str, str]]:
        """(mark, note) in order, for a page."""
        return [(self._sign(i), t) for i, t in enumerate(self.texts)]

    def lines(self) -> list[str]:
        return [f"{mark} {shown(t)}" for mark, t in self.marked()]


def group_table(group: Group, cmp: Comparison, notes: Notes) -> Any:
    """One group as a rich table: parameters, base and new medians, ratio and its CI, p,
    verdict (coloured), id last where it is needed."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    unit, scale = _unit([r for r, _, _ in group.rows])
    replicates = cmp.shift is not None
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, padding=(0, 0, 0, 1),
                  title=None)
    for column in group.columns:
        table.add_column(shown(column), no_wrap=True)
    table.add_column(f"base {unit}", justify="right", no_wrap=True)
    table.add_column(f"new {unit}", justify="right", no_wrap=True)
    table.add_column("ratio", justify="right", no_wrap=True)
    table.add_column("95% CI" if replicates else "p", justify="right", no_wrap=True)
    if replicates:
        table.add_column("adj. p", justify="right", no_wrap=True)
    table.add_column("verdict", no_wrap=True)
    with_ids = any(i for _, _, i in group.rows)
    if with_ids:
        table.add_column("case", overflow="fold")
    for row, values, case_id in group.rows:
        if replicates and row.relative_ratio is not None:
            ratio = f"{row.relative_ratio:.3f}"
            lo_hi = f"{row.relative_ci[0]:.3f}–{row.relative_ci[1]:.3f}" if row.relative_ci else "-"
            p = row.adjusted_p if row.adjusted_p is not None else row.p_value
            stats = [lo_hi, "-" if p is None else f"{p:.2g}"]
        else:
            ratio = "-" if row.ratio is None else f"{row.ratio:.3f}"
            p_text = "-" if row.p_value is None else f"{row.p_value:.2g}"
            stats = ["-", p_text] if replicates else [p_text]
        verdict = shown(row.verdict) + (" (real)" if row.real and row.verdict == "same"
                                        and not replicates else "")
        mark = notes.mark(row.note)
        cells = [*values, _ms(row.base_median_s, scale), _ms(row.new_median_s, scale), ratio,
                 *stats, Text(verdict + mark, style=VERDICT_STYLES.get(row.verdict, ""))]
        if with_ids:
            cells.append(case_id or "")
        table.add_row(*cells)
    return table


def heading(group: Group) -> str:
    said = ", ".join(f"{SHORT_PARAMS.get(k, k)} {v}" for k, v in group.constants)
    return f"{group.title}" + (f" · {said}" if said else "")


def ratio_line(cmp: Comparison) -> str:
    """What the ratio column is, said once."""
    if cmp.shift is None:
        return ("ratio = new / base median; p: two-sided Mann-Whitney U on the samples; "
                "(real): a real difference within the threshold")
    if cmp.same_rounds:
        return ("ratio = new / base (both sides measured in the same rounds, so nothing taken "
                "out), with its 95% CI; adj. p: Holm-adjusted rank test over replicates")
    return (f"ratio = new / base with the whole-run shift ({cmp.shift.value:.3f}×) taken out, "
            "with its 95% CI; adj. p: Holm-adjusted rank test over replicates")
