"""Corpora (names, text), their download, and synthetic variable-length sequences."""
