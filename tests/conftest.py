"""Shared test fixtures: where the shared data lives, and the GPU marker's skip rule."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def names_dir() -> Path:
    """The real names corpus (../shared/data/names); tests that need it skip without it."""
    path = SHARED_DATA / "names"
    if not path.is_dir():
        pytest.skip(f"names corpus not found at {path}")
    return path


@pytest.fixture(scope="session")
def nietzsche_file() -> Path:
    path = SHARED_DATA / "nietzsche" / "nietzsche.txt"
    if not path.is_file():
        pytest.skip(f"nietzsche.txt not found at {path}")
    return path


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `gpu` run for real where CUDA works; elsewhere they skip with a reason."""
    try:
        import torch

        has_cuda = torch.cuda.is_available()
    except Exception:  # torch missing or broken: the GPU tests cannot run either way
        has_cuda = False
    if has_cuda:
        return
    skip = pytest.mark.skip(reason="no CUDA GPU on this machine")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)
