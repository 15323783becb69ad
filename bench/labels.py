"""Short names for cases: the few words that tell a case apart from the others it is shown
with ('batching names bucketed'), where the full id runs to a hundred characters."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from provision.text import printable

# Parameters in the order a reader scans them (tables' columns, labels' words).
PARAM_ORDER = ["cell", "dist", "strategy", "model", "impl", "mode", "device", "dtype",
               "hidden", "batch", "seq_len", "layers", "n", "max_tokens"]


def in_reading_order(keys: Iterable[str]) -> list[str]:
    """`keys` by PARAM_ORDER, others after them in their own order."""
    keys = list(dict.fromkeys(keys))
    return sorted(keys, key=lambda k: PARAM_ORDER.index(k) if k in PARAM_ORDER
                  else len(PARAM_ORDER) + keys.index(k))


def _telling(group: list[Any]) -> list[str]:
    """The parameters that vary in `group`, less those the others already determine (the
    sequence count that goes with each length distribution), read from the end."""
    keys = [k for k in in_reading_order(k for c in group for k in c.params)
            if len({str(c.params.get(k)) for c in group}) > 1]
    for key in reversed(list(keys)):
        others = [k for k in keys if k != key]
        if not others:
            break
        seen: dict[tuple, set[str]] = {}
        for case in group:
            seen.setdefault(tuple(str(case.params.get(k)) for k in others), set()).add(
                str(case.params.get(key)))
        if all(len(values) == 1 for values in seen.values()):
            keys.remove(key)
    return keys


def short_labels(cases: Iterable[Any]) -> dict[str, str]:
    """Each case id (of objects with `id`, `workload`, `params`, `device`, `dtype`) as the
    workload and the values that tell it apart from the other cases of that workload:
    'batching names bucketed' rather than a 100-character id; numbers keep their name
    ('kernels hidden=512'). Unique: where the words are not, the id is used."""
    cases = [c for c in cases if isinstance(getattr(c, "params", None), dict)]
    by_workload: dict[str, list[Any]] = {}
    for case in cases:
        by_workload.setdefault(str(case.workload), []).append(case)
    several_devices = len({(c.device, c.dtype) for c in cases}) > 1
    labels = {}
    for workload, group in by_workload.items():
        keys = _telling(group)
        for case in group:
            words = [str(case.params[k]) if not _numeric(case.params[k]) else
                     f"{k}={case.params[k]}" for k in keys if k in case.params]
            if several_devices:
                words.append(f"{case.device}/{case.dtype}")
            labels[case.id] = printable(" ".join([workload, *words]), keep_newlines=False)
    taken: dict[str, int] = {}
    for label in labels.values():
        taken[label] = taken.get(label, 0) + 1
    return {case_id: label if taken[label] == 1 else printable(case_id, keep_newlines=False)
            for case_id, label in labels.items()}


def _numeric(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
