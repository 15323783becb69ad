"""The benchmark engine: timer, statistics, workloads, suites, runner, results, compare, report.

`__version__` is read once, here, from the installed package's metadata (pyproject.toml is the
only place it is written); results files are stamped with it.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("rnnbench")
except PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0+unknown"
