"""Interleaved rounds: cases sampled in alternation, cheap ones more often, failures isolated.

The steps sleep rather than compute, so their length does not depend on the machine's load.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from bench.rounds import MIN_ROUNDS, Slot, sample_in_rounds
from bench.timer import Timer


def _sleeper(log: list[str], name: str, seconds: float) -> Callable[[], None]:
    def step() -> None:
        log.append(name)
        time.sleep(seconds)

    return step


def _slot(step: Callable[[], None], budget_s: float = 0.05, target: float = 0.02) -> Slot:
    timer = Timer(step, budget_s=budget_s, target=target)
    return Slot(timer, timer.prepare())


def test_cases_alternate_round_after_round() -> None:
    log: list[str] = []
    slots = [_slot(_sleeper(log, "a", 0.003)), _slot(_sleeper(log, "b", 0.003))]
    log.clear()  # forget the warm-up calls
    sample_in_rounds(slots, seed=0)
    assert all(s.visits == MIN_ROUNDS for s in slots)
    # Timed one after the other, the log would be two runs (a...a b...b). In rounds each round
    # holds a run of each, and two neighbouring rounds can merge at most one run at their border.
    runs = 1 + sum(x != y for x, y in zip(log, log[1:], strict=False))
    assert runs >= min(s.visits for s in slots) + 1


def test_a_cheap_case_takes_more_samples_per_visit_than_a_slow_one() -> None:
    log: list[str] = []
    cheap = _slot(_sleeper(log, "cheap", 0.001), budget_s=0.3, target=1e-6)
    slow = _slot(_sleeper(log, "slow", 0.02), budget_s=0.3, target=1e-6)
    sample_in_rounds([cheap, slow], seed=0)
    assert cheap.visits == slow.visits == MIN_ROUNDS
    assert cheap.measurement.n > 3 * slow.measurement.n
    assert slow.measurement.n >= MIN_ROUNDS
    # Each visit's samples are kept apart, so the case's speed can be read round by round.
    for slot, seconds in ((cheap, 0.001), (slow, 0.02)):
        assert sum(slot.samples_per_visit) == slot.measurement.n
        medians = slot.visit_medians()
        assert len(medians) == MIN_ROUNDS
        assert all(seconds <= m < seconds + 0.01 for m in medians)  # sleep never returns early


def test_every_case_is_visited_once_per_round_for_the_rounds_asked() -> None:
    log: list[str] = []
    slots = [_slot(_sleeper(log, "a", 0.001)), _slot(_sleeper(log, "b", 0.004))]
    reports: list[tuple[int, int, float]] = []
    sample_in_rounds(slots, seed=0, rounds=8,
                     after_round=lambda n, active, left: reports.append((n, len(active), left)))
    assert [s.visits for s in slots] == [8, 8]
    assert [r[0] for r in reports] == list(range(1, 9))
    assert all(active == 2 and left > 0 for _, active, left in reports[:-1])
    assert reports[-1][1:] == (0, 0.0)  # nobody left sampling, nothing left to wait for


def test_a_failing_case_leaves_the_rotation_and_the_others_finish() -> None:
    log: list[str] = []
    armed = {"calls": None}

    def breaks_on_third_call() -> None:
        if armed["calls"] is not None:
            armed["calls"] += 1
            if armed["calls"] == 3:
                raise RuntimeError("simulated out of memory")
        time.sleep(0.002)

    broken = _slot(breaks_on_third_call)
    healthy = _slot(_sleeper(log, "ok", 0.002))
    armed["calls"] = 0
    sample_in_rounds([broken, healthy], seed=0)
    assert isinstance(broken.error, RuntimeError)
    assert healthy.error is None and healthy.visits == MIN_ROUNDS
    assert broken.visits < healthy.visits


@pytest.mark.parametrize("seed", [0, 1])
def test_the_order_within_rounds_changes_from_round_to_round(seed: int) -> None:
    log: list[str] = []
    names = "abcd"
    slots = [_slot(_sleeper(log, n, 0.0015), budget_s=0.002, target=1e-6) for n in names]
    log.clear()
    sample_in_rounds(slots, seed=seed)
    firsts, seen, i = [], set(), 0
    # Each visit is one sample here (budget share < one step), so the log is rounds of 4.
    while i + 4 <= len(log):
        firsts.append(tuple(log[i:i + 4]))
        seen.add(tuple(log[i:i + 4]))
        i += 4
    assert all(sorted(r) == list(names) for r in firsts)
    assert len(seen) > 1  # a fixed order would let drift line up with the same position

