"""Sanity checks of the sourced PyTorch wheel table (provision/torch_releases.py)."""

from __future__ import annotations

import re

import pytest

from provision.torch_releases import (
    LAST_VERIFIED_TORCH,
    TORCH_BUILDS,
    VARIANT_CUDA,
    TorchBuild,
    install_command,
    kernels_for,
)


def _v(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def _build(torch: str, variant: str, machine: str = "x86_64") -> TorchBuild:
    (row,) = [b for b in TORCH_BUILDS
              if (b.torch, b.variant, b.machine) == (torch, variant, machine)]
    return row


def test_newest_first_and_release_months_agree():
    versions = [_v(b.torch) for b in TORCH_BUILDS]
    assert versions == sorted(versions, reverse=True)
    months = [b.released for b in TORCH_BUILDS]
    assert all(re.fullmatch(r"20\d\d-(0[1-9]|1[0-2])", m) for m in months)
    assert months == sorted(months, reverse=True)


def test_rows_are_unique():
    keys = [(b.torch, b.variant, b.machine) for b in TORCH_BUILDS]
    assert len(keys) == len(set(keys))


def test_every_row_names_its_source_and_evidence():
    for b in TORCH_BUILDS:
        assert b.source.startswith(("verified: ", "derived: ")), b
        assert len(b.source) > 30, b


def test_rows_newer_than_last_verified_are_derived():
    assert any(b.torch == LAST_VERIFIED_TORCH for b in TORCH_BUILDS)
    for b in TORCH_BUILDS:
        if _v(b.torch) > _v(LAST_VERIFIED_TORCH):
            assert b.source.startswith("derived: "), b


def test_cpu_rows_have_no_cuda_and_every_release_has_one():
    for b in TORCH_BUILDS:
        if b.variant == "cpu":
            assert b.cuda is None and b.sass == () and b.ptx == (), b
        else:
            assert b.cuda == VARIANT_CUDA[b.variant], b
            assert b.sass, b
    releases = {b.torch for b in TORCH_BUILDS}
    assert releases == {b.torch for b in TORCH_BUILDS if b.variant == "cpu"}


def test_lists_sorted_and_well_formed():
    for b in TORCH_BUILDS:
        for caps in (b.sass, b.ptx):
            assert all(re.fullmatch(r"\d+\.\d", c) for c in caps), b
            assert list(caps) == sorted(caps, key=_v), b
            assert len(set(caps)) == len(caps), b
        assert b.pythons and list(b.pythons) == sorted(b.pythons, key=_v), b
        assert b.machine in ("x86_64", "aarch64"), b


def test_install_forms_match_their_era():
    for b in TORCH_BUILDS:
        major_minor = _v(b.torch)[:2]
        if major_minor >= (2, 0):
            assert b.index_url == f"https://download.pytorch.org/whl/{b.variant}", b
            assert b.index_option == "--index-url" and b.find_links is None, b
            assert b.pip_spec == f"torch=={b.torch}", b
        elif b.index_url:
            assert (1, 11) <= major_minor <= (1, 13) and b.index_option == "--extra-index-url"
            assert b.pip_spec == f"torch=={b.torch}+{b.variant}", b
        elif b.find_links and major_minor <= (1, 1):
            assert b.find_links.endswith(f"/{b.variant}/torch_stable.html"), b
        assert b.pip_spec.startswith(f"torch=={b.torch}"), b


def test_install_commands():
    assert install_command(_build("2.4.1", "cu121")) == (
        "python3 -m pip install torch==2.4.1 --index-url https://download.pytorch.org/whl/cu121")
    assert install_command(_build("1.7.1", "cu110"), "python3.8") == (
        "python3.8 -m pip install torch==1.7.1+cu110 "
        "-f https://download.pytorch.org/whl/torch_stable.html")
    assert install_command(_build("1.2.0", "cu100")) == "python3 -m pip install torch==1.2.0"
    assert install_command(_build("1.13.1", "cu116")) == (
        "python3 -m pip install torch==1.13.1+cu116 "
        "--extra-index-url https://download.pytorch.org/whl/cu116")
    assert install_command(_build("1.1.0", "cu90")) == (
        "python3 -m pip install torch==1.1.0 --no-index "
        "-f https://download.pytorch.org/whl/cu90/torch_stable.html")
    assert install_command(_build("1.10.2", "cu113")).endswith(
        "torch==1.10.2+cu113 -f https://download.pytorch.org/whl/cu113/torch_stable.html")


def test_anchor_facts_from_the_sources():
    # 2.8: cu128/cu129 dropped Maxwell/Pascal (sm_50/sm_60), kept Volta, added Blackwell.
    for variant in ("cu128", "cu129"):
        b = _build("2.8.0", variant)
        assert "12.0" in b.sass and "10.0" in b.sass and "7.0" in b.sass
        assert "5.0" not in b.sass and "6.0" not in b.sass
    assert _build("2.8.0", "cu129").ptx == ("12.0",) and _build("2.8.0", "cu128").ptx == ()
    assert "6.0" in _build("2.8.0", "cu126").sass
    # 2.11: Volta gone from cu128 too (pytorch/pytorch#182250); 2.10 cu128 still had it.
    assert "7.0" not in _build("2.11.0", "cu128").sass
    assert "7.0" in _build("2.10.0", "cu128").sass
    # CUDA 13 builds start at Turing and carry PTX for 12.0; aarch64 adds sm_110 (Thor).
    assert _build("2.9.1", "cu130").sass[0] == "7.5"
    assert "11.0" in _build("2.12.0", "cu130", "aarch64").sass
    # The CUDA 10.0 era: 1.2 cu100 has sm_61 and sm_75; cu92 has no sm_75.
    assert {"6.1", "7.5"} <= set(_build("1.2.0", "cu100").sass)
    assert "7.5" not in _build("1.2.0", "cu92").sass
    # Kepler sm_37 lasted in cu118 builds until 2.7; 1.10's cu102 wheel stops at sm_70.
    assert "3.7" in _build("2.7.1", "cu118").sass
    assert _build("1.10.2", "cu102").sass == ("3.7", "5.0", "6.0", "7.0")
    # Python ranges from the release matrix.
    assert _build("2.9.1", "cu128").pythons == ("3.10", "3.11", "3.12", "3.13", "3.14")
    assert _build("1.0.1", "cu90").pythons[0] == "2.7"


@pytest.mark.parametrize(("torch", "variant", "capability", "expected"), [
    ("2.8.0", "cu128", "6.1", None),  # GTX 1050 on a cu128 wheel: no kernel image
    ("2.8.0", "cu126", "6.1", "sass"),  # sm_60 machine code runs on 6.1
    ("2.7.1", "cu128", "12.0", "sass"),  # RTX 5090
    ("2.6.0", "cu126", "12.0", None),  # RTX 5090 before cu128
    ("2.9.1", "cu130", "12.1", "sass"),  # GB10 runs sm_120 code (same major)
    ("2.8.0", "cu129", "13.0", "ptx"),  # a future major: only PTX JIT
    ("1.10.2", "cu102", "7.5", "sass"),  # T4 runs sm_70 code
    ("1.10.2", "cu102", "8.6", None),
    ("1.2.0", "cu100", "5.2", "sass"),
    ("1.2.0", "cu100", "3.0", None),
])
def test_kernels_for(torch: str, variant: str, capability: str, expected: str | None):
    assert kernels_for(_build(torch, variant), capability) == expected


def test_seed_machine_has_a_true_answer():
    # GTX 1050 (6.1), driver 410.78 (CUDA 10.0), Python 3.6: the newest wheel whose runtime is
    # at most 10.0 and that has kernels for 6.1. CUDA 9.2 runs on that driver too, and the
    # 1.7.1 cu92 wheel's sm_60 code runs on 6.1, so that beats 1.3.1 cu100.
    fits = [b for b in TORCH_BUILDS
            if b.cuda and _v(b.cuda) <= (10, 0) and kernels_for(b, "6.1") and "3.6" in b.pythons]
    assert (fits[0].torch, fits[0].variant) == ("1.7.1", "cu92")
    newest_cu100 = next(b for b in fits if b.variant == "cu100")
    assert newest_cu100.torch == "1.3.1"
