"""Suites: named grids of cases, expanded into a flat list the runner works through.

A grid entry maps each parameter to one value or a list of values; the entry expands to their
product. Presets are written the same way as a `--config FILE.toml`, e.g.:

    [settings]
    budget_s = 0.5          # per-case sampling budget (seconds)
    target = 0.02           # CI95 of the median within ±2%
    threads = 2             # torch CPU threads (default: torch's own choice)
    rounds = 6              # interleaved rounds for the batching cases (bench/rounds.py)
    processes = 1           # fresh worker processes the rounds are shared among (bench/workers.py)

    [[batching]]
    dist = ["names"]
    cell = ["lstm"]
    mode = ["inference"]
    strategy = ["padded", "bucketed"]
    batch = 64
    hidden = 256
    n = 512

    [[kernels]]
    cell = ["gru", "lstm"]
    impl = ["torch", "loop"]
    mode = ["inference"]
    hidden = [128]
    batch = [8]
    seq_len = 16
    layers = 1
"""

from __future__ import annotations

import itertools
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, from PyPI
    import tomli as tomllib

from bench import workloads
from bench.timer import MIN_SAMPLES
from bench.workloads.base import CELLS, Workload
from bench.workloads.batching import STRATEGIES
from rnnkit.threads import thread_limit

ALL_DTYPES = ("fp32", "bf16", "fp16")
MAX_CONFIG_BYTES = 1 << 20  # a grid of cases is a few lines; anything larger is not a config
# Each worker process pays python + torch start-up and builds every case: beyond a few dozen
# the run is start-up, not measurement.
MAX_PROCESSES = 64

_BATCHING = {"cell": list(CELLS), "mode": ["inference", "training"], "strategy": list(STRATEGIES),
             "batch": 64, "hidden": 256}
# The quick and batching presets time one CPU thread (override with --threads): the batching
# strategies' ratios barely depend on it, and a multi-threaded torch step is wrecked by any other
# work on the machine (its threads wait for each other), one thread only slowed down by it.
# torch.utils.benchmark.Timer defaults to one thread for the same reason.
# `processes` shares each case's budget and rounds among fresh worker processes, so that the
# replicates compare carries process-to-process variation (bench/workers.py); quick's three
# workers add their start-up (python, torch, building the cases) to its wall time.
PRESETS: dict[str, dict] = {
    "quick": {
        # 3 processes x 4 rounds each: 12 replicates per case, what the rank test of
        # `rnnbench compare` needs to find a 25% change after Holm's correction.
        "settings": {"budget_s": 1.0, "threads": 1, "processes": 3, "rounds": 12},
        "batching": [{"dist": "names", "n": 2048, "cell": "lstm", "mode": "inference",
                      "strategy": ["padded", "packed", "bucketed", "ideal"]},
                     {"dist": "sentences", "n": 1024, "cell": "lstm", "mode": "inference",
                      "strategy": ["padded", "bucketed", "ideal"]}],
        "kernels": [{"cell": list(CELLS), "impl": "torch", "mode": "inference", "hidden": 256,
                     "batch": 64, "seq_len": 32},
                    {"cell": "lstm", "impl": "loop", "mode": "inference", "hidden": 256,
                     "batch": 64, "seq_len": 32}],
        "train": [{"model": "lstm", "strategy": "bucketed", "max_epochs": 3}],
    },
    "batching": {
        # Two worker processes, each with half the budget: the same sampling time as one.
        "settings": {"budget_s": 3.0, "threads": 1, "processes": 2},
        # Epochs long enough that bucketing's last, longest batch no longer dominates: with
        # 4096 sentences bucketed pads 8-12% (seed-dependent), with 8192 it pads 4-6%.
        # Training on 8192 padded sentences takes minutes per case, so it runs on 2048.
        "batching": [dict(_BATCHING, dist="names", n=2048),
                     dict(_BATCHING, dist="sentences", n=8192, mode="inference"),
                     dict(_BATCHING, dist="sentences", n=2048, mode="training")],
    },
    "kernels": {
        "settings": {"budget_s": 1.0},
        "kernels": [{"cell": list(CELLS), "impl": "torch", "mode": ["inference", "training"],
                     "hidden": [128, 256, 512, 1024], "batch": [1, 64, 256], "seq_len": 64},
                    {"cell": list(CELLS), "impl": ["torch", "loop"],
                     "mode": ["inference", "training"], "hidden": 256, "batch": 64,
                     "seq_len": 64, "layers": [1, 2]}],
    },
    "train": {
        "settings": {"budget_s": 600.0},
        "train": [{"model": "tutorial", "strategy": "single", "batch": 1},
                  {"model": ["gru", "lstm"], "strategy": ["padded", "packed", "bucketed"]}],
    },
}
PRESETS["full"] = {
    "settings": {"budget_s": 3.0},
    **{w.name: PRESETS["batching"].get(w.name, []) + PRESETS["kernels"].get(w.name, [])
          + PRESETS["train"].get(w.name, []) for w in workloads.config_workloads()},
}


class SuiteError(ValueError):
    """A suite name, config file or filter that cannot be used (message is one line)."""


@dataclass
class Case:
    suite: str
    workload: str
    params: dict
    device: str
    dtype: str
    settings: dict = field(default_factory=dict)

    @property
    def id(self) -> str:
        keys = workloads.get(self.workload).id_keys
        named = [f"{k}={self.params[k]}" for k in keys if k in self.params]
        return "/".join([self.workload, self.device, self.dtype, *named])


@dataclass
class Plan:
    name: str
    cases: list[Case]
    settings: dict


def load_config(path: Path) -> dict:
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        raise SuiteError(f"--config {path}: no such file") from None
    except OSError as exc:
        raise SuiteError(f"--config {path}: {exc.strerror or exc}") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise SuiteError(f"--config {path}: larger than {MAX_CONFIG_BYTES} bytes, not a config")
    try:
        spec = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise SuiteError(f"--config {path}: not UTF-8 (bad byte at offset {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise SuiteError(f"--config {path}: {exc}") from None
    tables = [w.name for w in workloads.config_workloads()]
    unknown = set(spec) - {"settings", *tables}
    if unknown:
        raise SuiteError(f"--config {path}: unknown table(s) {', '.join(sorted(unknown))}; "
                         f"expected settings, {', '.join(tables)}")
    for workload in tables:
        entries = spec.get(workload, [])
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise SuiteError(f"--config {path}: [[{workload}]] must be an array of tables")
    _check_settings(spec.get("settings", {}), f"--config {path}")
    return spec


# Each run setting a config may give: (what it must be, a test of a value).
SETTINGS = {
    "budget_s": ("a number of seconds > 0",
                 lambda v: _is_number(v) and math.isfinite(v) and v > 0),
    "target": ("a fraction between 0 and 1, e.g. 0.02", lambda v: _is_number(v) and 0 < v < 1),
    "threads": (f"a whole number from 1 to {thread_limit()} (a few per logical core)",
                lambda v: _is_int(v) and 1 <= v <= thread_limit()),
    "rounds": (f"a whole number >= {MIN_SAMPLES}", lambda v: _is_int(v) and v >= MIN_SAMPLES),
    "cudnn_benchmark": ("true or false", lambda v: isinstance(v, bool)),
    "processes": (f"a whole number from 1 to {MAX_PROCESSES}",
                  lambda v: _is_int(v) and 1 <= v <= MAX_PROCESSES),
}


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_settings(settings: object, where: str) -> None:
    if not isinstance(settings, dict):
        raise SuiteError(f"{where}: [settings] must be a table")
    for key, value in settings.items():
        if key not in SETTINGS:
            raise SuiteError(f"{where}: unknown setting {key!r} (known: {', '.join(SETTINGS)})")
        meaning, valid = SETTINGS[key]
        if not valid(value):
            raise SuiteError(f"{where}: setting {key} = {value!r} must be {meaning}")


def _expand(entry: dict, workload: Workload, where: str) -> list[dict]:
    full = {**workload.defaults, **entry}
    full.pop("dtype", None)
    keys = list(full)
    empty = [k for k, v in full.items() if v == []]
    if empty:  # an empty list would silently plan no case at all
        raise SuiteError(f"{where}: {empty[0]} = [] names no value")
    values = [v if isinstance(v, list) else [v] for v in full.values()]
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*values)]


def _validate(params: dict, workload: Workload, where: str) -> None:
    try:
        workload.check(params)
    except ValueError as exc:
        raise SuiteError(f"{where}: {exc}") from None


def plan(suite: str, devices: list[str], cells: list[str] | None, dtypes: list[str] | None,
         config: Path | None, with_train: bool) -> Plan:
    """Expand a preset (or a config file) into cases for the given devices and filters.

    `with_train`: whether --data was given; workloads that need data are left out without it.
    """
    if config is not None:
        spec, name, where = load_config(config), config.stem, f"--config {config}"
    elif suite in PRESETS:
        spec, name, where = PRESETS[suite], suite, f"suite {suite}"
    else:
        raise SuiteError(f"unknown suite {suite!r} (known: {', '.join(PRESETS)})")
    cases: list[Case] = []
    for workload in workloads.config_workloads():
        if workload.requires_data and not with_train:
            continue
        for entry in spec.get(workload.name, []):
            entry_dtypes = _entry_dtypes(entry, where)
            for params in _expand(entry, workload, where):
                _validate(params, workload, where)
                cell = params.get(workload.cell_key) if workload.cell_key else None
                if cells and cell in CELLS and cell not in cells:
                    continue
                for device in devices:
                    for dtype in _dtypes_for(device, entry_dtypes, dtypes, workload):
                        cases.append(Case(name, workload.name, params, device, dtype))
    return Plan(name, _with_needs(cases, name), dict(spec.get("settings", {})))


def _entry_dtypes(entry: dict, where: str) -> list | str | None:
    """The entry's `dtype` (one or a list), each checked: a typo would fail every case."""
    dtypes = entry.get("dtype")
    if dtypes == []:
        raise SuiteError(f"{where}: dtype = [] names no value")
    for dtype in dtypes if isinstance(dtypes, list) else [dtypes]:
        if dtype is not None and dtype not in ALL_DTYPES:
            raise SuiteError(f"{where}: dtype {dtype!r} is not one of {', '.join(ALL_DTYPES)}")
    return dtypes


def _dtypes_for(device: str, entry: list | str | None, wanted: list[str] | None,
                workload: Workload) -> list[str]:
    if entry is None:
        base = list(workload.default_dtypes(device))
    else:
        base = entry if isinstance(entry, list) else [entry]
    # An explicit --dtype asks for exactly those precisions, whatever the preset says.
    return list(wanted or base)


def _with_needs(cases: list[Case], name: str) -> list[Case]:
    """Put the cases that workloads need before theirs (the matmul peaks and the ceilings
    before the kernels), each once, in the order the needing cases come."""
    needed: dict[str, Case] = {}
    for case in cases:
        workload = workloads.get(case.workload)
        if workload.needs is None:
            continue
        for need in workload.needs(case.device, case.dtype, case.params):
            extra = Case(name, need.workload, dict(need.params), need.device, need.dtype)
            needed.setdefault(extra.id, extra)
    return list(needed.values()) + cases


def parse_list(text: str | None, allowed: tuple[str, ...], option: str) -> list[str] | None:
    """'gru,lstm' -> ['gru', 'lstm'], checked against `allowed`; None stays None."""
    if text is None:
        return None
    items = [t.strip().lower() for t in text.split(",") if t.strip()]
    bad = [t for t in items if t not in allowed]
    if bad or not items:
        raise SuiteError(f"{option}: {', '.join(bad) or repr(text)} not understood "
                         f"(choose from {', '.join(allowed)})")
    return items
