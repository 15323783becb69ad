"""How well two batching runs agree on what users read: each strategy's speed-up over padded.

    .venv/bin/python scripts/batching_agreement.py RUN1/results.json RUN2/results.json
"""

from __future__ import annotations

import sys

from bench.results import read_results


def main(first: str, second: str, tolerance: float = 0.05) -> None:
    a = {c.id: c for c in read_results(first).ok_cases if c.workload == "batching"}
    b = {c.id: c for c in read_results(second).ok_cases if c.workload == "batching"}
    pairs = []
    for case_id, case in a.items():
        other = b.get(case_id)
        if case.param("strategy") == "padded" or other is None:
            continue
        s1, s2 = case.metrics.speedup_vs_padded, other.metrics.speedup_vs_padded
        if s1 and s2:
            pairs.append((abs(s2 / s1 - 1), case_id))
    within = sum(gap <= tolerance for gap, _ in pairs)
    print(f"speed-up over padded within {tolerance:.0%} on {within} of {len(pairs)} "
          "(strategy, group) pairs")
    for gap, case_id in sorted(pairs, reverse=True)[:5]:
        print(f"  {gap:.1%}  {case_id}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
