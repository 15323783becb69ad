"""`rnnbench doctor`: gather facts, run the checks, print a checklist or JSON, maybe HTML."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from rnnbench.commands import UserError


def doctor_command(profile: str | None, root: Path, json_out: bool, html: Path | None,
                   verbose: bool, gpu_tests: bool) -> int:
    """Print the doctor's verdict; exit 0 (nothing failed), 1 (a check failed), 2 (usage)."""
    from provision.checks.readiness import readiness_checks
    from provision.doctor import ProfileError, doctor_document, exit_code, load_profile, run_checks
    from provision.gather import gather_facts
    from provision.terminal import can_encode, render_checklist, use_colour
    from provision.text import printable

    try:
        chosen = load_profile(profile) if profile else None
    except ProfileError as exc:
        raise UserError(printable(exc, keep_newlines=False), 2) from exc
    if not Path(root).is_dir():
        raise UserError(f"--root {printable(root, keep_newlines=False)} is not a folder", 2)
    if gpu_tests:  # the GPU computations take seconds: say what is going on
        print("rnnbench doctor: probing this machine, GPU tests included (--no-gpu-tests skips "
              "them)…", file=sys.stderr)
    facts = gather_facts(root=root, gpu_tests=gpu_tests,
                         extra_packages=tuple(chosen.packages) if chosen else ())
    checks = run_checks(facts, chosen)
    document = doctor_document(facts, chosen, checks)
    if html is not None:
        from bench.report import render_doctor

        try:
            render_doctor(document, html)
        except OSError as exc:
            raise UserError(f"cannot write {printable(html, keep_newlines=False)}: "
                            f"{printable(exc.strerror or exc, keep_newlines=False)}", 2) from exc
    if json_out:  # json.dumps escapes every control character and non-ASCII text itself
        print(json.dumps(document, indent=2))
    else:
        print(render_checklist(checks, chosen.name if chosen else None, verbose=verbose,
                               colour=use_colour(sys.stdout),
                               ascii_only=not can_encode(sys.stdout, "✓✗–—"),
                               readiness=readiness_checks(facts),
                               width=shutil.get_terminal_size((80, 24)).columns))
        if html is not None:
            print(f"HTML: {printable(html, keep_newlines=False)}")
    return exit_code(checks)


def advise_torch_command(root: Path, json_out: bool) -> int:
    """Print the torch advisor's answer and reasoning; exit 0 when a build fits, 1 when not."""
    from provision.advice import advise_facts
    from provision.gather import gather_facts
    from provision.terminal import fix_lines
    from provision.text import printable

    if not Path(root).is_dir():
        raise UserError(f"--root {printable(root, keep_newlines=False)} is not a folder", 2)
    answer = advise_facts(gather_facts(root=root, gpu_tests=False))
    width = shutil.get_terminal_size((80, 24)).columns
    if json_out:
        print(json.dumps({"schema": "rnnbench.torch-advice/1", **answer.to_dict()}, indent=2))
    else:
        print(printable(answer.summary))
        for step in answer.steps:
            print(f"  - {printable(step)}")
        if answer.build is None and answer.upgrades:
            print("Upgrade, in this order:")
            print("\n".join(fix_lines(answer.upgrades, 2, width, "run")))
        elif answer.better is not None and answer.better_fixes:
            print(printable(f"Optional: for torch {answer.better.torch}+{answer.better.variant}, "
                            f"upgrade {answer.better_after} first:"))
            print("\n".join(fix_lines(answer.better_fixes, 2, width, "run")))
    return 0 if answer.build is not None else 1
