"""What every hostile CLI test asserts about a refused input: the exit code, and exactly one
`rnnbench: error:` line on stderr, with no traceback."""

from __future__ import annotations

import subprocess


def assert_one_line_error(result: subprocess.CompletedProcess, code: int, *words: str) -> str:
    """Check the outcome; return the error line (each of `words` must appear in it)."""
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("rnnbench: error:")]
    assert len(errors) == 1, result.stderr
    for word in words:
        assert word in errors[0], errors[0]
    return errors[0]
