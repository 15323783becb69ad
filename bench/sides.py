"""An A/B run's environments (`rnnbench run --python A --python B`) as runs of their own.

Each side keeps only its environment's cases and gets facts of its own: the parent process
gathered the machine's facts, but the interpreter and the torch build are the side's (the
worker wrote them into the run's `environments` entry), so a comparison or a page never shows
env B with the parent's torch.
"""

from __future__ import annotations

import copy
import dataclasses

from bench.results import RunResults


def env_labels(run: RunResults) -> list[str]:
    """The environments whose cases the run holds, in the order they first appear."""
    return list(dict.fromkeys(c.env for c in run.cases if c.env is not None))


def env_entry(run: RunResults, label: str) -> dict:
    """The run's record of environment `label`: interpreter, torch, threads, variables."""
    entries = run.settings.extra.get("environments") or []
    return next((e for e in entries if isinstance(e, dict) and e.get("label") == label), {})


def env_facts(run: RunResults, label: str) -> dict:
    """The machine's facts with the environment's own interpreter and torch in place of the
    parent's (a fact the side did not record is marked unknown rather than borrowed)."""
    facts = copy.deepcopy(run.facts) if isinstance(run.facts, dict) else {}
    entry = env_entry(run, label)
    torch = facts.get("torch") if isinstance(facts.get("torch"), dict) else {}
    python = facts.get("python") if isinstance(facts.get("python"), dict) else {}
    facts["torch"] = torch | {"version": entry.get("torch_version"),
                              "cuda": entry.get("torch_cuda"), "source": f"env {label}",
                              "num_threads": entry.get("threads")}
    facts["python"] = python | {"executable": entry.get("executable") or entry.get("python"),
                                "version": entry.get("python_version")}
    return facts


def env_side(run: RunResults, label: str) -> RunResults:
    """Environment `label` of an A/B run as a run of its own, with its own facts."""
    return dataclasses.replace(run, cases=[c for c in run.cases if c.env == label],
                               facts=env_facts(run, label))
