"""Hostile inputs for `rnnbench doctor`, its probes and provision/fedora.sh (issue 11).

Each case asserts the exit code, that any message is one line without a traceback, and the state
of the files afterwards (no marker file created by an injected command, nothing written).
Replayed machines are copied from tests/provision/machines into tmp_path and made hostile there.
"""

from __future__ import annotations

import json
import os
import pty
import re
import shlex
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from provision.checks import CheckResult
from provision.doctor import ProfileError, run_checks
from provision.facts import Facts, GpuInfo, PciGpu, TorchFacts
from provision.fix import run
from provision.probe import read_text, run_command
from provision.probes import system, torchinfo
from provision.profile import profile_from_dict
from provision.terminal import render_checklist

REPO = Path(__file__).resolve().parents[2]
MACHINES = REPO / "tests" / "provision" / "machines"
FEDORA_SH = REPO / "provision" / "fedora.sh"
HEALTHY = "fedora29-gtx1050-healthy"
PACKAGE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")
SGR = re.compile(r"\x1b\[[0-9;]*m")  # the colour codes rich itself writes


def rnnbench_argv() -> list[str]:
    script = Path(sys.executable).with_name("rnnbench")
    return [str(script)] if script.exists() else [sys.executable, "-m", "rnnbench"]


def copy_machine(tmp_path: Path, scenario: str = HEALTHY) -> Path:
    machine = tmp_path / "machine"
    shutil.copytree(MACHINES / scenario, machine, symlinks=True)
    return machine


def stub(machine: Path, name: str, body: str, interpreter: str = "/bin/bash") -> Path:
    path = machine / "bin" / name
    path.write_text(f"#!{interpreter}\n{body}")
    path.chmod(0o755)
    return path


def doctor(machine: Path, *args: str, env: dict[str, str] | None = None,
           stdout=subprocess.PIPE, timeout: float = 60, probe_timeout: float = 2.0,
           json_out: bool = False) -> subprocess.CompletedProcess:
    base = {"PATH": str(machine / "bin"), "HOME": os.environ.get("HOME", "/tmp"),
            "LANG": "C.UTF-8", "RNNBENCH_PROBE_TIMEOUT": str(probe_timeout)}
    argv = [*rnnbench_argv(), "doctor", "--root", str(machine / "root"), "--no-gpu-tests",
            *(["--json"] if json_out else []), *args]
    return subprocess.run(argv, env={**base, **(env or {})}, stdout=stdout,
                          stderr=subprocess.PIPE, timeout=timeout, check=False)


def assert_clean_stderr(done: subprocess.CompletedProcess, max_lines: int = 1) -> str:
    err = done.stderr.decode("utf-8", "replace")
    assert "Traceback" not in err, err
    assert len(err.strip().splitlines()) <= max_lines, err
    return err


BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


def no_raw_controls(text: str) -> bool:
    """True when `text` holds no control character but newlines and tabs, and no bidi override
    (colour codes removed)."""
    return not any(ord(c) < 0x20 and c not in "\n\t" or 0x7f <= ord(c) < 0xa0 or c in BIDI
                   for c in SGR.sub("", text))


# =========================================================================== item 1: argv
INJECTIONS = [
    "--eval=%(touch {marker})",
    "-q",
    "--qf=%{{NAME}}",
    "--eval=%(sh -c 'touch {marker}')",
    "-e",
    "pkg --eval=%(touch {marker})",
    "$(touch {marker})",
    "`touch {marker}`",
    "gcc;touch {marker}",
    "gcc|touch {marker}",
    "gcc\n--eval=%(touch {marker})",
    "",
    " gcc",
    ".hidden",
    "_under",
    "../etc/passwd",
    "gcc\x1b]0;title\x07",
    "pkg*",
]


def rpm_that_evaluates(machine: Path) -> None:
    """An rpm stub that does what real rpm does with --eval=%(...): run the command."""
    real = machine / "bin" / "rpm"
    real.rename(machine / "bin" / "rpm-recorded")
    stub(machine, "rpm", (
        'for a in "$@"; do case $a in --eval=*) m=${a#--eval=%(}; m=${m%)};'
        ' PATH=/usr/bin:/bin /bin/sh -c "$m" ;; esac; done\n'
        'exec "$(dirname "$0")/rpm-recorded" "$@"\n'))


@pytest.mark.parametrize("template", INJECTIONS)
def test_profile_package_names_cannot_reach_rpm_as_options(tmp_path, template):
    machine = copy_machine(tmp_path)
    rpm_that_evaluates(machine)
    marker = tmp_path / "marker"
    bad = template.format(marker=marker)
    profile = tmp_path / "hostile.toml"
    profile.write_text(f"name = 'hostile'\n[packages]\nrequired = ['gcc', {json.dumps(bad)}]\n")
    done = doctor(machine, "--profile", str(profile))
    err = assert_clean_stderr(done)
    assert done.returncode == 2, err
    assert "package name" in err and done.stdout == b""
    assert not marker.exists()


def test_package_query_ends_option_parsing(tmp_path):
    machine = copy_machine(tmp_path)
    log = tmp_path / "argv"
    stub(machine, "rpm", f'printf "%s\\n" "$@" >"{log}"\n')
    env = {"PATH": str(machine / "bin")}
    old = os.environ.copy()
    os.environ.update(env)
    try:
        facts = system.probe_packages("fedora", ("gcc", "make"))
    finally:
        os.environ.clear()
        os.environ.update(old)
    argv = log.read_text().splitlines()
    assert argv[-3:] == ["--", "gcc", "make"]
    assert facts.tool == "rpm"


@pytest.mark.parametrize("family", ["fedora", "debian"])
def test_package_probe_refuses_bad_names_itself(tmp_path, family):
    marker = tmp_path / "marker"
    facts = system.probe_packages(family, ("gcc", f"--eval=%(touch {marker})"))
    assert "package name" in facts.reason and facts.installed == {}
    assert not marker.exists()


@given(st.text(max_size=40))
@settings(max_examples=150, deadline=None)
def test_profile_accepts_only_plain_package_names(name):
    try:
        profile = profile_from_dict({"packages": {"required": [name]}})
    except ProfileError as exc:
        assert "\n" not in str(exc) and "package name" in str(exc)
        assert not PACKAGE_NAME.fullmatch(name)
    else:
        assert PACKAGE_NAME.fullmatch(profile.packages[0])


# --------------------------------------------------------------------------- fedora.sh
def fedora_machine(tmp_path: Path, kernel: str = "4.18.16-300.fc29.x86_64",
                   gcc: str = "8.2.1") -> tuple[Path, Path, Path]:
    root, stubs, log = tmp_path / "root", tmp_path / "stubs", tmp_path / "log"
    for folder in (root / "etc", root / "proc/sys/kernel", stubs):
        folder.mkdir(parents=True)
    (root / "etc/os-release").write_text("ID=fedora\nVERSION_ID=29\n")
    (root / "proc/sys/kernel/osrelease").write_text(kernel + "\n")
    (root / "proc/modules").write_text("")
    for name in ("rpm", "dnf", "curl", "systemctl", "sh", "python3", "perl", "lspci"):
        body = f'printf "%s|" {name} "$@" >>"{log}"; echo >>"{log}"\n'
        if name == "rpm":
            body += '[[ "$*" == *eval* ]] && exit 0; exit 1\n'
        (stubs / name).write_text("#!/bin/bash\n" + body)
        (stubs / name).chmod(0o755)
    (stubs / "gcc").write_text(f"#!/bin/bash\nprintf '%s\\n' {shlex.quote(gcc)}\n")
    (stubs / "gcc").chmod(0o755)
    return root, stubs, log


def fedora_sh(root: Path, stubs: Path, *args: str, env: dict[str, str] | None = None
              ) -> subprocess.CompletedProcess:
    base = {"PATH": f"{stubs}:/usr/bin:/bin", "RNNBENCH_ROOT": str(root), "FEDORA_SH_UID": "0",
            "LANG": "C.UTF-8"}
    return subprocess.run(["/bin/bash", str(FEDORA_SH), *args], env={**base, **(env or {})},
                          capture_output=True, timeout=60, check=False, cwd=root.parent)


def test_fedora_sh_ends_rpm_options(tmp_path):
    root, stubs, log = fedora_machine(tmp_path)
    done = fedora_sh(root, stubs, "install")
    assert done.returncode == 0, done.stderr
    calls = log.read_text().splitlines()
    rpm_calls = [c for c in calls if c.startswith("rpm|")]
    assert rpm_calls and all(c.startswith("rpm|-q|--|") for c in rpm_calls)


@pytest.mark.parametrize("kernel", ["--eval=%(touch {marker})", "$(touch {marker})",
                                    "4.18 --eval=%(touch {marker})", "a[$(touch {marker})]"])
def test_fedora_sh_kernel_release_is_validated(tmp_path, kernel):
    marker = tmp_path / "marker"
    root, stubs, log = fedora_machine(tmp_path, kernel=kernel.format(marker=marker))
    done = fedora_sh(root, stubs, "install", "--yes")
    err = done.stderr.decode()
    assert done.returncode == 2 and "kernel release" in err and len(err.splitlines()) == 1
    assert not marker.exists()
    assert "dnf" not in (log.read_text() if log.exists() else "")


@pytest.mark.parametrize("gcc", ["PPID[$(touch {marker})]", "PATH[`touch {marker}`]",
                                 "$(touch {marker})"])
def test_fedora_sh_gcc_version_is_not_evaluated(tmp_path, gcc):
    marker = tmp_path / "marker"
    root, stubs, _ = fedora_machine(tmp_path, gcc=gcc.format(marker=marker))
    done = fedora_sh(root, stubs, "check")
    assert done.returncode == 1 and b"Traceback" not in done.stderr
    assert not marker.exists()


@pytest.mark.parametrize("setting", [
    {"CUDA_VERSION": "10.0/bin:$(touch {marker})"},
    {"CUDA_VERSION": "10.0;touch {marker}"},
    {"CUDA_RUNFILE": "-c"},
    {"CUDA_RUNFILE_URL": "--config={marker}"},
])
def test_fedora_sh_settings_are_validated(tmp_path, setting):
    marker = tmp_path / "marker"
    root, stubs, log = fedora_machine(tmp_path)
    env = {k: v.format(marker=marker) for k, v in setting.items()}
    done = fedora_sh(root, stubs, "install", "--yes", env=env)
    err = done.stderr.decode()
    assert done.returncode == 2 and len(err.splitlines()) == 1, err
    assert not (root / "etc/profile.d/cuda.sh").exists() and not marker.exists()
    assert not log.exists()


def test_fedora_sh_machine_text_is_not_printed_raw(tmp_path):
    root, stubs, _ = fedora_machine(tmp_path)
    (root / "etc/os-release").write_text("ID=fedora\nVERSION_ID=29\x1b[2J\x1b]0;pwned\x07\n")
    (stubs / "lspci").write_text("#!/bin/bash\necho $'0000:01:00.0 3D controller [0302]: "
                                 "N\\e[2J [GTX\\e]0;x\\a] [10de:1c8d]'\n")
    done = fedora_sh(root, stubs, "check")
    out = done.stdout.decode()
    assert "\x1b" not in out and "\x07" not in out and "?[2J" in out


# =========================================================================== item 3: terminal
HOSTILE_TEXT = ["\x1b[2J\x1b[H", "\x1b]0;pwned\x07", "\x9b31m", "a\rb", "\u202eevil",
                "[bold red]x[/]", "[link=https://evil.example]click[/link]", "\x00", "\x7f"]


@pytest.mark.parametrize("text", HOSTILE_TEXT)
def test_machine_text_reaches_the_terminal_escaped(tmp_path, text):
    machine = copy_machine(tmp_path)
    osr = machine / "root/etc/os-release"
    osr.write_text(osr.read_text().replace("PRETTY_NAME=", f"PRETTY_NAME={text}")
                   .replace("VERSION_ID=29", f"VERSION_ID=29{text}"))
    smi = machine / "bin/nvidia-smi"
    smi.write_text(smi.read_text().replace("GeForce GTX 1050,", f"GeForce GTX 1050{text},"))
    cpu = machine / "root/proc/cpuinfo"
    cpu.write_text(re.sub(r"(model name\s*:.*)", lambda m: m.group(1) + text, cpu.read_text()))
    done = doctor(machine, "--verbose", "--profile", "fedora29-gtx1050-cuda10")
    assert_clean_stderr(done, max_lines=0)
    assert done.returncode in (0, 1)
    assert no_raw_controls(done.stdout.decode())


def checks_for(name: str, pretty: str) -> list[CheckResult]:
    facts = Facts()
    facts.os.id, facts.os.version_id, facts.os.pretty_name = "fedora", pretty, pretty
    facts.os.family = "fedora"
    facts.pci_gpus = [PciGpu(slot="0000:01:00.0", name=name)]
    facts.driver.gpus = [GpuInfo(name=name)]
    facts.driver.version = "410.48"
    facts.torch = TorchFacts(installed=True, version=name, reason=name)
    facts.cpu.model = name
    return run_checks(facts)


@given(name=st.text(max_size=30), pretty=st.text(max_size=30), colour=st.booleans())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_checklist_never_carries_raw_control_characters(name, pretty, colour):
    checks = checks_for(name, pretty)
    checks.append(CheckResult(name or "x", "fail", pretty, detail=name,
                              fixes=(run((pretty or "x", name), condition=name, words=pretty),)))
    checks.append(CheckResult("bench.x", "warn", pretty, because=name))
    text = render_checklist(checks, profile_name=name, verbose=True, colour=colour)
    assert no_raw_controls(text)


@pytest.mark.parametrize("markup", ["[bold red]x[/]", "[link=https://evil.example]y[/link]",
                                    "[/]", "[red]"])
def test_rich_markup_in_machine_text_prints_literally(markup):
    checks = [CheckResult("gpu.name", "pass", markup, detail=markup, fixes=(run(markup),))]
    text = render_checklist(checks, profile_name=markup, verbose=True, colour=True)
    assert text.count(markup) == 3
    assert "\x1b]8;" not in text  # no hyperlink escape


class FakeTty:
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("value,expected", [("1", False), ("", True), ("0", False),
                                            ("false", False), (None, True)])
def test_no_color_turns_colour_off(monkeypatch, value, expected):
    from provision.terminal import use_colour

    if value is None:
        monkeypatch.delenv("NO_COLOR", raising=False)
    else:
        monkeypatch.setenv("NO_COLOR", value)
    assert use_colour(FakeTty()) is expected


def run_on_pty(machine: Path, env: dict[str, str]) -> tuple[int, str]:
    main, child = pty.openpty()
    base = {"PATH": str(machine / "bin"), "HOME": "/tmp", "LANG": "C.UTF-8", "TERM": "xterm",
            "RNNBENCH_PROBE_TIMEOUT": "2"}
    proc = subprocess.Popen([*rnnbench_argv(), "doctor", "--root", str(machine / "root"),
                             "--no-gpu-tests"], stdout=child, stderr=child,
                            env={**base, **env})
    os.close(child)
    chunks = []
    while True:
        try:
            data = os.read(main, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(main)
    return proc.wait(timeout=60), b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.parametrize("no_color", ["1", ""])
def test_terminal_colour_obeys_no_color(tmp_path, no_color):
    machine = copy_machine(tmp_path)
    code, out = run_on_pty(machine, {"NO_COLOR": no_color})
    assert code in (0, 1) and "Traceback" not in out
    assert ("\x1b[" in out) is (no_color == "")


# =========================================================================== item 5: bounds
def test_probe_command_output_is_bounded(tmp_path):
    noisy = tmp_path / "noisy"
    noisy.write_text("#!/bin/sh\nexec head -c 67108864 /dev/zero\n")
    noisy.chmod(0o755)
    out = run_command([str(noisy)], timeout=30)
    assert not out.ok and "MiB" in out.reason
    assert len(out.stdout) <= 4 * 2**20


def test_endless_probe_command_is_stopped_early(tmp_path):
    endless = tmp_path / "endless"
    endless.write_text(f"#!{sys.executable}\nimport sys, time\n"
                       "while True:\n    sys.stdout.buffer.write(b'x' * 2**20)\n"
                       "    time.sleep(0.01)\n")
    endless.chmod(0o755)
    started = time.monotonic()
    out = run_command([str(endless)], timeout=5)
    assert time.monotonic() - started < 4
    assert not out.ok and "MiB" in out.reason and len(out.stdout) <= 4 * 2**20


def test_doctor_survives_a_flooding_nvidia_smi(tmp_path):
    machine = copy_machine(tmp_path)
    stub(machine, "nvidia-smi", "import sys\nfor _ in range(64):\n"
         "    sys.stdout.buffer.write(b'410.48, ' * 2**17)\n", interpreter=sys.executable)
    done = doctor(machine, json_out=True, probe_timeout=30)
    assert_clean_stderr(done, max_lines=0)
    assert done.returncode in (0, 1)
    reasons = json.loads(done.stdout)["facts"]["driver"]["reasons"]
    assert any("MiB" in r for r in reasons), reasons


@pytest.mark.parametrize("target", ["/dev/zero", "/dev/urandom", "/dev/null", "."])
def test_probe_reads_regular_files_only(tmp_path, target):
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/os-release").symlink_to(target if target != "." else tmp_path)
    assert read_text(tmp_path, "/etc/os-release") is None


def test_probe_file_reads_are_bounded(tmp_path):
    big = tmp_path / "cpuinfo"
    with open(big, "wb") as handle:
        handle.truncate(2**31)  # sparse: 2 GiB that take no disk
    text = read_text(tmp_path, "/cpuinfo")
    assert text is not None and len(text) <= 4 * 2**20


# =========================================================================== item 7: doctor
FIFO_PATHS = ["etc/os-release", "proc/cpuinfo", "proc/meminfo", "proc/modules",
              "rnnbench-torch.json", "proc/sys/kernel/osrelease",
              "sys/devices/system/cpu/cpu0/cpufreq/scaling_governor",
              "usr/local/cuda-10.0/version.txt", "proc/driver/nvidia/version"]


@pytest.mark.parametrize("relative", FIFO_PATHS)
def test_fifo_in_replay_root_does_not_hang(tmp_path, relative):
    machine = copy_machine(tmp_path)
    path = machine / "root" / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    os.mkfifo(path)
    done = doctor(machine, timeout=30)
    assert_clean_stderr(done, max_lines=0)
    assert done.returncode in (0, 1)
    assert stat.S_ISFIFO(path.lstat().st_mode)  # left as it was


TORCH_DOCS = [
    "[" * 100_000 + "]" * 100_000,
    '{"arch_list": ' + "[" * 100_000 + "]" * 100_000 + "}",
    '{"devices": ' + "[" * 50_000 + "]" * 50_000 + "}",
    '{"arch_list": [1, {"a": 2}, null]}',
    '{"devices": "x", "version": 5, "cudnn": "x", "cuda_available": "yes"}',
    '{"version": ' + "9" * 5000 + "}",
    '{"devices": [{"name": ["x"], "capability": 6.1}]}',
    '{"installed": true, "version": "2.1", "arch_list": "sm_61"}',
    "null", "5", '"text"', "\x00\x01", "{" * 100_000,
]


@pytest.mark.parametrize("document", TORCH_DOCS, ids=range(len(TORCH_DOCS)))
def test_hostile_recorded_torch_facts(tmp_path, document):
    machine = copy_machine(tmp_path)
    (machine / "root/rnnbench-torch.json").write_text(document)
    done = doctor(machine, json_out=True)
    assert_clean_stderr(done, max_lines=0)
    assert done.returncode in (0, 1)
    torch = json.loads(done.stdout)["facts"]["torch"]
    assert torch["version"] is None or isinstance(torch["version"], str)
    assert all(isinstance(a, str) for a in torch["arch_list"])


@pytest.mark.parametrize("document", TORCH_DOCS[:3], ids=range(3))
def test_recorded_torch_probe_never_raises(tmp_path, document):
    (tmp_path / "rnnbench-torch.json").write_text(document)
    facts = torchinfo.probe_torch(tmp_path)
    assert facts.source == "recorded" and isinstance(facts.arch_list, list)


BAD_PROFILES = [
    ("[gpu]\nrequired = 'no'\n", "required"),
    ("[gpu]\nrequired = 'false'\n", "required"),
    ("[gpu]\nrequired = 0\n", "required"),
    ("[gpu]\nrequired = 1\n", "required"),
    ("[gpu]\nrequired = []\n", "required"),
    ("[distribution]\nid = ['fedora']\n", "id"),
    ("[distribution]\nversion = {a = 1}\n", "version"),
    ("[cuda]\ntoolkit = ['10.0']\n", "toolkit"),
    ("name = ['x']\n", "name"),
    ("[packages]\nrequired = 'gcc'\n", "required"),
    ("gpu = 5\n", "gpu"),
]


@pytest.mark.parametrize("text,key", BAD_PROFILES)
def test_profile_values_must_have_their_type(tmp_path, text, key):
    machine = copy_machine(tmp_path)
    profile = tmp_path / "bad.toml"
    profile.write_text(text)
    done = doctor(machine, "--profile", str(profile))
    err = assert_clean_stderr(done)
    assert done.returncode == 2 and key in err and done.stdout == b""


def test_profile_that_is_a_fifo_or_huge_is_refused(tmp_path):
    machine = copy_machine(tmp_path)
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    done = doctor(machine, "--profile", str(fifo), timeout=30)
    assert done.returncode == 2 and "profile" in assert_clean_stderr(done)
    huge = tmp_path / "huge.toml"
    huge.write_text("# " + "x" * (2 * 2**20) + "\n")
    done = doctor(machine, "--profile", str(huge), timeout=30)
    assert done.returncode == 2 and "profile" in assert_clean_stderr(done)


@pytest.mark.parametrize("json_out", [False, True])
def test_stdout_to_dev_full_is_a_one_line_error(tmp_path, json_out):
    machine = copy_machine(tmp_path)
    with open("/dev/full", "wb") as full:
        done = doctor(machine, stdout=full, json_out=json_out)
    err = assert_clean_stderr(done)
    assert done.returncode != 0 and "standard output" in err


@pytest.mark.parametrize("json_out", [False, True])
def test_closed_stdout_pipe_is_a_one_line_error(tmp_path, json_out):
    machine = copy_machine(tmp_path)
    read, write = os.pipe()
    os.close(read)  # nobody will ever read: every write gets EPIPE
    try:
        done = doctor(machine, stdout=write, json_out=json_out)
    finally:
        os.close(write)
    err = assert_clean_stderr(done)
    assert done.returncode != 0 and "standard output" in err


@pytest.mark.parametrize("env", [{"PYTHONIOENCODING": "latin-1"}, {"PYTHONIOENCODING": "ascii"},
                                 {"LANG": "C", "LC_ALL": "C", "PYTHONCOERCECLOCALE": "0",
                                  "PYTHONUTF8": "0"}])
def test_non_utf8_stdout_prints_ascii_marks(tmp_path, env):
    machine = copy_machine(tmp_path)
    osr = machine / "root/etc/os-release"
    osr.write_text(osr.read_text().replace("VERSION_ID=29", "VERSION_ID=29\u00e9\u4e2d"))
    done = doctor(machine, "--profile", "fedora29-gtx1050-cuda10", env=env)
    assert_clean_stderr(done, max_lines=0)
    assert done.returncode in (0, 1)
    out = done.stdout.decode("latin-1")
    lines = out.splitlines()
    assert lines[0].startswith("rnnbench doctor - profile:")
    assert any(line.startswith("+ ") for line in lines) and any(line.startswith("! ")
                                                               for line in lines)
