"""What moves CPU-side benchmark numbers, read below a root: frequency governors, turbo,
load, steal time and SMT (the figures `pyperf system show` looks at)."""

from __future__ import annotations

import re
from pathlib import Path

from provision.facts import ReadinessFacts
from provision.probe import list_dir, read_text

CPU = "/sys/devices/system/cpu"


def probe_readiness(root: Path) -> ReadinessFacts:
    facts = ReadinessFacts(governors=governors(root))
    facts.intel_no_turbo = _flag(read_text(root, f"{CPU}/intel_pstate/no_turbo"))
    facts.cpufreq_boost = _flag(read_text(root, f"{CPU}/cpufreq/boost"))
    facts.smt_active = _flag(read_text(root, f"{CPU}/smt/active"))
    load = parse_loadavg(read_text(root, "/proc/loadavg") or "")
    if load:
        facts.load_1min, facts.load_5min = load
    stat = read_text(root, "/proc/stat") or ""
    facts.steal_fraction = parse_steal(stat)
    facts.logical_cores = len(re.findall(r"^cpu\d+\s", stat, re.M)) or None
    missing = [name for name, value in (("/proc/loadavg", load), ("/proc/stat", stat))
               if not value]
    facts.reason = f"unreadable: {', '.join(missing)}" if missing else ""
    return facts


def governors(root: Path) -> dict[str, str]:
    """cpuN -> its cpufreq scaling governor, for every CPU that has one."""
    found = {}
    for name in list_dir(root, CPU):
        if re.fullmatch(r"cpu\d+", name):
            text = read_text(root, f"{CPU}/{name}/cpufreq/scaling_governor", limit=256)
            if text and text.strip():
                found[name] = text.strip()
    return found


def _flag(text: str | None) -> bool | None:
    value = (text or "").strip()
    return {"1": True, "0": False}.get(value)


def parse_loadavg(text: str) -> tuple[float, float] | None:
    parts = text.split()
    try:
        return float(parts[0]), float(parts[1])
    except (IndexError, ValueError):
        return None


def parse_steal(text: str) -> float | None:
    """Steal time as a fraction of all CPU time since boot, from the `cpu` line of /proc/stat
    (user nice system idle iowait irq softirq steal ...); None before Linux 2.6.11."""
    match = re.search(r"^cpu\s+(.*)$", text, re.M)
    if not match:
        return None
    try:
        ticks = [int(v) for v in match.group(1).split()]
    except ValueError:
        return None
    if len(ticks) < 8:
        return None
    # guest and guest_nice (fields 9 and 10) are already counted inside user and nice.
    total = sum(ticks[:8])
    return round(ticks[7] / total, 4) if total else None
