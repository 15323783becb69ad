"""provision/fedora.sh with stub commands on PATH and a scratch folder as the machine's root."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "provision" / "fedora.sh"
HEALTHY = Path(__file__).parent / "machines" / "fedora29-gtx1050-healthy"
LSPCI_GTX1050 = ("0000:01:00.0 3D controller [0302]: NVIDIA Corporation GP107M "
                 "[GeForce GTX 1050 Mobile] [10de:1c8d] (rev a1)")

# Stateful stubs: dnf records what it installed, rpm answers from that record, and the
# runfile (run through `sh`) leaves the toolkit and a loaded driver behind, as the real ones do.
STUBS = {
    "rpm": ('shift; [[ ${1:-} == -- ]] && shift; '
            'for p in "$@"; do grep -qx "$p" "$STATE/installed" 2>/dev/null || exit 1; done\n'),
    "dnf": 'echo "dnf $*" >>"$STATE/log"; shift 2; printf "%s\\n" "$@" >>"$STATE/installed"\n',
    "python3": 'grep -qx python3-pip "$STATE/installed" 2>/dev/null\n',
    "perl": 'grep -qx perl-Term-ReadLine-Gnu "$STATE/installed" 2>/dev/null\n',
    "gcc": "echo 8.2.1\n",
    "lspci": f"echo '{LSPCI_GTX1050}'\n",
    "curl": 'echo "curl $*" >>"$STATE/log"\n',
    "systemctl": 'echo "systemctl $*" >>"$STATE/log"\n',
    "grubby": 'echo "grubby $*" >>"$STATE/log"\n',
    "dracut": 'echo "dracut $*" >>"$STATE/log"\n',
    "sh": ('echo "sh $*" >>"$STATE/log"\n'
           'mkdir -p "$RNNBENCH_ROOT/usr/local/cuda-10.0" "$RNNBENCH_ROOT/proc/driver/nvidia"\n'
           'echo "NVRM version: NVIDIA UNIX x86_64 Kernel Module  410.48  Thu Sep  6 2018" '
           '>"$RNNBENCH_ROOT/proc/driver/nvidia/version"\n'),
}


@pytest.fixture
def machine(tmp_path):
    """A bare Fedora 29: os-release and kernel only, nothing installed, no driver."""
    root, stubs, state = tmp_path / "root", tmp_path / "stubs", tmp_path / "state"
    for folder in (root / "etc", root / "proc/sys/kernel", stubs, state):
        folder.mkdir(parents=True)
    (root / "etc/os-release").write_text('NAME=Fedora\nID=fedora\nVERSION_ID=29\n')
    (root / "proc/sys/kernel/osrelease").write_text("4.18.16-300.fc29.x86_64\n")
    (root / "proc/modules").write_text("i915 1933312 25 - Live 0x0\n")
    for name, body in STUBS.items():
        (stubs / name).write_text("#!/bin/bash\n" + body)
        (stubs / name).chmod(0o755)
    return root, stubs, state


def run_script(machine, *args: str, uid: str = "0") -> subprocess.CompletedProcess:
    root, stubs, state = machine
    env = {"PATH": f"{stubs}:/usr/bin:/bin", "RNNBENCH_ROOT": str(root), "STATE": str(state),
           "FEDORA_SH_UID": uid, "LANG": "C.UTF-8"}
    return subprocess.run(["/bin/bash", str(SCRIPT), *args], env=env, capture_output=True,
                          text=True, timeout=60, check=False, cwd=state)


def log(machine) -> list[str]:
    path = machine[2] / "log"
    return path.read_text().splitlines() if path.exists() else []


def test_shellcheck_clean():
    if shutil.which("shellcheck") is None:
        if os.environ.get("CI"):
            pytest.fail("shellcheck is required in CI: apt-get install -y shellcheck")
        pytest.skip("shellcheck not installed here (apt-get install -y shellcheck); required in CI")
    done = subprocess.run(["shellcheck", str(SCRIPT)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout


def test_check_on_a_bare_fedora_lists_failures_with_dnf_fixes(machine):
    done = run_script(machine, "check")
    lines = done.stdout.splitlines()
    assert done.returncode == 1
    assert "✓ os.distro" in lines[0] and "Fedora 29" in lines[0]
    assert "    fix: sudo dnf install python3-pip" in lines
    assert "    fix: sudo dnf install perl-Term-ReadLine-Gnu" in lines
    assert any(line.startswith("✓ nvidia.gpu") and "GTX 1050" in line for line in lines)
    assert any(line.startswith("✗ nvidia.driver") for line in lines)
    assert any(line.startswith("! cuda.host_compiler") for line in lines)


def test_check_on_the_ready_laptop_passes(tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    env = {"PATH": f"{HEALTHY / 'bin'}:/usr/bin:/bin", "RNNBENCH_ROOT": str(HEALTHY / "root"),
           "LANG": "C.UTF-8"}
    done = subprocess.run(["/bin/bash", str(SCRIPT), "check"], env=env, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout
    assert "✓ nvidia.driver      NVIDIA driver 410.48 loaded" in done.stdout
    assert "✓ cuda.toolkit" in done.stdout


def test_install_without_yes_only_prints(machine):
    done = run_script(machine, "install")
    assert done.returncode == 0
    assert ("+ dnf install -y python3-pip perl-Term-ReadLine-Gnu gcc make kernel-devel "
            "kernel-headers elfutils-libelf-devel kernel-devel-4.18.16-300.fc29.x86_64"
            ) in done.stdout
    assert "+ sh cuda_10.0.130_410.48_linux.run --silent --driver --toolkit --override" \
        in done.stdout
    assert "dry run: nothing was changed" in done.stdout
    assert log(machine) == []  # no stub was run
    assert not (machine[0] / "etc/profile.d/cuda.sh").exists()


def test_install_yes_needs_root(machine):
    done = run_script(machine, "install", "--yes", uid="1000")
    assert done.returncode == 2 and "must run as root" in done.stderr
    assert log(machine) == []


def test_install_yes_runs_once_and_is_idempotent(machine):
    first = run_script(machine, "install", "--yes")
    assert first.returncode == 0, first.stderr
    assert [line.split()[0] for line in log(machine)] == ["dnf", "curl", "systemctl", "sh"]
    profile = machine[0] / "etc/profile.d/cuda.sh"
    assert "export PATH=/usr/local/cuda-10.0/bin:$PATH" in profile.read_text()
    second = run_script(machine, "install", "--yes")
    assert second.returncode == 0
    assert len(log(machine)) == 4  # nothing ran again
    assert "# packages: all installed" in second.stdout
    assert "already installed" in second.stdout
    assert run_script(machine, "check").returncode == 0


def test_install_blacklists_nouveau_first_and_stops_for_a_reboot(machine):
    (machine[0] / "proc/modules").write_text("nouveau 2203648 1 - Live 0x0\n")
    done = run_script(machine, "install", "--yes")
    assert done.returncode == 0
    assert (machine[0] / "etc/modprobe.d/blacklist-nouveau.conf").read_text() == \
        "blacklist nouveau\noptions nouveau modeset=0\n"
    assert [line.split()[0] for line in log(machine)] == ["dnf", "grubby", "dracut"]
    assert "reboot now" in done.stdout


def test_unknown_subcommand_is_a_usage_error(machine):
    done = run_script(machine, "frobnicate")
    assert done.returncode == 2 and done.stderr.startswith("usage: fedora.sh")
