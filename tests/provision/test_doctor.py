"""The doctor as a whole: profiles, crash isolation, the document, the terminal checklist."""

from __future__ import annotations

import json

import pytest

from provision.checks import ORDER, base
from provision.doctor import (
    SCHEMA,
    CheckResult,
    ProfileError,
    doctor_document,
    exit_code,
    load_profile,
    run_checks,
)
from provision.facts import Facts, OsFacts
from provision.fix import run
from provision.terminal import render_checklist


def test_shipped_profile_states_the_original_machine():
    profile = load_profile("fedora29-gtx1050-cuda10")
    assert (profile.distro_id, profile.distro_version) == ("fedora", "29")
    assert profile.gpu_required and profile.compute_capability == "6.1"
    assert profile.cuda_toolkit == "10.0" and profile.cuda_installer == "runfile"
    assert {"python3-pip", "perl-Term-ReadLine-Gnu"} <= set(profile.packages)


def test_unknown_and_broken_profiles(tmp_path):
    with pytest.raises(ProfileError, match="unknown profile 'nope'.*fedora29-gtx1050-cuda10"):
        load_profile("nope")
    bad = tmp_path / "bad.toml"
    bad.write_text("name = [unclosed\n")
    with pytest.raises(ProfileError, match="cannot read profile"):
        load_profile(str(bad))
    wrong = tmp_path / "wrong.toml"
    wrong.write_text('[packages]\nrequired = "gcc"\n')
    with pytest.raises(ProfileError, match="list of names"):
        load_profile(str(wrong))


def test_a_crashing_check_fails_alone():
    def explode(facts, profile):
        raise KeyError("boom")

    base.REGISTRY.append(("test.explodes", explode))
    try:
        results = run_checks(Facts(os=OsFacts(id="fedora", family="fedora")))
    finally:
        base.REGISTRY.remove(("test.explodes", explode))
    crashed = [r for r in results if r.id == "test.explodes"]
    assert crashed[0].status == "fail" and "KeyError" in crashed[0].summary
    assert [r.id for r in results if r.id != "test.explodes"] == ORDER  # the rest still ran
    assert exit_code(results) == 1


def test_document_is_json_and_versioned():
    facts = Facts(os=OsFacts(id="debian", family="debian"))
    checks = run_checks(facts)
    doc = json.loads(json.dumps(doctor_document(facts, None, checks)))
    assert doc["schema"] == SCHEMA == "rnnbench.doctor/2"
    assert doc["profile"] is None and doc["expectations"]["name"] is None
    assert doc["facts"] == facts.to_dict()
    assert sum(doc["summary"].values()) == len(ORDER)
    assert sum(doc["readiness_summary"].values()) == len(doc["readiness"])
    assert Facts.from_dict(doc["facts"]) == facts


def test_exit_code_ignores_warnings():
    assert exit_code([CheckResult("a", "warn", "w"), CheckResult("b", "pass", "p")]) == 0
    assert exit_code([CheckResult("a", "fail", "f")]) == 1


CHECKS = [
    CheckResult("os.distro", "pass", "Fedora 29", detail="all good"),
    CheckResult("python.pip", "fail", "pip is missing", detail="no module",
                fixes=(run("sudo dnf x"),)),
    CheckResult("cpu.governor", "warn", "powersave",
                fixes=(run("sudo cpupower frequency-set -g performance"),)),
    CheckResult("gpu.compute", "skip", "skipped"),
]


def test_checklist_lines_marks_and_fixes():
    lines = render_checklist(CHECKS, "fedora29-gtx1050-cuda10").splitlines()
    assert lines[0].endswith("profile: fedora29-gtx1050-cuda10")
    assert lines[1] == "✗ System"  # a section takes its worst mark
    assert lines[2] == "  ✓ os.distro     Fedora 29"
    assert lines[3] == "  ✗ python.pip    pip is missing"
    assert lines[4] == "      fix: sudo dnf x"
    assert lines[5].startswith("  ! cpu.governor")
    assert lines[6] == "      fix: sudo cpupower frequency-set -g performance"
    assert lines[7] == "– GPU health: 1 check skipped — skipped"  # all skipped: one line
    assert lines[-1] == "NOT READY: 1 passed, 1 warning, 1 failed, 1 skipped"
    assert "all good" not in "\n".join(lines) and "\033[" not in "\n".join(lines)


def test_checklist_verbose_and_colour():
    text = render_checklist(CHECKS, None, verbose=True, colour=True)
    assert "      all good" in text and "      no module" in text
    assert "  \033[31m✗\033[0m python.pip" in text
    assert "\033[2m–\033[0m gpu.compute   skipped" in text  # verbose unfolds a skipped section
    assert "\033[31mNOT READY: 1 passed" in text
    assert "inferred from this machine" in text


def test_long_alternatives_fold_unless_verbose_and_wrapped_lines_hang():
    long_way = run("sudo a", "sudo b", "sudo c", "sudo reboot", condition="or, for a newer torch")
    after = run("sudo d", condition="after the reboot")
    check = CheckResult("torch.build", "fail", "torch is not installed " + "word " * 20,
                        fixes=(run("python3 -m pip install torch"), long_way, after))
    lines = render_checklist([check], width=80).splitlines()
    fix = lines.index("      fix: python3 -m pip install torch")
    assert lines[fix + 1] == "      or, for a newer torch: 5 steps in 2 parts (shown with -v)"
    # the summary wraps under its own text, not under the mark
    head = next(i for i, line in enumerate(lines) if "torch.build" in line)
    assert lines[head + 1].startswith(" " * len("  ✗ torch.build  ")) and lines[head + 1].strip()
    verbose = render_checklist([check], width=60, verbose=True).splitlines()
    assert "           sudo reboot" in verbose and "      after the reboot:" in verbose


def test_a_warnings_long_fix_waits_for_verbose_but_the_recap_keeps_its_first_command():
    steps = [f"sudo step{i}" for i in range(5)]
    check = CheckResult("cuda.host_compiler", "warn", "gcc too new", fixes=(run(*steps),))
    lines = render_checklist([check]).splitlines()
    assert "      fix: 5 steps (shown with -v)" in lines
    assert "  ! cuda.host_compiler  sudo step0" in lines  # the recap
    assert "      fix: sudo step0" in render_checklist([check], verbose=True).splitlines()
