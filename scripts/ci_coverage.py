"""How often a case's 95% CI holds the median that repeated runs settle on (issue 22's figure).

    .venv/bin/python scripts/ci_coverage.py --repeats 10 --out /tmp/cov -- --suite quick
    .venv/bin/python scripts/ci_coverage.py --repeats 10 --out /tmp/cov -- --config my.toml

Everything after `--` is passed to `rnnbench run` (add `--cells`, `--processes` ... there). The
script runs it `--repeats` times back to back, then, for each case, takes the median of the
runs' medians as the value repeated runs settle on and counts the runs whose CI holds it. A
case whose CI is honest holds it in about 95% of runs; the target is at least 90%. The machine's
1-minute load average is printed with every run, because other work on it moves the numbers.
It also prints the machine's drift between runs (how far whole runs moved together), the value
a config's `[settings] drift` takes so that every CI allows for it.
`--from DIR` recounts the results files already under DIR without running anything.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.results import RunResults, read_results  # noqa: E402

RNNBENCH = str(Path(sys.executable).with_name("rnnbench"))


@dataclass
class Coverage:
    """One case over the repeated runs: the value they settle on and how many CIs held it."""

    case_id: str
    settled_s: float
    held: int
    runs: int
    median_half_width: float  # the typical CI half-width, as a fraction of the median


def coverage(runs: list[RunResults]) -> list[Coverage]:
    """Per case (in the first run's order), how many of the runs' CIs hold the median of the
    runs' medians. A case counts only in the runs where it finished with a CI."""
    found: dict[str, list[tuple[float, float, float]]] = {}
    for run in runs:
        for case in run.cases:
            stats = case.stats
            if case.ok and stats is not None and stats.median_s and stats.ci95_s:
                found.setdefault(case.id, []).append((stats.median_s, *stats.ci95_s))
    out = []
    for case_id, seen in found.items():
        settled = statistics.median(m for m, _, _ in seen)
        held = sum(1 for _, lo, hi in seen if lo <= settled <= hi)
        widths = [max(m - lo, hi - m) / m for m, lo, hi in seen]
        out.append(Coverage(case_id, settled, held, len(seen), statistics.median(widths)))
    return out


def run_drift(runs: list[RunResults]) -> float | None:
    """The machine's drift between runs, as the `drift` setting takes it: the standard deviation
    over runs of each run's shared shift (the mean, over the cases every run measured, of the
    log of its median over the settled value). A shift that moves every case of a run together
    is the machine's state that minute, which no run sees in itself. None with under 3 runs."""
    found: dict[str, list[float]] = {}
    for run in runs:
        for case in run.cases:
            if case.ok and case.stats is not None and case.stats.median_s:
                found.setdefault(case.id, []).append(case.stats.median_s)
    common = [case_id for case_id, seen in found.items() if len(seen) == len(runs)]
    if len(runs) < 3 or not common:
        return None
    settled = {case_id: statistics.median(found[case_id]) for case_id in common}
    shifts = [statistics.fmean(math.log(found[case_id][i] / settled[case_id])
                               for case_id in common) for i in range(len(runs))]
    return statistics.stdev(shifts)


def _load() -> str:
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "?"


def run_once(dest: Path, run_args: list[str]) -> Path:
    done = subprocess.run([RNNBENCH, "run", "--out", str(dest), "--json", *run_args],
                          capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"ci_coverage: rnnbench run failed ({done.returncode}): "
                 f"{done.stderr.strip().splitlines()[-1:]}")
    return Path(json.loads(done.stdout)["results"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--out", type=Path, default=Path("ci-coverage"))
    parser.add_argument("--from", dest="source", type=Path,
                        help="recount the results.json files under this folder")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("run_args", nargs="*", help="arguments for rnnbench run (after --)")
    args = parser.parse_args()
    if args.source:
        paths = sorted(args.source.rglob("results.json"))
    else:
        if args.repeats < 10:
            parser.error("--repeats: at least 10 runs, or the count says little")
        paths = []
        for i in range(args.repeats):
            before = _load()
            paths.append(run_once(args.out / f"r{i:02d}", args.run_args))
            print(f"run {i + 1}/{args.repeats}: load average {before} -> {_load()}",
                  file=sys.stderr, flush=True)
    runs = [read_results(p) for p in paths]
    table = coverage(runs)
    drift = run_drift(runs)
    held, total = sum(c.held for c in table), sum(c.runs for c in table)
    if args.json:
        print(json.dumps({"held": held, "pairs": total, "runs": len(paths), "drift": drift,
                          "cases": [vars(c) for c in table]}, indent=2))
        return
    for c in table:
        print(f"{c.held:>3}/{c.runs:<3} CI ±{c.median_half_width:6.1%}  {c.case_id}")
    print(f"coverage: {held} of {total} (case, run) pairs "
          f"({held / max(total, 1):.0%}) over {len(paths)} runs")
    if drift is not None:
        print(f"drift between runs (every case of a run moving together): {drift:.2%} sd; "
              "a config's [settings] drift = <that fraction> makes each CI allow for it")


if __name__ == "__main__":
    main()
