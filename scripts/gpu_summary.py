"""The Markdown section scripts/gpu_check.sh adds to docs/gpu-validation.md: what one GPU check saw.

    python scripts/gpu_summary.py --machine machine.json --pytest pytest.log \
        --doctor doctor.json --run quick=DIR/results.json --run kernels=DIR/results.json \
        --step "name: exit code" ... >> docs/gpu-validation.md

Every input is optional and may be missing or broken (a step that failed wrote nothing): the
section then says so for that input instead of stopping, so the person who ran the check still
gets a record of what did work. Reads results files with bench.results only (no torch).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.results import ResultsError, RunResults, read_results  # noqa: E402
from provision.text import printable  # noqa: E402


def _json(path: Path | None) -> dict | None:
    if path is None:
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _cell(value: object) -> str:
    """A table cell: printable, and no pipe that would split the Markdown row."""
    return printable(str(value), False).replace("|", "/")


def machine_lines(machine: dict | None) -> list[str]:
    if not machine:
        return ["- machine: not read (torch could not report the GPU)"]
    keys = ("gpu", "capability", "driver", "torch", "cuda", "cudnn")
    return [f"- {key}: `{_cell(machine.get(key, '?'))}`" for key in keys]


def pytest_lines(log: Path | None) -> list[str]:
    try:
        lines = [ln.strip() for ln in log.read_text(encoding="utf-8").splitlines() if ln.strip()]
    except (OSError, AttributeError):
        return ["- GPU-marked tests: no log"]
    summary = next((ln for ln in reversed(lines) if " in " in ln and ("passed" in ln
                                                                     or "failed" in ln
                                                                     or "error" in ln)), None)
    failed = [ln for ln in lines if ln.startswith(("FAILED", "ERROR"))]
    out = [f"- GPU-marked tests: `{_cell(summary.strip('= ') if summary else 'no summary line')}`"]
    out += [f"  - `{_cell(ln)}`" for ln in failed[:20]]
    return out


def doctor_lines(doc: dict | None) -> list[str]:
    if not doc:
        return ["- doctor: no JSON document"]
    checks = [c for c in doc.get("checks", []) if isinstance(c, dict)]
    counts: dict[str, int] = {}
    for check in checks:
        counts[str(check.get("status"))] = counts.get(str(check.get("status")), 0) + 1
    out = ["- doctor: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))]
    out += [f"  - {_cell(c.get('status'))} `{_cell(c.get('id'))}`: {_cell(c.get('summary'))}"
            for c in checks if c.get("status") in ("fail", "warn")]
    return out


def _fmt_time(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    return f"{seconds * 1e3:.4g} ms" if seconds >= 1e-3 else f"{seconds * 1e6:.4g} µs"


def _fraction(value: float | None, interval: tuple[float, float] | None) -> str:
    if value is None:
        return "—"
    return f"{value:.0%}" + (f" [{interval[0]:.0%}, {interval[1]:.0%}]" if interval else "")


def run_lines(label: str, path: Path) -> list[str]:
    try:
        run: RunResults = read_results(path)
    except (ResultsError, OSError) as exc:
        return [f"### {label}", "", f"No results: {_cell(exc)}", ""]
    ok = [c for c in run.cases if c.ok]
    failed = [c for c in run.cases if not c.ok]
    out = [f"### {label}", "", f"`{_cell(path)}`: status {_cell(run.status)}, {len(ok)} cases "
           f"ok, {len(failed)} failed.", "",
           "| case | median | 95% CI | GFLOP/s | of GEMM ceiling | TF32 |",
           "|---|---|---|---|---|---|"]
    for case in ok:
        stats, metrics = case.stats, case.metrics
        ci = stats.ci95_s
        flops = f"{metrics.flops_per_s / 1e9:.4g}" if metrics.flops_per_s else "—"
        out.append(f"| `{_cell(case.id)}` | {_fmt_time(stats.median_s)} | "
                   f"{_fmt_time(ci[0]) + ' – ' + _fmt_time(ci[1]) if ci else '—'} | {flops} | "
                   f"{_fraction(metrics.ceiling_fraction, metrics.ceiling_fraction_ci)} | "
                   f"{'on' if metrics.tf32 else 'off' if metrics.tf32 is not None else '—'} |")
    out += [f"- failed `{_cell(c.id)}`: {_cell(c.error)}" for c in failed]
    return out + [""]


def section(args: argparse.Namespace) -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    machine = _json(args.machine)
    name = machine.get("gpu", "an NVIDIA GPU") if machine else "an NVIDIA GPU"
    lines = [f"## {stamp} — scripts/gpu_check.sh on {_cell(name)}", ""]
    lines += machine_lines(machine)
    lines += [f"- step `{_cell(step)}`" for step in args.step or []]
    lines += pytest_lines(args.pytest) + doctor_lines(_json(args.doctor)) + [""]
    for spec in args.run or []:
        label, _, path = spec.partition("=")
        lines += run_lines(label, Path(path))
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--machine", type=Path)
    parser.add_argument("--pytest", type=Path)
    parser.add_argument("--doctor", type=Path)
    parser.add_argument("--run", action="append", help="LABEL=results.json")
    parser.add_argument("--step", action="append", help="a step and its exit code")
    sys.stdout.write(section(parser.parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
