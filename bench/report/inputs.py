"""What the report's entry points accept: a run's records, or a results document as a dict.

A dict is read into records once, here (bench.results.RunResults.from_dict); everything past the
entry points works on the records.
"""

from __future__ import annotations

from collections.abc import Mapping

from bench.results import RunResults


def as_run(results: RunResults | Mapping) -> RunResults:
    """The records of a run, reading a results document when given one."""
    if isinstance(results, RunResults):
        return results
    return RunResults.from_dict(results)
