"""rnnkit's tests use tiny tensors: one thread is fastest, and avoids the oversubscription
slow-down of OpenMP worker threads when other test processes share the machine's cores."""

from collections.abc import Callable
from pathlib import Path

import pytest
import torch

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def small_names_corpus(names_dir, tmp_path_factory) -> Callable[[int], Path]:
    """Make a names folder of three languages with the first `per_language` names of each,
    cut from the real corpus: quick to train on."""

    def make(per_language: int) -> Path:
        folder = tmp_path_factory.mktemp("names")
        for language in ("Japanese", "Polish", "Scottish"):
            lines = (names_dir / f"{language}.txt").read_text(encoding="utf-8").splitlines()
            text = "\n".join(lines[:per_language]) + "\n"
            (folder / f"{language}.txt").write_text(text, encoding="utf-8")
        return folder

    return make
