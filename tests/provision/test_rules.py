"""Compatibility rules of issue 12: minor-version compatibility, runfile prerequisites only on
the runfile route, package manager by distribution and release, GPU names and PCI ids."""

from __future__ import annotations

import pytest

from provision import fixes, pciids, tables
from provision.checks import cuda, nvidia, system, torchbuild
from provision.facts import (
    CudaFacts,
    CudaToolkit,
    DriverFacts,
    Facts,
    GpuInfo,
    OsFacts,
    PciGpu,
    PerlFacts,
    PythonFacts,
    TorchFacts,
)
from provision.fix import as_text
from provision.profile import Profile, load_profile

JAMMY = OsFacts(id="ubuntu", version_id="22.04", family="debian")
NONE = Profile()


def joined(fixes) -> str:
    """The commands alone: a fix's steps joined by " && ", fixes by " ; then "."""
    return " ; then ".join(" && ".join(s.command for s in f.steps) for f in fixes if f.steps)


def reasons(fixes) -> list[str]:
    return [s.reason for f in fixes for s in f.steps if s.reason]


def h100_box(**changes) -> Facts:
    """Ubuntu 22.04, 8x H100, driver 535, torch cu124, nvcc 12.4: a machine that worked."""
    facts = Facts(os=JAMMY, python=PythonFacts(version="3.10.12", pip_version="22.0.2"),
                  perl=PerlFacts(installed=True, readline_gnu=False),
                  pci_gpus=[PciGpu(slot=f"0000:{i:02x}:00.0", device_id="2330") for i in range(8)],
                  driver=DriverFacts(version="535.154.05", gpus=[
                      GpuInfo(index=i, name="NVIDIA H100 80GB HBM3") for i in range(8)]),
                  cuda=CudaFacts(toolkits=[CudaToolkit("/usr/local/cuda-12.4", "12.4.131")],
                                 nvcc_path="/usr/local/cuda-12.4/bin/nvcc",
                                 nvcc_version="12.4.131", gcc_version="11.4.0"),
                  torch=TorchFacts(installed=True, version="2.6.0+cu124", cuda="12.4",
                                   cuda_available=True, arch_list=["sm_80", "sm_90"]))
    for name, value in changes.items():
        setattr(facts, name, value)
    return facts


def test_newer_runtime_and_nvcc_within_the_major_are_warnings_with_the_consequence():
    result = cuda.driver_compat(h100_box(), NONE)
    assert result.status == "warn"
    assert "needs driver 550.54.14" not in result.summary
    assert "PTX" in result.summary and "minor version compatibility" in result.summary


def test_rtx4090_with_nvcc_125_on_driver_535_is_a_warning():
    facts = h100_box(torch=TorchFacts(installed=True, version="2.5.1+cu121", cuda="12.1"),
                     cuda=CudaFacts(toolkits=[CudaToolkit("/usr/local/cuda-12.5", "12.5.40")],
                                    nvcc_version="12.5.40"))
    assert cuda.driver_compat(facts, NONE).status == "warn"


def test_runtime_of_a_newer_major_fails_and_offers_both_ways_out():
    facts = h100_box(driver=DriverFacts(version="550.54.14"),
                     torch=TorchFacts(installed=True, version="2.10.0+cu130", cuda="13.0"),
                     cuda=CudaFacts())
    result = cuda.driver_compat(facts, NONE)
    assert result.status == "fail" and "need 580.65.06 or newer" in reasons(result.fixes)
    keep = result.fixes[-1]  # the build the installed driver runs, as the other way out
    assert keep.condition.startswith("or, to keep the driver") and "whl/cu12" in as_text([keep])
    # torch.cuda fails for the same root cause: it points there and repeats nothing.
    torch_cuda = torchbuild.cuda_available(facts, NONE)
    assert torch_cuda.because == "cuda.driver_compat" and torch_cuda.fixes == ()


def test_readline_is_not_asked_for_on_a_pip_wheel_machine():
    assert system.readline_gnu(h100_box(), NONE).status == "skip"
    assert system.readline_gnu(h100_box(cuda=CudaFacts()), NONE).status == "skip"


def test_readline_is_asked_for_where_the_runfile_is_the_route():
    assert system.readline_gnu(h100_box(), load_profile("fedora29-gtx1050-cuda10")).status \
        == "fail"
    wants_toolkit = Profile(cuda_toolkit="12.6")  # wanted, not installed, no installer named
    result = system.readline_gnu(h100_box(), wants_toolkit)
    assert result.status == "fail" and "libterm-readline-gnu-perl" in as_text(result.fixes)


@pytest.mark.parametrize("os_facts,tool", [
    (OsFacts(id="centos", version_id="7", family="rhel"), "yum"),
    (OsFacts(id="rhel", version_id="7.4", family="rhel"), "yum"),
    (OsFacts(id="rocky", version_id="8.6", family="rhel"), "dnf"),
    (OsFacts(id="centos", version_id="9", family="rhel"), "dnf"),
    (OsFacts(id="fedora", version_id="29", family="fedora"), "dnf"),
    (JAMMY, "apt-get"),
])
def test_package_manager_by_distribution_and_release(os_facts, tool):
    assert as_text([fixes.install(os_facts, "pip")]).startswith(f"sudo {tool} install")
    driver_fix = as_text(fixes.nvidia_driver(os_facts, min_version="550.54.14"))
    assert tool in driver_fix


def test_driver_packages_per_ubuntu_and_debian_release():
    xenial = OsFacts(id="ubuntu", version_id="16.04", family="debian")
    assert "ubuntu1604" in as_text(fixes.nvidia_driver(xenial, min_version="418.39"))  # CUDA repo
    focal = OsFacts(id="ubuntu", version_id="20.04", family="debian")
    assert "nvidia-driver-535" in as_text(fixes.nvidia_driver(focal, min_version="525.60.13"))
    assert "ubuntu2004" in as_text(fixes.nvidia_driver(focal, min_version="560.28.03"))
    bookworm = OsFacts(id="debian", version_id="12", family="debian")
    plain = as_text(fixes.nvidia_driver(bookworm))
    assert "install -y linux-headers-$(uname -r) nvidia-driver" in plain
    assert "debian12" in as_text(fixes.nvidia_driver(bookworm, min_version="550.54.14"))


FEDORA = {v: OsFacts(id="fedora", version_id=v, family="fedora") for v in ("29", "40", "41")}


def test_end_of_life_fedora_upgrades_before_a_driver_branch_it_never_carried():
    # Fedora 29 reached EOL on 2019-11-26; branch 560 reached RPM Fusion in August 2024.
    route = fixes.nvidia_driver(FEDORA["29"], min_version="560.28.03")
    assert "Fedora 29 reached end of life on 2019-11-26" in route[0].words
    assert "branch 560" in route[0].words
    # Two releases a step, up to the first release still updated when 560 was packaged, each
    # step a fix of its own that ends in the upgrade's reboot.
    assert "upgrade Fedora to 39 or newer (29 -> 31 -> 33 -> 35 -> 37 -> 39)" in route[0].words
    assert [s.command for s in route[0].steps] == [
        "sudo dnf install -y dnf-plugin-system-upgrade",
        "sudo dnf system-upgrade download --releasever=31", "sudo dnf system-upgrade reboot"]
    for fix, (before, release) in zip(route[1:5], [(31, 33), (33, 35), (35, 37), (37, 39)],
                                      strict=True):
        assert fix.condition == f"after the reboot into Fedora {before}"
        assert fix.steps[0].command == f"sudo dnf system-upgrade download --releasever={release}"
        assert fix.steps[-1].reboot
    driver = route[5]
    assert driver.condition == "after the reboot into Fedora 39" and len(route) == 6
    assert "akmod-nvidia" in joined([driver]) and reasons([driver]) == [
        "RPM Fusion's nonfree repository", "need 560.28.03 or newer"]


def test_end_of_life_fedora_one_step_when_two_releases_suffice():
    route = fixes.nvidia_driver(FEDORA["29"], min_version="450.80.02")  # 450: July 2020
    assert joined(route).startswith("sudo dnf install -y dnf-plugin-system-upgrade && sudo dnf "
                                    "system-upgrade download --releasever=31 && sudo dnf "
                                    "system-upgrade reboot ; then sudo dnf install -y https://")
    assert len(route) == 2 and route[1].condition == "after the reboot into Fedora 31"


@pytest.mark.parametrize("release,need", [
    ("40", "560.28.03"),  # F40 was updated until 2025-05-13, after 560 arrived
    ("29", "418.39"),  # 418 arrived in February 2019, before F29's end of life
    ("29", "440.33"),  # 440.31 release packaged 2019-11-04, three weeks before it
    ("41", "580.65.06"),
])
def test_fedora_updated_when_the_branch_arrived_gets_the_plain_rpm_fusion_command(release, need):
    text = as_text(fixes.nvidia_driver(FEDORA[release], min_version=need))
    assert text.startswith("sudo dnf install -y https://mirrors.rpmfusion.org/nonfree/fedora/")
    assert "system-upgrade" not in text and "end of life" not in text


def test_fedora_end_of_life_needs_a_release_and_a_branch():
    plain = as_text(fixes.nvidia_driver("fedora", min_version="560.28.03"))  # release unknown
    assert "system-upgrade" not in plain
    assert "system-upgrade" not in as_text(fixes.nvidia_driver(FEDORA["29"]))  # no branch asked for
    newer = OsFacts(id="fedora", version_id="44", family="fedora")  # no EOL date known
    assert "system-upgrade" not in as_text(fixes.nvidia_driver(newer, min_version="595.45.04"))


def test_fedora_tables_cover_every_branch_cuda_asks_for():
    eols = [fixes.FEDORA_EOL[n] for n in sorted(fixes.FEDORA_EOL)]
    assert eols == sorted(eols) and set(range(27, 43)) <= set(fixes.FEDORA_EOL)
    dates = [fixes.NVIDIA_BRANCH_PACKAGED[b] for b in sorted(fixes.NVIDIA_BRANCH_PACKAGED)]
    assert dates == sorted(dates)
    needed = [*tables.CUDA_MIN_DRIVER.values(), *tables.CUDA_MINOR_COMPAT_DRIVER.values()]
    for driver in needed:
        branch = int(driver.split(".")[0])
        assert branch < 384 or branch in fixes.NVIDIA_BRANCH_PACKAGED, driver


XENIAL = OsFacts(id="ubuntu", version_id="16.04", family="debian")
CENTOS7 = OsFacts(id="centos", version_id="7", family="rhel")
CUDA_REPOS = "https://developer.download.nvidia.com/compute/cuda/repos"
EL7_REPO = f"{CUDA_REPOS}/rhel$(rpm -E %rhel)/$(uname -m)/cuda-rhel$(rpm -E %rhel).repo"


def test_retired_ubuntu1604_repository_upgrades_ubuntu_before_cuda_drivers():
    # ubuntu1604's last CUDA was 11.3 (465.19.01); 550 reaches Ubuntu through 20.04's repository.
    route = fixes.nvidia_driver(XENIAL, min_version="550.54.14")
    assert route[0].words.startswith(
        "NVIDIA's ubuntu1604 repository stops at driver branch 465 (its last CUDA was 11.3), "
        "below the 550 needed: upgrade Ubuntu to 20.04 ")
    assert "(one LTS release at a time: 16.04 -> 18.04 -> 20.04)" in route[0].words
    # Per LTS release: the updates and their reboot, then do-release-upgrade and its restart.
    text = joined(route)
    assert text.count("sudo apt-get -y dist-upgrade && sudo reboot ; then sudo "
                      "do-release-upgrade ; then ") == 2
    assert [f.condition for f in route] == [
        "", "after the reboot", "after the reboot into Ubuntu 18.04", "after the reboot",
        "after the reboot into Ubuntu 20.04"]
    assert f"{CUDA_REPOS}/ubuntu2004/x86_64/cuda-keyring_1.1-1_all.deb" in text
    assert "repos/ubuntu1604" not in text and "repos/ubuntu1804" not in text
    assert "need 550.54.14 or newer" in reasons(route[-1:])


def test_ubuntu1604_within_its_repository_keeps_todays_command():
    route = fixes.nvidia_driver(XENIAL, min_version="418.39")
    assert joined(route) == (
        f"wget {CUDA_REPOS}/ubuntu1604/x86_64/cuda-keyring_1.0-1_all.deb && sudo dpkg -i "
        "cuda-keyring_1.0-1_all.deb && sudo apt-get update && sudo apt-get install -y "
        "cuda-drivers && sudo reboot")
    assert reasons(route) == ["NVIDIA's ubuntu1604 repository", "need 418.39 or newer"]
    assert "do-release-upgrade" not in joined(fixes.nvidia_driver(XENIAL,
                                                                  min_version="465.19.01"))
    assert "do-release-upgrade" not in joined(fixes.nvidia_driver(XENIAL))  # no need known


def test_one_ubuntu_release_upgrade_when_the_next_lts_archive_has_the_branch():
    route = fixes.nvidia_driver(XENIAL, min_version="470.42.01")  # 18.04's archive has 470
    assert route[0].words.endswith("upgrade Ubuntu to 18.04 (16.04 -> 18.04) first")
    assert joined(route).endswith("sudo do-release-upgrade ; then sudo apt-get update && sudo "
                                  "apt-get install -y nvidia-driver-470 && sudo reboot")
    assert route[-1].condition == "after the reboot into Ubuntu 18.04" and len(route) == 3
    bionic = OsFacts(id="ubuntu", version_id="18.04", family="debian")
    assert "repos/ubuntu1804" in joined(fixes.nvidia_driver(bionic, min_version="530.30.02"))
    later = as_text(fixes.nvidia_driver(bionic, min_version="535.54.03"))  # 1804 stops at 530
    assert later.index("(18.04 -> 20.04)") < later.index("nvidia-driver-535")


def test_retired_debian_repositories_upgrade_debian_one_release_at_a_time():
    buster = OsFacts(id="debian", version_id="10", family="debian")
    assert "repos/debian10/" in joined(fixes.nvidia_driver(buster, min_version="550.54.14"))
    route = fixes.nvidia_driver(buster, min_version="570.26")  # debian10: 550, debian11: 560
    assert route[0].words.startswith(
        "NVIDIA's debian10 repository stops at driver branch 550 (its last CUDA was 12.4), "
        "below the 570 needed: upgrade Debian to 12 ")
    text = joined(route)
    first = text.index("s#buster/updates#bullseye-security#; s/buster/bullseye/g")
    second = text.index("s#bullseye/updates#bookworm-security#; s/bullseye/bookworm/g")
    assert first < second < text.index("repos/debian12/") < text.index("cuda-drivers")
    assert text.count("sudo apt-get -y full-upgrade && sudo reboot ; then ") == 2
    assert route[1].condition == "after the reboot into Debian 11"
    bullseye = OsFacts(id="debian", version_id="11", family="debian")
    assert "repos/debian11/" in joined(fixes.nvidia_driver(bullseye, min_version="560.28.03"))
    assert "(11 -> 12) first" in as_text(fixes.nvidia_driver(bullseye, min_version="570.26"))


def test_retired_rhel7_repository_moves_centos7_to_el8_first():
    route = fixes.nvidia_driver(CENTOS7, min_version="570.26")
    assert route[0].words.startswith(
        "NVIDIA's rhel7 repository stops at driver branch 550 (its last CUDA was 12.4), below "
        "the 570 needed: upgrade CentOS 7 to an EL8 release")
    assert "reinstall Rocky Linux, AlmaLinux or RHEL 8 or 9" in route[0].words
    assert "ELevate" in route[0].words
    text = joined(route)
    elevate = text.index("leapp-data-almalinux && sudo leapp preupgrade && sudo leapp upgrade")
    assert text.index("el7.repo.almalinux.org") < elevate
    assert elevate < text.index("sudo dnf module install -y nvidia-driver:latest-dkms")
    assert "nvidia-driver-latest-dkms" not in text  # the EL7 flavour stops at 550
    assert route[-1].condition == "after the reboot into the EL8 release"
    assert "need 570.26 or newer" in reasons(route[-1:])
    rhel = fixes.nvidia_driver(OsFacts(id="rhel", version_id="7.9", family="rhel"),
                               min_version="555.42.02")
    assert "upgrade RHEL 7 to RHEL 8 in place with Leapp first" in rhel[0].words
    assert joined(rhel).index("sudo yum install -y leapp-upgrade") < joined(rhel).index(
        "sudo dnf module")


def test_centos7_within_the_rhel7_repository_keeps_todays_command():
    assert joined(fixes.nvidia_driver(CENTOS7, min_version="550.54.14")) == (
        "sudo yum install -y yum-utils epel-release dkms && sudo yum-config-manager --add-repo "
        f"{EL7_REPO} && sudo yum install -y nvidia-driver-latest-dkms && sudo reboot")
    assert "leapp" not in joined(fixes.nvidia_driver(CENTOS7))


def test_retired_repository_table_names_repositories_the_routes_use():
    used = {*fixes.CUDA_REPO_UBUNTU.values(), *fixes.CUDA_REPO_DEBIAN.values(), "rhel7"}
    assert set(fixes.CUDA_REPO_LAST) <= used
    for branch, last_cuda in fixes.CUDA_REPO_LAST.values():
        assert branch in fixes.NVIDIA_BRANCH_PACKAGED and last_cuda.count(".") == 1
    # Every release from the first with an NVIDIA repository on has one (9 predates them).
    assert sorted(fixes.CUDA_REPO_DEBIAN, key=int) == \
        fixes.DEBIAN_RELEASES[-len(fixes.CUDA_REPO_DEBIAN):]
    # The newest release of each family is still served, so an upgrade always has a target.
    assert fixes.CUDA_REPO_UBUNTU[fixes.UBUNTU_LTS[-1]] not in fixes.CUDA_REPO_LAST
    assert fixes.CUDA_REPO_DEBIAN[fixes.DEBIAN_RELEASES[-1]] not in fixes.CUDA_REPO_LAST


@pytest.mark.parametrize("name,cap", [
    ("NVIDIA A100-SXM4-40GB", "8.0"), ("A100-SXM4-40GB", "8.0"), ("Tesla V100-SXM2-16GB", "7.0"),
    ("Tesla P100-PCIE-16GB", "6.0"), ("NVIDIA H100 80GB HBM3", "9.0"), ("NVIDIA H100", "9.0"),
    ("GeForce MX130", "5.0"), ("NVIDIA A10G", "8.6"), ("Tesla K80", "3.7"),
    ("NVIDIA GeForce RTX 5060", "12.0"), ("NVIDIA GeForce RTX 5090 D", "12.0"),
    ("NVIDIA RTX PRO 6000 Blackwell Server Edition", "12.0"), ("NVIDIA A10", "8.6"),
])
def test_capability_from_the_names_nvidia_smi_prints(name, cap):
    assert tables.compute_capability_for(name) == cap


def test_capability_from_pci_device_id_when_the_name_says_nothing():
    assert tables.compute_capability_for("GH100", "2321") == "9.0"
    assert tables.compute_capability_for(None, "0x2b85") == "12.0"
    assert tables.compute_capability_for("GH100", "ffff") is None


def test_gpu_check_knows_every_gpu_by_pci_id():
    facts = h100_box(driver=DriverFacts(), pci_gpus=[PciGpu(slot="0000:18:00.0",
                                                            device_id="2321", name="GH100")])
    result = nvidia.gpu(facts, NONE)
    assert "compute capability 9.0" in result.summary and result.detail == ""


def test_pci_ids_below_root_names_the_gpu(tmp_path):
    folder = tmp_path / "usr/share/hwdata"
    folder.mkdir(parents=True)
    (folder / "pci.ids").write_text("# test\n10de  NVIDIA Corporation\n\t2237  GA102GL [A10G]\n"
                                    "\t\t10de 152f  A10G\n10df  Emulex\n\t2237  Other\n")
    assert pciids.nvidia_names(tmp_path) == {"2237": "A10G"}
    assert pciids.nvidia_names(tmp_path / "none") == {}


def test_table_rows_of_issue_12():
    assert tables.min_driver_for_cuda("8.0") == "367.48"
    assert tables.min_driver_for_cuda("13.1") == "590.44.01"
    assert tables.min_driver_for_cuda("13.2") == "595.45.04"
    assert tables.max_gcc_for_cuda("11.4.0") == 10 and tables.max_gcc_for_cuda("11.4.48") == 10
    assert tables.max_gcc_for_cuda("11.4.1") == 11 and tables.max_gcc_for_cuda("11.4.100") == 11
    peaks = tables.NOMINAL_PEAK_TFLOPS
    assert tables.lookup_by_name(peaks, "NVIDIA H100 80GB HBM3") == (66.9, 989.4)
    assert tables.lookup_by_name(peaks, "NVIDIA H100 PCIe") != (66.9, 989.4)
    assert tables.lookup_by_name(peaks, "NVIDIA H100 NVL") != (66.9, 989.4)


# --------------------------------------------------------------- GPUs past their last driver
# R580 is the last branch for Maxwell, Pascal and Volta, R470 for Kepler
# (tables.LAST_DRIVER_BRANCH): a route that installs "the newest" driver breaks them.
PASCAL, KEPLER = tables.driver_branch_ceiling(["6.1"]), tables.driver_branch_ceiling(["3.7"])
JAMMY_ = OsFacts(id="ubuntu", version_id="22.04", family="debian")
FOCAL = OsFacts(id="ubuntu", version_id="20.04", family="debian")
BOOKWORM = OsFacts(id="debian", version_id="12", family="debian")
ROCKY8 = OsFacts(id="rocky", version_id="8.6", family="rhel")
RHEL9 = OsFacts(id="rhel", version_id="9.4", family="rhel")
RHEL10 = OsFacts(id="rhel", version_id="10.0", family="rhel")
FEDORA43 = OsFacts(id="fedora", version_id="43", family="fedora")
NEWEST = ("akmod-nvidia ", "nvidia-driver:latest-dkms", "nvidia-open", "ubuntu-drivers install &")


def test_last_driver_branch_per_gpu_generation():
    assert (PASCAL, KEPLER) == (580, 470)
    assert tables.driver_branch_ceiling(["5.0", "7.0"]) == 580
    assert tables.driver_branch_ceiling(["3.7", "8.0"]) == 470  # the oldest GPU decides
    assert tables.driver_branch_ceiling(["7.5", "8.6", "9.0", "12.0"]) is None
    assert tables.driver_branch_ceiling([]) is None


@pytest.mark.parametrize("os_facts,need,pinned", [
    (FEDORA43, None, "sudo dnf install -y akmod-nvidia-580xx xorg-x11-drv-nvidia-580xx-cuda && "),
    ("fedora", "560.28.03", "akmod-nvidia-580xx xorg-x11-drv-nvidia-580xx-cuda"),
    # NVIDIA's repository goes past 580: its pinning package first, then the driver.
    (FOCAL, "560.28.03", "sudo apt-get install -y nvidia-driver-pinning-580 && "
                         "sudo apt-get install -y cuda-drivers && sudo reboot"),
    (BOOKWORM, "560.28.03", "nvidia-driver-pinning-580 && sudo apt-get install -y cuda-drivers"),
    (JAMMY_, None, "sudo ubuntu-drivers install nvidia:580 && "),
    (RHEL9, "560.28.03", "sudo dnf module install -y nvidia-driver:580-dkms && "),
    (RHEL10, None, "sudo dnf install -y python3-dnf-plugin-versionlock && sudo dnf versionlock "
                   "add '*nvidia*580*' && sudo dnf install -y nvidia-driver nvidia-driver-cuda "
                   "kmod-nvidia-latest-dkms && sudo reboot"),
])
def test_pascal_gets_branch_580_held_on_every_route(os_facts, need, pinned):
    text = joined(fixes.nvidia_driver(os_facts, min_version=need, max_branch=PASCAL))
    assert pinned in text
    assert not any(word in text for word in NEWEST), text
    assert "sudo apt-get install -y cuda-drivers" not in text.replace(pinned, "")


def test_repositories_that_stop_below_the_last_branch_keep_their_command():
    # ubuntu1604 stops at 465, debian11 at 560, rhel7 at 550: all run Pascal as they are.
    for os_facts, need in ((XENIAL, "418.39"), (OsFacts(id="debian", version_id="11",
                                                        family="debian"), "560.28.03"),
                           (CENTOS7, "550.54.14")):
        assert as_text(fixes.nvidia_driver(os_facts, min_version=need, max_branch=PASCAL)) == \
            as_text(fixes.nvidia_driver(os_facts, min_version=need))


@pytest.mark.parametrize("os_facts,pinned", [
    (FEDORA43, "akmod-nvidia-470xx xorg-x11-drv-nvidia-470xx-cuda"),
    (JAMMY_, "sudo ubuntu-drivers install nvidia:470 && "),
    (FOCAL, "sudo apt-get install -y nvidia-driver-470 && "),
    (BOOKWORM, "linux-headers-$(uname -r) nvidia-tesla-470-driver && "),
    (ROCKY8, "sudo dnf module install -y nvidia-driver:470-dkms && "),
    (CENTOS7, "sudo yum install -y nvidia-driver-branch-470 && "),
])
def test_kepler_gets_branch_470(os_facts, pinned):
    text = joined(fixes.nvidia_driver(os_facts, max_branch=KEPLER))
    assert pinned in text and not any(word in text for word in NEWEST), text


@pytest.mark.parametrize("os_facts", [RHEL9, RHEL10, OsFacts(id="debian", version_id="13",
                                                              family="debian")])
def test_kepler_where_no_package_of_470_is_known_gets_words(os_facts):
    text = as_text(fixes.nvidia_driver(os_facts, max_branch=KEPLER))
    assert text.startswith("install NVIDIA driver branch 470, the last for Kepler GPUs")
    assert "sudo" not in text


@pytest.mark.parametrize("os_facts", [FEDORA43, FEDORA["29"], FOCAL, JAMMY_, BOOKWORM, RHEL9,
                                      RHEL10, CENTOS7, XENIAL])
def test_a_need_past_the_last_branch_is_words_not_a_command(os_facts):
    # CUDA 13.1 wants 590.44.01; a GTX 1050 stops at 580.
    text = as_text(fixes.nvidia_driver(os_facts, min_version="590.44.01", max_branch=PASCAL))
    assert text == ("no NVIDIA driver runs both: driver branch 580 is the last for Maxwell, "
                    "Pascal and Volta GPUs, and 590.44.01 or newer is needed")
    assert "no NVIDIA driver runs both" in as_text(fixes.nvidia_driver(
        os_facts, runfile=True, min_version="595.45.04", max_branch=PASCAL))


@pytest.mark.parametrize("need", [None, "418.39", "470.42.01", "550.54.14", "560.28.03",
                                  "570.26", "580.65.06", "595.45.04"])
def test_turing_and_newer_keep_every_command_byte_for_byte(need):
    turing_on = tables.driver_branch_ceiling(["7.5", "8.0", "8.6", "8.9", "9.0", "12.0"])
    assert turing_on is None
    releases = [*FEDORA.values(), FEDORA43, "fedora", "debian", "rhel", XENIAL, FOCAL, JAMMY_,
                OsFacts(id="ubuntu", version_id="18.04", family="debian"), BOOKWORM, CENTOS7,
                ROCKY8, RHEL9, RHEL10, *(OsFacts(id="debian", version_id=v, family="debian")
                                         for v in ("10", "11", "13"))]
    for os_facts in releases:
        for runfile in (False, True):
            assert as_text(fixes.nvidia_driver(os_facts, runfile, need, turing_on)) == \
                as_text(fixes.nvidia_driver(os_facts, runfile, need))


def test_end_of_life_fedora_before_branch_590_keeps_akmod_nvidia_and_says_why():
    # Fedora 39 ended 2024-11-26, before 590 (2025-12-05): its akmod-nvidia never left 580.
    route = fixes.nvidia_driver(FEDORA["29"], min_version="560.28.03", max_branch=PASCAL)
    assert "upgrade Fedora to 39 (29 -> 31" in route[0].words  # not past it: no "or newer"
    assert joined(route).endswith("sudo dnf install -y akmod-nvidia xorg-x11-drv-nvidia-cuda && "
                                  "sudo reboot")
    assert reasons(route[-1:])[-1] == ("need 560.28.03 or newer; Fedora 39 ended before branch "
                                       "590: its akmod-nvidia stays on 580 or older")


def test_fedora_that_ended_between_590_and_the_580xx_packages_upgrades_first():
    # Fedora 41 ended 2025-12-15: after 590 (2025-12-05), before 580xx (2025-12-23).
    route = fixes.nvidia_driver(FEDORA["41"], max_branch=PASCAL)
    assert route[0].words.startswith("Fedora 41 reached end of life on 2025-12-15, after driver "
                                     "branch 590")
    text = joined(route)
    assert text.index("--releasever=42") < text.index("akmod-nvidia-580xx")
    # Past 580 the branch needed is gone: upgrades go to a release with the legacy series.
    far = fixes.nvidia_driver(FEDORA["29"], min_version="575.51.03", max_branch=PASCAL)
    assert "upgrade Fedora to 42 or newer" in far[0].words and "akmod-nvidia-580xx" in joined(far)


def test_runfile_route_names_the_newest_cuda_whose_driver_the_gpus_run():
    text = as_text(fixes.nvidia_driver(FEDORA43, runfile=True, max_branch=PASCAL))
    assert "a runfile of CUDA 13.0 or older: newer ones bring a driver past branch 580" in text
    kepler = as_text(fixes.nvidia_driver(JAMMY_, runfile=True, max_branch=KEPLER))
    assert "CUDA 11.4 or older" in kepler


def test_checks_pass_the_gpus_last_branch():
    gtx1050 = Facts(os=FEDORA43, pci_gpus=[PciGpu(slot="0000:01:00.0", device_id="1c8d")],
                    driver=DriverFacts(module_installed=False),
                    torch=TorchFacts(installed=True, version="2.5.1+cu124", cuda="12.4"))
    assert "akmod-nvidia-580xx" in as_text(nvidia.driver(gtx1050, NONE).fixes)
    old_driver = h100_box(os=RHEL9, pci_gpus=[PciGpu(slot="0000:01:00.0", device_id="1db4")],
                          driver=DriverFacts(version="470.82.01", gpus=[
                              GpuInfo(index=0, name="Tesla V100-PCIE-16GB")]),
                          torch=TorchFacts(installed=True, version="2.6.0+cu124", cuda="12.4"))
    text = joined(cuda.driver_compat(old_driver, NONE).fixes)
    assert "nvidia-driver:580-dkms" in text and "latest-dkms" not in text
    assert torchbuild.cuda_available(old_driver, NONE).because == "cuda.driver_compat"
