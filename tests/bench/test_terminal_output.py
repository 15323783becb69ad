"""What a person reads in a terminal: the run's progress and summary, and `compare`'s tables.

Built from records made in the test (no run, no subprocess), so these stay fast; the commands
themselves are exercised end to end in test_run_cli.py and test_compare*.py.
"""

from __future__ import annotations

import io
import math
import random
import re

from bench.compare import compare_results
from bench.progress import Display, EventWriter, relay_line
from bench.report import compare_terminal as view
from bench.report.batching import batching_table
from bench.report.terminal import run_summary
from bench.results import CaseMetrics, CaseResult, CaseStats, RunResults, RunSettings

STRATEGIES = ("padded", "packed", "bucketed", "ideal")


def _batching_run(factor: float = 1.0, seed: int = 0, processes: int = 3) -> RunResults:
    """Eight batching cases with replicates from `processes` workers and tokens/s metrics."""
    rng = random.Random(seed)
    cases = []
    for dist, strategy in ((d, s) for d in ("names", "sentences") for s in STRATEGIES):
        seconds = 0.1 / (1 + STRATEGIES.index(strategy)) * (2 if dist == "sentences" else 1)
        reps = [seconds * factor * math.exp(rng.gauss(0, 0.01)) for _ in range(6)]
        median = sorted(reps)[3]
        stats = CaseStats(median_s=median, ci95_s=(median * 0.98, median * 1.02), n=6,
                          samples_s=reps, replicates_s=reps, processes=processes,
                          replicate_process=[k % processes for k in range(6)])
        params = {"dist": dist, "cell": "lstm", "mode": "inference", "strategy": strategy,
                  "batch": 64, "hidden": 256, "layers": 1, "n": 2048}
        case_id = "/".join(["batching", "cpu", "fp32"] + [f"{k}={v}" for k, v in params.items()])
        cases.append(CaseResult(id=case_id, workload="batching", params=params, device="cpu",
                                dtype="fp32", status="ok", stats=stats,
                                metrics=CaseMetrics(tokens_per_s=1_234_567.0 / median)))
    return RunResults(created="2026-12-03T07:00:00+00:00", status="complete", cases=cases,
                      settings=RunSettings(target=0.02))


# -- the run ------------------------------------------------------------------------------------

def test_the_summary_fits_80_columns_and_repeats_the_reports_cells() -> None:
    run = _batching_run()
    lines = run_summary(run)
    assert max(len(line) for line in lines) <= 80
    assert lines[1].startswith("Findings")  # the answer first (after a blank line)
    table = batching_table(run)
    tokens = table.columns.index("tokens/s")
    shown = "\n".join(lines)
    for row in table.rows:  # every rate the page shows, as the page shows it
        assert row[tokens].text in shown
        assert re.fullmatch(r"\d{1,3}(,\d{3})+", row[tokens].text)  # thousands separators
    assert "★" in shown and "fastest" in shown


def test_a_log_gets_one_short_line_per_case_and_one_run_wide_eta() -> None:
    run = _batching_run()
    out = io.StringIO()
    display = Display(run.cases[:2], workers=2, budget_s=1.0, stream=out, live=False)
    for worker in (1, 2):
        display.worker(f"worker {worker}/2", "2 cases")
        for case in run.cases[:2]:
            display.start(case)
            display.finish(case)
    display.close()
    lines = out.getvalue().splitlines()
    finished = [line for line in lines if " ok " in line]
    assert len(finished) == 4 and all(len(line) <= 100 for line in finished)
    # the two cases differ only in strategy: that is their name
    assert finished[0].startswith("batching padded  ok [worker 1/2, 1/4, ")
    assert "run ETA" in finished[0] and "worker 2/2, 4/4, " in finished[-1]
    assert finished[-1].endswith("run ETA 0:00]")
    assert not any(case.id in out.getvalue() for case in run.cases)  # no 100-character ids


def test_worker_events_reach_the_parents_display_as_events() -> None:
    run = _batching_run()
    wire = io.StringIO()
    writer = EventWriter(wire)
    writer.preparing(run.cases[0], 1, 2)
    writer.round(1, 2, 2, 3.0)
    writer.finish(run.cases[0])
    out = io.StringIO()
    display = Display(run.cases[:2], workers=1, budget_s=1.0, stream=out, live=False)
    lines = wire.getvalue().splitlines() + ["Warning: something the worker said"]
    handled = [relay_line(line, display) for line in lines]
    assert handled == [True, True, True, False]
    assert "round 1: 2 of 2 interleaved cases" in out.getvalue()
    assert 0 < display.units_done() < 2


def test_a_failed_case_is_said_even_on_a_terminal() -> None:
    run = _batching_run()
    out = io.StringIO()
    display = Display(run.cases[:1], workers=1, budget_s=1.0, stream=out, live=True)
    failed = CaseResult(id=run.cases[0].id, status="failed", error="CUDA out of memory\x1b[2J")
    display.finish(failed)
    display.close()
    text = out.getvalue()
    assert "failed: batching" in text and "CUDA out of memory" in text
    assert "\x1b[2J" not in text


# -- compare ------------------------------------------------------------------------------------

def _render(renderable: object, **console: object) -> str:
    from rich.console import Console

    out = io.StringIO()
    Console(file=out, width=80, **console).print(renderable)
    return out.getvalue()


def test_compare_groups_by_workload_with_short_columns_and_notes_once() -> None:
    base, new = _batching_run(seed=1), _batching_run(factor=1.5, seed=2)
    for case in new.cases[4:]:  # only the names cases slow down: a per-case change
        case.stats = _batching_run(seed=3).cases[new.cases.index(case)].stats
    cmp = compare_results(base, new)
    [group] = view.groups(cmp, (base, new))
    assert group.columns == ["lengths", "strategy"]
    assert all(case_id is None for _, _, case_id in group.rows)  # the columns say it all
    assert "cell lstm" in view.heading(group)
    notes = view.Notes()
    text = _render(view.group_table(group, cmp, notes), color_system=None)
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "batching/cpu" not in text and "base ms" in text
    assert len(notes.texts) == len(set(notes.texts))
    assert view.counts_line(cmp).startswith(f"{sum(r.verdict == 'slower' for r in cmp.rows)} "
                                            "slower")


def test_verdicts_are_coloured_unless_no_color(monkeypatch: object) -> None:
    base, new = _batching_run(seed=1), _batching_run(factor=2.0, seed=2)
    cmp = compare_results(base, new, correct_shift=False)
    [group] = view.groups(cmp, (base, new))
    table = view.group_table(group, cmp, view.Notes())
    assert "\x1b[" in _render(table, force_terminal=True, color_system="standard")
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[31" not in _render(table, force_terminal=True, color_system="standard")


def test_the_processes_advice_counts_the_processes_the_runs_used() -> None:
    from bench.compare import Row, _undecided_note
    from bench.relative import Replicates

    base, new = _batching_run(seed=5), _batching_run(seed=6)
    noisy = new.cases[2].stats
    noisy.replicates_s = [v * f for v, f in zip(noisy.replicates_s,
                                                (1.0, 1.4, 1.0, 1.35, 1.0, 1.45), strict=True)]
    [row] = [r for r in compare_results(base, new).rows if r.verdict == "uncertain"]
    wanted = int(re.search(r"--processes (\d+)", row.note).group(1))
    assert wanted == row.processes_needed > 3 and f"{wanted - 3} more" in row.note
    # The estimate can come out at or below what the runs used (the case stayed uncertain
    # with 3): the note must not advise 3 or fewer again (it once said "1 more ... (--processes
    # 2)" to runs of 3).
    used = Replicates([0.1] * 6, 3)
    note = _undecided_note(Row("a", 0.1, 0.12, 1.2, False, "uncertain", processes_needed=2),
                           used, used)
    assert "the 3 worker processes per side these runs used" in note
    assert int(re.search(r"--processes (\d+)", note).group(1)) > 3
