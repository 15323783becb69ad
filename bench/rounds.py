"""Sampling in rounds: every case of a run timed in interleaved rounds, so slow drift hits them
all alike and each case's CI is taken over rounds, not over one stretch of time.

On a shared or virtual machine the speed of the same code drifts (by about 10% over tens of
minutes on the 2-core VM this was built on, on top of a few percent from one second to the
next). Timed one after another, each case sees a different stretch of that drift: one case's
median lands in a fast minute and its neighbour's in a slow one. Timed in rounds (every case
gets a short visit per round, in a fresh random order each round), every case's samples are
spread over the whole group's time, so each median averages the same mix of fast and slow
minutes, and ratios between cases (bucketed vs padded) compare like with like. What rounds
cannot remove is a machine that is slower in one run than in the next.

Each case is warmed up once when it is built. The run then takes `rounds` rounds; in each, every
case takes as many blocks as fit in a 1/rounds share of its budget (at least one), so a case
spends about its budget in all, spread over the whole run's time. The rounds do not stop when a
case's CI looks narrow: a CI over the first few seconds describes those seconds. A case whose
step raises leaves the rotation, as does one that has taken its timer's `max_samples` (the
train workload's epochs); the others go on.
"""

from __future__ import annotations

import math
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.timer import MIN_SAMPLES, Measurement, Timer

# A visit of this many blocks or more starts with one untimed block: the case before it left
# its own data in the caches and, after wide vector code (an AVX-512 matmul), a lower clock
# for a millisecond or two, which would otherwise land in this case's first block. Cases of
# fewer blocks per visit (slow steps) take every block: one block more would cost too much.
VISIT_WARMUP_FROM = 3

# Enough visits that the distribution-free CI of the median exists even for a case that takes
# only one sample per visit (a step of several seconds).
MIN_ROUNDS = MIN_SAMPLES


@dataclass(eq=False)  # a slot is one case: compared by identity, never by its samples
class Slot:
    """One case in the rotation: its timer, the measurement so far, and how it was visited."""

    timer: Timer
    measurement: Measurement
    visits: int = 0
    error: BaseException | None = None
    samples_per_visit: list[int] = field(default_factory=list)

    def visit_medians(self) -> list[float]:
        """The median of each visit's samples, in visit order: the case's speed round by round."""
        medians, start = [], 0
        for count in self.samples_per_visit:
            if count:
                medians.append(statistics.median(self.measurement.samples_s[start:start + count]))
            start += count
        return medians

    def blocks_per_visit(self, rounds: int) -> int:
        """As many blocks as fit in a 1/rounds share of the case's budget (and of its sample
        cap, so that no single visit can use them all up), at least one."""
        m = self.measurement
        block_s = (statistics.median(m.samples_s) * m.calls_per_block if m.samples_s
                   else self.timer.call_s * m.calls_per_block)
        share = self.timer.budget_s / rounds
        cap = max(1, math.ceil(self.timer.max_samples / rounds))
        return max(1, min(cap, self.timer.max_samples - m.n, int(share / max(block_s, 1e-9))))


def sample_in_rounds(slots: list[Slot], seed: int, rounds: int = MIN_ROUNDS,
                     after_round: Callable[[int, list[Slot], float], None] | None = None) -> None:
    """Visit every slot once per round, in a fresh random order each round, for `rounds` rounds.

    A slot whose step raises is given its `error` and leaves the rotation; the others go on.
    `after_round(round_number, slots_still_in_rotation, estimated_seconds_left)` is called
    after each round.
    """
    rng = random.Random(seed)
    active = [s for s in slots if s.error is None]
    for number in range(1, rounds + 1):
        if not active:
            break
        started = time.perf_counter()
        order = active[:]
        rng.shuffle(order)
        for slot in order:
            before = slot.measurement.n
            try:
                blocks = slot.blocks_per_visit(rounds)
                if blocks >= VISIT_WARMUP_FROM:
                    slot.timer.warm_block(slot.measurement)
                slot.timer.sample(slot.measurement, blocks)
            except KeyboardInterrupt:
                raise
            except Exception as exc:  # one failing case must not stop the others
                slot.error = exc
            slot.visits += 1
            slot.samples_per_visit.append(slot.measurement.n - before)
        active = [s for s in active
                  if s.error is None and s.measurement.n < s.timer.max_samples]
        if number == rounds:
            active = []
        if after_round:
            after_round(number, active, (rounds - number) * (time.perf_counter() - started))
