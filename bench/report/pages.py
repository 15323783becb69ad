"""The four pages: a run report, a comparison of runs, the doctor's checklist, the index of runs.

Each public function gathers the page's data, renders its template and writes the file
atomically, returning the path written.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.compare import Comparison, compare_results
from bench.files import is_stream, write_atomic
from bench.labels import short_labels
from bench.report.charts import Chart, comparison_chart
from bench.report.checklist import checklist
from bench.report.environment import (
    checks_table,
    facts_side_by_side,
    facts_table,
    settings_pairs,
)
from bench.report.fields import (
    DASH,
    dig,
    fmt_percent,
    fmt_seconds,
    fmt_when,
    number,
    text,
)
from bench.report.findings import compute_findings
from bench.report.inputs import as_run
from bench.report.links import relative_href
from bench.report.machine import busy_note, doctor_verdict, machine_line
from bench.report.pieces import report_pieces
from bench.report.render import render_page, write_svg
from bench.report.tables import Cell, Table, failed_table, text_cell
from bench.results import RunResults
from bench.shift import Shift
from bench.stats import max_min_spread

MAX_LISTED_CASES = 12


@dataclass(frozen=True)
class ChartView:
    """A chart as the template places it: element id, title, spec, and its static SVG if any
    (its file name, shown, and the link to it)."""

    id: str
    title: str
    spec: dict
    svg: str | None
    svg_href: str | None = None


@dataclass
class Section:
    id: str
    title: str
    charts: list[ChartView]
    tables: list[Table]
    notes: list[str]


def svg_path_for(out_html: Path, chart: Chart) -> Path:
    """Where a headline chart's static SVG is written: beside the page, named after it."""
    return out_html.with_name(f"{out_html.stem}-{chart.slug}.svg")


def _place_charts(charts: list[Chart], out_html: Path, first_index: int) -> list[ChartView]:
    """Give each chart an element id; headline charts also get a static SVG next to the page."""
    views = []
    beside = not is_stream(out_html)  # a page sent to a device or pipe has no folder
    for i, chart in enumerate(charts, start=first_index):
        svg = href = None
        if chart.headline and beside:
            svg_path = svg_path_for(out_html, chart)
            write_svg(chart.spec, svg_path)
            svg, href = svg_path.name, relative_href(svg_path.name)
        views.append(ChartView(f"chart-{i}", chart.title, chart.spec, svg, href))
    return views


def profile_name(profile: Any) -> str:
    """The doctor's profile; none named means the checks inferred one from the machine."""
    return text(profile) if profile else "inferred from this machine"


def suite_name(results: RunResults) -> str:
    if results.settings.suite:
        return results.settings.suite
    suites = sorted({c.suite for c in results.cases if c.suite})
    return ", ".join(suites) or DASH


def method_notes(results: RunResults) -> list[str]:
    """What the timer did and how well it met its noise target, in sentences."""
    measured = results.ok_cases
    counts = [int(n) for c in measured if (n := number(c.stats.n)) is not None]
    target = number(results.settings.target)
    goal = f"±{fmt_percent(target)}" if target is not None else "the noise target"
    rounds_run = any(c.stats.schedule == "interleaved" for c in measured)
    if rounds_run:  # since issue 22: every case in rounds, median and CI over replicates
        notes = [
            "Every case is built and warmed up, then all cases are timed together in "
            "interleaved rounds. Figures are medians of the replicates (one median per round "
            "and worker process); intervals are their 95% CI, widened to the spread between "
            f"worker processes, and the noise target is {goal}. Ratios of two cases take the "
            "opposite ends of both intervals, so their intervals are conservative."]
        notes += _ci_scope_notes(measured)
    else:
        notes = [
            "Each case is warmed up, then timed repeatedly until the 95% confidence interval "
            f"of its median is within {goal} of the median or its time budget runs out. "
            "Figures are medians; intervals are the 95% CI of the median; ratios of two cases "
            "take the opposite ends of both intervals, so their intervals are conservative."]
    if counts:
        notes.append(f"{len(measured)} cases measured with {min(counts)}–{max(counts)} samples "
                     f"each (median {statistics.median(counts):g}).")
    names = short_labels(measured)
    missed = [names.get(c.id, text(c.id)) for c in measured if c.stats.target_met is False]
    if missed:
        shown = ", ".join(missed[:MAX_LISTED_CASES])
        more = len(missed) - MAX_LISTED_CASES
        shown += f" and {more} more" if more > 0 else ""
        notes.append(f"{len(missed)} case(s) did not reach the noise target within the budget: "
                     f"{shown}. Their intervals are wider, and every figure and finding on "
                     "this page is given with its interval, so they hold as stated; only "
                     "differences smaller than those intervals stay undecided.")
    elif measured:
        notes.append("Every measured case reached the noise target.")
    return notes + _rounds_notes(results)


def _ci_scope_notes(measured: list) -> list[str]:
    """What the intervals leave out, where a run cannot see it (bench/merging.py `ci_method`)."""
    notes = []
    alone = [c for c in measured if c.stats.ci_method and "not in this CI" in c.stats.ci_method]
    if alone:
        notes.append(f"{len(alone)} case(s) were timed in one process only: their intervals "
                     "hold the round-to-round noise but not the variation between processes, "
                     "so they are narrower than an interval that holds across runs. Run with "
                     "--processes 3 or more for intervals that do.")
    drifts = sorted({c.stats.drift for c in measured if c.stats.drift})
    if drifts:
        low, high = f"{drifts[0]:.1%}", f"{drifts[-1]:.1%}"
        amount = low if low == high else f"{low} to {high}"
        notes.append(f"Every interval of a time allows for the machine drifting between runs by "
                     f"{amount} "
                     "(sd), which no run can see in itself; ratios within this run (speed-ups, "
                     "fractions of a ceiling or limit) are paired round by round and need no "
                     "such allowance. Measure your machine's drift with scripts/ci_coverage.py "
                     "and set it as `drift` in a config's [settings].")
    elif measured and all(c.stats.ci_method for c in measured):
        notes.append("The intervals allow for no drift of the machine between runs (drift = 0): "
                     "a later run may settle outside them.")
    return notes


def _rounds_notes(results: RunResults) -> list[str]:
    """How interleaved cases were sampled, and how far the machine's own speed moved."""
    interleaved = [c for c in results.ok_cases if c.stats.schedule == "interleaved"]
    if not interleaved:
        return []
    rounds = number(results.settings.rounds)
    notes = [f"The {len(interleaved)} cases were timed in "
             f"{f'{rounds:g} ' if rounds else ''}interleaved rounds: each round visits every case "
             "once, in a fresh random order, so all of their samples span the same minutes and "
             "drift in the machine's speed hits every case alike."]
    for ref in results.references or []:
        per_round = ref.per_round_median_s or []
        # A file can hold a 0 or an infinite median: no spread is said from those.
        if len(per_round) < 2 or not all(math.isfinite(v) and v > 0 for v in per_round):
            continue
        spread = max_min_spread(per_round)
        notes.append(f"A reference workload on {text(ref.device)} "
                     f"({text(ref.label)}), timed in every round, took "
                     f"{fmt_seconds(min(per_round))} to {fmt_seconds(max(per_round))} per step: "
                     f"its speed moved by {fmt_percent(spread)} during the run, a rough gauge "
                     "of the machine's own drift (cases can move differently).")
    return notes


def run_status_note(results: RunResults) -> str | None:
    """A warning when the run did not finish, so partial figures are read as partial."""
    status = results.status
    if status is None or status == "complete":
        return None
    return (f"This run is {text(status)}: it holds only the cases finished before it stopped.")


def _sections(results: RunResults, out_html: Path) -> tuple[list[Section], list[ChartView]]:
    """Each workload's section, in registry order, and every chart placed on the page."""
    sections, views = [], []
    for name, pieces in report_pieces():
        charts = [chart for make in pieces.charts for chart in make(results)]
        placed = _place_charts(charts, out_html, len(views))
        views += placed
        tables = [table for make in pieces.tables if (table := make(results))]
        notes = [note for make in pieces.notes for note in make(results)]
        sections.append(Section(name, pieces.section, placed, tables, notes))
    return sections, views


def render_run_report(results: RunResults | Mapping, out_html: Path) -> Path:
    """One run as a page, with a static SVG of each headline chart beside it."""
    results = as_run(results)
    out_html = Path(out_html)
    sections, views = _sections(results, out_html)
    context = {
        "title": f"rnnbench run · {suite_name(results)} · {fmt_when(results.created)}",
        "machine": machine_line(results.facts),
        "suite": suite_name(results),
        "status_note": run_status_note(results),
        "created": fmt_when(results.created),
        "findings": [f.sentence for f in compute_findings(results)],
        "verdict": doctor_verdict(dig(results.doctor, "checks"), results.facts),
        "busy": busy_note(number(results.settings.load_average_1min_at_start),
                          dig(results.facts, "cpu", "logical_cores"),
                          dig(results.doctor, "readiness", default=[])),
        "profile": profile_name(dig(results.doctor, "profile")),
        "sections": [s for s in sections if s.charts or s.tables],
        "method": method_notes(results),
        "failed": failed_table(results),
        "checks": checks_table(dig(results.doctor, "checks", default=[])),
        "readiness": checks_table(dig(results.doctor, "readiness", default=[]),
                                  "readiness-table"),
        "facts": facts_table([results.facts], ["value"]),
        "settings": settings_pairs(results),
        "charts": views,
    }
    return write_atomic(out_html, render_page("run.html.j2", context, uses_charts=bool(views)))


VERDICT_ORDER = {"slower": 0, "faster": 1, "missing": 2, "same": 3}
REPLICATE_ORDER = {"slower": 0, "faster": 1, "uncertain": 2, "missing": 3, "same": 4}


@dataclass
class PairView:
    """One pair of runs on the comparison page: its table, the notes its rows point to, and
    the chart's points (one per case, in run order)."""

    table: Table
    notes: list[tuple[str, str]]  # (mark, note)
    points: list[dict[str, Any]]


def _verdict_cell(verdict: str, order: dict[str, int], mark: str = "") -> Cell:
    return Cell(verdict + mark, order.get(verdict, 5),
                f"verdict-{verdict}" + (" regression" if verdict == "slower" else ""))


def _case_ci(run: RunResults, case_id: str) -> tuple[float, float] | None:
    case = next((c for c in run.cases if c.id == case_id), None)
    ci = case.stats.ci95_s if case is not None and case.stats is not None else None
    return (number(ci[0]), number(ci[1])) if ci else None


def _sample_ratio_ci(base: RunResults, new: RunResults,
                     case_id: str) -> tuple[float, float] | None:
    """The ratio's interval from the two medians' CIs, conservatively (opposite ends)."""
    b, n = _case_ci(base, case_id), _case_ci(new, case_id)
    if not b or not n or None in (*b, *n) or b[0] <= 0 or b[1] <= 0:
        return None
    return n[0] / b[1], n[1] / b[0]


def _pair_view(comparison: Comparison, base: RunResults, new: RunResults, table_id: str,
               labels: dict[str, str]) -> PairView:
    """Case by case, regressions first, each case named by the settings that tell it apart
    (its id behind the details toggle); each note once, marked in its rows."""
    from bench.report.compare_terminal import Notes

    replicates = comparison.shift is not None
    order = REPLICATE_ORDER if replicates else VERDICT_ORDER
    if replicates:
        columns = ["case", "verdict", "vs shift (95% CI)", "adjusted p", "base median",
                   "new median", "new / base", "id"]
        numeric = [False, False, True, True, True, True, True, False]
        brief = ["case", "verdict", "vs shift (95% CI)", "base median", "new median"]
    else:
        columns = ["case", "verdict", "new / base", "real difference", "base median",
                   "new median", "p (rank test)", "id"]
        numeric = [False, False, True, False, True, True, True, False]
        brief = ["case", "verdict", "new / base", "base median", "new median"]
    table = Table(table_id, columns, numeric, brief=brief)
    notes = Notes()
    points = []
    for row in comparison.rows:  # run order for the chart
        ratio, rel = number(row.ratio), number(row.relative_ratio)
        ci = row.relative_ci if rel is not None else (
            _sample_ratio_ci(base, new, row.id) if ratio is not None else None)
        value = rel if rel is not None else ratio
        p = number(row.adjusted_p) if replicates else number(row.p_value)
        points.append({"label": labels.get(row.id, text(row.id)), "id": text(row.id),
                       "ratio": value, "lo": ci[0] if ci else None,
                       "hi": ci[1] if ci else None, "verdict": str(row.verdict),
                       "ci": f"{ci[0]:.3f}–{ci[1]:.3f}" if ci else DASH,
                       "base": fmt_seconds(row.base_median_s),
                       "new": fmt_seconds(row.new_median_s),
                       "p": DASH if p is None else f"{p:.3g}"})
    for row in sorted(comparison.rows, key=lambda r: order.get(r.verdict, 5)):
        verdict, ratio = str(row.verdict), number(row.ratio)
        mark = notes.mark(row.note)
        label = text_cell(labels.get(row.id, text(row.id)), "wrap")
        base_cell = Cell(fmt_seconds(row.base_median_s), number(row.base_median_s))
        new_cell = Cell(fmt_seconds(row.new_median_s), number(row.new_median_s))
        ratio_cell = Cell(DASH if ratio is None else f"{ratio:.3f}", ratio)
        if replicates:
            rel, p = number(row.relative_ratio), number(row.adjusted_p)
            shown = (f"{rel:.3f} ({row.relative_ci[0]:.3f}–{row.relative_ci[1]:.3f})"
                     if rel is not None and row.relative_ci else DASH)
            cells = [label, _verdict_cell(verdict, order, mark), Cell(shown, rel),
                     Cell(DASH if p is None else f"{p:.3g}", p), base_cell, new_cell,
                     ratio_cell]
        else:
            real, p = bool(row.real), number(row.p_value)
            cells = [label, _verdict_cell(verdict, order, mark), ratio_cell,
                     Cell("yes" if real else "no", "yes" if real else "no"), base_cell,
                     new_cell, Cell(DASH if p is None else f"{p:.3g}", p)]
        table.rows.append(cells + [text_cell(row.id, "id")])
    return PairView(table, notes.marked(), points)


def shift_sentence(shift: Shift, threshold: float) -> str:
    """The whole-run shift in words, beside the machine's reference and drift."""
    lo, hi = shift.ci
    ref = (f"the machine's reference workload moved {shift.reference_ratio:.3f}×"
           if shift.reference_ratio is not None else "no reference workload in both runs")
    if shift.beyond_drift:
        said = ("beyond the drift the machine showed: the whole run moved (something every "
                "case shares changed, or the machine did)")
    else:
        said = "within the drift the machine showed: a whole-run shift, not per-case changes"
    how = ("case verdicts are relative to it" if shift.corrected
           else "case verdicts are not corrected for it")
    return (f"Whole-run shift (median new / base over {shift.cases} cases): "
            f"{shift.value:.3f}× (95% CI {lo:.3f}–{hi:.3f}); {ref}; {said}; {how}.")


AB_SENTENCE = ("A/B in one run: the environments were measured in the same rounds, so no machine "
               "drift lies between them and case verdicts are as measured (median ratio "
               "{value:.3f}×).")


def render_comparison(results_list: list[RunResults | Mapping], out_html: Path,
                      threshold: float = 0.05, labels: list[str] | None = None,
                      same_rounds: bool = False) -> Path:
    """Runs side by side: each later run against the first, with which differences are real.

    `same_rounds`: the runs are the environments of one A/B run, measured in the same rounds,
    so no whole-run shift lies between them and none is taken out."""
    if len(results_list) < 2:
        raise ValueError("a comparison needs at least two results documents")
    runs = [as_run(r) for r in results_list]
    out_html = Path(out_html)
    labels = labels or [f"run {i + 1}" for i in range(len(runs))]
    names = short_labels([c for run in runs for c in run.cases])
    pairs, points = [], []
    for i, new in enumerate(runs[1:], start=1):
        comparison = compare_results(runs[0], new, threshold, correct_shift=not same_rounds)
        view = _pair_view(comparison, runs[0], new, f"compare-table-{i}", names)
        shift_line = None
        if comparison.shift is not None:
            shift_line = (AB_SENTENCE.format(value=comparison.shift.value) if same_rounds
                          else shift_sentence(comparison.shift, threshold))
        verdicts = [str(row.verdict) for row in comparison.rows]
        regressions = [names.get(row.id, text(row.id)) for row in comparison.rows
                       if row.verdict == "slower"]
        summary = (f"{verdicts.count('slower')} real regression(s), {verdicts.count('faster')} "
                   f"real improvement(s), {verdicts.count('same')} unchanged, "
                   f"{verdicts.count('missing')} in one run only "
                   f"(threshold {threshold:.0%}).")
        if verdicts.count("uncertain"):
            summary = summary[:-1] + f", {verdicts.count('uncertain')} uncertain."
        pairs.append({"title": f"{labels[i]} against {labels[0]}", "summary": summary,
                      "shift": shift_line, "notes": view.notes,
                      "regressions": regressions, "table": view.table,
                      "method": text(comparison.method)})
        many = len(runs) > 2
        points += [dict(p, pair=f"{labels[i]} / {labels[0]}",
                        label=f"{p['label']} ({labels[i]})" if many else p["label"])
                   for p in view.points]
    charts = [c for c in [comparison_chart(points, threshold)] if c]
    views = _place_charts(charts, out_html, 0)
    table = Table("runs-table", ["run", "created", "suite", "machine", "cases"], [False] * 5)
    for label, run in zip(labels, runs, strict=True):
        table.rows.append([text_cell(label), Cell(fmt_when(run.created), text(run.created)),
                           text_cell(suite_name(run)), text_cell(machine_line(run.facts)),
                           Cell(f"{len(run.ok_cases)} of {len(run.cases)} measured",
                                len(run.cases))])
    context = {
        "title": f"rnnbench comparison · {len(runs)} runs",
        "runs": table, "pairs": pairs, "charts": views,
        "facts": facts_side_by_side([run.facts for run in runs], labels),
    }
    return write_atomic(out_html, render_page("comparison.html.j2", context,
                                              uses_charts=bool(views)))


def render_doctor(doctor_doc: dict, out_html: Path) -> Path:
    """The doctor's checklist (schema rnnbench.doctor/2, or 1) as a page: the terminal's
    sections with readiness, each problem's fix as shell lines, a recap and the tallies."""
    facts = dig(doctor_doc, "facts", default={})
    context = {
        "checklist": checklist(doctor_doc if isinstance(doctor_doc, Mapping) else {}),
        "title": "rnnbench doctor",
        "machine": machine_line(facts),
        "profile": profile_name(dig(doctor_doc, "profile")),
        "expectations": facts_table([dig(doctor_doc, "expectations", default={})], ["expected"],
                                    "expectations-table"),
        "verdict": doctor_verdict(dig(doctor_doc, "checks"), facts),
        "facts": facts_table([facts], ["value"]),
        "schema": text(dig(doctor_doc, "schema")),
    }
    return write_atomic(Path(out_html), render_page("doctor.html.j2", context,
                                                    uses_charts=False))
