"""Corpora (names, text) and synthetic variable-length sequences."""
