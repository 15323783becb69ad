"""Probes: the only code that touches the machine. Each returns a Facts part and never raises."""
