"""A/B in one run with two real virtualenvs: does `compare` find the cases a setting changes,
and call the cases it leaves alone "same"? (issue 13's A/B figures)

    .venv/bin/python scripts/ab_envs.py --scenario mkl --repeat 2 --out /tmp/ab-envs

Environment A is this virtualenv. Environment B is a second virtualenv made here
(`python -m venv --without-pip`) that sees A's packages and differs in one setting, applied
at interpreter start by a .pth file before torch loads:

- null: an unused variable (an A/A in one run: every case should be "same");
- mkl:  MKL_ENABLE_INSTRUCTIONS=SSE4_2: MKL's sgemm without AVX; on x86 torch's CPU matmul
        is MKL, its LSTM is oneDNN, so only the matmul cases change;
- dnnl: DNNL_MAX_CPU_ISA=SSE41: oneDNN without AVX; only the LSTM cases change.

Which cases a setting affects is known from that split (and measured directly with
--probe before the run); the run then goes through `rnnbench run --python A --python B` and
`rnnbench compare --json`, and each case's verdict is scored against it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import sysconfig
import time
from collections import Counter
from pathlib import Path

RNNBENCH = str(Path(sys.executable).with_name("rnnbench"))
SCENARIOS = {  # name -> (variable, value, id prefix of the cases it affects)
    "null": ("RNNBENCH_AB_UNUSED", "1", None),
    "mkl": ("MKL_ENABLE_INSTRUCTIONS", "SSE4_2", "matmul/"),
    "dnnl": ("DNNL_MAX_CPU_ISA", "SSE41", "kernels/"),
}
GRID = """
[settings]
budget_s = 1.0
threads = 1
processes = 3
rounds = 12

[[kernels]]
cell = "lstm"
impl = "torch"
mode = "inference"
hidden = [32, 512]
batch = [1, 256]
seq_len = 32
"""
PROBE = """
import time, torch
torch.set_num_threads(1)
def best(f, n):
    f()
    times = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(n):
            f()
        times.append((time.perf_counter() - start) / n)
    return min(times) * 1e3
a = torch.randn(1024, 1024)
out = {"matmul n=1024": best(lambda: a @ a, 5)}
for h, b in [(32, 1), (32, 256), (512, 1), (512, 256)]:
    m, x = torch.nn.LSTM(h, h).eval(), torch.randn(32, b, h)
    with torch.inference_mode():
        out[f"lstm hidden={h} batch={b}"] = best(lambda: m(x), 2 if h * b > 10000 else 20)
print(__import__("json").dumps(out))
"""


def make_env_b(folder: Path, variable: str, value: str) -> Path:
    """A virtualenv that sees this one's packages and sets `variable` before anything loads."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", "--clear", str(folder)],
                   check=True)
    python = folder / "bin" / "python"
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()"
                           "['purelib'])"], capture_output=True, text=True, check=True)
    target = Path(site.stdout.strip())
    # addsitedir, not a bare path line: it also runs A's own .pth files (the editable install).
    (target / "env-a.pth").write_text(
        f"import site; site.addsitedir({sysconfig.get_paths()['purelib']!r})\n")
    (target / "zz-setting.pth").write_text(
        f"import os; os.environ[{variable!r}] = {value!r}\n")
    return python


def probe(python: Path | str) -> dict[str, float]:
    done = subprocess.run([python, "-c", PROBE], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def run_ab(config: Path, env_b: Path, dest: Path) -> str:
    done = subprocess.run([RNNBENCH, "run", "--config", str(config), "--device", "cpu",
                           "--python", sys.executable, "--python", str(env_b),
                           "--out", str(dest), "--json"],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)["results"]


def compare(results: str) -> dict:
    done = subprocess.run([RNNBENCH, "compare", "--json", results], capture_output=True,
                          text=True)
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), default="mkl")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("ab-envs"))
    parser.add_argument("--probe", action="store_true",
                        help="time the grid's shapes directly in A and B first")
    args = parser.parse_args()
    variable, value, affected = SCENARIOS[args.scenario]
    args.out.mkdir(parents=True, exist_ok=True)
    env_b = make_env_b(args.out / "env-b", variable, value)
    if args.probe:
        a, b = probe(sys.executable), probe(env_b)
        for name in a:
            print(f"probe {name}: A {a[name]:.3f} ms, B {b[name]:.3f} ms, "
                  f"B/A {b[name] / a[name]:.2f}")
    config = args.out / "ab.toml"
    config.write_text(GRID, encoding="utf-8")
    score: Counter = Counter()
    for i in range(args.repeat):
        start = time.monotonic()
        results = run_ab(config, env_b, args.out / f"r{i}")
        wall = time.monotonic() - start
        doc = compare(results)
        print(f"run {i}: {results} ({wall:.0f} s)")
        for row in doc["rows"]:
            changed = bool(affected) and row["id"].startswith(affected)
            want = "slower" if changed else "same"
            score[(changed, row["verdict"])] += 1
            ratio = row.get("ratio")
            print(f"  {'affected  ' if changed else 'unaffected'} {row['verdict']:9} "
                  f"{'ok ' if row['verdict'] == want else 'MISS'} "
                  f"x{ratio:.3f} {row['id']}" if ratio else f"  {row['id']} {row['verdict']}")
    for (changed, verdict), count in sorted(score.items()):
        print(f"{'affected' if changed else 'unaffected'} cases called {verdict}: {count}")


if __name__ == "__main__":
    main()
