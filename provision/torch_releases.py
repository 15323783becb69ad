"""Published PyTorch Linux wheels: release x CUDA variant x Python x GPU architectures.

What the table is for: a torch advisor walks `TORCH_BUILDS` (newest first) and picks the first
build that
  (a) the driver can run: the build's CUDA runtime (`cuda`) against the driver's CUDA version,
      NVIDIA's minor-version compatibility within one major included (tables.CUDA_MIN_DRIVER and
      tables.CUDA_MINOR_COMPAT_DRIVER hold the driver figures);
  (b) has machine code or PTX for every GPU present (`kernels_for`): a SASS image sm_XY runs on
      any GPU of compute capability X.Z with Z >= Y (same major only); a PTX image compute_XY is
      JIT-compiled by the driver for any GPU of capability >= X.Y;
  (c) is published for the machine's Python (`pythons`) and CPU (`machine`);
and prints `install_command(build)`. When nothing fits, the rows say what to upgrade: the
driver (newer `cuda`) or Python (newer `pythons`).

Rows and their evidence:
- One row per (torch release, variant, machine). Only the last patch release of each minor line
  is listed (1.7.1, not 1.7.0): the patch releases of a line share their variants and Pythons.
- `sass` / `ptx` are compute capabilities ("8.6" = sm_86 / compute_86), sorted ascending.
- Every row's `source` starts with "verified:" (the arch list is what that build's own build
  script case, a binary inspection or a maintainer's printout of `torch.cuda.get_arch_list()`
  shows) or "derived:" (taken from the build script of the same era or from the release matrix
  alone, with the reason); a comment above each group names the files.
- Pythons are the CPython versions with published Linux wheels; free-threaded builds
  ("3.13t", "3.14t") are left out.
- `pip_spec`, `index_url` (used with `index_option`) and `find_links` reproduce the install form
  of each era: PyPI for the default variant of 1.x, `-f .../torch_stable.html` with a local
  version tag (`torch==1.7.1+cu110`) for 1.2 - 1.10, `--extra-index-url` for 1.11 - 1.13 and
  `--index-url https://download.pytorch.org/whl/<variant>` from 2.0 on.

`LAST_VERIFIED_TORCH` is the newest release whose wheels public reports show installed; the
rows above it come from the release compatibility matrix only.
"""

from __future__ import annotations

from dataclasses import dataclass

DOWNLOAD = "https://download.pytorch.org/whl"
TORCH_STABLE = f"{DOWNLOAD}/torch_stable.html"

# The newest release seen installed in public reports (pytorch/pytorch#182250, May 2026, prints
# get_arch_list() of 2.11.0+cu126 and 2.11.0+cu128). 2.12 and 2.13 rows rest on the release
# matrix alone; 2.14 (planned Sept 2026 in the same file) is not listed.
LAST_VERIFIED_TORCH = "2.11.0"

# Wheel variant -> CUDA runtime (major.minor) the wheel bundles (or pulls as nvidia-* wheels).
VARIANT_CUDA: dict[str, str] = {
    "cu90": "9.0", "cu92": "9.2", "cu100": "10.0", "cu101": "10.1", "cu102": "10.2",
    "cu110": "11.0", "cu111": "11.1", "cu113": "11.3", "cu115": "11.5", "cu116": "11.6",
    "cu117": "11.7", "cu118": "11.8", "cu121": "12.1", "cu124": "12.4", "cu126": "12.6",
    "cu128": "12.8", "cu129": "12.9", "cu130": "13.0", "cu132": "13.2",
}


@dataclass(frozen=True)
class TorchBuild:
    """One published torch wheel variant for Linux."""

    torch: str
    variant: str  # "cu121", "cpu", ...
    cuda: str | None  # CUDA runtime major.minor; None for cpu
    pythons: tuple[str, ...]
    sass: tuple[str, ...]  # compute capabilities with machine code (SASS)
    ptx: tuple[str, ...]  # compute capabilities shipped as PTX (forward compatible)
    index_url: str | None
    pip_spec: str  # the requirement as pip takes it
    find_links: str | None
    released: str  # YYYY-MM
    source: str
    index_option: str = "--index-url"  # "--extra-index-url" for 1.11 - 1.13
    machine: str = "x86_64"


def install_command(build: TorchBuild, python: str = "python3") -> str:
    """The pip command that installs `build` for the interpreter `python`."""
    parts = [python, "-m", "pip", "install", build.pip_spec]
    if build.index_url:
        parts += [build.index_option, build.index_url]
    if build.find_links:
        if "+" not in build.pip_spec:
            # 1.0/1.1: the per-variant page holds untagged files that PyPI also has under the
            # same version; only --no-index makes pip take the page's build.
            parts.append("--no-index")
        parts += ["-f", build.find_links]
    return " ".join(parts)


def _cap(text: str) -> tuple[int, int]:
    major, _, minor = text.partition(".")
    return int(major), int(minor or 0)


def kernels_for(build: TorchBuild, capability: str) -> str | None:
    """"sass" when `build` has machine code that runs on a GPU of `capability` ("6.1"), "ptx"
    when only its PTX can be JIT-compiled for it, None when it has neither."""
    gpu = _cap(capability)
    if any(_cap(arch)[0] == gpu[0] and _cap(arch)[1] <= gpu[1] for arch in build.sass):
        return "sass"
    if any(_cap(arch) <= gpu for arch in build.ptx):
        return "ptx"
    return None


def _py(first: int, last: int, legacy: tuple[str, ...] = ()) -> tuple[str, ...]:
    return (*legacy, *(f"3.{minor}" for minor in range(first, last + 1)))


def _modern(torch: str, variant: str, pythons: tuple[str, ...], sass: tuple[str, ...],
            ptx: tuple[str, ...], released: str, source: str,
            machine: str = "x86_64") -> TorchBuild:
    """2.x form: the variant's own index, plain version (pip resolves the +variant tag)."""
    return TorchBuild(torch, variant, VARIANT_CUDA.get(variant), pythons, sass, ptx,
                      f"{DOWNLOAD}/{variant}", f"torch=={torch}", None, released, source,
                      machine=machine)


def _extra(torch: str, variant: str, pythons: tuple[str, ...], sass: tuple[str, ...],
           released: str, source: str) -> TorchBuild:
    """1.11 - 1.13 form: --extra-index-url with the local version tag."""
    return TorchBuild(torch, variant, VARIANT_CUDA.get(variant), pythons, sass, (),
                      f"{DOWNLOAD}/{variant}", f"torch=={torch}+{variant}", None, released,
                      source, index_option="--extra-index-url")


def _stable(torch: str, variant: str, pythons: tuple[str, ...], sass: tuple[str, ...],
            ptx: tuple[str, ...], released: str, source: str,
            page: str = TORCH_STABLE) -> TorchBuild:
    """1.2 - 1.10 form: -f torch_stable.html with the local version tag."""
    return TorchBuild(torch, variant, VARIANT_CUDA.get(variant), pythons, sass, ptx, None,
                      f"torch=={torch}+{variant}", page, released, source)


def _pypi(torch: str, variant: str, pythons: tuple[str, ...], sass: tuple[str, ...],
          ptx: tuple[str, ...], released: str, source: str) -> TorchBuild:
    """The Linux default variant of a 1.x release, as PyPI serves it."""
    return TorchBuild(torch, variant, VARIANT_CUDA.get(variant), pythons, sass, ptx, None,
                      f"torch=={torch}", None, released, source)


def _page(torch: str, variant: str, pythons: tuple[str, ...], sass: tuple[str, ...],
          ptx: tuple[str, ...], released: str, source: str) -> TorchBuild:
    """1.0/1.1 form: untagged wheels on the variant's own torch_stable.html page."""
    return TorchBuild(torch, variant, VARIANT_CUDA.get(variant), pythons, sass, ptx, None,
                      f"torch=={torch}", f"{DOWNLOAD}/{variant}/torch_stable.html", released,
                      source)


# Architecture lists (compute capabilities), named by the build-script case they come from.
_EARLY_CU90 = ("3.5", "5.0", "6.0", "7.0")  # "3.5;5.0+PTX" + 9.0 case
_EARLY_CU92 = ("3.5", "5.0", "6.0", "6.1", "7.0")  # "3.5;5.0+PTX" + 9.2 case
_EARLY_CU100 = ("3.5", "5.0", "6.0", "6.1", "7.0", "7.5")  # "3.5;5.0+PTX" + 10.0 case
_EARLY_PTX = ("5.0",)
_MID_CU92 = ("3.5", "3.7", "5.0", "6.0", "6.1", "7.0")
_MID_CU10X = ("3.5", "3.7", "5.0", "6.0", "6.1", "7.0", "7.5")
_BASE17 = ("3.7", "5.0", "6.0", "7.0")  # "3.7;5.0;6.0;7.0", also the whole 10.x list from 1.8
_BASE17_75 = (*_BASE17, "7.5")
_BASE17_80 = (*_BASE17, "7.5", "8.0")
_CU11_FULL = (*_BASE17, "7.5", "8.0", "8.6")
_CU118_FULL = (*_CU11_FULL, "9.0")
_CU12_BASE = ("5.0", "6.0", "7.0", "7.5", "8.0", "8.6", "9.0")
_CU128_27 = ("7.5", "8.0", "8.6", "9.0", "10.0", "12.0")
_CU128_28 = ("7.0", "7.5", "8.0", "8.6", "9.0", "10.0", "12.0")
_CU128_211 = _CU128_27
_CU13 = ("7.5", "8.0", "8.6", "9.0", "10.0", "12.0")
_CU13_AARCH64 = ("8.0", "9.0", "10.0", "11.0", "12.0")
_CU126_AARCH64 = ("8.0", "9.0")
_PTX120 = ("12.0",)

_PY27_37 = _py(5, 7, ("2.7",))
_PY27_38 = _py(5, 8, ("2.7",))

# Source shorthands (repository, path, commit or index id / URL).
_MATRIX = ("pytorch/pytorch RELEASE.md 'Release Compatibility Matrix' + 'PyTorch CUDA Support "
           "Matrix' + 'Release cadence table' (copy with rows 1.12-2.14, index file 66643764700)")
_PREV = ("pytorch/pytorch.github.io _get_started/previous-versions.md @04862e37 "
         "(pytorch.org/get-started/previous-versions)")
_CONDA = ("moi90/pytorch_compute_capabilities table.md @2431f175 (cuobjdump of the pytorch "
          "channel's conda packages)")
_B_EARLY = ("pytorch/builder manywheel/build_cuda.sh 8.0/9.0/9.2 cases (index file 4809078526) "
            "and conda/pytorch-nightly/build.sh 9.0/9.2/10.0 cases (index file 4585722825): "
            "TORCH_CUDA_ARCH_LIST '3.5;5.0+PTX' + per-CUDA list")
_B_17 = ("pytorch/builder manywheel/build_cuda.sh '3.7;5.0;6.0;7.0' with 11.*: +7.5;8.0, "
         "10.*: +7.5, 9.*: none (cu92/cu110 era, index file 4857416962)")
_B_111 = ("pytorch/builder manywheel/build_cuda.sh '3.7;5.0;6.0;7.0' with 11.[35]: "
          "+7.5;8.0;8.6, 10.*: none (1.11 era, index file 4591000350)")
_B_20 = ("pytorch/builder manywheel/build_cuda.sh @009ed170 '3.7;5.0;6.0;7.0' with "
         "11.8: +7.5;8.0;8.6;9.0, 11.[67]: +7.5;8.0;8.6")
_B_24 = ("pytorch/builder manywheel/build_cuda.sh '5.0;6.0;7.0;7.5;8.0;8.6' with 12.4/12.1: "
         "+9.0, 11.8: +3.7;9.0 (index file 465837186)")
_PT_28 = ("pytorch/pytorch .ci/manywheel/build_cuda.sh @00c7a380 (12.6: 5.0-9.0, 12.8: "
          "7.0-9.0;10.0;12.0, 12.9: same +PTX 12.0)")
_PT_29 = ("pytorch/pytorch .ci/manywheel/build_cuda.sh with 12.6/12.8/12.9/13.0 cases and the "
          "aarch64 filter (index file 54081956)")
_I_182250 = ("pytorch/pytorch#182250 (get_arch_list() printed for 2.11.0+cu126, 2.11.0+cu128 "
             "and 2.10.0+cu128)")
_I_172352 = ("pytorch/pytorch#172352 and dev-discuss 'Dropping Volta support from CUDA-12.8 "
             "binaries for release 2.11' (support matrix 12.6.3/12.8.1/13.0.0)")
_I_160269 = ("pytorch/pytorch#160269 (maintainer: Volta kept in 2.8 cu128/cu129) and #157517, "
             "2.8.0 release notes (sm_50-sm_60 dropped from cu128/cu129)")
_GENMATRIX = ("pytorch/pytorch .github/scripts/generate_binary_build_matrix.py @00018c94 "
              "(CUDA_ARCHES 11.8/12.6/12.8, FULL_PYTHON_VERSIONS 3.9-3.13)")


def _v(*parts: str) -> str:
    return "verified: " + "; ".join(parts)


def _d(*parts: str) -> str:
    return "derived: " + "; ".join(parts)


_PY310_314 = _py(10, 14)

TORCH_BUILDS: tuple[TorchBuild, ...] = (
    # 2.13.0 (2026-07): RELEASE.md matrix copy only (stable 12.6 and 13.0, experimental 13.2;
    # Python ">=3.10, <=(3.15, 3.15t experimental)": 3.15 left out until confirmed). Arch lists:
    # the matrix's CUDA support table for 2.12-2.14, x86 and aarch64.
    _modern("2.13.0", "cu132", _PY310_314, _CU13, _PTX120, "2026-07",
            _d(_MATRIX, "no installed 2.13 wheel seen")),
    _modern("2.13.0", "cu130", _PY310_314, _CU13, _PTX120, "2026-07",
            _d(_MATRIX, "no installed 2.13 wheel seen")),
    _modern("2.13.0", "cu130", _PY310_314, _CU13_AARCH64, _PTX120, "2026-07",
            _d(_MATRIX, "aarch64 table"), machine="aarch64"),
    _modern("2.13.0", "cu126", _PY310_314, _CU12_BASE, (), "2026-07",
            _d(_MATRIX, "no installed 2.13 wheel seen")),
    _modern("2.13.0", "cu126", _PY310_314, _CU126_AARCH64, (), "2026-07",
            _d(_MATRIX, "aarch64 table"), machine="aarch64"),
    _modern("2.13.0", "cpu", _PY310_314, (), (), "2026-07", _d(_MATRIX)),
    # 2.12.0 (2026-05): same matrix copy (stable 12.6 and 13.0, experimental 13.2).
    _modern("2.12.0", "cu132", _PY310_314, _CU13, _PTX120, "2026-05",
            _d(_MATRIX, "no installed 2.12 wheel seen")),
    _modern("2.12.0", "cu130", _PY310_314, _CU13, _PTX120, "2026-05",
            _d(_MATRIX, "no installed 2.12 wheel seen")),
    _modern("2.12.0", "cu130", _PY310_314, _CU13_AARCH64, _PTX120, "2026-05",
            _d(_MATRIX, "aarch64 table"), machine="aarch64"),
    _modern("2.12.0", "cu126", _PY310_314, _CU12_BASE, (), "2026-05",
            _d(_MATRIX, "no installed 2.12 wheel seen")),
    _modern("2.12.0", "cu126", _PY310_314, _CU126_AARCH64, (), "2026-05",
            _d(_MATRIX, "aarch64 table"), machine="aarch64"),
    _modern("2.12.0", "cpu", _PY310_314, (), (), "2026-05", _d(_MATRIX)),
    # 2.11.0 (2026-03): variants and Pythons from the matrix; cu126 and cu128 arch lists as
    # printed in #182250; cu130 from the 2.11 support matrix (#172352 / dev-discuss).
    _modern("2.11.0", "cu130", _PY310_314, _CU13, _PTX120, "2026-03",
            _v(_I_172352, _MATRIX)),
    _modern("2.11.0", "cu130", _PY310_314, _CU13_AARCH64, _PTX120, "2026-03",
            _d(_PT_29, "13.0 list through the aarch64 filter; wheel not seen"),
            machine="aarch64"),
    _modern("2.11.0", "cu128", _PY310_314, _CU128_211, (), "2026-03",
            _v(_I_182250, _I_172352, "sm_70 dropped from cu128")),
    _modern("2.11.0", "cu126", _PY310_314, _CU12_BASE, (), "2026-03", _v(_I_182250, _MATRIX)),
    _modern("2.11.0", "cpu", _PY310_314, (), (), "2026-03", _v(_MATRIX)),
    # 2.10.0 (2026-01): cu126/cu128 stable, cu130 experimental (matrix); cu128 list printed in
    # #182250; cu126 and cu130 from the 12.6/13.0 cases of the 2.9-2.10 build script.
    _modern("2.10.0", "cu130", _PY310_314, _CU13, _PTX120, "2026-01",
            _v(_PT_29, _I_172352, _MATRIX)),
    _modern("2.10.0", "cu130", _PY310_314, _CU13_AARCH64, _PTX120, "2026-01",
            _d(_PT_29, "13.0 list through the aarch64 filter; wheel not seen"),
            machine="aarch64"),
    _modern("2.10.0", "cu128", _PY310_314, _CU128_28, (), "2026-01", _v(_I_182250, _MATRIX)),
    _modern("2.10.0", "cu126", _PY310_314, _CU12_BASE, (), "2026-01", _v(_PT_29, _MATRIX)),
    _modern("2.10.0", "cpu", _PY310_314, (), (), "2026-01", _v(_MATRIX)),
    # 2.9.1 (2025-11): cu126/cu128 stable, cu130 experimental (matrix); lists from the build
    # script that carries exactly the 12.6/12.8/12.9/13.0 cases.
    _modern("2.9.1", "cu130", _PY310_314, _CU13, _PTX120, "2025-11", _v(_PT_29, _MATRIX)),
    _modern("2.9.1", "cu130", _PY310_314, _CU13_AARCH64, _PTX120, "2025-11",
            _d(_PT_29, "13.0 list through the aarch64 filter; wheel not seen"),
            machine="aarch64"),
    _modern("2.9.1", "cu128", _PY310_314, _CU128_28, (), "2025-11", _v(_PT_29, _MATRIX)),
    _modern("2.9.1", "cu126", _PY310_314, _CU12_BASE, (), "2025-11", _v(_PT_29, _MATRIX)),
    _modern("2.9.1", "cpu", _PY310_314, (), (), "2025-11", _v(_MATRIX)),
    # 2.8.0 (2025-08): cu126/cu128 stable, cu129 experimental, Python 3.9-3.13 (matrix).
    # cu128/cu129 keep sm_70 and drop sm_50/sm_60; cu129 alone carries PTX.
    _modern("2.8.0", "cu129", _py(9, 13), _CU128_28, _PTX120, "2025-08",
            _v(_PT_28, _I_160269, _MATRIX)),
    _modern("2.8.0", "cu128", _py(9, 13), _CU128_28, (), "2025-08",
            _v(_PT_28, _I_160269, _MATRIX)),
    _modern("2.8.0", "cu126", _py(9, 13), _CU12_BASE, (), "2025-08", _v(_PT_28, _MATRIX)),
    _modern("2.8.0", "cpu", _py(9, 13), (), (), "2025-08", _v(_MATRIX)),
    # 2.7.1 (2025-06): cu118/cu126 stable, cu128 experimental (matrix; build matrix script).
    # SASS lists from the conda binaries of 2.7.0; cu128's PTX 12.0 is the 12.8 case of the
    # 2.7 build script as quoted by third parties (not seen in pytorch's own file): derived.
    _modern("2.7.1", "cu128", _py(9, 13), _CU128_27, _PTX120, "2025-06",
            _v(_CONDA, _MATRIX, _GENMATRIX, "PTX 12.0 derived from the 2.7 12.8 case")),
    _modern("2.7.1", "cu126", _py(9, 13), _CU12_BASE, (), "2025-06",
            _v(_CONDA, _MATRIX, _GENMATRIX)),
    _modern("2.7.1", "cu118", _py(9, 13), _CU118_FULL, (), "2025-06",
            _v(_CONDA, _MATRIX, _GENMATRIX)),
    _modern("2.7.1", "cpu", _py(9, 13), (), (), "2025-06", _v(_MATRIX, _GENMATRIX)),
    # 2.6.0 (2025-01): cu118/cu124 stable, cu126 experimental; SASS from the conda binaries.
    _modern("2.6.0", "cu126", _py(9, 13), _CU12_BASE, (), "2025-01", _v(_CONDA, _MATRIX)),
    _modern("2.6.0", "cu124", _py(9, 13), _CU12_BASE, (), "2025-01", _v(_CONDA, _MATRIX)),
    _modern("2.6.0", "cu118", _py(9, 13), _CU118_FULL, (), "2025-01", _v(_CONDA, _MATRIX)),
    _modern("2.6.0", "cpu", _py(9, 13), (), (), "2025-01", _v(_MATRIX)),
    # 2.5.1 (2024-10): 11.8/12.1/12.4, Python 3.9-3.12 (+3.13 wheels). pip lists from the
    # 2.4-2.5 build script; conda binaries add sm_61/sm_90a that the pip cases do not name.
    _modern("2.5.1", "cu124", _py(9, 13), _CU12_BASE, (), "2024-10",
            _d(_B_24, _MATRIX, "script of the same CUDA set; PTX left out (a 9.0+PTX variant "
               "of the 12.4 case exists, its release is not pinned)")),
    _modern("2.5.1", "cu121", _py(9, 13), _CU12_BASE, (), "2024-10",
            _d(_B_24, _MATRIX, "script of the same CUDA set")),
    _modern("2.5.1", "cu118", _py(9, 13), _CU118_FULL, (), "2024-10",
            _d(_B_24, _MATRIX, "script of the same CUDA set")),
    _modern("2.5.1", "cpu", _py(9, 13), (), (), "2024-10", _v(_MATRIX)),
    # 2.4.1 (2024-09): 11.8/12.1 stable, 12.4 experimental, Python 3.8-3.12.
    _modern("2.4.1", "cu124", _py(8, 12), _CU12_BASE, (), "2024-09",
            _d(_B_24, _MATRIX, "script with exactly the 2.4 CUDA set; PTX left out")),
    _modern("2.4.1", "cu121", _py(8, 12), _CU12_BASE, (), "2024-09", _v(_B_24, _MATRIX)),
    _modern("2.4.1", "cu118", _py(8, 12), _CU118_FULL, (), "2024-09", _v(_B_24, _MATRIX)),
    _modern("2.4.1", "cpu", _py(8, 12), (), (), "2024-09", _v(_MATRIX)),
    # 2.3.1 / 2.2.2 (2024): 11.8 stable, 12.1 experimental, Python 3.8-3.11 (+3.12 wheels).
    # Lists: the 12.1 and 11.8 cases of the 2.4-era script, unchanged since 2.1 (derived).
    _modern("2.3.1", "cu121", _py(8, 12), _CU12_BASE, (), "2024-06", _d(_B_24, _MATRIX)),
    _modern("2.3.1", "cu118", _py(8, 12), _CU118_FULL, (), "2024-06", _d(_B_24, _MATRIX)),
    _modern("2.3.1", "cpu", _py(8, 12), (), (), "2024-06", _v(_MATRIX)),
    _modern("2.2.2", "cu121", _py(8, 12), _CU12_BASE, (), "2024-03", _d(_B_24, _MATRIX)),
    _modern("2.2.2", "cu118", _py(8, 12), _CU118_FULL, (), "2024-03", _d(_B_24, _MATRIX)),
    _modern("2.2.2", "cpu", _py(8, 12), (), (), "2024-03", _v(_MATRIX)),
    # 2.1.2 (2023-12): 11.8 stable, 12.1 experimental, Python 3.8-3.11.
    _modern("2.1.2", "cu121", _py(8, 11), _CU12_BASE, (), "2023-12", _d(_B_24, _MATRIX)),
    _modern("2.1.2", "cu118", _py(8, 11), _CU118_FULL, (), "2023-12", _d(_B_24, _MATRIX)),
    _modern("2.1.2", "cpu", _py(8, 11), (), (), "2023-12", _v(_MATRIX)),
    # 2.0.1 (2023-05): 11.7 stable (the PyPI default), 11.8 experimental, Python 3.8-3.11;
    # install forms from the previous-versions page; lists from the 11.8/11.[67] script.
    _modern("2.0.1", "cu118", _py(8, 11), _CU118_FULL, (), "2023-05", _v(_B_20, _MATRIX, _PREV)),
    _modern("2.0.1", "cu117", _py(8, 11), _CU11_FULL, (), "2023-05", _v(_B_20, _MATRIX, _PREV)),
    _modern("2.0.1", "cpu", _py(8, 11), (), (), "2023-05", _v(_MATRIX, _PREV)),
    # 1.13.1 (2022-12): 11.6 / 11.7 (PyPI default), Python 3.7-3.10; --extra-index-url form.
    _pypi("1.13.1", "cu117", _py(7, 10), _CU11_FULL, (), "2022-12",
          _d(_B_20, _PREV, _MATRIX, "11.[67] case of the next script; conda 1.13 agrees")),
    _extra("1.13.1", "cu116", _py(7, 10), _CU11_FULL, "2022-12",
           _d(_B_20, _PREV, _MATRIX, "11.[67] case of the next script")),
    _extra("1.13.1", "cpu", _py(7, 10), (), "2022-12", _v(_PREV, _MATRIX)),
    # 1.12.1 (2022-08): 10.2 (PyPI default), 11.3, 11.6; Python 3.7-3.10.
    _extra("1.12.1", "cu116", _py(7, 10), _CU11_FULL, "2022-08",
           _d(_B_111, _PREV, "11.x case of the 1.11 script extended to 11.6")),
    _extra("1.12.1", "cu113", _py(7, 10), _CU11_FULL, "2022-08", _v(_B_111, _PREV)),
    _pypi("1.12.1", "cu102", _py(7, 10), _BASE17, (), "2022-08", _v(_B_111, _PREV)),
    _extra("1.12.1", "cpu", _py(7, 10), (), "2022-08", _v(_PREV)),
    # 1.11.0 (2022-03): 10.2 (PyPI default), 11.3, 11.5 (cu115: conda packages and the 11.[35]
    # case; not on the previous-versions page: derived); Python 3.7-3.10.
    _extra("1.11.0", "cu115", _py(7, 10), _CU11_FULL, "2022-03",
           _d(_B_111, _CONDA, "pip wheel not listed on the previous-versions page")),
    _extra("1.11.0", "cu113", _py(7, 10), _CU11_FULL, "2022-03", _v(_B_111, _PREV)),
    _pypi("1.11.0", "cu102", _py(7, 10), _BASE17, (), "2022-03", _v(_B_111, _PREV)),
    _extra("1.11.0", "cpu", _py(7, 10), (), "2022-03", _v(_PREV)),
    # 1.10.2 (2022-01): per-variant torch_stable pages (form of 1.10.1 on the previous-versions
    # page); Python 3.6-3.9. cu102 = sm_37/50/60/70 as printed for 1.10.1 in andreimargeloiu/
    # WPFS#3; cu111/cu113 = the 11.x list printed for 1.9.0+cu111 in meituan/YOLOv6#350.
    _stable("1.10.2", "cu113", _py(6, 9), _CU11_FULL, (), "2022-01",
            _d(_PREV, _CONDA, "cu113 pip wheel not on the page; list as cu111"),
            page=f"{DOWNLOAD}/cu113/torch_stable.html"),
    _stable("1.10.2", "cu111", _py(6, 9), _CU11_FULL, (), "2022-01",
            _d(_PREV, "meituan/YOLOv6#350 (1.9.0+cu111 list)", "same 11.x case"),
            page=f"{DOWNLOAD}/cu111/torch_stable.html"),
    _pypi("1.10.2", "cu102", _py(6, 9), _BASE17, (), "2022-01",
          _v(_PREV, "andreimargeloiu/WPFS#3 (1.10.1 default wheel: sm_37 sm_50 sm_60 sm_70)")),
    _stable("1.10.2", "cpu", _py(6, 9), (), (), "2022-01", _v(_PREV),
            page=f"{DOWNLOAD}/cpu/torch_stable.html"),
    # 1.9.1 (2021-09): 10.2 (PyPI default), 11.1; Python 3.6-3.9.
    _stable("1.9.1", "cu111", _py(6, 9), _CU11_FULL, (), "2021-09",
            _v(_PREV, "meituan/YOLOv6#350 (get_arch_list of 1.9.0+cu111)")),
    _pypi("1.9.1", "cu102", _py(6, 9), _BASE17, (), "2021-09",
          _d(_PREV, "10.* case adds nothing to '3.7;5.0;6.0;7.0' (1.8-1.12 scripts)")),
    _stable("1.9.1", "cpu", _py(6, 9), (), (), "2021-09", _v(_PREV)),
    # 1.8.1 (2021-03): 10.1, 10.2 (PyPI default), 11.1; Python 3.6-3.9. (1.8.0's cu111 wheel
    # was built while cu111 nightlies had only sm_50/70/80/86, pytorch/pytorch#53164; 1.8.1 is
    # the row to use.)
    _stable("1.8.1", "cu111", _py(6, 9), _CU11_FULL, (), "2021-03",
            _d(_PREV, "11.x list of 1.9.0+cu111 (meituan/YOLOv6#350); conda 1.8.1 agrees")),
    _pypi("1.8.1", "cu102", _py(6, 9), _BASE17, (), "2021-03",
          _d(_PREV, "10.* case adds nothing to '3.7;5.0;6.0;7.0'")),
    _stable("1.8.1", "cu101", _py(6, 9), _BASE17, (), "2021-03",
            _d(_PREV, "10.* case adds nothing to '3.7;5.0;6.0;7.0'")),
    _stable("1.8.1", "cpu", _py(6, 9), (), (), "2021-03", _v(_PREV)),
    # 1.7.1 (2020-12): 9.2, 10.1, 10.2 (PyPI default), 11.0; Python 3.6-3.9.
    _stable("1.7.1", "cu110", _py(6, 9), _BASE17_80, (), "2020-12", _v(_B_17, _PREV)),
    _pypi("1.7.1", "cu102", _py(6, 9), _BASE17_75, (), "2020-12", _v(_B_17, _PREV)),
    _stable("1.7.1", "cu101", _py(6, 9), _BASE17_75, (), "2020-12", _v(_B_17, _PREV)),
    _stable("1.7.1", "cu92", _py(6, 9), _BASE17, (), "2020-12", _v(_B_17, _PREV)),
    _stable("1.7.1", "cpu", _py(6, 9), (), (), "2020-12", _v(_PREV)),
    # 1.6.0 (2020-07) and 1.5.1 (2020-06): 9.2, 10.1, 10.2 (PyPI default). Lists: the 1.7
    # script's 10.*/9.* cases (a subset of what the conda binaries of 1.5/1.6 carry).
    _pypi("1.6.0", "cu102", _py(6, 8), _BASE17_75, (), "2020-07",
          _d(_B_17, _PREV, "script of the next release; subset of conda 1.6.0")),
    _stable("1.6.0", "cu101", _py(6, 8), _BASE17_75, (), "2020-07",
            _d(_B_17, _PREV, "script of the next release; subset of conda 1.6.0")),
    _stable("1.6.0", "cu92", _py(6, 8), _BASE17, (), "2020-07",
            _d(_B_17, _PREV, "script of the next release; subset of conda 1.6.0")),
    _stable("1.6.0", "cpu", _py(6, 8), (), (), "2020-07", _v(_PREV)),
    _pypi("1.5.1", "cu102", _py(5, 8), _BASE17_75, (), "2020-06",
          _d(_B_17, _PREV, "script of a later release; subset of conda 1.5.1")),
    _stable("1.5.1", "cu101", _py(5, 8), _BASE17_75, (), "2020-06",
            _d(_B_17, _PREV, "script of a later release; subset of conda 1.5.1")),
    _stable("1.5.1", "cu92", _py(5, 8), _BASE17, (), "2020-06",
            _d(_B_17, _PREV, "script of a later release; subset of conda 1.5.1")),
    _stable("1.5.1", "cpu", _py(5, 8), (), (), "2020-06", _v(_PREV)),
    # 1.4.0 (2020-01): 9.2, 10.1 (PyPI default); Python 2.7, 3.5-3.8. Lists: the conda
    # binaries of 1.4.0 (pip build script of that release not found): derived, no PTX claimed.
    _pypi("1.4.0", "cu101", _PY27_38, _MID_CU10X, (), "2020-01",
          _d(_PREV, _CONDA, "conda binary list; pip script of 1.4 not found")),
    _stable("1.4.0", "cu92", _PY27_38, _MID_CU92, (), "2020-01",
            _d(_PREV, _CONDA, "conda binary list; pip script of 1.4 not found")),
    _stable("1.4.0", "cpu", _PY27_38, (), (), "2020-01", _v(_PREV)),
    # 1.3.1 (2019-11): 9.2, 10.0, 10.1 (PyPI default); Python 2.7, 3.5-3.7. Not on the stored
    # previous-versions page: install form as 1.2/1.4; lists from the conda binaries of 1.3.1.
    _pypi("1.3.1", "cu101", _PY27_37, _MID_CU10X, (), "2019-11",
          _d(_CONDA, "install form of 1.2/1.4 on the previous-versions page")),
    _stable("1.3.1", "cu100", _PY27_37, _MID_CU10X, (), "2019-11",
            _d(_CONDA, "install form of 1.2/1.4 on the previous-versions page")),
    _stable("1.3.1", "cu92", _PY27_37, _MID_CU92, (), "2019-11",
            _d(_CONDA, "install form of 1.2/1.4 on the previous-versions page")),
    _stable("1.3.1", "cpu", _PY27_37, (), (), "2019-11",
            _d("install form of 1.2/1.4 on the previous-versions page")),
    # 1.2.0 (2019-08): 9.2, 10.0 (PyPI default); Python 2.7, 3.5-3.7. Lists: '3.5;5.0+PTX' +
    # the 9.2/10.0 cases; the conda binaries of 1.2.0 carry the same SASS.
    _pypi("1.2.0", "cu100", _PY27_37, _EARLY_CU100, _EARLY_PTX, "2019-08",
          _v(_B_EARLY, _CONDA, _PREV)),
    _stable("1.2.0", "cu92", _PY27_37, _EARLY_CU92, _EARLY_PTX, "2019-08",
            _v(_B_EARLY, _CONDA, _PREV)),
    _stable("1.2.0", "cpu", _PY27_37, (), (), "2019-08", _v(_PREV)),
    # 1.1.0 (2019-05): 9.0, 10.0 (the PyPI wheel is cu100); wheels on per-variant pages.
    _page("1.1.0", "cu100", _PY27_37, _EARLY_CU100, _EARLY_PTX, "2019-05",
          _v(_B_EARLY, _CONDA, _PREV)),
    _page("1.1.0", "cu90", _PY27_37, _EARLY_CU90, _EARLY_PTX, "2019-05",
          _v(_B_EARLY, _PREV, "the conda build of 1.1.0 cu90 also carries sm_61")),
    _page("1.1.0", "cpu", _PY27_37, (), (), "2019-05", _v(_PREV)),
    # 1.0.1 (2019-02): 9.0 (the PyPI wheel), 10.0; wheels on per-variant pages. (1.0.0 also
    # had cu80: sm_35/50/60/61 + PTX 5.0 by the 8.0 case; not listed, 1.0.1 dropped it.)
    _page("1.0.1", "cu100", _PY27_37, _EARLY_CU100, _EARLY_PTX, "2019-02",
          _v(_B_EARLY, _CONDA, _PREV)),
    _page("1.0.1", "cu90", _PY27_37, _EARLY_CU90, _EARLY_PTX, "2019-02",
          _v(_B_EARLY, _PREV, "conda build _2 of 1.0.1 cu90 shows the same SASS")),
    _page("1.0.1", "cpu", _PY27_37, (), (), "2019-02", _v(_PREV)),
)
