"""The machine and the doctor's verdict in a few words, from Facts and the checklist."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bench.report.fields import dig, text


def _gpu_name(facts: Any) -> Any:
    """The first GPU's name as the driver, else the PCI bus, else torch gives it."""
    return (dig(facts, "driver", "gpus", 0, "name") or dig(facts, "pci_gpus", 0, "name")
            or dig(facts, "torch", "devices", 0, "name"))


def machine_line(facts: Any) -> str:
    """'GeForce GTX 1050 · driver 410.73 · CUDA 10.0 · torch 1.0.0 · Intel i7 (8 threads)'."""
    gpu = _gpu_name(facts)
    parts = [str(gpu) if gpu else "no NVIDIA GPU"]
    if dig(facts, "driver", "version"):
        parts.append(f"driver {dig(facts, 'driver', 'version')}")
    listed = dig(facts, "cuda", "toolkits", default=[])
    toolkits = [t.get("version") for t in (listed if isinstance(listed, list) else [])
                if isinstance(t, Mapping) and t.get("version")]
    cuda = dig(facts, "torch", "cuda")
    if cuda or toolkits:
        parts.append("CUDA " + " / ".join(dict.fromkeys([str(v) for v in [cuda, *toolkits]
                                                        if v])))
    if dig(facts, "torch", "version"):
        parts.append(f"torch {dig(facts, 'torch', 'version')}")
    cpu = dig(facts, "cpu", "model")
    threads = dig(facts, "cpu", "logical_cores")
    if cpu or threads:
        parts.append(f"{cpu or 'CPU'}{f' ({threads} threads)' if threads else ''}")
    if dig(facts, "os", "pretty_name"):
        parts.append(str(dig(facts, "os", "pretty_name")))
    return " · ".join(parts)


@dataclass(frozen=True)
class Verdict:
    """The checklist summed up: the worst status, counts per status, and the problems."""

    status: str
    sentence: str
    counts: dict[str, int]
    problems: list[tuple[str, str, str]]  # (status, id, summary) of fails and warnings


def has_gpu(facts: Any) -> bool:
    """Whether the facts name any GPU (the driver's, the PCI bus's or torch's)."""
    return bool(_gpu_name(facts))


def doctor_verdict(checks: Any, facts: Any = None) -> Verdict:
    """The checklist summed up; with the facts, "ready" says what for: a machine with no GPU
    passes the checks for CPU work only, and says so."""
    rows = [c for c in checks if isinstance(c, Mapping)] if isinstance(checks, list) else []
    if not rows:
        return Verdict("none", "The doctor's checklist is not in this file.", {}, [])
    counts = Counter(str(c.get("status", "?")) for c in rows)
    status = next((s for s in ("fail", "warn") if counts.get(s)), "pass")
    problems = [(str(c.get("status")), text(c.get("id")), text(c.get("summary")))
                for c in rows if str(c.get("status")) in {"fail", "warn"}]
    problems.sort(key=lambda p: p[0] != "fail")
    words = {"fail": "Not ready: {fail} check(s) failed",
             "warn": "Ready, with {warn} warning(s)",
             "pass": "Ready: no check failed or warned"}
    if facts is not None and status != "fail" and not has_gpu(facts):
        words = {"warn": "CPU only: no GPU. Ready for CPU work, with {warn} warning(s)",
                 "pass": "CPU only: no GPU. Ready for CPU work: no check failed or warned"}
    sentence = words[status].format(fail=counts.get("fail", 0), warn=counts.get("warn", 0))
    summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    return Verdict(status, f"{sentence} ({summary}).", dict(counts), problems)


def busy_note(load: float | None, cpus: Any, readiness: Any = None) -> str | None:
    """A sentence for the top of a run's page when the machine was busy as the run began
    (the load the run saw, or the doctor's readiness check of it); None when it was quiet."""
    from provision.checks.readiness import LOAD_LIMIT

    warned = next((c for c in readiness or [] if isinstance(c, Mapping)
                   and c.get("id") == "bench.load" and c.get("status") == "warn"), None)
    if (load is None or load < LOAD_LIMIT) and warned is None:
        return None
    on = f" on {cpus} CPUs" if cpus else ""
    said = f"load average {load:.1f}{on}" if load is not None else text(warned.get("summary"))
    return (f"The machine was busy when this run began ({said}): other work competed for the "
            "cores, so timings are noisier and slower than on a quiet machine. Comparisons "
            "within this run share that load; comparisons with other runs may not.")
