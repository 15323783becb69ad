"""Probes of the CUDA toolkits: what is installed under /usr/local, what PATH selects, and gcc."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from shutil import which

from provision.facts import CudaFacts, CudaToolkit
from provision.probe import below, list_dir, read_text, run_command


def toolkit_version(root: Path, folder: str) -> tuple[str | None, str | None]:
    """(version, file it came from) of a toolkit folder: version.json from 11.1 on, else
    version.txt ("CUDA Version 10.0.130")."""
    text = read_text(root, f"{folder}/version.json")
    if text is not None:
        try:
            version = json.loads(text)["cuda"]["version"]
            return str(version), "version.json"
        except (ValueError, KeyError, TypeError):
            pass
    text = read_text(root, f"{folder}/version.txt")
    match = re.search(r"CUDA Version\s+(\d+(?:\.\d+)+)", text or "")
    if match:
        return match.group(1), "version.txt"
    return None, None


def parse_nvcc_version(text: str) -> str | None:
    """"Cuda compilation tools, release 10.0, V10.0.130" -> "10.0.130"."""
    match = re.search(r"release \d+\.\d+, V(\d+(?:\.\d+)+)", text)
    if match:
        return match.group(1)
    match = re.search(r"release (\d+\.\d+)", text)
    return match.group(1) if match else None


def _default_link(root: Path) -> str | None:
    try:
        target = os.readlink(below(root, "/usr/local/cuda", follow_last=False))
    except OSError:
        return None
    return target if target.startswith("/") else f"/usr/local/{target}"


def _machine_path(root: Path, path: str, live: bool) -> str | None:
    """A path as the machine names it. A replay's PATH points below its root (the folder that
    stands for "/"); an entry elsewhere (its stub folder) is no path of that machine: None."""
    if live:
        return path
    for base in {str(root).rstrip("/"), str(Path(root).resolve()).rstrip("/")}:
        if base and path.startswith(base + "/"):
            return path[len(base):]
    return None


def _cuda_entries(root: Path, variable: str, live: bool) -> list[str]:
    """The entries of a search-path variable that name cuda, as machine paths."""
    entries = (_machine_path(root, p, live) for p in os.environ.get(variable, "").split(
        os.pathsep))
    return [p for p in entries if p and "cuda" in p.lower()]


def probe_cuda(root: Path, live: bool = True) -> CudaFacts:
    facts = CudaFacts(default_link=_default_link(root))
    for name in list_dir(root, "/usr/local"):
        if re.fullmatch(r"cuda-\d+(\.\d+)*", name):
            version, source = toolkit_version(root, f"/usr/local/{name}")
            if version is None:  # a trimmed install without version files: trust the name
                version, source = name.removeprefix("cuda-"), "folder name"
            facts.toolkits.append(CudaToolkit(path=f"/usr/local/{name}", version=version,
                                              source=source))
    if not facts.toolkits and list_dir(root, "/usr/local/cuda"):  # a plain folder, no version
        version, source = toolkit_version(root, "/usr/local/cuda")
        facts.toolkits.append(CudaToolkit(path="/usr/local/cuda", version=version, source=source))
    facts.path_entries = _cuda_entries(root, "PATH", live)
    facts.ld_library_path_entries = _cuda_entries(root, "LD_LIBRARY_PATH", live)
    out = run_command(["nvcc", "--version"])
    if out.ok:
        facts.nvcc_version = parse_nvcc_version(out.stdout)
        found = which("nvcc")
        facts.nvcc_path = (_machine_path(root, found, live) or "nvcc") if found else None
    elif out.returncode is not None:
        facts.reason = out.reason
    gcc = run_command(["gcc", "-dumpfullversion", "-dumpversion"])
    if gcc.ok and re.match(r"\d+", gcc.stdout.strip()):
        facts.gcc_version = gcc.stdout.strip().splitlines()[0]
    return facts
