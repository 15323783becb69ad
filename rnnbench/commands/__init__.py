"""Implementations of the `rnnbench` commands, one module per command.

A command function takes plain arguments, prints its output and returns the exit code.
Problems with the user's input are raised as `UserError`: `rnnbench.cli.main` prints them as one
line (never a traceback) and exits with the error's code.
"""

from __future__ import annotations


class UserError(Exception):
    """A problem with what the user asked for (bad file, unknown name, missing data)."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code
