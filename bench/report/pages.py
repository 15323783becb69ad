"""The four pages: a run report, a comparison of runs, the doctor's checklist, the index of runs.

Each public function gathers the page's data, renders its template and writes the file
atomically, returning the path written.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.files import write_atomic
from bench.report.cases import suite_cases
from bench.report.charts import Chart, comparison_chart, run_charts
from bench.report.environment import checks_table, facts_table, settings_pairs
from bench.report.fields import (
    DASH,
    case_ok,
    dig,
    fmt_percent,
    fmt_seconds,
    fmt_si,
    fmt_when,
    number,
    text,
)
from bench.report.findings import compute_findings
from bench.report.machine import doctor_verdict, machine_line
from bench.report.render import render_page, write_svg
from bench.report.tables import (
    Cell,
    Table,
    batching_table,
    failed_table,
    kernels_table,
    text_cell,
    train_table,
)
from bench.stats import max_min_spread

MAX_LISTED_CASES = 12


@dataclass(frozen=True)
class ChartView:
    """A chart as the template places it: element id, title, spec, and its static SVG if any."""

    id: str
    title: str
    spec: dict
    svg: str | None


@dataclass
class Section:
    id: str
    title: str
    charts: list[ChartView]
    tables: list[Table]
    notes: list[str]


def _place_charts(charts: list[Chart], out_html: Path, first_index: int) -> list[ChartView]:
    """Give each chart an element id; headline charts also get a static SVG next to the page."""
    views = []
    for i, chart in enumerate(charts, start=first_index):
        svg = None
        if chart.headline:
            svg_path = out_html.with_name(f"{out_html.stem}-{chart.slug}.svg")
            write_svg(chart.spec, svg_path)
            svg = svg_path.name
        views.append(ChartView(f"chart-{i}", chart.title, chart.spec, svg))
    return views


def profile_name(profile: Any) -> str:
    """The doctor's profile; none named means the checks inferred one from the machine."""
    return text(profile) if profile else "inferred from this machine"


def suite_name(results: Mapping) -> str:
    suite = dig(results, "settings", "suite") or dig(results, "suite")
    if suite:
        return str(suite)
    suites = sorted({str(c.get("suite")) for c in dig(results, "cases", default=[])
                     if isinstance(c, Mapping) and c.get("suite")})
    return ", ".join(suites) or DASH


def method_notes(results: Mapping) -> list[str]:
    """What the timer did and how well it met its noise target, in sentences."""
    cases = [c for c in dig(results, "cases", default=[]) if isinstance(c, Mapping)]
    measured = [c for c in cases if case_ok(c)]
    counts = [int(n) for c in measured if (n := number(dig(c, "stats", "n"))) is not None]
    settings = dig(results, "settings", default={})
    target = next((v for k, v in settings.items() if "target" in k and number(v) is not None),
                  None) if isinstance(settings, Mapping) else None
    goal = f"±{fmt_percent(target)}" if target is not None else "the noise target"
    notes = [
        "Each case is warmed up, then timed repeatedly until the 95% confidence interval of its "
        f"median is within {goal} of the median or its time budget runs out. Figures are "
        "medians; intervals are the 95% "
        "CI of the median; ratios of two cases take the opposite ends of both intervals, so "
        "their intervals are conservative."]
    if counts:
        notes.append(f"{len(measured)} cases measured with {min(counts)}–{max(counts)} samples "
                     f"each (median {statistics.median(counts):g}).")
    missed = [text(c.get("id")) for c in measured if dig(c, "stats", "target_met") is False]
    if missed:
        shown = ", ".join(missed[:MAX_LISTED_CASES])
        more = len(missed) - MAX_LISTED_CASES
        shown += f" and {more} more" if more > 0 else ""
        notes.append(f"{len(missed)} case(s) did not reach the noise target within the budget "
                     f"(their intervals are wider): {shown}.")
    elif measured:
        notes.append("Every measured case reached the noise target.")
    return notes + _rounds_notes(results, measured)


def _rounds_notes(results: Mapping, measured: list[Mapping]) -> list[str]:
    """How interleaved cases were sampled, and how far the machine's own speed moved."""
    interleaved = [c for c in measured if dig(c, "stats", "schedule") == "interleaved"]
    if not interleaved:
        return []
    rounds = number(dig(results, "settings", "rounds"))
    notes = [f"The {len(interleaved)} batching cases were timed in "
             f"{f'{rounds:g} ' if rounds else ''}interleaved rounds: each round visits every case "
             "once, in a fresh random order, so all of their samples span the same minutes and "
             "drift in the machine's speed hits every strategy alike."]
    for ref in dig(results, "references", default=[]) or []:
        per_round = [v for v in dig(ref, "per_round_median_s", default=[]) or []
                     if number(v) is not None]
        if len(per_round) < 2:
            continue
        spread = max_min_spread(per_round)
        notes.append(f"A reference workload on {text(dig(ref, 'device'))} "
                     f"({text(dig(ref, 'label'))}), timed in every round, took "
                     f"{fmt_seconds(min(per_round))} to {fmt_seconds(max(per_round))} per step: "
                     f"its speed moved by {fmt_percent(spread)} during the run, a rough gauge "
                     "of the machine's own drift (cases can move differently).")
    return notes


def peak_notes(results: Mapping) -> list[str]:
    """The matmul peaks that kernels are measured against: one sentence per device, dtype and
    TF32 state, naming the sizes tried and the fastest, which is the peak."""
    groups: dict[tuple, list[Mapping]] = {}
    for case in suite_cases(results, "matmul"):
        tf32 = dig(case, "metrics", "tf32", default=dig(case, "params", "tf32"))
        groups.setdefault((dig(case, "device"), dig(case, "dtype"), tf32), []).append(case)
    notes = []
    for (device, dtype, tf32), cases in groups.items():
        settings = ", ".join(text(v) for v in (device, dtype) if v)
        if tf32 is not None:
            settings += ", TF32 " + ("on" if tf32 else "off")
        rated = [(number(dig(c, "metrics", "flops_per_s")), dig(c, "params", "n")) for c in cases]
        rated = [(flops, n) for flops, n in rated if flops is not None]
        if not rated:
            continue
        best, best_n = max(rated, key=lambda r: r[0])
        sizes = ", ".join(f"n={n}: {fmt_si(flops, 'FLOP/s')}" for flops, n in rated)
        notes.append(f"Matmul peak measured in this run ({settings}): {fmt_si(best, 'FLOP/s')} "
                     f"at n={best_n}, the fastest of {sizes}; the fractions of peak are "
                     "relative to it.")
    return notes


def run_status_note(results: Mapping) -> str | None:
    """A warning when the run did not finish, so partial figures are read as partial."""
    status = dig(results, "status")
    if status is None or str(status) == "complete":
        return None
    return (f"This run is {text(status)}: it holds only the cases finished before it stopped.")


def render_run_report(results: dict, out_html: Path) -> Path:
    """One run as a page, with a static SVG of each headline chart beside it."""
    out_html = Path(out_html)
    charts = run_charts(results)
    placed: dict[str, list[ChartView]] = {}
    count = 0
    for name in ("batching", "kernels", "train"):
        placed[name] = _place_charts(charts[name], out_html, count)
        count += len(placed[name])
    sections = [
        Section("batching", "Batching: padded, packed, bucketed", placed["batching"],
                [t for t in [batching_table(results)] if t], []),
        Section("kernels", "Kernels: RNN, GRU, LSTM", placed["kernels"],
                [t for t in [kernels_table(results)] if t], peak_notes(results)),
        Section("train", "Training: accuracy against wall time", placed["train"],
                [t for t in [train_table(results)] if t], []),
    ]
    facts = dig(results, "facts", default={})
    context = {
        "title": f"rnnbench run · {suite_name(results)} · {fmt_when(dig(results, 'created'))}",
        "machine": machine_line(facts),
        "suite": suite_name(results),
        "status_note": run_status_note(results),
        "created": fmt_when(dig(results, "created")),
        "findings": [f.sentence for f in compute_findings(results)],
        "verdict": doctor_verdict(dig(results, "doctor", "checks")),
        "profile": profile_name(dig(results, "doctor", "profile")),
        "sections": [s for s in sections if s.charts or s.tables],
        "method": method_notes(results),
        "failed": failed_table(results),
        "checks": checks_table(dig(results, "doctor", "checks", default=[])),
        "facts": facts_table([facts], ["value"]),
        "settings": settings_pairs(results),
        "charts": [c for views in placed.values() for c in views],
    }
    return write_atomic(out_html, render_page("run.html.j2", context, uses_charts=count > 0))


def _row_value(row: Any, key: str) -> Any:
    return row.get(key) if isinstance(row, Mapping) else getattr(row, key, None)


VERDICT_ORDER = {"slower": 0, "faster": 1, "missing": 2, "same": 3}


def _comparison_table(comparison: Any, table_id: str) -> tuple[Table, list[dict[str, Any]]]:
    """Case by case, regressions first; the verdict sits next to the case it judges."""
    table = Table(table_id, ["case", "verdict", "new / base", "real difference", "base median",
                             "new median", "p (rank test)"],
                  [False, False, True, False, True, True, True])
    points = []
    rows = sorted(comparison.rows,
                  key=lambda r: VERDICT_ORDER.get(str(_row_value(r, "verdict")), 4))
    for row in rows:
        verdict, real = str(_row_value(row, "verdict")), bool(_row_value(row, "real"))
        css = f"verdict-{verdict}" + (" regression" if verdict == "slower" else "")
        ratio = number(_row_value(row, "ratio"))
        p = number(_row_value(row, "p_value"))
        base, new = _row_value(row, "base_median_s"), _row_value(row, "new_median_s")
        table.rows.append([
            text_cell(_row_value(row, "id"), "wrap"),
            Cell(verdict, VERDICT_ORDER.get(verdict, 4), css),
            Cell(DASH if ratio is None else f"{ratio:.3f}", ratio),
            Cell("yes" if real else "no", "yes" if real else "no"),
            Cell(fmt_seconds(base), number(base)),
            Cell(fmt_seconds(new), number(new)),
            Cell(DASH if p is None else f"{p:.3g}", p),
        ])
        points.append({"id": text(_row_value(row, "id")), "ratio": ratio, "verdict": verdict,
                       "real": "yes" if real else "no", "base": fmt_seconds(base),
                       "new": fmt_seconds(new), "p": DASH if p is None else f"{p:.3g}"})
    return table, points


def render_comparison(results_list: list[dict], out_html: Path,
                      threshold: float = 0.05) -> Path:
    """Runs side by side: each later run against the first, with which differences are real."""
    from bench.compare import compare_results

    if len(results_list) < 2:
        raise ValueError("a comparison needs at least two results documents")
    out_html = Path(out_html)
    labels = [f"run {i + 1}" for i in range(len(results_list))]
    pairs, points = [], []
    for i, new in enumerate(results_list[1:], start=1):
        comparison = compare_results(results_list[0], new, threshold)
        table, rows = _comparison_table(comparison, f"compare-table-{i}")
        verdicts = [r["verdict"] for r in rows]
        regressions = [r["id"] for r in rows if r["verdict"] == "slower"]
        summary = (f"{verdicts.count('slower')} real regression(s), {verdicts.count('faster')} "
                   f"real improvement(s), {verdicts.count('same')} unchanged, "
                   f"{verdicts.count('missing')} in one run only "
                   f"(threshold {threshold:.0%}).")
        pairs.append({"title": f"{labels[i]} against {labels[0]}", "summary": summary,
                      "regressions": regressions, "table": table,
                      "method": text(getattr(comparison, "method", None))})
        points += [dict(r, pair=f"{labels[i]} / {labels[0]}") for r in rows]
    charts = [c for c in [comparison_chart(points)] if c]
    views = _place_charts(charts, out_html, 0)
    runs = Table("runs-table", ["run", "created", "suite", "machine", "cases"], [False] * 5)
    for label, doc in zip(labels, results_list, strict=True):
        cases = [c for c in dig(doc, "cases", default=[]) if isinstance(c, Mapping)]
        runs.rows.append([text_cell(label),
                          Cell(fmt_when(dig(doc, "created")), text(dig(doc, "created"))),
                          text_cell(suite_name(doc)),
                          text_cell(machine_line(dig(doc, "facts", default={}))),
                          Cell(f"{sum(map(case_ok, cases))} of {len(cases)} measured",
                               len(cases))])
    context = {
        "title": f"rnnbench comparison · {len(results_list)} runs",
        "runs": runs, "pairs": pairs, "charts": views,
        "facts": facts_table([dig(d, "facts", default={}) for d in results_list], labels,
                             "compare-facts-table"),
    }
    return write_atomic(out_html, render_page("comparison.html.j2", context,
                                              uses_charts=bool(views)))


def render_doctor(doctor_doc: dict, out_html: Path) -> Path:
    """The doctor's checklist (schema rnnbench.doctor/1) as a page, problems first."""
    facts = dig(doctor_doc, "facts", default={})
    context = {
        "title": "rnnbench doctor",
        "machine": machine_line(facts),
        "profile": profile_name(dig(doctor_doc, "profile")),
        "expectations": facts_table([dig(doctor_doc, "expectations", default={})], ["expected"],
                                    "expectations-table"),
        "verdict": doctor_verdict(dig(doctor_doc, "checks")),
        "checks": checks_table(dig(doctor_doc, "checks", default=[])),
        "facts": facts_table([facts], ["value"]),
        "schema": text(dig(doctor_doc, "schema")),
    }
    return write_atomic(Path(out_html), render_page("doctor.html.j2", context,
                                                    uses_charts=False))
