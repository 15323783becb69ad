"""Probe of the installed PyTorch build: version, bundled CUDA runtime, cuDNN, architectures.

torch describes the real installed package even on a replayed machine, so a replay can record
its own: a file `<root>/rnnbench-torch.json` holding TorchFacts fields (as `Facts.to_dict()`
writes them under "torch") replaces the import. That is how a replay says "this machine's torch
was built for CUDA 12.1 without sm_61" without installing such a build.
"""

from __future__ import annotations

import dataclasses
import json
import re
import signal
import subprocess
import sys
import warnings
from pathlib import Path

from provision.facts import TorchDevice, TorchFacts, from_plain
from provision.probe import finish_command, list_dir, read_text, start_command

RECORDED = "/rnnbench-torch.json"


# A cold `import torch` on a slow disk takes tens of seconds; one that takes longer is hung.
IMPORT_TIMEOUT_S = 120.0
# The child: this interpreter, without the current folder on sys.path (a ./torch folder, a
# PyTorch source checkout, must not stand in for the installed torch).
_CHILD = ("import sys; sys.path[:] = [p for p in sys.path if p not in ('', '.')]; "
          "from provision.probes.torchinfo import child_main; child_main()")


def start_import(root: Path, live: bool) -> subprocess.Popen | None:
    """Start the child that imports torch, so the import runs while the other probes do; None
    where no import is wanted (a replayed machine, or torch already imported here)."""
    if not live or "torch" in sys.modules or read_text(root, RECORDED) is not None:
        return None
    started = start_command([sys.executable, "-c", _CHILD])
    return started if isinstance(started, subprocess.Popen) else None


def child_main() -> None:
    """In the child: import torch and print its facts as JSON (the import may kill us)."""
    try:
        facts = _from_import()
    except Exception as exc:  # a broken torch install must be reported, not crash the doctor
        facts = TorchFacts(installed=False, reason=f"import torch failed: {exc}")
    print(json.dumps(dataclasses.asdict(facts)))


def _from_child(child: subprocess.Popen) -> TorchFacts:
    """What the child found, or what ended it: a signal (SIGILL from a build that needs newer
    CPU instructions) or an exit with the library's last words ("Intel MKL FATAL ERROR")."""
    done = finish_command(child, IMPORT_TIMEOUT_S, "import torch")
    if done.ok:
        try:
            return from_plain(TorchFacts, json.loads(done.stdout.strip().splitlines()[-1]))
        except (ValueError, IndexError):
            why = "import torch printed no facts"
    elif done.returncode is None:
        why = done.reason  # it did not finish in time
    elif done.returncode < 0:
        why = f"import torch killed the process with {_signal_name(-done.returncode)}"
    else:
        why = f"import torch ended the process with exit code {done.returncode}"
    last = [line.strip() for line in (done.stderr or "").splitlines() if line.strip()][-1:]
    if last:
        why += f": {last[0][:300]}"
    return TorchFacts(installed=False, import_error=why, reason=why)


def _signal_name(number: int) -> str:
    try:
        name = signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
    hint = {"SIGILL": " (illegal instruction: the build needs CPU instructions this processor "
                      "lacks)", "SIGSEGV": " (a crash inside torch or a library it loads)"}
    return name + hint.get(name, "")


def probe_torch(root: Path, live: bool = True,
                child: subprocess.Popen | None = None) -> TorchFacts:
    """The installed torch (live), or the replayed machine's recorded one: below another root
    the torch importable here is not that machine's, so without a record it stays unknown.

    Live, torch is imported in a child process (`child`, from `start_import`, or one started
    now): an import that kills its process must leave the doctor standing to say so. Where this
    process has imported torch already (`rnnbench run`), it is asked directly."""
    recorded = read_text(root, RECORDED)
    if recorded is not None:
        try:
            facts = from_plain(TorchFacts, json.loads(recorded))
        except (ValueError, RecursionError) as exc:  # RecursionError: JSON nested too deep
            why = "nested too deeply" if isinstance(exc, RecursionError) else exc
            return TorchFacts(source="recorded", reason=f"unreadable {RECORDED}: {why}")
        facts.source = "recorded"
        find_installer(root, facts)
        return facts
    if not live:
        return TorchFacts(installed=False, source="recorded",
                          reason=f"torch not recorded for this machine (no {RECORDED})")
    child = child or start_import(root, live)
    if child is not None:
        facts = _from_child(child)
    else:
        try:
            facts = _from_import()
        except Exception as exc:  # a broken torch install must be reported, not crash
            return TorchFacts(installed=False, reason=f"import torch failed: {exc}")
    find_installer(root, facts)
    return facts


def _from_import() -> TorchFacts:
    try:
        import torch
    except ImportError as exc:
        return TorchFacts(installed=False, reason=f"torch is not installed: {exc}")
    facts = TorchFacts(installed=True, version=torch.__version__, cuda=torch.version.cuda,
                       num_threads=torch.get_num_threads(),
                       hip=getattr(torch.version, "hip", None) or None,
                       location=str(Path(torch.__file__).resolve().parent.parent))
    try:
        facts.cudnn = torch.backends.cudnn.version()
    except Exception:  # a CPU build or missing libcudnn: cuDNN stays unknown
        facts.cudnn = None
    # torch explains a failed CUDA initialisation only through a warning; keep its words.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        facts.cuda_available = bool(torch.cuda.is_available())
    messages = [str(w.message) for w in caught]
    facts.init_warning = messages[0] if messages else None
    facts.arch_list = list(torch.cuda.get_arch_list()) if facts.cuda else []
    if facts.cuda_available:
        for index in range(torch.cuda.device_count()):
            major, minor = torch.cuda.get_device_capability(index)
            facts.devices.append(TorchDevice(name=torch.cuda.get_device_name(index),
                                             capability=f"{major}.{minor}"))
    return facts


# Conda packages that show how a conda torch was built (pytorch's channel pairs `pytorch` with
# `cudatoolkit` up to 1.12 and with `pytorch-cuda` from 1.13; conda-forge with `cuda-version`).
CONDA_TORCH_PACKAGES = ("pytorch", "pytorch-cuda", "cudatoolkit", "cuda-version", "pytorch-gpu",
                        "pytorch-cpu", "cpuonly")


def find_installer(root: Path, facts: TorchFacts) -> None:
    """How torch was installed, read from the files beside it: a conda package record in the
    environment's conda-meta/, the INSTALLER file pip and uv write into torch's .dist-info
    (conda writes "conda", Fedora's rpm "rpm"), or a system folder (the distribution's)."""
    if not facts.installed or not facts.location:
        return
    location = facts.location.rstrip("/")
    prefix = re.sub(r"/lib(?:64)?/python[\d.]+/(?:site|dist)-packages$", "", location)
    records = {}
    if prefix != location:
        for name in list_dir(root, f"{prefix}/conda-meta"):
            match = re.fullmatch(r"(.+)-([^-]+)-([^-]+)\.json", name)
            if match and match.group(1) in CONDA_TORCH_PACKAGES:
                records[match.group(1)] = match.group(2)
    facts.conda_packages = records
    infos = [n for n in list_dir(root, location) if re.fullmatch(r"torch-[^/]+\.dist-info", n)]
    written = (read_text(root, f"{location}/{infos[0]}/INSTALLER", limit=256) or "").strip() \
        if infos else ""
    if "pytorch" in records or written == "conda":
        facts.installer = "conda"
        version = records.get("pytorch")
        facts.installer_detail = (f"conda package pytorch {version} in {prefix}" if version
                                  else f"INSTALLER says conda ({location})")
    elif written in ("pip", "uv"):
        facts.installer, facts.installer_detail = written, f"INSTALLER says {written} ({location})"
    elif written in ("rpm", "dpkg", "debian", "pacman") or location.startswith(
            ("/usr/lib/python3/dist-packages", "/usr/lib64/python3", "/usr/lib/python3.")):
        facts.installer = "distro"
        facts.installer_detail = f"a system folder ({location})" + (
            f", INSTALLER says {written}" if written else "")
    elif written:
        facts.installer_detail = f"INSTALLER says {written} ({location})"
