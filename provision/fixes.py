"""Exact fix commands per distribution, by family (fedora, rhel, debian) AND release.

Functions take the machine's `OsFacts` (or, as before, a family name alone, which gives the
family's current tools): CentOS/RHEL 7 have yum, not dnf; driver packages differ per Ubuntu and
Debian release. Unknown distributions get advice in words.
"""

from __future__ import annotations

from provision.facts import OsFacts

OsLike = OsFacts | str

# Logical package -> name per family. Sources: Fedora/RHEL and Debian/Ubuntu package archives.
PACKAGE_NAMES: dict[str, dict[str, str]] = {
    "pip": {"fedora": "python3-pip", "rhel": "python3-pip", "debian": "python3-pip"},
    "readline-gnu": {"fedora": "perl-Term-ReadLine-Gnu", "rhel": "perl-Term-ReadLine-Gnu",
                     "debian": "libterm-readline-gnu-perl"},
    "perl": {"fedora": "perl", "rhel": "perl", "debian": "perl"},
    "kernel-headers": {"fedora": "kernel-devel-$(uname -r)", "rhel": "kernel-devel-$(uname -r)",
                       "debian": "linux-headers-$(uname -r)"},
}

# Ubuntu release -> the newest NVIDIA driver branch its archive packages as nvidia-driver-XXX
# (restricted, -updates pocket). Source: packages.ubuntu.com, package nvidia-driver-<branch>
# per release. 16.04 predates the nvidia-driver-XXX names (nvidia-384 ... from the
# graphics-drivers PPA): NVIDIA's CUDA repository is the route there.
UBUNTU_DRIVER_BRANCH: dict[str, int] = {
    "18.04": 470,
    "20.04": 535,
    "22.04": 570,
    "24.04": 570,
}
# Debian release -> the branch of its non-free `nvidia-driver` package. Source:
# packages.debian.org/<codename>/nvidia-driver (buster 418, bullseye 470, bookworm 535,
# trixie 550).
DEBIAN_DRIVER_BRANCH: dict[str, int] = {"10": 418, "11": 470, "12": 535, "13": 550}
# Debian release -> the components that hold nvidia-driver (non-free-firmware from 12 on).
DEBIAN_NONFREE = {"10": "contrib non-free", "11": "contrib non-free"}
# NVIDIA's CUDA repository names per distribution release (developer.download.nvidia.com/
# compute/cuda/repos/<name>/x86_64/).
CUDA_REPO_UBUNTU = {"16.04": "ubuntu1604", "18.04": "ubuntu1804", "20.04": "ubuntu2004",
                    "22.04": "ubuntu2204", "24.04": "ubuntu2404"}
CUDA_REPO_DEBIAN = {"10": "debian10", "11": "debian11", "12": "debian12"}
CUDA_REPOS = "https://developer.download.nvidia.com/compute/cuda/repos"


def _parts(os_: OsLike) -> tuple[str, str | None, str]:
    """(family, os-release id, version major[.minor] as os-release writes it)."""
    if isinstance(os_, OsFacts):
        return os_.family, os_.id, os_.version_id or ""
    return os_, None, ""


def _major(version: str) -> int | None:
    head = version.split(".")[0]
    return int(head) if head.isdigit() else None


def package_manager(os_: OsLike) -> str | None:
    """dnf (Fedora, RHEL-likes 8+), yum (RHEL/CentOS 7 and older), apt-get, or None."""
    family, _, version = _parts(os_)
    if family == "fedora":
        return "dnf"
    if family == "rhel":
        major = _major(version)
        return "yum" if major is not None and major <= 7 else "dnf"
    if family == "debian":
        return "apt-get"
    return None


def install_packages(os_: OsLike, names: list[str]) -> str:
    """The install command for distro package names given as they are (a profile's list)."""
    tool = package_manager(os_)
    if tool is None:
        return f"install {', '.join(names)} with your distribution's package manager"
    return f"sudo {tool} install {' '.join(names)}"


def install(os_: OsLike, *logical: str) -> str:
    """The install command for logical package names on this distribution."""
    family = _parts(os_)[0]
    if package_manager(os_) is None:
        return f"install {', '.join(logical)} with your distribution's package manager"
    return install_packages(os_, [PACKAGE_NAMES.get(p, {}).get(family, p) for p in logical])


def _branch(version: str | None) -> int | None:
    head = (version or "").split(".")[0]
    return int(head) if head.isdigit() else None


def nvidia_driver(os_: OsLike, runfile: bool = False, min_version: str | None = None) -> str:
    """How to install (or upgrade to) NVIDIA's proprietary driver on this release."""
    family, distro, version = _parts(os_)
    need = f" (need {min_version} or newer)" if min_version else ""
    if runfile:
        return ("stop the display manager, then run NVIDIA's CUDA runfile, which installs its "
                f"driver: sudo systemctl isolate multi-user.target && sudo sh cuda_*.run{need}")
    if family == "fedora":
        return ("sudo dnf install -y https://mirrors.rpmfusion.org/nonfree/fedora/"
                "rpmfusion-nonfree-release-$(rpm -E %fedora).noarch.rpm && "
                f"sudo dnf install -y akmod-nvidia xorg-x11-drv-nvidia-cuda && sudo reboot{need}")
    if family == "rhel":
        return _rhel_driver(_major(version), need)
    if family == "debian":
        if distro == "ubuntu" or (isinstance(os_, str) and not version):
            return _ubuntu_driver(version, min_version, need)
        return _debian_driver(version, min_version, need)
    return f"install NVIDIA's proprietary driver from nvidia.com/drivers{need}"


def _rhel_driver(major: int | None, need: str) -> str:
    repo = (f"{CUDA_REPOS}/rhel$(rpm -E %rhel)/$(uname -m)/cuda-rhel$(rpm -E %rhel).repo")
    if major is not None and major <= 7:
        # EL7: yum, no module streams; NVIDIA's rhel7 repository ships nvidia-driver-latest-dkms.
        return (f"sudo yum install -y yum-utils epel-release dkms && sudo yum-config-manager "
                f"--add-repo {repo} && sudo yum install -y nvidia-driver-latest-dkms && "
                f"sudo reboot{need}")
    return (f"sudo dnf config-manager --add-repo {repo} && "
            f"sudo dnf module install -y nvidia-driver:latest-dkms && sudo reboot{need}")


def _cuda_repo_apt(repo: str, need: str) -> str:
    return (f"wget {CUDA_REPOS}/{repo}/x86_64/cuda-keyring_1.1-1_all.deb && sudo dpkg -i "
            "cuda-keyring_1.1-1_all.deb && sudo apt-get update && sudo apt-get install -y "
            f"cuda-drivers && sudo reboot{need}")


def _ubuntu_driver(version: str, min_version: str | None, need: str) -> str:
    branch = UBUNTU_DRIVER_BRANCH.get(version)
    wanted = _branch(min_version)
    if version in CUDA_REPO_UBUNTU and (branch is None or (wanted and wanted > branch)):
        # The release's own archive has no branch new enough (or no nvidia-driver-XXX at all).
        return _cuda_repo_apt(CUDA_REPO_UBUNTU[version], need)
    if branch is not None and wanted and (_major(version) or 0) >= 22:
        # ubuntu-drivers takes a branch from 22.04 on ("nvidia:570").
        return (f"sudo apt-get update && sudo ubuntu-drivers install nvidia:{branch} && "
                f"sudo reboot{need}")
    if branch is not None and wanted:
        return (f"sudo apt-get update && sudo apt-get install -y nvidia-driver-{branch} && "
                f"sudo reboot{need}")
    if branch is not None:
        return f"sudo ubuntu-drivers install && sudo reboot{need}"
    return ("sudo ubuntu-drivers install (Ubuntu) or sudo apt-get install -y nvidia-driver "
            f"(Debian, non-free component enabled), then sudo reboot{need}")


def _debian_driver(version: str, min_version: str | None, need: str) -> str:
    major = str(_major(version) or "")
    branch = DEBIAN_DRIVER_BRANCH.get(major)
    wanted = _branch(min_version)
    if major in CUDA_REPO_DEBIAN and (branch is None or (wanted and wanted > branch)):
        return _cuda_repo_apt(CUDA_REPO_DEBIAN[major], need)
    components = DEBIAN_NONFREE.get(major, "contrib non-free non-free-firmware")
    return (f"enable the {components} components in /etc/apt/sources.list, then sudo apt-get "
            f"update && sudo apt-get install -y linux-headers-$(uname -r) nvidia-driver && "
            f"sudo reboot{need}")


def blacklist_nouveau(os_: OsLike) -> str:
    family = _parts(os_)[0]
    if family in ("fedora", "rhel"):
        return ("sudo grubby --update-kernel=ALL --args='rd.driver.blacklist=nouveau "
                "modprobe.blacklist=nouveau' && sudo dracut --force && sudo reboot")
    if family == "debian":
        return ("printf 'blacklist nouveau\\noptions nouveau modeset=0\\n' | sudo tee "
                "/etc/modprobe.d/blacklist-nouveau.conf && sudo update-initramfs -u && sudo reboot")
    return "blacklist the nouveau module in /etc/modprobe.d, rebuild the initramfs and reboot"


def enroll_module_key(os_: OsLike) -> str:
    family = _parts(os_)[0]
    if family == "fedora":
        return ("sudo kmodgenca -a && sudo mokutil --import /etc/pki/akmods/certs/public_key.der "
                "&& sudo reboot (enroll the key in the blue MOK screen), or turn Secure Boot off "
                "in the firmware setup")
    if family == "debian":
        return ("sudo mokutil --import /var/lib/dkms/mok.pub && sudo reboot (enroll the key in "
                "the MOK screen), or turn Secure Boot off in the firmware setup")
    return ("sign the nvidia module with a key enrolled through mokutil --import, or turn Secure "
            "Boot off in the firmware setup")
