"""Every check as a pure function of Facts built here (no machine involved)."""

from __future__ import annotations

import pytest

from provision.checks import cpu, cuda, gpu, nvidia, system, torchbuild
from provision.checks.torchbuild import arch_supported
from provision.facts import (
    CpuFacts,
    CudaFacts,
    CudaToolkit,
    DriverFacts,
    Facts,
    GpuHealth,
    GpuInfo,
    GpuWorkFacts,
    GpuWorkResult,
    OsFacts,
    PackagesFacts,
    PciGpu,
    PerlFacts,
    PythonFacts,
    TorchDevice,
    TorchFacts,
)
from provision.fix import as_text
from provision.profile import Profile, load_profile

FEDORA = OsFacts(id="fedora", version_id="29", pretty_name="Fedora 29", family="fedora",
                 kernel="4.18.16-300.fc29.x86_64")
UBUNTU = OsFacts(id="ubuntu", id_like=["debian"], version_id="22.04", family="debian")
GTX1050 = PciGpu(slot="0000:01:00.0", device_id="1c8d", class_code="0302",
                 name="GeForce GTX 1050 Mobile", kernel_driver="nvidia")
NONE = Profile()
F29 = load_profile("fedora29-gtx1050-cuda10")


def laptop(**changes) -> Facts:
    """The healthy Fedora 29 laptop as Facts; keyword arguments replace whole parts."""
    facts = Facts(
        os=FEDORA,
        python=PythonFacts(version="3.7.1", pip_version="9.0.3"),
        perl=PerlFacts(installed=True, readline_gnu=True),
        pci_gpus=[GTX1050],
        driver=DriverFacts(version="410.48", source="nvidia-smi", nvidia_module_loaded=True,
                           gpus=[GpuInfo(name="GeForce GTX 1050", compute_capability="6.1",
                                         health=GpuHealth(temperature_c=45,
                                                          throttle_reasons=["gpu_idle"]))]),
        cuda=CudaFacts(toolkits=[CudaToolkit("/usr/local/cuda-10.0", "10.0.130", "version.txt")],
                       nvcc_path="/usr/local/cuda-10.0/bin/nvcc", nvcc_version="10.0.130",
                       gcc_version="7.3.0"),
        torch=TorchFacts(installed=True, version="1.4.0+cu100", cuda="10.0", cudnn=7603,
                         cuda_available=True, arch_list=["sm_50", "sm_60", "sm_70"],
                         devices=[TorchDevice("GeForce GTX 1050", "6.1")], num_threads=4),
        cpu=CpuFacts(physical_cores=4, logical_cores=8, memory_total_gib=16,
                     memory_available_gib=12, governor="performance"),
    )
    for name, value in changes.items():
        setattr(facts, name, value)
    return facts


def cpu_only(**changes) -> Facts:
    facts = Facts(os=UBUNTU, python=PythonFacts(version="3.10.12", pip_version="22.0.2"),
                  torch=TorchFacts(installed=True, version="2.3.1+cpu", num_threads=4),
                  cpu=CpuFacts(physical_cores=4, logical_cores=8, memory_available_gib=10))
    for name, value in changes.items():
        setattr(facts, name, value)
    return facts


# --------------------------------------------------------------------------- OS side
def test_distro_passes_and_names_kernel():
    result = system.distro(laptop(), F29)
    assert result.status == "pass"
    assert "Fedora 29" in result.summary and "4.18.16-300.fc29" in result.summary


def test_distro_warns_when_profile_expects_another_release():
    facts = laptop(os=OsFacts(id="fedora", version_id="40", family="fedora"))
    result = system.distro(facts, F29)
    assert result.status == "warn" and "fedora 29" in result.summary


def test_distro_unknown_without_os_release():
    result = system.distro(Facts(os=OsFacts(reason="no /etc/os-release")), NONE)
    assert result.status == "warn" and "unknown" in result.summary.lower()


def test_packages_missing_gives_dnf_command_with_the_missing_names():
    facts = laptop(packages=PackagesFacts(tool="rpm", installed={
        name: ("1" if name not in ("python3-pip", "make") else None) for name in F29.packages}))
    result = system.packages(facts, F29)
    assert result.status == "fail"
    assert as_text(result.fixes) == "sudo dnf install python3-pip make"


def test_packages_skip_without_profile():
    assert system.packages(laptop(), NONE).status == "skip"


@pytest.mark.parametrize("os_facts,fix", [
    (FEDORA, "sudo dnf install python3-pip"),
    (UBUNTU, "sudo apt-get install python3-pip"),
])
def test_pip_missing_fix_per_distribution(os_facts, fix):
    facts = laptop(os=os_facts, python=PythonFacts(version="3.7.1", reason="no pip"))
    result = system.pip(facts, NONE)
    assert result.status == "fail" and as_text(result.fixes) == fix


def test_readline_gnu_fails_for_runfile_profile_with_fedora_fix():
    facts = laptop(perl=PerlFacts(installed=True, readline_gnu=False, reason="Can't locate"))
    result = system.readline_gnu(facts, F29)
    assert result.status == "fail"
    assert as_text(result.fixes) == "sudo dnf install perl-Term-ReadLine-Gnu"
    assert "runfile" in result.detail


def test_readline_gnu_is_not_asked_for_where_no_runfile_install_is_the_route():
    # Issue 12: only NVIDIA's runfile installer needs Term::ReadLine::Gnu; on a machine whose
    # toolkit is installed and no profile asks for the runfile, it was noise (it used to warn).
    # The Debian package name in the fix is checked where the runfile is the route:
    # tests/provision/test_rules.py::test_readline_is_asked_for_where_the_runfile_is_the_route.
    facts = laptop(os=UBUNTU, perl=PerlFacts(installed=True, readline_gnu=False))
    result = system.readline_gnu(facts, NONE)
    assert result.status == "skip"


def test_readline_gnu_not_needed_without_gpu():
    assert system.readline_gnu(cpu_only(perl=PerlFacts(readline_gnu=False)), NONE).status == "skip"


# --------------------------------------------------------------------------- NVIDIA side
def test_gpu_named_with_capability_from_the_table():
    facts = laptop(driver=DriverFacts(), torch=TorchFacts(installed=False))
    result = nvidia.gpu(facts, NONE)
    assert result.status == "pass"
    assert "GTX 1050 Mobile" in result.summary and "6.1" in result.summary


def test_no_gpu_is_said_plainly_and_only_fails_when_profile_demands_one():
    assert nvidia.gpu(cpu_only(), NONE).status == "skip"
    assert "No NVIDIA GPU" in nvidia.gpu(cpu_only(), NONE).summary
    assert nvidia.gpu(cpu_only(), F29).status == "fail"


def test_driver_pass_names_version_and_source():
    result = nvidia.driver(laptop(), NONE)
    assert result.status == "pass" and "410.48" in result.summary


def test_driver_nouveau_fix_blacklists_then_installs():
    facts = laptop(driver=DriverFacts(nouveau_loaded=True))
    result = nvidia.driver(facts, NONE)
    assert result.status == "fail" and "nouveau" in result.summary
    # One problem, one fix: under the check that names nouveau, the driver points to it.
    assert result.because == "nvidia.nouveau" and result.fixes == ()
    nouveau = nvidia.nouveau(facts, NONE)
    assert nouveau.status == "fail"
    blacklist, install = nouveau.fixes
    assert "blacklist=nouveau" in as_text([blacklist]) and blacklist.steps[-1].reboot
    assert install.condition.startswith("after the reboot") and "akmod-nvidia" in as_text([install])


def test_secure_boot_blocking_unsigned_module():
    facts = laptop(driver=DriverFacts(module_installed=True, module_signer="", secure_boot=True))
    assert nvidia.driver(facts, NONE).status == "fail"
    assert "Secure Boot" in nvidia.driver(facts, NONE).summary
    result = nvidia.secure_boot(facts, NONE)
    assert result.status == "fail" and "mokutil --import" in as_text(result.fixes)


def test_secure_boot_irrelevant_when_driver_loaded():
    assert nvidia.secure_boot(laptop(), NONE).status == "pass"


def test_driver_not_installed_on_ubuntu_points_to_ubuntu_drivers():
    facts = laptop(os=UBUNTU, driver=DriverFacts(module_installed=False))
    result = nvidia.driver(facts, NONE)
    assert result.status == "fail" and "not installed" in result.summary
    assert "ubuntu-drivers" in as_text(result.fixes)


# --------------------------------------------------------------------------- CUDA
def test_toolkit_expected_by_profile_and_selected():
    result = cuda.toolkit(laptop(), F29)
    assert result.status == "pass" and "10.0.130" in result.summary
    assert "own CUDA runtime" in result.detail  # the difference people miss


def test_toolkit_missing_for_profile_gives_runfile_steps():
    facts = laptop(cuda=CudaFacts(gcc_version="8.2.1"))
    result = cuda.toolkit(facts, F29)
    text = as_text(result.fixes)
    assert result.status == "fail" and "runfile" in text and "--toolkit" in text


def test_toolkit_path_selects_wrong_version():
    facts = laptop(cuda=CudaFacts(
        toolkits=[CudaToolkit("/usr/local/cuda-9.2", "9.2.148"),
                  CudaToolkit("/usr/local/cuda-10.0", "10.0.130")],
        nvcc_path="/usr/local/cuda-9.2/bin/nvcc", nvcc_version="9.2.148"))
    result = cuda.toolkit(facts, F29)
    assert result.status == "fail" and "9.2" in result.summary
    assert as_text(result.fixes).startswith("export PATH=/usr/local/cuda-10.0/bin:$PATH")
    assert cuda.toolkit(facts, NONE).status == "warn"  # no profile: newer one is unused


def test_no_toolkit_is_fine_for_pip_torch():
    facts = laptop(cuda=CudaFacts())
    assert cuda.toolkit(facts, NONE).status == "pass"


def test_driver_compat_passes_for_matching_versions():
    assert cuda.driver_compat(laptop(), F29).status == "pass"


def test_driver_too_old_for_torch_runtime_fails_with_needed_version():
    facts = laptop(os=UBUNTU, driver=DriverFacts(version="470.57.02"),
                   torch=TorchFacts(installed=True, version="2.3.1+cu121", cuda="12.1"),
                   cuda=CudaFacts())
    result = cuda.driver_compat(facts, NONE)
    assert result.status == "fail" and "525.60.13" in result.summary
    assert "525.60.13" in as_text(result.fixes) and "apt-get" in as_text(result.fixes)


def test_minor_version_compatibility_is_a_warning():
    facts = laptop(driver=DriverFacts(version="525.85.05"),
                   torch=TorchFacts(installed=True, version="2.1.0+cu121", cuda="12.1"),
                   cuda=CudaFacts())
    result = cuda.driver_compat(facts, NONE)
    assert result.status == "warn" and "minor version compatibility" in result.summary


def test_unused_toolkit_newer_than_driver_is_a_warning():
    facts = laptop()
    facts.cuda.toolkits.append(CudaToolkit("/usr/local/cuda-11.8", "11.8.89"))
    result = cuda.driver_compat(facts, NONE)
    assert result.status == "warn" and "11.8" in result.summary


@pytest.mark.parametrize("gcc_version,status", [("7.3.0", "pass"), ("8.2.1", "warn")])
def test_host_compiler_against_cuda_10(gcc_version, status):
    facts = laptop()
    facts.cuda.gcc_version = gcc_version
    result = cuda.host_compiler(facts, F29)
    assert result.status == status
    if status == "warn":
        assert "up to gcc 7" in result.summary and "--override" in as_text(result.fixes)


def test_host_compiler_debian_fix_installs_older_gcc():
    facts = laptop(os=UBUNTU)
    facts.cuda.gcc_version = "11.4.0"
    assert "gcc-7" in as_text(cuda.host_compiler(facts, NONE).fixes)


def test_host_compiler_missing_gcc():
    facts = laptop()
    facts.cuda.gcc_version = None
    result = cuda.host_compiler(facts, NONE)
    assert result.status == "warn" and as_text(result.fixes).startswith("sudo dnf install gcc")


# --------------------------------------------------------------------------- torch
def test_torch_missing():
    result = torchbuild.build(laptop(torch=TorchFacts(installed=False)), NONE)
    assert result.status == "fail" and "pip install" in as_text(result.fixes)


def test_cpu_torch_on_gpu_machine_fails_and_suggests_a_cuda_wheel():
    facts = laptop(torch=TorchFacts(installed=True, version="2.3.1+cpu"),
                   driver=DriverFacts(version="550.54.14"))
    result = torchbuild.build(facts, NONE)
    # Pascal: cu126, not cu128
    assert result.status == "fail" and "whl/cu126" in as_text(result.fixes)
    assert torchbuild.cuda_available(facts, NONE).summary.endswith("CPU-only build")


def test_cpu_torch_without_gpu_is_fine():
    assert torchbuild.build(cpu_only(), NONE).status == "pass"
    assert torchbuild.cuda_available(cpu_only(), NONE).status == "skip"


def test_cuda_unavailable_reason_from_other_facts():
    facts = laptop(driver=DriverFacts(version="470.57.02"),
                   torch=TorchFacts(installed=True, version="2.3.1+cu121", cuda="12.1"))
    result = torchbuild.cuda_available(facts, NONE)
    assert result.status == "fail" and "470.57.02 is too old" in result.summary


@pytest.mark.parametrize("cap,archs,expect", [
    ("6.1", ["sm_60", "sm_70"], "sm_60"),  # same major, lower minor: binary compatible
    ("6.1", ["sm_70", "sm_75", "compute_75"], None),  # PTX only runs forward
    ("8.9", ["sm_80", "sm_86"], "sm_80"),
    ("9.0", ["sm_80", "compute_80"], "compute_80"),  # JIT from PTX
    ("9.0", ["sm_90a"], "sm_90a"),
    ("8.0", ["sm_90a", "sm_86"], None),  # sm_86 cubins do not run on 8.0
    ("12.0", ["sm_100", "compute_100"], "compute_100"),
])
def test_arch_supported(cap, archs, expect):
    found = arch_supported(cap, archs)
    assert (found.split()[0] if found else None) == expect


def test_arch_missing_names_sm_and_no_kernel_image():
    facts = laptop(driver=DriverFacts(version="570.86.16"),
                   torch=TorchFacts(installed=True, version="2.8.0+cu128", cuda="12.8",
                                    arch_list=["sm_75", "sm_80", "sm_90", "compute_120"]))
    result = torchbuild.arch(facts, NONE)
    assert result.status == "fail"
    assert "sm_61" in result.summary and "no kernel image" in result.summary
    assert "whl/cu126" in as_text(result.fixes)


def test_arch_present():
    assert torchbuild.arch(laptop(), NONE).status == "pass"


# --------------------------------------------------------------------------- GPU at work
def _work(**changes) -> GpuWorkResult:
    values = dict(index=0, name="NVIDIA H100 80GB HBM3", matmul_max_rel_err=1e-7,
                  matmul_ok=True, lstm_max_abs_err=1e-7, lstm_ok=True, h2d_gb_s=25.0,
                  d2h_gb_s=26.0, d2d_gb_s=2500.0, fp32_tflops=50.0, half_dtype="bfloat16",
                  half_tflops=700.0, nominal_fp32_tflops=66.9, nominal_half_tflops=989.4)
    values.update(changes)
    return GpuWorkResult(**values)


def test_gpu_compute_skipped_with_reason():
    facts = laptop(gpu_work=GpuWorkFacts(ran=False, reason="turned off (--no-gpu-tests)"))
    result = gpu.compute(facts, NONE)
    assert result.status == "skip" and "--no-gpu-tests" in result.summary


def test_gpu_compute_pass_reports_figures_beside_nominal():
    result = gpu.compute(laptop(gpu_work=GpuWorkFacts(ran=True, results=[_work()])), NONE)
    assert result.status == "pass" and "50.0 TFLOP/s" in result.summary
    assert "nominal 66.9" in result.detail


def test_gpu_compute_wrong_lstm_fails():
    facts = laptop(gpu_work=GpuWorkFacts(ran=True, results=[_work(lstm_ok=False,
                                                                  lstm_max_abs_err=0.3)]))
    result = gpu.compute(facts, NONE)
    assert result.status == "fail" and "LSTM" in result.summary


@pytest.mark.parametrize("health,status,word", [
    (GpuHealth(temperature_c=45, throttle_reasons=["gpu_idle"]), "pass", "no throttling"),
    (GpuHealth(temperature_c=91), "warn", "91"),
    (GpuHealth(throttle_reasons=["sw_power_cap"]), "warn", "sw_power_cap"),
    (GpuHealth(pcie_width=4, pcie_width_max=16), "warn", "x4 of x16"),
    (GpuHealth(pcie_gen=1, pcie_gen_max=4), "pass", "no throttling"),  # idle downshift is fine
    (GpuHealth(ecc_enabled=True, ecc_uncorrected=3), "warn", "ECC"),
])
def test_gpu_health(health, status, word):
    facts = laptop(driver=DriverFacts(version="550.54.14", gpus=[GpuInfo(name="x",
                                                                         health=health)]))
    result = gpu.health(facts, NONE)
    assert result.status == status and word in result.summary


# --------------------------------------------------------------------------- CPU side
def test_governor_powersave_is_a_benchmark_warning_with_fix():
    facts = cpu_only(cpu=CpuFacts(governor="powersave"))
    result = cpu.governor(facts, NONE)
    assert result.status == "warn"
    assert "cpupower frequency-set -g performance" in as_text(result.fixes)
    assert "linux-cpupower" in as_text(result.fixes)


def test_governor_absent_is_skipped():
    assert cpu.governor(cpu_only(), NONE).status == "skip"


def test_cpu_resources_summary_and_thread_warning():
    assert cpu.resources(cpu_only(), NONE).status == "pass"
    facts = cpu_only(torch=TorchFacts(installed=True, num_threads=16))
    assert cpu.resources(facts, NONE).status == "warn"
