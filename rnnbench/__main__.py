"""`python -m rnnbench` runs the same command line as the `rnnbench` script."""

from rnnbench.cli import main

main()
