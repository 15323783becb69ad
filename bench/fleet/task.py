"""What runs on one node: the doctor, or a benchmark suite in a subprocess. Returns plain
JSON-able documents (the driver validates them like any file). No Ray here: the Ray task only
calls these, so they can be tested, and reused by other schedulers, without it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

TAIL = 400  # characters of a failed command's stderr kept in its reason


def doctor_on_node(gpu_tests: bool) -> dict[str, Any]:
    """This machine's doctor document (schema rnnbench.doctor/1)."""
    from provision.doctor import doctor_document, run_checks
    from provision.gather import gather_facts

    facts = gather_facts(gpu_tests=gpu_tests)
    return {"host": socket.gethostname(),
            "document": doctor_document(facts, None, run_checks(facts))}


def run_on_node(suite: str, config_text: str | None, timeout_s: float) -> dict[str, Any]:
    """`rnnbench run --suite SUITE --json` here, in a fresh process; its results document, or
    why there is none. `config_text` is a --config file's content (the file may exist only on
    the machine that started the fleet)."""
    with tempfile.TemporaryDirectory(prefix="rnnbench-fleet-") as tmp:
        argv = [sys.executable, "-m", "rnnbench", "run", "--suite", suite, "--json",
                "--out", str(Path(tmp) / "out")]
        if config_text is not None:
            config = Path(tmp) / "config.toml"
            config.write_text(config_text, encoding="utf-8")
            argv += ["--config", str(config)]
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s,
                                  env=os.environ.copy(), check=False)
        except subprocess.TimeoutExpired:
            return {"host": socket.gethostname(),
                    "unreachable": f"rnnbench run did not finish within {timeout_s:g} s"}
        except OSError as exc:
            return {"host": socket.gethostname(), "unreachable": f"cannot start rnnbench: {exc}"}
        found = sorted(Path(tmp, "out").glob("*/results.json"))
        if not found:
            tail = " ".join(done.stderr.split())[-TAIL:]
            return {"host": socket.gethostname(),
                    "unreachable": f"rnnbench run exited {done.returncode} without results: "
                                   f"{tail or 'no message'}"}
        try:
            document = json.loads(found[0].read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            return {"host": socket.gethostname(),
                    "unreachable": f"results.json unreadable: {type(exc).__name__}"}
        return {"host": socket.gethostname(), "document": document}
