"""rnnbench's command-line layer: argument parsing and wiring only.

The work lives in `bench` (the benchmark engine), `provision` (machine facts and checks) and
`rnnkit` (the models); this package turns what a user types into calls of those.
"""

from bench import __version__

__all__ = ["__version__"]
