"""What a run shows while it works: one live display on a terminal, one short line per case in a
log, and one ETA for the whole run (every worker process included).

The runner reports events (a case starts, an interleaved case is being prepared, a round ends, a
case finishes) to a `RunProgress`. In a worker process (`bench/worker.py`) that is
`EventWriter`, which writes each event as one tagged JSON line on stderr; the parent
(`bench/workers.py`) reads them back into its own display with `relay_line`, so a run with
three workers still shows one bar and one ETA instead of three interleaved logs.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Protocol, TextIO

from bench.labels import short_labels
from provision.text import printable

# The tag that starts an event line on a worker's stderr; anything else it prints is relayed
# as it is (warnings, a traceback's last line).
EVENT_TAG = "rnnbench-progress "
# Share of an interleaved case's work that is building and warming it up; the rest is its
# rounds. Only the ETA uses it: a rough split is enough to keep the estimate from jumping.
PREPARE_SHARE = 0.3


class HasId(Protocol):
    id: str


class RunProgress(Protocol):
    """The events the runner reports (bench/runner.py)."""

    def start(self, case: HasId) -> None: ...
    def preparing(self, case: HasId, index: int, group: int) -> None: ...
    def round(self, number: int, sampling: int, group: int, seconds_left: float) -> None: ...
    def finish(self, record: Any) -> None: ...


def clock(seconds: float) -> str:
    """'1:05' for 65 s; hours when needed ('1:02:05')."""
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    text = f"{rest // 60}:{rest % 60:02d}"
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else text


# ------------------------------------------------------------------------------- worker side
@dataclass
class EventWriter:
    """A worker's progress: each event as one JSON line on stderr for the parent to read."""

    stream: TextIO = field(default_factory=lambda: sys.stderr)

    def _emit(self, **event: Any) -> None:
        print(EVENT_TAG + json.dumps(event), file=self.stream, flush=True)

    def start(self, case: HasId) -> None:
        self._emit(event="start", id=case.id)

    def preparing(self, case: HasId, index: int, group: int) -> None:
        self._emit(event="preparing", id=case.id, index=index, group=group)

    def round(self, number: int, sampling: int, group: int, seconds_left: float) -> None:
        self._emit(event="round", number=number, sampling=sampling, group=group,
                   seconds_left=seconds_left)

    def finish(self, record: Any) -> None:
        self._emit(event="finish", id=record.id, status=record.status, error=record.error)


@dataclass
class _Ref:
    """A case named by its id only, as an event line names it."""

    id: str


@dataclass
class _Finished:
    id: str
    status: str | None
    error: str | None


def relay_line(line: str, progress: Display) -> bool:
    """Hand one line of a worker's stderr to the display as the event it encodes; False when it
    is not an event line (the caller prints it as it is)."""
    if not line.startswith(EVENT_TAG):
        return False
    try:
        event = json.loads(line[len(EVENT_TAG):])
        kind = event["event"]
        if kind == "start":
            progress.start(_Ref(str(event["id"])))
        elif kind == "preparing":
            progress.preparing(_Ref(str(event["id"])), int(event["index"]), int(event["group"]))
        elif kind == "round":
            progress.round(int(event["number"]), int(event["sampling"]), int(event["group"]),
                           float(event["seconds_left"]))
        elif kind == "finish":
            progress.finish(_Finished(str(event["id"]), event.get("status"), event.get("error")))
        else:
            return False
    except (ValueError, KeyError, TypeError):
        return False
    return True


# ------------------------------------------------------------------------------- parent side
@dataclass
class _Position:
    """How far the worker under way is: whole cases finished, and the interleaved group under
    way (its size, cases prepared, share of its rounds done, cases finished)."""

    worker: int = 0  # workers started so far (in process: one, implicit)
    worker_name: str = ""
    whole: int = 0
    group: int = 0
    prepared: int = 0
    rounds_share: float = 0.0
    group_finished: int = 0
    group_started: float | None = None
    current: str = ""
    detail: str = ""

    def done(self) -> float:
        if not self.group:
            return float(self.whole)
        return self.whole + PREPARE_SHARE * self.prepared + (
            (1 - PREPARE_SHARE) * self.group * self.rounds_share)


class Display:
    """The run's progress for a person: a live bar with one run-wide ETA on a terminal, one
    line per finished case elsewhere (a log, a pipe, CI).

    `cases`: the plan; `workers`: worker processes that each run every case (1 in process);
    `budget_s`: each case's sampling budget, the ETA's guess before the pace is known.
    """

    def __init__(self, cases: list[Any], workers: int, budget_s: float,
                 stream: TextIO | None = None, live: bool | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.labels = short_labels(cases)
        self.cases = max(len(cases), 1)
        self.workers = max(workers, 1)
        self.budget_s = budget_s
        self.started = time.perf_counter()
        self.pos = _Position()
        self.failed = 0
        self.live = self.stream.isatty() if live is None else live
        self._live: Any = None
        if self.live:
            self._open_live()

    # -------------------------------------------------------------- the estimate
    @property
    def total_units(self) -> int:
        return self.cases * self.workers

    def units_done(self) -> float:
        return max(self.pos.worker - 1, 0) * self.cases + min(self.pos.done(), self.cases)

    def eta(self) -> float:
        """Seconds left for the whole run: the pace so far over the work left, blended in
        from a guess (each case's budget with its warm-up) over the first tenth of the work."""
        done, total = self.units_done(), self.total_units
        prior = (total - done) * self.budget_s / self.workers * 1.5
        if done <= 0:
            return prior
        paced = self._elapsed() * (total - done) / done
        weight = min(1.0, done / (0.1 * total))
        return weight * paced + (1 - weight) * prior

    # -------------------------------------------------------------- events
    def worker(self, name: str, detail: str) -> None:
        """A worker process starts (`name`: 'worker 2/3 env A'; `detail`: its share)."""
        self.pos = _Position(worker=self.pos.worker + 1, worker_name=name)
        self._line(f"{name}: {detail}")

    def start(self, case: HasId) -> None:
        self._implicit_worker()
        self.pos.current, self.pos.detail = self._label(case.id), ""

    def preparing(self, case: HasId, index: int, group: int) -> None:
        self._implicit_worker()
        if not self.pos.group:
            self.pos.group, self.pos.group_finished, self.pos.rounds_share = group, 0, 0.0
        self.pos.prepared = index - 1
        self.pos.current = self._label(case.id)
        self.pos.detail = f"preparing {index} of {group} interleaved cases"

    def round(self, number: int, sampling: int, group: int, seconds_left: float) -> None:
        now = time.perf_counter()
        if self.pos.group_started is None:
            self.pos.group_started = now
        spent = now - self.pos.group_started
        self.pos.prepared = self.pos.group
        self.pos.rounds_share = spent / (spent + seconds_left) if seconds_left > 0 else 1.0
        self.pos.current = f"{group} interleaved cases"
        self.pos.detail = f"round {number}, {sampling} still sampling"
        self._line(f"  round {number}: {sampling} of {group} interleaved cases still sampling "
                   f"{self._counter()}")

    def finish(self, record: Any) -> None:
        self._implicit_worker()
        if self.pos.group:
            self.pos.group_finished += 1
            if self.pos.group_finished >= self.pos.group:
                self.pos.whole += self.pos.group
                self.pos.group, self.pos.group_started = 0, None
        else:
            self.pos.whole += 1
        label = self._label(record.id)
        if record.status not in ("ok", None):
            self.failed += 1
            reason = printable(record.error or "", keep_newlines=False)
            self._line(f"{record.status}: {label}: {reason}", always=True)
        else:
            self._line(f"{label}  ok {self._counter()}")

    def message(self, text: str) -> None:
        """A line that is not an event (a worker's warning), shown above the bar."""
        self._line(printable(text, keep_newlines=False), always=True)

    def close(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    # -------------------------------------------------------------- inside
    def _implicit_worker(self) -> None:
        if self.pos.worker == 0:  # in process: one implicit worker
            self.pos.worker = 1

    def _label(self, case_id: str) -> str:
        return self.labels.get(case_id) or printable(case_id, keep_newlines=False)

    def _counter(self) -> str:
        where = f"{self.pos.worker_name}, " if self.pos.worker_name else ""
        return (f"[{where}{int(self.units_done())}/{self.total_units}, "
                f"{clock(self._elapsed())} elapsed, run ETA {clock(self.eta())}]")

    def _elapsed(self) -> float:
        return time.perf_counter() - self.started

    def _line(self, text: str, always: bool = False) -> None:
        """Event lines go to a log only; `always` lines (failures, warnings) also to a
        terminal, above the live display."""
        if self._live is not None:
            if always:
                self._live.console.print(text, markup=False, highlight=False)
        else:
            print(text, file=self.stream, flush=True)

    def _open_live(self) -> None:
        from rich.console import Console
        from rich.live import Live

        console = Console(file=self.stream, highlight=False)
        self._live = Live(get_renderable=self._render, console=console, transient=True,
                          refresh_per_second=4, redirect_stdout=False, redirect_stderr=False)
        self._live.start()

    def _render(self) -> Any:
        from rich.progress_bar import ProgressBar
        from rich.table import Table
        from rich.text import Text

        done, total = self.units_done(), self.total_units
        grid = Table.grid(expand=True, padding=(0, 1))
        grid.add_column(width=4, justify="right")
        grid.add_column(ratio=1)
        grid.add_column(no_wrap=True)
        grid.add_row(f"{int(100 * done / total)}%", ProgressBar(total=total, completed=done),
                     f"{clock(self._elapsed())} · ETA {clock(self.eta())}")
        who = f"{self.pos.worker_name} · " if self.pos.worker_name else ""
        what = self.pos.current + (f" · {self.pos.detail}" if self.pos.detail else "")
        failed = f" · {self.failed} failed" if self.failed else ""
        status = Text(f"{who}{what}{failed}", no_wrap=True, overflow="ellipsis")
        outer = Table.grid(expand=True)
        outer.add_row(grid)
        outer.add_row(status)
        return outer
