"""A/A pairs of `rnnbench run --suite quick`: how often `compare` calls drift a change, and
whether it finds a real slowdown injected into four cases (issue 13's figures).

    .venv/bin/python scripts/aa_pairs.py --pairs 10 --out /tmp/aa

Each pair: two runs back to back, `compare --json --fail-on-regression`, then the same after
multiplying every timing of 2 batching and 2 kernels cases of the second run by 1.25.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

RNNBENCH = str(Path(sys.executable).with_name("rnnbench"))
SCALED = ("median_s", "iqr_s")


def run(dest: Path) -> str:
    done = subprocess.run([RNNBENCH, "run", "--suite", "quick", "--out", str(dest), "--json"],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)["results"]


def compare(base: str, new: str) -> tuple[dict, int]:
    done = subprocess.run([RNNBENCH, "compare", "--json", "--fail-on-regression", base, new],
                          capture_output=True, text=True)
    return json.loads(done.stdout), done.returncode


def slow_down(path: str, ids: set[str], factor: float, dest: Path) -> str:
    doc = json.loads(Path(path).read_text(encoding="utf-8"))
    for case in doc["cases"]:
        stats = case.get("stats")
        if case["id"] not in ids or not stats:
            continue
        for key in SCALED:
            stats[key] *= factor
        for key in ("ci95_s", "samples_s", "replicates_s"):
            if stats.get(key):
                stats[key] = [v * factor for v in stats[key]]
    dest.write_text(json.dumps(doc), encoding="utf-8")
    return str(dest)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=10)
    parser.add_argument("--out", type=Path, default=Path("aa-pairs"))
    args = parser.parse_args()
    verdicts: Counter = Counter()
    gate = found = injected = 0
    for i in range(args.pairs):
        base, new = run(args.out / f"p{i}" / "a"), run(args.out / f"p{i}" / "b")
        cmp, code = compare(base, new)
        verdicts.update(r["verdict"] for r in cmp["rows"])
        gate += code != 0
        ids = [r["id"] for r in cmp["rows"] if r["verdict"] != "missing"]
        chosen = {*[x for x in ids if x.startswith("batching")][:2],
                  *[x for x in ids if x.startswith("kernels")][:2]}
        slowed, _ = compare(base, slow_down(new, chosen, 1.25, args.out / f"p{i}" / "b-slow.json"))
        found += sum(r["verdict"] == "slower" for r in slowed["rows"] if r["id"] in chosen)
        injected += len(chosen)
        print(f"pair {i}: {dict(verdicts)}; gate fired {gate}; injected found {found}/{injected}",
              flush=True)


if __name__ == "__main__":
    main()
