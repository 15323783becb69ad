"""Checks of the CUDA side: installed toolkits and PATH, driver versus CUDA, host compiler."""

from __future__ import annotations

from provision import advice, fixes, platform_fixes, tables
from provision.checks.base import CheckResult, check, has_nvidia_gpu
from provision.facts import CudaToolkit, Facts
from provision.fix import Fix, Fixes, run, say, when
from provision.profile import Profile
from provision.tables import major_minor, version_tuple

RUNTIME_NOTE = (
    "pip's torch wheels bring their own CUDA runtime and libraries, so the system CUDA toolkit "
    "(nvcc under /usr/local/cuda-*) matters only for compiling CUDA code (extensions, nvcc "
    "builds). The NVIDIA driver matters for everything: every CUDA runtime, bundled or not, "
    "needs a driver at least as new as it.")


# The C and C++ compilers by family: Debian's build-essential, Arch's base-devel group (gcc
# with make and the rest); Fedora, RHEL-likes and openSUSE name gcc and gcc-c++.
COMPILER_PACKAGES = {"debian": ["build-essential"], "arch": ["base-devel"]}


def _env_fix(toolkit_path: str, condition: str = "") -> Fixes:
    return (run((f"export PATH={toolkit_path}/bin:$PATH "
                 f"LD_LIBRARY_PATH={toolkit_path}/lib64:$LD_LIBRARY_PATH",
                 "add the line to ~/.bashrc to keep it"), condition=condition),)


def _find(toolkits: list[CudaToolkit], version: str | None) -> CudaToolkit | None:
    for toolkit in toolkits:
        if version and major_minor(toolkit.version) == major_minor(version):
            return toolkit
    return None


def selected_toolkit_version(facts: Facts) -> str | None:
    """The toolkit version a build would use: nvcc on PATH, else /usr/local/cuda's target."""
    if facts.cuda.nvcc_version:
        return facts.cuda.nvcc_version
    for toolkit in facts.cuda.toolkits:
        if facts.cuda.default_link and toolkit.path == facts.cuda.default_link:
            return toolkit.version
    return None


@check("cuda.toolkit")
def toolkit(facts: Facts, profile: Profile) -> CheckResult:
    c = facts.cuda
    installed = ", ".join(f"{t.version or '?'} ({t.path})" for t in c.toolkits) or "none"
    selected = c.nvcc_version
    detail = f"Installed: {installed}. nvcc on PATH: {c.nvcc_path or 'none'}.\n{RUNTIME_NOTE}"
    wanted = profile.cuda_toolkit
    if wanted:
        match = _find(c.toolkits, wanted)
        if match is None:
            return CheckResult("cuda.toolkit", "fail",
                               f"CUDA {wanted} toolkit not installed (found: {installed})",
                               detail=detail, fixes=(_install_toolkit_fix(wanted, profile),))
        if selected and major_minor(selected) != major_minor(wanted):
            return CheckResult("cuda.toolkit", "fail",
                               f"PATH selects CUDA {selected} ({c.nvcc_path}); profile expects "
                               f"{wanted}", detail=detail, fixes=_env_fix(match.path))
        if not selected:
            return CheckResult("cuda.toolkit", "warn",
                               f"CUDA {wanted} installed at {match.path} but nvcc is not on PATH",
                               detail=detail, fixes=_env_fix(match.path))
        stale = [p for p in c.ld_library_path_entries if match.path not in p
                 and "/usr/local/cuda/" not in p + "/"]
        if stale:
            return CheckResult("cuda.toolkit", "warn",
                               f"CUDA {selected} on PATH, but LD_LIBRARY_PATH names "
                               f"{', '.join(stale)}", detail=detail, fixes=_env_fix(match.path))
        return CheckResult("cuda.toolkit", "pass", f"CUDA {selected} selected by PATH "
                           f"({c.nvcc_path})", detail=detail)
    if not c.toolkits and not selected:
        if not has_nvidia_gpu(facts):
            return CheckResult("cuda.toolkit", "skip", "No CUDA toolkit, no NVIDIA GPU",
                               detail=RUNTIME_NOTE, because="nvidia.gpu")
        return CheckResult("cuda.toolkit", "pass", "No system CUDA toolkit: fine for pip's "
                           "torch, needed only to compile CUDA code", detail=detail)
    if not selected:
        newest = max(c.toolkits, key=lambda t: version_tuple(t.version) or (0,))
        return CheckResult("cuda.toolkit", "warn",
                           f"CUDA toolkit installed ({installed}) but nvcc is not on PATH",
                           detail=detail, fixes=_env_fix(newest.path))
    newest = max(c.toolkits, key=lambda t: version_tuple(t.version) or (0,), default=None)
    if newest and version_tuple(newest.version) > version_tuple(selected) and \
            major_minor(newest.version) != major_minor(selected):
        return CheckResult("cuda.toolkit", "warn",
                           f"PATH selects CUDA {selected} ({c.nvcc_path}) although "
                           f"{newest.version} is installed", detail=detail,
                           fixes=_env_fix(newest.path, "if the newer one is meant"))
    return CheckResult("cuda.toolkit", "pass", f"CUDA {selected} selected by PATH "
                       f"({c.nvcc_path}); installed: {installed}", detail=detail)


def _install_toolkit_fix(version: str, profile: Profile) -> Fix:
    if profile.cuda_installer == "runfile":
        return run(f"sudo sh cuda_{version}.*_linux.run --silent --toolkit "
                   f"--toolkitpath=/usr/local/cuda-{version}",
                   words=f"download the CUDA {version} runfile from developer.nvidia.com/"
                         "cuda-toolkit-archive into this folder, then")
    return say(f"install CUDA {version} from developer.nvidia.com/cuda-toolkit-archive")


@check("cuda.driver_compat")
def driver_compat(facts: Facts, profile: Profile) -> CheckResult:
    driver = facts.driver.version
    have = version_tuple(driver)
    if not driver or have is None:
        return CheckResult("cuda.driver_compat", "skip", "No NVIDIA driver version to compare",
                           because="nvidia.driver" if has_nvidia_gpu(facts) else "nvidia.gpu",
                           detail=RUNTIME_NOTE)
    problems: list[tuple[str, str]] = []  # (status, sentence)
    needed: list[str] = []
    torch_cuda = facts.torch.cuda
    if torch_cuda:
        need = tables.min_driver_for_cuda(torch_cuda)
        if need and have < version_tuple(need):
            floor = tables.CUDA_MINOR_COMPAT_DRIVER.get((version_tuple(torch_cuda) or (0,))[0])
            if floor and have >= version_tuple(floor):
                sentence = (f"torch's CUDA {torch_cuda} runtime wants driver {need}; {driver} "
                            "runs it only through minor version compatibility (no PTX JIT of "
                            "newer code)")
                if len(facts.driver.gpus) > 1:
                    # NCCL is not covered by minor version compatibility: multi-GPU collectives
                    # can fail to initialise on the older driver while one-GPU work runs.
                    sentence += ("; NCCL (multi-GPU collectives) is not covered by it and may "
                                 f"fail: use a build for the driver's CUDA, or driver {need}+")
                problems.append(("warn", sentence))
            else:
                problems.append(("fail", f"torch's CUDA {torch_cuda} runtime needs driver "
                                 f"{floor or need} or newer, found {driver}"))
                needed.append(floor or need)
    selected = selected_toolkit_version(facts)
    for tk in facts.cuda.toolkits:
        need = tables.min_driver_for_cuda(tk.version)
        if need and have < version_tuple(need):
            chosen = major_minor(tk.version) in (major_minor(selected),
                                                  major_minor(profile.cuda_toolkit))
            floor = tables.CUDA_MINOR_COMPAT_DRIVER.get((version_tuple(tk.version) or (0,))[0])
            if floor and have >= version_tuple(floor):
                # Same major: what nvcc builds as SASS runs; its newer PTX does not JIT.
                problems.append(("warn", f"CUDA {tk.version} ({tk.path}) is newer than driver "
                                 f"{driver} ({need} for full support): its SASS runs through "
                                 "minor version compatibility, but PTX it emits fails to JIT "
                                 "('unsupported PTX version'); compile for your GPU's sm_XY"))
                continue
            problems.append(("fail" if chosen else "warn",
                             f"CUDA {tk.version} ({tk.path}) needs driver {need}, found {driver}"))
            if chosen:
                needed.append(need)
    checked = ", ".join(filter(None, [f"torch CUDA {torch_cuda}" if torch_cuda else None] +
                               [f"toolkit {t.version}" for t in facts.cuda.toolkits]))
    detail = (f"Minimum drivers from NVIDIA's CUDA release notes (table 3).\n{RUNTIME_NOTE}")
    if not problems:
        what = checked or "nothing CUDA installed yet"
        return CheckResult("cuda.driver_compat", "pass", f"Driver {driver} is new enough for "
                           f"{what}", detail=detail)
    status = "fail" if any(s == "fail" for s, _ in problems) else "warn"
    newest = max(needed, key=version_tuple) if needed else None
    fix = platform_fixes.driver_upgrade(platform_fixes.driver_elsewhere(facts.platform), facts.os,
                                        profile.cuda_installer == "runfile", newest,
                                        advice.driver_ceiling(facts))
    torch_advice = advice.advise_facts(facts)
    if torch_cuda and torch_advice.build and any("torch's CUDA" in p for s, p in problems
                                                 if s == "fail"):
        # Both ways out: a newer driver, or the torch build the installed driver runs (only
        # its install: the advisor's newer builds would change the driver again).
        fix += when("or, to keep the driver, install the torch build it runs",
                    torch_advice.fix()[:1])
    return CheckResult("cuda.driver_compat", status, "; ".join(p for _, p in problems),
                       detail=detail, fixes=fix)


@check("cuda.host_compiler")
def host_compiler(facts: Facts, profile: Profile) -> CheckResult:
    cuda = selected_toolkit_version(facts) or profile.cuda_toolkit
    if not cuda and facts.cuda.toolkits:
        cuda = max((t.version for t in facts.cuda.toolkits if t.version), key=version_tuple,
                   default=None)
    if not cuda:
        return CheckResult("cuda.host_compiler", "skip", "No CUDA toolkit to compile with",
                           because="cuda.toolkit")
    gcc = facts.cuda.gcc_version
    if not gcc:
        return CheckResult("cuda.host_compiler", "warn", f"gcc not found (CUDA {cuda}'s nvcc "
                           "and the driver's kernel module build need it)",
                           fixes=(fixes.install_packages(facts.os, COMPILER_PACKAGES.get(
                               facts.os.family, ["gcc", "gcc-c++"])),))
    limit = tables.max_gcc_for_cuda(cuda)
    if limit is None:
        return CheckResult("cuda.host_compiler", "skip", f"CUDA {cuda} is not in the host "
                           f"compiler table; gcc is {gcc}")
    major = (version_tuple(gcc) or (0,))[0]
    if major <= limit:
        return CheckResult("cuda.host_compiler", "pass", f"gcc {gcc} is supported by CUDA "
                           f"{major_minor(cuda)} (up to gcc {limit})")
    return CheckResult(
        "cuda.host_compiler", "warn",
        f"gcc {gcc} is newer than CUDA {major_minor(cuda)} accepts (up to gcc {limit})",
        detail=("nvcc refuses a newer host compiler ('unsupported GNU version'), and the "
                "runfile installer's compiler check fails. This matters only for compiling CUDA "
                f"code: pip's torch needs no compiler.\n{RUNTIME_NOTE}"),
        fixes=_older_gcc_fix(facts.os.family, limit, _toolkit_bin(facts, cuda)))


def _toolkit_bin(facts: Facts, version: str) -> str:
    """The bin folder of the toolkit that compiles: nvcc's own, else the installed one of
    `version`, else /usr/local/cuda/bin."""
    if facts.cuda.nvcc_path and facts.cuda.nvcc_path.startswith("/"):
        return facts.cuda.nvcc_path.rsplit("/", 1)[0]
    match = _find(facts.cuda.toolkits, version)
    return f"{match.path}/bin" if match else "/usr/local/cuda/bin"


def _older_gcc_fix(family: str, limit: int, bin_dir: str) -> Fixes:
    # Fedora ships one gcc per release, so the usual way out there is a second, older gcc
    # from conda-forge; Debian/Ubuntu package several versions side by side. nvcc runs the
    # first gcc on PATH unless -ccbin says otherwise, and the toolkit's bin folder leads PATH
    # (cuda.toolkit's fix): a link there makes the older gcc the one nvcc uses, with no change
    # to anyone's nvcc command line.
    linked = "nvcc runs the first gcc on PATH; the toolkit's bin folder leads PATH"
    runfile = when("if you install CUDA with NVIDIA's runfile",
                   (run(("sudo sh cuda_*.run --override", "--override skips its compiler "
                                                          "check")),))
    if family == "debian":
        return (run(f"sudo apt-get install -y gcc-{limit} g++-{limit}",
                    (f"sudo ln -sf /usr/bin/gcc-{limit} {bin_dir}/gcc", linked),
                    f"sudo ln -sf /usr/bin/g++-{limit} {bin_dir}/g++"), *runfile)
    # Miniforge first, so the fix runs where no conda is installed (no root needed); its
    # address and batch flags: conda-forge/miniforge README and PR 156 ($(uname)-$(uname -m)).
    conda = "$CONDA_PREFIX/bin/x86_64-conda-linux-gnu"
    return (run(("curl -fsSLo ~/Miniforge3.sh https://github.com/conda-forge/miniforge/releases/"
                 "latest/download/Miniforge3-$(uname)-$(uname -m).sh", "Miniforge: conda "
                                                                       "without root"),
                "bash ~/Miniforge3.sh -b -p ~/miniforge3", ". ~/miniforge3/bin/activate",
                condition="where conda is missing"),
            run(f"conda create -y -n gcc{limit} -c conda-forge gxx_linux-64={limit}",
                f"conda activate gcc{limit}",
                (f'sudo ln -sf "{conda}-gcc" {bin_dir}/gcc', linked),
                f'sudo ln -sf "{conda}-g++" {bin_dir}/g++',
                condition=f"then, for gcc {limit} from conda-forge"), *runfile)
