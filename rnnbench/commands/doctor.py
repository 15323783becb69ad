"""`rnnbench doctor`: gather facts, run the checks, print a checklist or JSON, maybe HTML."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from rnnbench.commands import UserError


def doctor_command(profile: str | None, root: Path, json_out: bool, html: Path | None,
                   verbose: bool, gpu_tests: bool) -> int:
    """Print the doctor's verdict; exit 0 (nothing failed), 1 (a check failed), 2 (usage)."""
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
                               ascii_only=not can_encode(sys.stdout, "✓✗–—")))
        if html is not None:
            print(f"HTML: {printable(html, keep_newlines=False)}")
    return exit_code(checks)
