"""Replays built from real machines' public reports (machines/*/PROVENANCE.md): for each, what
an expert concludes, checked against what the doctor says; and every replay sealed from the host
running the tests."""

from __future__ import annotations

import contextlib
import json
import platform
import re
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import pytest

from provision import tables
from provision.fix import fixes_from_json
from provision.fixes import CUDA_REPO_LAST, FEDORA_EOL, NVIDIA_BRANCH_PACKAGED
from provision.torch_releases import TORCH_BUILDS, VARIANT_CUDA, kernels_for

from .conftest import MACHINES, replay_document, replay_names, run_replay

GPU_STACK = ("nvidia.", "cuda.", "torch.")

# The oldest driver each CUDA runtime runs on (NVIDIA's CUDA Toolkit release notes, table 3;
# from 11.0 on, minor-version compatibility: the major's first "minimum required" driver).
# A fix that installs a build of a runtime this driver cannot run is impossible on the machine.
RUNTIME_FLOOR = {"9.0": "384.81", "9.2": "396.26", "10.0": "410.48", "10.1": "418.39",
                 "10.2": "440.33", "11": "450.80.02", "12": "525.60.13", "13": "580.65.06"}


def driver_runs(driver: str, cuda: str) -> bool:
    major = cuda.split(".")[0]
    floor = RUNTIME_FLOOR.get(major if int(major) >= 11 else cuda)
    return floor is not None and _v(driver) >= _v(floor)


def _v(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", text))


@dataclass
class Expert:
    """What an expert concludes about one replay (its PROVENANCE.md verdict)."""

    worked: bool  # the machine demonstrably ran its GPU work: no ✗ among driver/CUDA/torch
    manager: str  # the distribution's package manager: apt, yum or dnf
    fails: tuple[str, ...] = ()  # checks that must fail (the real problem)
    warns: tuple[str, ...] = ()  # checks that must warn (minor-version compatibility ...)
    fix_names: tuple[str, ...] = ()  # the failing checks' fixes name one of these builds
    sound: tuple[str, ...] = ()  # checks that must not fail (a consistent part of the stack)
    mentions: tuple[str, ...] = ()  # words some check must say (health: MIG, compute mode)
    notes: list[str] = field(default_factory=list)


EXPERTS: dict[str, Expert] = {
    "centos7-4xv100-torch251cu124-no-smi": Expert(True, "yum", warns=("cuda.host_compiler",)),
    "centos74-gtx1060-driver410-no-torch": Expert(False, "yum", fails=("torch.build",),
                                                  sound=("nvidia.driver", "nvidia.gpu")),
    "centosstream9-8xh100-driver535-torch260cu124": Expert(True, "dnf",
                                                           warns=("cuda.driver_compat",)),
    "centosstream9-8xh100-driver535-torch28dev-cu126-nvcc126": Expert(
        True, "dnf", warns=("cuda.driver_compat",), mentions=("NCCL",)),
    "debian11-2xl4-driver550-torch260cu124": Expert(True, "apt"),
    "debian12-4xh100-driver550-torch222cu121": Expert(True, "apt"),
    "fedora29-gtx750ti-driver418-public-no-torch": Expert(
        False, "dnf", fails=("torch.build",), fix_names=("+cu101", "+cu100", "+cu92"),
        sound=("nvidia.gpu", "nvidia.driver", "nvidia.nouveau", "nvidia.secure_boot",
               "cuda.driver_compat")),
    "fedora40-2xrtx4090-driver555-torch230cu121": Expert(True, "dnf"),
    "rhel74-2xp100-driver390-cuda91": Expert(False, "yum", fails=("torch.build",),
                                             sound=("nvidia.driver", "cuda.driver_compat")),
    "rhel94-8xh100-driver560-torch260cu126": Expert(True, "dnf", mentions=("Exclusive_Process",)),
    "rocky86-2xv100-driver515-torch240cu118": Expert(True, "dnf", warns=("cuda.driver_compat",)),
    "ubuntu1604-8xtitanxp-driver410-torch131cu101": Expert(
        False, "apt", fails=("torch.cuda",), fix_names=("+cu100", "+cu92")),
    "ubuntu1804-rtx2080ti-driver430-torch131-cpu": Expert(
        False, "apt", fails=("torch.build",), fix_names=("cu101",)),
    "ubuntu2004-8xrtx3090-driver535-torch240cu121-nvcc126": Expert(
        True, "apt", warns=("cuda.driver_compat",)),
    "ubuntu2004-a100sxm4-mig-driver450-torch181cu102": Expert(
        False, "apt", fails=("torch.arch",), mentions=("MIG",)),
    "ubuntu2004-gtx1080ti-driver515-torch1121cu113": Expert(True, "apt"),
    "ubuntu2204-8xa100pcie-driver535-torch24cu124": Expert(True, "apt",
                                                           warns=("cuda.driver_compat",)),
    "ubuntu2204-h100pcie-driver535-torch201cu117": Expert(False, "apt", fails=("torch.arch",)),
    "ubuntu2204-h100sxm-driver580-torch291cu126": Expert(True, "apt"),
    "ubuntu2204-rtx4090-driver535-torch251cu121": Expert(True, "apt"),
    "ubuntu2404-a100sxm4-driver575-torch270cu128-nvcc129": Expert(True, "apt"),
    "ubuntu2404-rtx3090-driver570-torch290cu128": Expert(True, "apt"),
    "ubuntu2410-rtx5090d-driver570-torch260cu126": Expert(
        False, "apt", fails=("torch.arch",), fix_names=("cu128",)),
}
REAL = sorted(EXPERTS)


def doctor(name: str) -> dict:
    """The doctor's JSON document for one replay (run once per replay for the session)."""
    return replay_document(name)


def checks(name: str) -> dict[str, dict]:
    return {check["id"]: check for check in doctor(name)["checks"]}


def line(check: dict) -> str:
    """A check's fixes as one line for the content rules below: a fix's steps joined by " && "
    (a driver need kept as "(need X or newer)" after its step), an alternative after "; or",
    a fix that follows after "; then"."""
    out = ""
    for fix in fixes_from_json(check):
        steps = " && ".join(s.command + (f" ({s.reason})" if s.reason.startswith("need ") else "")
                            for s in fix.steps)
        text = ": ".join(p for p in (fix.words, steps) if p)
        if not out:
            out = ": ".join(p for p in (fix.condition, text) if p)
        elif fix.condition.startswith("or"):
            out += f"; {fix.condition}: {text}"
        else:
            out += "; then " + ": ".join(p for p in (fix.condition, text) if p)
    return out


def fixes(name: str) -> list[str]:
    return [text for check in doctor(name)["checks"] if (text := line(check))]


def test_every_real_capture_has_a_replay_and_an_expert():
    built = {p.name for p in MACHINES.iterdir() if (p / "PROVENANCE.md").exists()}
    assert set(REAL) <= built and len(REAL) >= 15
    for name in REAL:
        provenance = (MACHINES / name / "PROVENANCE.md").read_text()
        assert "## Verbatim" in provenance and "## Derived" in provenance
        assert "https://github.com/" in provenance


@pytest.mark.parametrize("name", REAL)
def test_no_false_failure_on_a_machine_that_worked(name):
    if not EXPERTS[name].worked:
        pytest.skip("the expert found a real failure here")
    failed = {i: c["summary"] for i, c in checks(name).items()
              if c["status"] == "fail" and i.startswith(GPU_STACK)}
    assert not failed, f"{name} demonstrably worked, yet: {failed}"


@pytest.mark.parametrize("name", REAL)
def test_the_real_problem_is_named(name):
    expert, got = EXPERTS[name], checks(name)
    for check_id in expert.fails:
        assert got[check_id]["status"] == "fail", got[check_id]
    for check_id in expert.sound:
        assert got[check_id]["status"] != "fail", got[check_id]
    for check_id in expert.warns:
        assert got[check_id]["status"] == "warn", got[check_id]
    if expert.fix_names:
        # The fix of a failure sits under it, or under the check it names as its cause.
        mended = [got[got[i]["because"]] if got[i]["because"] else got[i] for i in expert.fails]
        assert any(word in line(c) for c in mended for word in expert.fix_names), \
            f"no fix of {expert.fails} names {expert.fix_names}: {[line(c) for c in mended]}"
    text = json.dumps(doctor(name)["checks"])
    for word in expert.mentions:
        assert word.lower() in text.lower(), f"no check of {name} mentions {word}"


@pytest.mark.parametrize("name", REAL)
def test_compute_capability_known_for_every_gpu(name):
    doc = doctor(name)
    gpus = doc["facts"]["driver"]["gpus"]
    for gpu in gpus:
        assert re.fullmatch(r"\d+\.\d+", gpu["compute_capability"] or ""), gpu
    assert "compute capability" in checks(name)["nvidia.gpu"]["summary"]


@pytest.mark.parametrize("name", REAL)
def test_fixes_use_the_distributions_package_manager(name):
    manager = EXPERTS[name].manager
    others = {"apt": ("dnf ", "yum "), "yum": ("dnf ", "apt ", "apt-get "),
              "dnf": ("yum ", "apt ", "apt-get ")}[manager]
    for fix in fixes(name):
        words = f" {fix} "
        wrong = [tool for tool in others if f" {tool}" in words or f"sudo {tool}" in words]
        assert not wrong, f"{name} ({manager}) is told: {fix}"


def _torch_builds_named(fix: str) -> list[tuple[str, str]]:
    """(torch version, CUDA variant) of every torch build a fix installs."""
    named = []
    for part in re.split(r";|&&| or ", fix):
        for match in re.finditer(r"torch==(\d[\w.]*?)(?:\+(cu\d+|cpu))?(?=\s|$)", part):
            variant = match.group(2)
            index = re.search(r"download\.pytorch\.org/whl/(cu\d+|cpu)", part)
            variant = variant or (index.group(1) if index else None)
            if variant:
                named.append((match.group(1), variant))
    return named


@pytest.mark.parametrize("name", REAL)
def test_no_fix_that_cannot_run_on_this_machine(name):
    """A torch build a fix installs (not as the alternative after a driver upgrade) must run on
    the machine's driver, ship kernels (or PTX) for every GPU and exist for its Python."""
    doc = doctor(name)
    driver = doc["facts"]["driver"]["version"]
    caps = [g["compute_capability"] for g in doc["facts"]["driver"]["gpus"]]
    python = doc["facts"]["python"]["version"]
    for fix in fixes(name):
        for alternative in fix.split("; or"):
            if "driver" in alternative:  # the route through a driver upgrade
                continue
            for version, variant in _torch_builds_named(alternative):
                cuda = VARIANT_CUDA.get(variant)
                if cuda and driver:
                    assert driver_runs(driver, cuda), f"{name}: driver {driver} cannot run " \
                        f"torch {version}+{variant}: {fix}"
                rows = [b for b in TORCH_BUILDS if b.torch == version and b.variant == variant]
                for row in rows[:1]:
                    for cap in filter(None, caps):
                        assert kernels_for(row, cap), f"{name}: {version}+{variant} has no " \
                            f"kernels for {cap}: {fix}"
                    if python:
                        minor = ".".join(python.split(".")[:2])
                        assert minor in row.pythons, f"{name}: {version}+{variant} is not " \
                            f"published for Python {minor}: {fix}"


@pytest.mark.parametrize("name", REAL)
def test_no_rpm_fusion_branch_an_end_of_life_fedora_never_carried(name):
    """On a Fedora past its end of life, a fix that installs akmod-nvidia for a driver branch
    packaged after that day upgrades Fedora first: the release's repositories never carried it.
    No replay has conda, so a fix that runs conda installs it (Miniforge) first."""
    os_ = doctor(name)["facts"]["os"]
    release = (os_.get("version_id") or "").split(".")[0]
    eol = FEDORA_EOL.get(int(release)) if os_.get("id") == "fedora" and release.isdigit() else None
    for fix in fixes(name):
        uses = re.search(r"\bconda (create|install)\b", fix)
        if uses:
            assert "Miniforge3.sh -b" in fix[:uses.start()], f"{name}: conda is not there: {fix}"
        for part in fix.split("; or") if eol else ():
            for need in re.finditer(r"akmod-nvidia[^(]*\(need (\d+)\.", part):
                known = [b for b in NVIDIA_BRANCH_PACKAGED if b <= int(need.group(1))]
                if known and NVIDIA_BRANCH_PACKAGED[max(known)] >= eol:
                    before = part[:need.start()]
                    assert "end of life" in before and "system-upgrade download" in before, \
                        f"{name}: Fedora {release} ended {eol}, yet: {part}"


@pytest.mark.parametrize("name", REAL)
def test_no_driver_from_a_cuda_repository_that_stopped_below_the_need(name):
    """NVIDIA's repositories for retired releases stopped at a driver branch (CUDA_REPO_LAST): a
    fix never installs cuda-drivers (on EL7 nvidia-driver-latest-dkms) from one for a need above
    that branch; it upgrades the release first and installs from the new release's repository."""
    os_ = doctor(name)["facts"]["os"]
    el7 = os_.get("family") == "rhel" and (os_.get("version_id") or "").split(".")[0] == "7"
    for fix in fixes(name):
        for part in fix.split("; or"):
            uses = [(m.group(1), int(m.group(2))) for m in re.finditer(
                r"repos/(\w+)/x86_64/cuda-keyring[^(]*\(need (\d+)\.", part)]
            uses += [("rhel7", int(m.group(1))) for m in re.finditer(
                r"nvidia-driver-latest-dkms[^(]*\(need (\d+)\.", part) if el7]
            for repo, need in uses:
                ceiling = CUDA_REPO_LAST.get(repo, (need, ""))[0]
                assert need <= ceiling, f"{name}: {repo} stops at {ceiling}, yet: {part}"
            for stop in re.finditer(r"NVIDIA's (\w+) repository stops at driver branch", part):
                after = part[stop.end():]
                assert "first: " in after and "; then " in after, f"{name}: {part}"
                assert f"repos/{stop.group(1)}/" not in after, f"{name}: {part}"


def test_ubuntu1604_titanxp_fix_upgrades_ubuntu_twice_before_the_550_driver():
    """The replay's torch 2.6.0+cu124 route needs 550; ubuntu1604 stops at 465 and ubuntu1804
    at 530, so the machine goes to 20.04 first."""
    name = "ubuntu1604-8xtitanxp-driver410-torch131cu101"
    assert checks(name)["torch.cuda"]["because"] == "cuda.driver_compat"
    now = line(checks(name)["cuda.driver_compat"])
    # The newer build's route is the advisor's (the check keeps to the driver it needs).
    advice = run_replay(name, "--advise-torch")[1]
    later = line({"fixes": advice["better_fixes"]})
    assert advice["better"]["torch"] == "2.6.0" and advice["better"]["variant"] == "cu124"
    assert "repos/ubuntu1604/" in now and "do-release-upgrade" not in now  # 418 fits 465
    assert "NVIDIA's ubuntu1604 repository stops at driver branch 465" in later
    assert later.index("16.04 -> 18.04 -> 20.04") < later.index("sudo do-release-upgrade")
    assert later.index("sudo do-release-upgrade") < later.index("repos/ubuntu2004/") \
        < later.index("cuda-drivers") < later.index("pip install torch==2.6.0")
    # Titan Xp (Pascal): ubuntu2004 is not known to stop below 590, so 580 is pinned first;
    # ubuntu1604 stops at 465 and keeps its plain command.
    assert later.index("nvidia-driver-pinning-580 && sudo apt-get install -y cuda-drivers") \
        < later.index("pip install torch==2.6.0")
    assert "pinning" not in now


def _last_branch(name: str) -> int | None:
    """The newest driver branch every GPU of the replay runs (its driver's and its bus's)."""
    facts = doctor(name)["facts"]
    caps = [g["compute_capability"] for g in facts["driver"]["gpus"]]
    caps += [tables.compute_capability_for(p.get("name"), p.get("device_id"))
             for p in facts["pci_gpus"]]
    return tables.driver_branch_ceiling(filter(None, caps))


def test_replays_with_gpus_past_their_last_driver_are_known():
    assert _last_branch("fedora29-gtx1050-healthy") == 580  # GTX 1050 Mobile, by PCI id
    assert _last_branch("rocky86-2xv100-driver515-torch240cu118") == 580  # V100
    assert _last_branch("ubuntu1804-rtx2080ti-driver430-torch131-cpu") is None  # Turing


@pytest.mark.parametrize("name", replay_names())
def test_no_fix_installs_a_driver_past_the_gpus_last_branch(name):
    """GPUs before Turing stop at a driver branch (R580: Maxwell, Pascal, Volta; R470: Kepler).
    No fix installs the newest driver there: no nvidia-driver:latest-dkms or nvidia-open; no
    cuda-drivers without the branch's pinning package first, unless from a repository that stops
    at or below the branch (CUDA_REPO_LAST); no unpinned akmod-nvidia, unless on a Fedora
    release that reached end of life before the next branch was packaged; no Ubuntu branch
    past it."""
    last = _last_branch(name)
    if last is None:
        pytest.skip("no GPU here has a last driver branch")
    after = NVIDIA_BRANCH_PACKAGED[min(b for b in NVIDIA_BRANCH_PACKAGED if b > last)]
    release = (doctor(name)["facts"]["os"].get("version_id") or "").split(".")[0]
    for fix in fixes(name):
        assert "nvidia-driver:latest-dkms" not in fix and "nvidia-open" not in fix, fix
        for part in fix.split("; or"):
            for cuda in re.finditer(r"repos/(\w+)/x86_64/\S+ && [^;]*?install -y "
                                    r"(?:nvidia-driver-pinning-(\d+) && sudo apt-get install "
                                    r"-y )?cuda-drivers", part):
                repo, pin = cuda.group(1), cuda.group(2)
                held = int(pin) if pin else CUDA_REPO_LAST.get(repo, (10**6, ""))[0]
                assert held <= last, f"{name}: {repo} goes past branch {last}: {part}"
            for akmod in re.finditer(r"install -y akmod-nvidia(-(\d+)xx)? ", part):
                on = re.findall(r"until Fedora (\d+)|--releasever=(\d+)", part[:akmod.start()])
                fedora = int("".join(on[-1]) if on else release)
                ended = FEDORA_EOL.get(fedora) or after
                assert int(akmod.group(2) or 0) == last or ended < after, \
                    f"{name}: Fedora {fedora}'s akmod-nvidia goes past branch {last}: {part}"
            for branch in re.findall(r"nvidia:(\d+)|nvidia-driver-(\d+) ", part):
                assert int("".join(branch)) <= last, f"{name}: {part}"


def test_fedora29_gtx750ti_fix_upgrades_fedora_then_uses_uv():
    fix = line(checks("fedora29-gtx750ti-driver418-public-no-torch")["torch.build"])
    now, later = fix.split("; or", 1)
    assert "torch==1.8.1+cu101" in now
    assert "Fedora 29 reached end of life on 2019-11-26" in later
    assert later.index("--releasever=31") < later.index("akmod-nvidia") < later.index("uv venv")
    assert later.index("uv venv --seed --python 3.10") < later.index("pip install torch==2.")


# ------------------------------------------------------------------ sealing (every replay)
def _host_values() -> dict[str, str]:
    """Values only the machine running the tests has: none may reach a replay's document."""
    values = {"python": platform.python_version(), "executable": sys.executable,
              "repo": str(MACHINES)}
    with contextlib.suppress(metadata.PackageNotFoundError):
        values["torch"] = metadata.version("torch")
    cpuinfo = Path("/proc/cpuinfo")
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo.read_text() if cpuinfo.exists()
                      else "", re.M)
    if model:
        values["cpu model"] = model.group(1).strip()
    return values


def _strings(value, path=""):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]")
    elif isinstance(value, str):
        yield path, value


def _recorded_text(name: str) -> str:
    """Everything the replay itself records (file contents and link targets)."""
    parts = []
    for path in (MACHINES / name).rglob("*"):
        if path.is_file() and not path.is_symlink():
            parts.append(path.read_text(errors="replace"))
    return "\n".join(parts)


@pytest.mark.parametrize("name", replay_names())
def test_replay_is_sealed_from_the_host(name):
    doc = doctor(name)
    recorded = _recorded_text(name)
    host = _host_values()
    for where, text in _strings(doc):
        if where == ".facts.root":
            continue
        for what, value in host.items():
            if value and value in text and value not in recorded:
                if what == "python" and not re.search(rf"(?<![\d.]){re.escape(value)}(?![\d])",
                                                      text):
                    continue
                pytest.fail(f"{name}: {where} = {text!r} holds the host's {what} {value!r}")
    facts = doc["facts"]
    assert facts["torch"]["source"] == "recorded"
    assert facts["python"]["executable"] != sys.executable
    meminfo = MACHINES / name / "root/proc/meminfo"
    if not meminfo.exists():
        assert facts["cpu"]["memory_total_gib"] is None
    if not (MACHINES / name / "root/proc/cpuinfo").exists():
        assert facts["cpu"]["logical_cores"] is None and facts["cpu"]["model"] is None


def test_replay_without_a_torch_record_says_so_instead_of_asking_this_machine(tmp_path,
                                                                             monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # the replay records no command
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc/os-release").write_text('ID="fedora"\nVERSION_ID="40"\n')
    from provision.gather import gather_facts

    facts = gather_facts(root=root)
    assert facts.torch.installed is False and facts.torch.version is None
    assert "not recorded" in facts.torch.reason
    assert facts.python.version is None and facts.os.arch is None
    assert facts.cpu.model is None and facts.cpu.logical_cores is None


# ------------------------------------------------------------------ the shared stub
STUBBED = MACHINES / "rhel74-2xp100-driver390-cuda91"


def _stub(tool: str, *args: str) -> tuple[int, str]:
    import subprocess

    done = subprocess.run([str(STUBBED / "bin" / tool), *args], capture_output=True, text=True,
                          env={"PATH": str(STUBBED / "bin")}, timeout=10, check=False)
    return done.returncode, done.stdout + done.stderr


def test_nvidia_smi_stub_answers_the_fields_asked_per_gpu():
    code, out = _stub("nvidia-smi", "--query-gpu=name,memory.total,driver_version",
                      "--format=csv,noheader,nounits")
    assert code == 0
    assert out.splitlines() == ["Tesla P100-PCIE-16GB, 16280, 390.12"] * 2
    code, out = _stub("nvidia-smi", "--query-gpu=memory.total", "--format=csv")
    assert out.splitlines() == ["memory.total [MiB]", "16280 MiB", "16280 MiB"]
    # Driver 390 predates compute_cap: the whole query fails, as the real tool's does.
    code, out = _stub("nvidia-smi", "--query-gpu=name,compute_cap", "--format=csv")
    assert code == 2 and 'Field "compute_cap" is not a valid field to query.' in out


def test_rpm_stub_answers_per_name_with_the_count_of_missing_as_status():
    code, out = _stub("rpm", "-q", "--qf", "%{NAME} %{VERSION}\\n", "--", "perl", "nope", "gcc")
    assert out.splitlines() == ["perl 5.16.3", "package nope is not installed", "gcc 4.8.5"]
    assert code == 1
    code, out = _stub("rpm", "-q", "a", "b")
    assert code == 2 and out.count("is not installed") == 2
