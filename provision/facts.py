"""Facts: one plain, serialisable snapshot of the machine (`provision.gather` takes it).

Every field has a default so that a Facts can be built by hand in a test and read back from an
older results file. Unknown is `None`; why something is unknown goes into a `reason` field.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, field
from typing import Any

SCHEMA = "rnnbench.facts/1"


@dataclass
class OsFacts:
    id: str | None = None  # os-release ID, e.g. "fedora", "ubuntu"
    id_like: list[str] = field(default_factory=list)
    version_id: str | None = None
    pretty_name: str | None = None
    family: str = "unknown"  # fedora | rhel | debian | suse | arch | unknown: the package manager
    # The Ubuntu release an Ubuntu or Ubuntu-based distribution (Pop!_OS, Linux Mint ...) is
    # built on, from UBUNTU_CODENAME or VERSION_ID: its archive decides the driver packages.
    ubuntu_base: str | None = None
    codename: str | None = None  # VERSION_CODENAME (Debian's "stretch", Ubuntu's "jammy")
    kernel: str | None = None
    arch: str | None = None
    reason: str = ""


@dataclass
class PythonFacts:
    version: str | None = None
    executable: str | None = None
    pip_version: str | None = None
    reason: str = ""


@dataclass
class PerlFacts:
    installed: bool | None = None
    readline_gnu: bool | None = None
    reason: str = ""


@dataclass
class PackagesFacts:
    tool: str | None = None  # rpm | dpkg-query
    installed: dict[str, str | None] = field(default_factory=dict)  # name -> version or None
    reason: str = ""


@dataclass
class CpuFacts:
    model: str | None = None
    physical_cores: int | None = None
    logical_cores: int | None = None
    memory_total_gib: float | None = None
    memory_available_gib: float | None = None
    governor: str | None = None
    max_freq_mhz: float | None = None
    reason: str = ""


@dataclass
class PciGpu:
    slot: str = ""
    vendor_id: str = "10de"
    device_id: str | None = None
    class_code: str | None = None  # "0300" VGA, "0302" 3D controller
    name: str | None = None
    kernel_driver: str | None = None  # the driver bound now: nvidia, nouveau, vfio-pci or None


@dataclass
class GpuProcess:
    pid: int = 0
    name: str | None = None
    used_memory_mib: float | None = None


@dataclass
class GpuHealth:
    temperature_c: float | None = None
    power_w: float | None = None
    power_limit_w: float | None = None
    sm_clock_mhz: float | None = None
    max_sm_clock_mhz: float | None = None
    throttle_reasons: list[str] = field(default_factory=list)
    pcie_gen: int | None = None
    pcie_gen_max: int | None = None
    pcie_width: int | None = None
    pcie_width_max: int | None = None
    persistence_mode: bool | None = None
    display_active: bool | None = None  # a display server holds the GPU (keeps the driver up)
    ecc_enabled: bool | None = None
    ecc_uncorrected: int | None = None
    # Fleet health (None: the GPU did not report it, e.g. GeForce cards have no ECC counters).
    ecc_pending: bool | None = None  # ECC mode after the next reset differs from now
    ecc_volatile_corrected: int | None = None  # since the driver loaded
    ecc_volatile_uncorrected: int | None = None
    ecc_aggregate_corrected: int | None = None  # over the card's life
    ecc_aggregate_uncorrected: int | None = None
    retired_pages_sbe: int | None = None  # pages retired for repeated single-bit errors
    retired_pages_dbe: int | None = None  # pages retired for a double-bit error
    retired_pages_pending: bool | None = None  # retirement waits for a GPU reset
    remapped_rows_correctable: int | None = None
    remapped_rows_uncorrectable: int | None = None
    remap_pending: bool | None = None  # a row remap waits for a GPU reset
    remap_failed: bool | None = None  # no spare row left: the card needs service
    mig_mode: bool | None = None
    mig_mode_pending: bool | None = None
    compute_mode: str | None = None  # default | exclusive_thread | prohibited | exclusive_process
    pcie_gen_gpu_max: int | None = None  # the GPU's own maximum (pcie_gen_max is GPU and slot)
    app_clock_sm_mhz: float | None = None  # application clock target; differs from the default
    app_clock_sm_default_mhz: float | None = None  # when someone set it (nvidia-smi -ac)
    app_clock_mem_mhz: float | None = None
    app_clock_mem_default_mhz: float | None = None
    processes: list[GpuProcess] = field(default_factory=list)  # compute processes on the GPU
    not_reported: list[str] = field(default_factory=list)  # NVML calls answered NotSupported
    reason: str = ""


@dataclass
class GpuInfo:
    index: int = 0
    name: str | None = None
    uuid: str | None = None
    pci_bus_id: str | None = None
    compute_capability: str | None = None
    memory_total_mib: float | None = None
    health: GpuHealth | None = None


@dataclass
class XidEvent:
    pci: str | None = None  # "0000:01:00" as the kernel prints it
    code: int = 0
    message: str = ""


@dataclass
class XidFacts:
    """NVIDIA Xid errors in the kernel log: `source` says where they were read (dmesg is this
    boot only; a log file may reach back to earlier boots), `reason` why none could be."""

    source: str | None = None  # dmesg | /var/log/kern.log | /var/log/messages
    events: list[XidEvent] = field(default_factory=list)
    reason: str = ""


@dataclass
class ReadinessFacts:
    """What moves benchmark numbers on the CPU side (pyperf's `system show`)."""

    governors: dict[str, str] = field(default_factory=dict)  # cpuN -> scaling_governor
    intel_no_turbo: bool | None = None  # intel_pstate/no_turbo
    cpufreq_boost: bool | None = None  # cpufreq/boost (acpi-cpufreq, amd-pstate)
    load_1min: float | None = None
    load_5min: float | None = None
    steal_fraction: float | None = None  # steal / all CPU time since boot (/proc/stat)
    smt_active: bool | None = None
    logical_cores: int | None = None
    reason: str = ""


@dataclass
class DriverFacts:
    version: str | None = None
    source: str | None = None  # nvml | nvidia-smi | proc
    nvidia_module_loaded: bool = False
    nouveau_loaded: bool = False
    module_installed: bool | None = None  # an nvidia.ko that modinfo can find
    module_signer: str | None = None  # "" when the module is unsigned
    secure_boot: bool | None = None
    gpus: list[GpuInfo] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)  # why each source failed
    smi_error: str | None = None  # the first line nvidia-smi printed when it failed
    # The user-space driver libraries' version (libnvidia-ml.so.<version>, or what nvidia-smi
    # names as "NVML library version"): differs from the loaded module's after an upgrade that
    # was not followed by a reboot ("Driver/library version mismatch").
    library_version: str | None = None
    module_file_version: str | None = None  # `modinfo -F version nvidia`: the module on disk
    lost_gpus: list[str] = field(default_factory=list)  # "Unable to determine the device handle"


@dataclass
class CudaToolkit:
    path: str = ""
    version: str | None = None
    source: str | None = None  # version.json | version.txt | nvcc


@dataclass
class CudaFacts:
    toolkits: list[CudaToolkit] = field(default_factory=list)
    default_link: str | None = None  # where /usr/local/cuda points
    nvcc_path: str | None = None
    nvcc_version: str | None = None
    path_entries: list[str] = field(default_factory=list)  # PATH entries that name cuda
    ld_library_path_entries: list[str] = field(default_factory=list)
    gcc_version: str | None = None
    reason: str = ""


@dataclass
class TorchDevice:
    name: str | None = None
    capability: str | None = None


@dataclass
class TorchFacts:
    installed: bool = False
    version: str | None = None
    cuda: str | None = None  # the CUDA runtime the build ships (torch.version.cuda)
    cudnn: int | None = None
    cuda_available: bool = False
    init_warning: str | None = None  # what torch said while trying to initialise CUDA
    arch_list: list[str] = field(default_factory=list)
    devices: list[TorchDevice] = field(default_factory=list)
    num_threads: int | None = None
    hip: str | None = None  # torch.version.hip: a ROCm build (torch.cuda then runs through HIP)
    location: str | None = None  # the folder torch is installed in (site-packages)
    installer: str | None = None  # conda | pip | uv | distro | None (unknown)
    installer_detail: str = ""  # what showed it (conda-meta record, INSTALLER file ...)
    conda_packages: dict[str, str] = field(default_factory=dict)  # torch-related conda packages
    source: str = "import"  # import | recorded (a replay's rnnbench-torch.json)
    reason: str = ""
    # What ended the process that imported torch (a signal, a fatal library error), when it died.
    import_error: str | None = None


@dataclass
class GpuWorkResult:
    index: int = 0
    name: str | None = None
    matmul_max_rel_err: float | None = None
    matmul_ok: bool | None = None
    lstm_max_abs_err: float | None = None
    lstm_ok: bool | None = None
    h2d_gb_s: float | None = None
    d2h_gb_s: float | None = None
    d2d_gb_s: float | None = None
    fp32_tflops: float | None = None
    half_dtype: str | None = None
    half_tflops: float | None = None
    nominal_fp32_tflops: float | None = None
    nominal_half_tflops: float | None = None
    seconds: float | None = None
    error: str | None = None


@dataclass
class GpuWorkFacts:
    ran: bool = False
    reason: str = ""
    results: list[GpuWorkResult] = field(default_factory=list)


@dataclass
class AmdGpu:
    slot: str = ""
    device_id: str | None = None
    name: str | None = None


@dataclass
class PlatformFacts:
    """Where the doctor runs, which decides what a fix may touch: under WSL2 and in a container
    the driver is the host's; on a Jetson it comes with L4T; AMD GPUs run torch through ROCm."""

    wsl: str | None = None  # WSL2 | WSL1 | None
    wsl_libcuda: list[str] = field(default_factory=list)  # /usr/lib/wsl/lib/libcuda* present
    container: str | None = None  # docker | podman | kubernetes | containerd | lxc | container
    container_evidence: str = ""
    nvidia_devices: list[str] = field(default_factory=list)  # /dev/nvidia* present
    jetson_l4t: str | None = None  # "R32.4.3", from /etc/nv_tegra_release
    jetson_model: str | None = None  # /proc/device-tree/model
    amd_gpus: list[AmdGpu] = field(default_factory=list)  # AMD display/compute devices on PCI
    kfd: bool = False  # /sys/class/kfd: the amdgpu driver's compute interface (ROCm needs it)
    rocm_tool: str | None = None  # rocm-smi | amd-smi, when one answered
    rocm_gpus: list[str] = field(default_factory=list)  # product names it printed
    # The user's shell environment as far as it changes what CUDA/ROCm/torch see or where
    # torch comes from: CUDA_VISIBLE_DEVICES, HIP_VISIBLE_DEVICES, CONDA_PREFIX, VIRTUAL_ENV ...
    environment: dict[str, str] = field(default_factory=dict)
    reason: str = ""


@dataclass
class Facts:
    schema: str = SCHEMA
    root: str = "/"
    gathered_at: str = ""
    gather_seconds: float | None = None
    os: OsFacts = field(default_factory=OsFacts)
    python: PythonFacts = field(default_factory=PythonFacts)
    perl: PerlFacts = field(default_factory=PerlFacts)
    packages: PackagesFacts = field(default_factory=PackagesFacts)
    cpu: CpuFacts = field(default_factory=CpuFacts)
    pci_gpus: list[PciGpu] = field(default_factory=list)
    driver: DriverFacts = field(default_factory=DriverFacts)
    cuda: CudaFacts = field(default_factory=CudaFacts)
    torch: TorchFacts = field(default_factory=TorchFacts)
    gpu_work: GpuWorkFacts = field(default_factory=GpuWorkFacts)
    xid: XidFacts = field(default_factory=XidFacts)
    readiness: ReadinessFacts = field(default_factory=ReadinessFacts)
    platform: PlatformFacts = field(default_factory=PlatformFacts)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (only str, int, float, bool, None, lists and dicts)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Facts:
        """Rebuild Facts from `to_dict()` output; unknown keys are ignored, missing ones default."""
        return from_plain(cls, data)


def from_plain(cls: type, data: Any) -> Any:
    """An instance of dataclass `cls` from plain dicts/lists, ignoring unknown keys; a value of
    the wrong type (a recorded file is written by someone else) leaves its field's default."""
    if not isinstance(data, dict):
        return cls()
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for f in dataclasses.fields(cls):
        if f.name in data:
            value = _convert(hints[f.name], data[f.name])
            if value is not _WRONG:
                kwargs[f.name] = value
    return cls(**kwargs)


_WRONG = object()  # what _convert answers for a value that does not fit its field


def _fits(hint: Any, value: Any) -> bool:
    """Whether a plain scalar `value` has the type `hint` names (an int will do for a float)."""
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is str:
        return isinstance(value, str)
    return hint is Any


def _convert(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(hint)
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if dataclasses.is_dataclass(hint):
        return from_plain(hint, value)
    if origin is list:
        if not isinstance(value, list):
            return _WRONG
        if args and dataclasses.is_dataclass(args[0]):
            return [from_plain(args[0], item) for item in value]
        return [item for item in value
                if not args or item is not None and _convert(args[0], item) is not _WRONG]
    if origin is dict:
        if not isinstance(value, dict):
            return _WRONG
        key_hint, value_hint = args if len(args) == 2 else (Any, Any)
        return {k: v for k, v in value.items()
                if _fits(key_hint, k) and _convert(value_hint, v) is not _WRONG}
    if args:  # an Optional[...] / union
        for arg in args:
            converted = _convert(arg, value)
            if converted is not _WRONG:
                return converted
        return _WRONG
    return value if _fits(hint, value) else _WRONG
