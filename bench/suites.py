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
from bench.files import UnreadableFile, read_regular
from bench.timer import MIN_SAMPLES
from bench.workloads.base import CELLS, Workload
from bench.workloads.batching import DATA
from rnnkit.threads import thread_limit

ALL_DTYPES = ("fp32", "bf16", "fp16")
MAX_CONFIG_BYTES = 1 << 20  # a grid of cases is a few lines; anything larger is not a config
# Each worker process pays python + torch start-up and builds every case: beyond a few dozen
# the run is start-up, not measurement.
MAX_PROCESSES = 64
# The most cases one run may plan: at about a second each, hours of timing. Counted before the
# grid is expanded, so a config naming 10**9 combinations is refused in a moment.
MAX_CASES = 10_000

# The batching preset answers "how should I batch?" for one length distribution (each synthetic
# one, or the user's own data, which replaces them): in inference and in training, for padded,
# packed, bucketed at three batch sizes and token budgets at three sizes, each beside its own
# batches with the padding removed (its limit), the equal-length ideal and the per-call cost.
# Training flushes denormals (a backward pass through long sequences otherwise crawls on
# denormal numbers, 14-19x at length 192 on this project's machine); one case keeps them, so the
# run measures what the setting buys. LSTM only: the strategies rank alike across cells, and
# each cell would triple the run (--config runs the others).
# The sample size keeps one run to a few minutes on one thread; each case's report row says how
# far its padding efficiency moves over five seeds at that n. Training samples as many as
# inference: at 1,024 nietzsche sentences the token-budget batches were 0.966 efficient and
# reached 0.94-0.965 of their padding-free limit, a small-sample tail the user's whole data set
# would not have; at 2,048, 0.98.
_SIZED = [{"strategy": ["padded", "packed", "ideal", "calls", "padded-limit"], "batch": 64},
          {"strategy": ["bucketed", "bucketed-limit"], "batch": [32, 64, 128]},
          {"strategy": ["budget", "budget-limit"], "max_tokens": [1024, 2048, 4096]}]
_TRAINING = [{"strategy": ["padded", "ideal", "calls", "padded-limit"], "batch": 64},
             {"strategy": ["bucketed", "bucketed-limit"], "batch": 64},
             {"strategy": ["budget", "budget-limit"], "max_tokens": [1024, 2048]}]


def _batching_entries(dist: str, n: int) -> list[dict]:
    common = {"dist": dist, "cell": "lstm", "hidden": 256, "n": n}
    return ([dict(common, mode="inference", **e) for e in _SIZED]
            + [dict(common, mode="training", denormals="flush", **e) for e in _TRAINING]
            + [dict(common, mode="training", denormals="keep", strategy="budget",
                    max_tokens=2048)])


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
                      "strategy": ["padded", "budget", "ideal"]},
                     # Training ranks strategies differently from inference; short names keep
                     # it to a fraction of a second per epoch.
                     {"dist": "names", "n": 512, "cell": "lstm", "mode": "training",
                      "denormals": "flush", "strategy": ["padded", "bucketed"]}],
        "kernels": [{"cell": list(CELLS), "impl": "torch", "mode": "inference", "hidden": 256,
                     "batch": 64, "seq_len": 32},
                    {"cell": "lstm", "impl": "loop", "mode": "inference", "hidden": 256,
                     "batch": 64, "seq_len": 32}],
        "train": [{"model": "lstm", "strategy": "bucketed", "max_epochs": 3}],
    },
    "batching": {
        # Three worker processes of 2 rounds each: in one process, a process that lands badly
        # (memory layout, allocator state) moves every round alike, and did so here: nietzsche's
        # budget batches read 0.91 [0.85, 0.95] of their limit in one run and 0.975-0.99 in five
        # others (seeds 0-2, the same code). Only the first worker verifies the variants.
        # A budget of 3 s gives the short epochs (names: a tenth of a second) several samples
        # per round; the long ones take one per round whatever the budget.
        "settings": {"budget_s": 3.0, "threads": 1, "processes": 3},
        # The same sizes for both distributions, so that the user's lengths (which replace
        # both) run one set of cases.
        "batching": _batching_entries("names", 2048) + _batching_entries("sentences", 2048),
    },
    "kernels": {
        # Three worker processes share each case's budget: its CI then holds the spread between
        # processes too, which one process cannot see (bench/merging.py, issue 22's coverage).
        "settings": {"budget_s": 1.0, "processes": 3},
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
    "settings": {"budget_s": 3.0, "processes": 3},
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
    try:  # a FIFO or a device is refused, not waited on or read without end
        data = read_regular(path, MAX_CONFIG_BYTES, "a config")
    except UnreadableFile as exc:
        raise SuiteError(f"--config {exc}") from None
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
    # Run-to-run drift of the machine (relative sd) that every case's CI allows for.
    "drift": ("a fraction from 0 to 0.5, e.g. 0.015 (0 for none)",
              lambda v: _is_number(v) and 0 <= v <= 0.5),
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


def _grid_size(entry: dict, devices: int, where: str, so_far: int) -> int:
    """How many cases an entry can expand to (each list's length multiplied, times devices
    and dtypes), counted before anything is expanded; SuiteError once the plan would pass
    MAX_CASES (a 15 KB config can name 10**9 combinations)."""
    size = devices
    for value in entry.values():
        size *= max(len(value), 1) if isinstance(value, list) else 1
    if so_far + size > MAX_CASES:
        raise SuiteError(f"{where}: the grid names {so_far + size:,} cases, more than the "
                         f"{MAX_CASES:,} a run may plan; split it into several configs or use "
                         "fewer values per setting")
    return size


def _expand(entry: dict, workload: Workload, where: str) -> list[dict]:
    full = {**workload.defaults, **entry}
    full.pop("dtype", None)
    keys = list(full)
    empty = [k for k, v in full.items() if v == []]
    if empty:  # an empty list would silently plan no case at all
        raise SuiteError(f"{where}: {empty[0]} = [] names no value")
    values = [v if isinstance(v, list) else [v] for v in full.values()]
    expanded = [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*values)]
    if workload.prune is None:
        return expanded
    unique: dict[tuple, dict] = {}
    for params in map(workload.prune, expanded):
        unique.setdefault(tuple(sorted(params.items(), key=lambda kv: kv[0])), params)
    return list(unique.values())


def _validate(params: dict, workload: Workload, where: str) -> None:
    try:
        workload.check(params)
    except ValueError as exc:
        raise SuiteError(f"{where}: {exc}") from None


@dataclass(frozen=True)
class DataChoice:
    """The user's lengths for the batching cases (rnnbench run --corpus/--lengths, --n)."""

    source: str | None = None  # a rnnkit.data.lengths.LengthSource spec
    keep_synthetic: bool = False  # run the synthetic distributions too, not instead
    n: int | None = None  # every batching case's sample size


def _with_data(params_list: list[dict], workload: Workload, data: DataChoice) -> list[dict]:
    """The batching cases on the user's lengths (instead of, or beside, the synthetic ones)."""
    if workload.name != "batching" or (data.source is None and data.n is None):
        return params_list
    out = []
    for params in params_list:
        sized = dict(params, n=data.n) if data.n is not None else dict(params)
        if data.source is None or data.keep_synthetic:
            out.append(sized)
        if data.source is not None:
            out.append(dict(sized, dist=DATA, source=data.source))
    return out


def plan(suite: str, devices: list[str], cells: list[str] | None, dtypes: list[str] | None,
         config: Path | None, with_train: bool, data: DataChoice | None = None) -> Plan:
    """Expand a preset (or a config file) into cases for the given devices and filters.

    `with_train`: whether --data was given; workloads that need data are left out without it.
    `data`: the user's lengths, which the batching cases run on; a case named twice (the
    synthetic distributions all become the user's) is planned once.
    """
    if config is not None:
        spec, name, where = load_config(config), config.stem, f"--config {config}"
    elif suite in PRESETS:
        spec, name, where = PRESETS[suite], suite, f"suite {suite}"
    else:
        raise SuiteError(f"unknown suite {suite!r} (known: {', '.join(PRESETS)})")
    cases: list[Case] = []
    seen: set[str] = set()
    planned = 0
    for workload in workloads.config_workloads():
        if workload.requires_data and not with_train:
            continue
        for entry in spec.get(workload.name, []):
            entry_dtypes = _entry_dtypes(entry, where)
            planned += _grid_size(entry, len(devices), where, planned)
            for params in _with_data(_expand(entry, workload, where), workload,
                                     data or DataChoice()):
                _validate(params, workload, where)
                cell = params.get(workload.cell_key) if workload.cell_key else None
                if cells and cell in CELLS and cell not in cells:
                    continue
                for device in devices:
                    for dtype in _dtypes_for(device, entry_dtypes, dtypes, workload):
                        case = Case(name, workload.name, params, device, dtype)
                        if case.id not in seen:
                            seen.add(case.id)
                            cases.append(case)
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
