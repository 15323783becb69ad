"""The real doctor (CLI in a subprocess) against recorded machines: files below --root, stub
commands first (and alone) on PATH. See machines/README.md for what each scenario holds."""

from __future__ import annotations

import subprocess
import time

import pytest

from provision.checks import ORDER
from provision.fix import as_text, fixes_from_json

PROFILE = "fedora29-gtx1050-cuda10"


def by_id(doc: dict) -> dict[str, dict]:
    return {check["id"]: check for check in doc["checks"]}


def fix_text(check: dict) -> str:
    return as_text(fixes_from_json(check))


def test_document_shape(replay):
    code, doc = replay("fedora29-gtx1050-healthy")
    assert doc["schema"] == "rnnbench.doctor/2"
    assert doc["profile"] is None  # inferred
    assert [c["id"] for c in doc["checks"]] == ORDER
    for check in doc["checks"]:
        assert set(check) == {"id", "status", "summary", "detail", "fixes", "because"}
        assert check["status"] in {"pass", "warn", "fail", "skip"}
    assert doc["facts"]["os"]["id"] == "fedora" and doc["facts"]["root"].endswith("root")
    assert doc["exit_code"] == code


def test_original_laptop_is_ready_with_its_profile(replay):
    code, doc = replay("fedora29-gtx1050-healthy", "--profile", PROFILE)
    checks = by_id(doc)
    assert code == 0 and doc["profile"] == PROFILE
    for check_id in ("os.distro", "os.packages", "python.pip", "perl.readline_gnu", "nvidia.gpu",
                     "nvidia.driver", "cuda.toolkit", "cuda.driver_compat", "torch.build",
                     "torch.cuda", "torch.arch"):
        assert checks[check_id]["status"] == "pass", checks[check_id]
    assert "6.1" in checks["nvidia.gpu"]["summary"]
    assert "410.48" in checks["nvidia.driver"]["summary"]
    assert "10.0.130" in checks["cuda.toolkit"]["summary"]
    # Fedora 29 ships GCC 8, CUDA 10.0 accepts up to 7: a warning with the way out.
    assert checks["cuda.host_compiler"]["status"] == "warn"
    assert "--override" in fix_text(checks["cuda.host_compiler"])
    assert checks["cpu.governor"]["status"] == "warn"


def test_laptop_without_pip_and_readline_gnu(replay):
    code, doc = replay("fedora29-missing-pip-readline", "--profile", PROFILE)
    checks = by_id(doc)
    assert code == 1
    assert checks["python.pip"]["status"] == "fail"
    assert fix_text(checks["python.pip"]) == "sudo dnf install python3-pip"
    assert checks["perl.readline_gnu"]["status"] == "fail"
    assert fix_text(checks["perl.readline_gnu"]) == "sudo dnf install perl-Term-ReadLine-Gnu"
    assert fix_text(checks["os.packages"]) == "sudo dnf install python3-pip perl-Term-ReadLine-Gnu"


def test_terminal_checklist_shows_marks_and_fixes(replay):
    code, text = replay("fedora29-missing-pip-readline", "--profile", PROFILE, json_out=False)
    lines = text.splitlines()
    assert code == 1
    pip_line = next(i for i, line in enumerate(lines) if "python.pip" in line)
    assert lines[pip_line].startswith("  ✗ ")
    assert lines[pip_line + 1] == "      fix: sudo dnf install python3-pip"
    assert any(line.startswith("  ✓ nvidia.driver") for line in lines)
    assert "✗ System" in lines and "✓ NVIDIA driver" in lines
    assert "\033[" not in text  # not a terminal: no colour
    assert lines[-2].startswith("NOT READY: ") and "failed" in lines[-2]
    assert lines[-1].startswith("readiness (not the verdict): ")


def test_two_toolkits_with_path_selecting_the_wrong_one(replay):
    code, doc = replay("fedora29-two-toolkits-wrong-path", "--profile", PROFILE)
    toolkit = by_id(doc)["cuda.toolkit"]
    assert code == 1 and toolkit["status"] == "fail"
    assert "PATH selects CUDA 9.2" in toolkit["summary"]
    assert fix_text(toolkit).startswith("export PATH=/usr/local/cuda-10.0/bin:$PATH")
    paths = {t["path"] for t in doc["facts"]["cuda"]["toolkits"]}
    assert paths == {"/usr/local/cuda-9.2", "/usr/local/cuda-10.0"}


def test_hung_nvidia_smi_does_not_hang_the_doctor(replay):
    started = time.monotonic()
    code, doc = replay("fedora29-hung-nvidia-smi", probe_timeout=1.0)
    elapsed = time.monotonic() - started
    driver = by_id(doc)["nvidia.driver"]
    assert elapsed < 10, f"doctor took {elapsed:.1f} s with a stub that sleeps 60 s"
    assert driver["status"] == "pass" and "from proc" in driver["summary"]
    assert "did not answer within 1 s" in driver["detail"]
    assert code == 0


@pytest.mark.parametrize("args,code,status", [((), 0, "skip"), (("--profile", PROFILE), 1, "fail")])
def test_no_nvidia_gpu(replay, args, code, status):
    got, doc = replay("ubuntu2204-no-nvidia", *args)
    gpu = by_id(doc)["nvidia.gpu"]
    assert got == code and gpu["status"] == status
    assert "No NVIDIA GPU" in gpu["summary"]
    assert by_id(doc)["cpu.resources"]["status"] == "pass"


def test_driver_too_old_for_torch_build(replay):
    code, doc = replay("ubuntu2204-driver-too-old")
    checks = by_id(doc)
    assert code == 1
    assert checks["cuda.driver_compat"]["status"] == "fail"
    assert "525.60.13" in checks["cuda.driver_compat"]["summary"]
    assert "ubuntu-drivers install" in fix_text(checks["cuda.driver_compat"])
    assert checks["torch.cuda"]["status"] == "fail"
    # One problem, one fix: torch.cuda names the check that carries it and repeats nothing.
    assert checks["torch.cuda"]["because"] == "cuda.driver_compat"
    assert checks["torch.cuda"]["fixes"] == []
    assert "470.57.02 is too old" in checks["torch.cuda"]["summary"]


def test_gpu_architecture_missing_from_torch_build(replay):
    code, doc = replay("fedora40-arch-missing")
    arch = by_id(doc)["torch.arch"]
    assert code == 1 and arch["status"] == "fail"
    assert "sm_61" in arch["summary"] and "no kernel image is available" in arch["summary"]
    assert "download.pytorch.org/whl/cu126" in fix_text(arch)


def test_nouveau_loaded(replay):
    code, doc = replay("fedora39-nouveau")
    checks = by_id(doc)
    assert code == 1
    assert checks["nvidia.driver"]["status"] == "fail"
    assert "nouveau is loaded" in checks["nvidia.driver"]["summary"]
    assert checks["nvidia.nouveau"]["status"] == "fail"
    assert "modprobe.blacklist=nouveau" in fix_text(checks["nvidia.nouveau"])
    assert "nouveau" in checks["torch.cuda"]["summary"]


def test_secure_boot_blocks_the_module(replay):
    code, doc = replay("fedora38-secure-boot")
    checks = by_id(doc)
    assert code == 1
    assert "Secure Boot" in checks["nvidia.driver"]["summary"]
    assert checks["nvidia.secure_boot"]["status"] == "fail"
    assert "mokutil --import /etc/pki/akmods/certs/public_key.der" in \
        fix_text(checks["nvidia.secure_boot"])
    assert doc["facts"]["driver"]["secure_boot"] is True


def test_unknown_profile_is_a_usage_error(rnnbench):
    done = subprocess.run([*rnnbench, "doctor", "--profile", "no-such-machine"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "rnnbench: error: unknown profile 'no-such-machine' (available: fedora29-gtx1050-cuda10)"]


def test_root_that_is_not_a_folder_is_a_usage_error(rnnbench, tmp_path):
    done = subprocess.run([*rnnbench, "doctor", "--root", str(tmp_path / "nope")],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2 and "is not a folder" in done.stderr
    assert "Traceback" not in done.stderr


def test_verbose_adds_detail_and_html_page_is_written(replay, tmp_path):
    page = tmp_path / "doctor.html"
    code, text = replay("fedora39-nouveau", "-v", "--html", str(page), json_out=False)
    assert code == 1
    assert "      Built for: sm_50 sm_60 sm_70 sm_75 sm_80 sm_86 sm_90" in text.splitlines()
    html = page.read_text()
    assert "nvidia.nouveau" in html and "modprobe.blacklist=nouveau" in html


def test_unwritable_html_is_a_one_line_error(rnnbench, tmp_path):
    target = tmp_path / "missing-folder" / "x" / "doctor.html"
    target.parent.parent.write_text("a file where a folder should be")
    done = subprocess.run([*rnnbench, "doctor", "--no-gpu-tests", "--html", str(target)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith("rnnbench: error: cannot write")


def test_advise_torch_prints_an_upgrade_one_command_a_line(replay):
    code, text = replay("ubuntu2204-driver-too-old", "--advise-torch", json_out=False)
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("Optional: for torch"))
    assert code == 0 and lines[at + 1].startswith("  run: ")
    # the reboot ends the driver's fix; what follows is its own, under its condition
    assert lines.index("       sudo reboot") < lines.index("  after the reboot:")
