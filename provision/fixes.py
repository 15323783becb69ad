"""Exact fix commands per distribution family (fedora, rhel, debian; unknown gets advice)."""

from __future__ import annotations

# Logical package -> name per family. Sources: Fedora/RHEL and Debian/Ubuntu package archives.
PACKAGE_NAMES: dict[str, dict[str, str]] = {
    "pip": {"fedora": "python3-pip", "rhel": "python3-pip", "debian": "python3-pip"},
    "readline-gnu": {"fedora": "perl-Term-ReadLine-Gnu", "rhel": "perl-Term-ReadLine-Gnu",
                     "debian": "libterm-readline-gnu-perl"},
    "perl": {"fedora": "perl", "rhel": "perl", "debian": "perl"},
    "kernel-headers": {"fedora": "kernel-devel-$(uname -r)", "rhel": "kernel-devel-$(uname -r)",
                       "debian": "linux-headers-$(uname -r)"},
}


def install(family: str, *logical: str) -> str:
    """The install command for logical package names on this family."""
    names = [PACKAGE_NAMES.get(p, {}).get(family, p) for p in logical]
    if family in ("fedora", "rhel"):
        return f"sudo dnf install {' '.join(names)}"
    if family == "debian":
        return f"sudo apt-get install {' '.join(names)}"
    return f"install {', '.join(logical)} with your distribution's package manager"


def install_packages(family: str, names: list[str]) -> str:
    """The install command for distro package names given as they are (a profile's list)."""
    if family in ("fedora", "rhel"):
        return f"sudo dnf install {' '.join(names)}"
    if family == "debian":
        return f"sudo apt-get install {' '.join(names)}"
    return f"install {', '.join(names)} with your distribution's package manager"


def nvidia_driver(family: str, runfile: bool = False, min_version: str | None = None) -> str:
    """How to install (or upgrade to) NVIDIA's proprietary driver on this family."""
    need = f" (need {min_version} or newer)" if min_version else ""
    if runfile:
        return ("stop the display manager, then run NVIDIA's CUDA runfile, which installs its "
                f"driver: sudo systemctl isolate multi-user.target && sudo sh cuda_*.run{need}")
    if family == "fedora":
        return ("sudo dnf install -y https://mirrors.rpmfusion.org/nonfree/fedora/"
                "rpmfusion-nonfree-release-$(rpm -E %fedora).noarch.rpm && "
                f"sudo dnf install -y akmod-nvidia xorg-x11-drv-nvidia-cuda && sudo reboot{need}")
    if family == "rhel":
        return ("sudo dnf config-manager --add-repo https://developer.download.nvidia.com/compute/"
                "cuda/repos/rhel$(rpm -E %rhel)/x86_64/cuda-rhel$(rpm -E %rhel).repo && "
                f"sudo dnf module install -y nvidia-driver:latest-dkms && sudo reboot{need}")
    if family == "debian":
        return ("sudo ubuntu-drivers install (Ubuntu) or sudo apt-get install -y nvidia-driver "
                f"(Debian, non-free component enabled), then sudo reboot{need}")
    return f"install NVIDIA's proprietary driver from nvidia.com/drivers{need}"


def blacklist_nouveau(family: str) -> str:
    if family in ("fedora", "rhel"):
        return ("sudo grubby --update-kernel=ALL --args='rd.driver.blacklist=nouveau "
                "modprobe.blacklist=nouveau' && sudo dracut --force && sudo reboot")
    if family == "debian":
        return ("printf 'blacklist nouveau\\noptions nouveau modeset=0\\n' | sudo tee "
                "/etc/modprobe.d/blacklist-nouveau.conf && sudo update-initramfs -u && sudo reboot")
    return "blacklist the nouveau module in /etc/modprobe.d, rebuild the initramfs and reboot"


def enroll_module_key(family: str) -> str:
    if family == "fedora":
        return ("sudo kmodgenca -a && sudo mokutil --import /etc/pki/akmods/certs/public_key.der "
                "&& sudo reboot (enroll the key in the blue MOK screen), or turn Secure Boot off "
                "in the firmware setup")
    if family == "debian":
        return ("sudo mokutil --import /var/lib/dkms/mok.pub && sudo reboot (enroll the key in "
                "the MOK screen), or turn Secure Boot off in the firmware setup")
    return ("sign the nvidia module with a key enrolled through mokutil --import, or turn Secure "
            "Boot off in the firmware setup")
