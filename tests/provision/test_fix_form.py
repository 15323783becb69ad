"""The form of every fix and of the checklist, over every replay and every profile (issue 19):
each step one command that bash and shellcheck accept, no step over 200 characters, no
placeholder, no two checks of one machine with the same fix, every problem with a way out, the
recap naming every failure and the tallies counting every mark shown."""

from __future__ import annotations

import functools
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from provision.checks.base import CheckResult
from provision.checks.readiness import readiness_checks
from provision.doctor import run_checks
from provision.facts import Facts
from provision.fix import fixes_to_json
from provision.profile import available_profiles, load_profile
from provision.terminal import MARKS, render_checklist

from .conftest import MACHINES, replay_document, replay_env, replay_names, rnnbench_argv

PROFILES = [None, *available_profiles()]
CASES = [(name, profile) for name in replay_names() for profile in PROFILES]
PLACEHOLDER = re.compile(r"<[A-Za-z][\w -]*>|\.\.\.|…")


@functools.cache
def machine(name: str, profile: str | None) -> tuple[list[CheckResult], list[CheckResult]]:
    """(checks, readiness) of a replay under a profile: the CLI's document for the inferred
    profile; its facts checked in-process for a named one (checks are pure functions)."""
    doc = replay_document(name)
    if profile is None:
        return ([CheckResult.from_dict(c) for c in doc["checks"]],
                [CheckResult.from_dict(c) for c in doc["readiness"]])
    facts = Facts.from_dict(doc["facts"])
    return run_checks(facts, load_profile(profile)), readiness_checks(facts)


def every_step() -> list[tuple[str, str, str]]:
    """(case, check id, command) of every step of every fix shown, over all cases."""
    steps = []
    for name, profile in CASES:
        checks, readiness = machine(name, profile)
        for c in [*checks, *readiness]:
            if c.status in ("warn", "fail"):
                steps += [(f"{name} [{profile}]", c.id, command) for command in c.commands()]
    return steps


def test_every_step_is_one_short_command_bash_accepts_without_placeholders():
    steps = every_step()
    assert len(steps) > 100  # the replays hold many fixes: an empty list would prove nothing
    for where, check_id, command in steps:
        assert len(command) <= 200, f"{where} {check_id}: {len(command)} characters: {command}"
        assert "\n" not in command and not PLACEHOLDER.search(command), (where, command)
    distinct = sorted({command for *_, command in steps})
    # One bash for all: each command is parsed on its own (bash -n), the failures listed.
    script = "\n".join(f"bash -n -c {shlex.quote(c)} 2>/dev/null || echo {shlex.quote(c)}"
                       for c in distinct)
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.stdout == "", f"bash -n rejects:\n{done.stdout}"


def test_every_step_passes_shellcheck(tmp_path: Path):
    shellcheck = shutil.which("shellcheck") or ("/usr/bin/shellcheck"
                                               if Path("/usr/bin/shellcheck").exists() else None)
    if shellcheck is None:
        pytest.skip("shellcheck is not installed (Debian: apt-get install shellcheck)")
    distinct = sorted({command for *_, command in every_step()})
    files = []
    for i, command in enumerate(distinct):
        path = tmp_path / f"step{i}.sh"
        path.write_text(command + "\n")
        files.append(str(path))
    done = subprocess.run([shellcheck, "-s", "bash", "-S", "error", *files], capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout[-4000:]


@pytest.mark.parametrize("name,profile", CASES)
def test_one_problem_one_fix_and_every_problem_has_a_way_out(name, profile):
    checks, readiness = machine(name, profile)
    every = {c.id: c for c in [*checks, *readiness]}
    seen: dict[str, str] = {}
    for c in every.values():
        if c.fixes:
            key = repr(fixes_to_json(c.fixes))
            assert key not in seen, f"{c.id} repeats the fix of {seen.get(key)}"
            seen[key] = c.id
        for fix in c.fixes:  # a reboot ends its fix (the record refuses anything else)
            assert all(not s.reboot for s in fix.steps[:-1]), (c.id, fix)
        if c.status in ("warn", "fail"):
            assert c.fixes or c.because, f"{c.id} is a problem with no fix and no cause named"
        if c.because and c.status in ("warn", "fail"):
            cause = every.get(c.because)
            assert cause is not None and cause.status in ("warn", "fail") and cause.fixes, \
                f"{c.id} points to {c.because}, which has no fix to give"
            assert not c.fixes, f"{c.id} names its cause and repeats a fix"


TALLY = re.compile(r"(\d+) passed, (\d+) warnings?, (\d+) failed, (\d+) skipped")


def marks_shown(lines: list[str]) -> dict[str, int]:
    """What a reader counts: the check lines' marks, and the checks a folded line stands for."""
    counts = dict.fromkeys(MARKS, 0)
    by_mark = {mark: status for status, mark in MARKS.items()}
    for line in lines:
        check = re.match(r"  (\S) \S", line)
        folded = re.match(r"(\S) .*: (\d+) checks? skipped", line)
        if check and check.group(1) in by_mark:
            counts[by_mark[check.group(1)]] += 1
        elif folded:
            counts["skip"] += int(folded.group(2))
    return counts


@pytest.mark.parametrize("name,profile", CASES)
def test_recap_names_every_problem_and_tallies_count_the_marks(name, profile):
    checks, readiness = machine(name, profile)
    text = render_checklist(checks, profile, readiness=readiness, width=80)
    lines = text.splitlines()
    problems = [c for c in [*checks, *readiness] if c.status in ("warn", "fail")]
    if problems:
        recap = lines[lines.index("To do, in short:") + 1:-2]
        for c in problems:
            line = next((x for x in recap if re.match(rf"  \S {re.escape(c.id)} ", x)), None)
            assert line is not None, f"the recap leaves out {c.id}:\n{text}"
            first = c.fixes[0] if c.fixes else None
            said = (f"because of {c.because}" if c.because else first.first_command
                    or first.words[:15])
            assert said in line, f"{c.id}: the recap says {line!r}, not {said!r}"
        body = lines[:lines.index("To do, in short:")]
    else:
        assert "To do, in short:" not in lines
        body = lines[:-2]
    split = next(i for i, x in enumerate(body) if "Benchmark readiness" in x)
    verdict, ready = TALLY.search(lines[-2]), TALLY.search(lines[-1])
    for part, tally in ((body[:split], verdict), (body[split:], ready)):
        shown = marks_shown(part)
        assert [shown[s] for s in ("pass", "warn", "fail", "skip")] == \
            [int(g) for g in tally.groups()], f"{lines[-2:]} against the marks of:\n{text}"


def test_healthy_machine_without_a_gpu_fits_thirty_lines_at_80_columns():
    env = {**replay_env("ubuntu2204-no-nvidia"), "COLUMNS": "80"}
    done = subprocess.run([*rnnbench_argv(), "doctor", "--root",
                           str(MACHINES / "ubuntu2204-no-nvidia" / "root"), "--no-gpu-tests"],
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    lines = done.stdout.splitlines()
    assert done.returncode == 0 and lines[-2].startswith("ready: ")
    assert len(lines) <= 30, "\n".join(lines)
    assert max(len(x) for x in lines) <= 80  # no command here, so nothing runs past the edge
