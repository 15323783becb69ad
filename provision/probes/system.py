"""Probes of the operating system side: distribution, kernel, pip, Perl, packages, CPU."""

from __future__ import annotations

import platform
import re
import sys
from pathlib import Path

from provision import tables
from provision.facts import CpuFacts, OsFacts, PackagesFacts, PerlFacts, PythonFacts
from provision.probe import read_text, run_command
from provision.profile import PACKAGE_NAME


def parse_os_release(text: str) -> dict[str, str]:
    """KEY=value lines of os-release, quotes removed; malformed lines are skipped."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        match = re.match(r"\s*([A-Z0-9_]+)=(.*)$", line)
        if match:
            values[match.group(1)] = match.group(2).strip().strip("\"'")
    return values


def distro_family(os_id: str | None, id_like: list[str]) -> str:
    """The family that picks the package manager (tables.DISTRO_FAMILIES), or unknown."""
    return tables.distro_family(os_id, id_like)


def probe_os(root: Path, live: bool = True) -> OsFacts:
    text = read_text(root, "/etc/os-release") or read_text(root, "/usr/lib/os-release")
    kernel = read_text(root, "/proc/sys/kernel/osrelease")
    facts = OsFacts(kernel=kernel.strip() if kernel else None, arch=_machine(live))
    if text is None:
        facts.reason = "no /etc/os-release"
        return facts
    values = parse_os_release(text)
    facts.id = values.get("ID")
    facts.id_like = values.get("ID_LIKE", "").split()
    facts.version_id = values.get("VERSION_ID")
    facts.pretty_name = values.get("PRETTY_NAME")
    facts.family = distro_family(facts.id, facts.id_like)
    facts.codename = values.get("VERSION_CODENAME") or None
    facts.ubuntu_base = tables.ubuntu_base(facts.id, facts.id_like, facts.version_id,
                                           values.get("UBUNTU_CODENAME"))
    return facts


def _machine(live: bool) -> str | None:
    """The CPU architecture: this machine's, or what the replayed machine's `uname -m` says
    (none when it records no uname): the host's would describe the wrong machine."""
    if live:
        return platform.machine() or None
    out = run_command(["uname", "-m"])
    word = out.stdout.strip() if out.ok else ""
    return word if re.fullmatch(r"[A-Za-z0-9_]+", word) else None


def probe_python(live: bool) -> PythonFacts:
    """pip for the running Python; on a replayed machine, pip of the `python3` on PATH."""
    if live:
        from importlib import metadata

        facts = PythonFacts(version=platform.python_version(), executable=sys.executable)
        try:
            facts.pip_version = metadata.version("pip")
        except metadata.PackageNotFoundError:
            facts.reason = f"pip is not installed for {sys.executable}"
        return facts
    return _replayed_python()


def _replayed_python() -> PythonFacts:
    # Only the recorded machine's own python3 (on the PATH the replay gives) may answer: the
    # Python running the doctor is not that machine's.
    facts = PythonFacts(executable="python3")
    version = run_command(["python3", "--version"])
    match = re.match(r"Python (\d[\d.]*)", version.stdout.strip()) if version.ok else None
    facts.version = match.group(1) if match else None
    out = run_command(["python3", "-m", "pip", "--version"])
    match = re.match(r"pip (\S+).*\(python (\d[\d.]*)\)", out.stdout) if out.ok else None
    if match:
        facts.pip_version = match.group(1)
        facts.version = facts.version or match.group(2)
    else:
        facts.reason = out.reason or "unexpected output from python3 -m pip --version"
    return facts


def probe_perl() -> PerlFacts:
    out = run_command(["perl", "-MTerm::ReadLine::Gnu", "-e", "1"])
    if out.ok:
        return PerlFacts(installed=True, readline_gnu=True)
    if out.returncode is None:  # perl itself absent or hung
        return PerlFacts(installed=False, readline_gnu=None, reason=out.reason)
    return PerlFacts(installed=True, readline_gnu=False, reason=out.reason)


def probe_packages(family: str, names: tuple[str, ...]) -> PackagesFacts:
    """Installed version of each named distro package (None when not installed)."""
    if not names:
        return PackagesFacts()
    # Profiles are checked when loaded; checking here too keeps any other caller from handing
    # rpm an option. "--" ends option parsing for both tools all the same.
    bad = [name for name in names if not PACKAGE_NAME.fullmatch(name)]
    if bad:
        return PackagesFacts(reason=f"not a package name: {bad[0]!r}")
    if family in ("fedora", "rhel", "suse"):
        tool, argv = "rpm", ["rpm", "-q", "--qf", "%{NAME} %{VERSION}\n", "--", *names]
    elif family == "debian":
        tool, argv = "dpkg-query", ["dpkg-query", "-W", "-f", "${Package} ${Version}\n", "--",
                                    *names]
    elif family == "arch":
        tool, argv = "pacman", ["pacman", "-Q", "--", *names]
    else:
        return PackagesFacts(reason=f"no package query for distribution family {family}")
    out = run_command(argv)
    if out.returncode is None:
        return PackagesFacts(tool=tool, reason=out.reason)
    # Both tools exit non-zero when any package is missing but still print the ones found.
    found: dict[str, str] = {}
    for line in out.stdout.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] in names:
            found[parts[0]] = parts[1]
    return PackagesFacts(tool=tool, installed={name: found.get(name) for name in names})


def probe_cpu(root: Path, live: bool) -> CpuFacts:
    facts = _cpu_from_psutil() if live else _cpu_from_proc(root)
    governor = read_text(root, "/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor")
    facts.governor = governor.strip() if governor else None
    max_khz = read_text(root, "/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq")
    if max_khz and max_khz.strip().isdigit():
        facts.max_freq_mhz = int(max_khz.strip()) / 1000
    if facts.model is None:
        facts.model = _cpu_model(read_text(root, "/proc/cpuinfo") or "")
    return facts


def _cpu_from_psutil() -> CpuFacts:
    try:
        import psutil

        memory = psutil.virtual_memory()
        return CpuFacts(physical_cores=psutil.cpu_count(logical=False),
                        logical_cores=psutil.cpu_count(logical=True),
                        memory_total_gib=round(memory.total / 2**30, 2),
                        memory_available_gib=round(memory.available / 2**30, 2))
    except Exception as exc:  # psutil missing or refusing: report, do not crash the doctor
        return CpuFacts(reason=f"psutil failed: {exc}")


def _cpu_from_proc(root: Path) -> CpuFacts:
    cpuinfo = read_text(root, "/proc/cpuinfo") or ""
    logical = len(re.findall(r"^processor\s*:", cpuinfo, re.M)) or None
    cores = set()
    for block in cpuinfo.split("\n\n"):
        package = re.search(r"^physical id\s*:\s*(\d+)", block, re.M)
        core = re.search(r"^core id\s*:\s*(\d+)", block, re.M)
        if package and core:
            cores.add((package.group(1), core.group(1)))
    meminfo = read_text(root, "/proc/meminfo") or ""
    total = re.search(r"^MemTotal:\s*(\d+) kB", meminfo, re.M)
    avail = re.search(r"^MemAvailable:\s*(\d+) kB", meminfo, re.M)
    return CpuFacts(model=_cpu_model(cpuinfo), logical_cores=logical,
                    physical_cores=len(cores) or None,
                    memory_total_gib=round(int(total.group(1)) / 2**20, 2) if total else None,
                    memory_available_gib=round(int(avail.group(1)) / 2**20, 2) if avail else None,
                    reason="" if cpuinfo else "no /proc/cpuinfo")


def _cpu_model(cpuinfo: str) -> str | None:
    match = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.M)
    return match.group(1).strip() if match else None
