"""Exact fix commands per distribution, by family (fedora, rhel, debian) AND release.

Every function returns typed fixes (provision/fix.py): steps of one shell command each, a
reboot only as the last step of a fix, a release upgrade as fixes before the driver's.

Functions take the machine's `OsFacts` (or, as before, a family name alone, which gives the
family's current tools): CentOS/RHEL 7 have yum, not dnf; driver packages differ per Ubuntu and
Debian release. Unknown distributions get advice in words.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import TypeVar

from provision import tables
from provision.facts import OsFacts
from provision.fix import Fix, Fixes, Step, lead, reboot, run, say, when

OsLike = OsFacts | str
T = TypeVar("T")

# Logical package -> name per family. Sources: Fedora/RHEL and Debian/Ubuntu package archives.
PACKAGE_NAMES: dict[str, dict[str, str]] = {
    "pip": {"fedora": "python3-pip", "rhel": "python3-pip", "debian": "python3-pip",
            "suse": "python3-pip", "arch": "python-pip"},
    "readline-gnu": {"fedora": "perl-Term-ReadLine-Gnu", "rhel": "perl-Term-ReadLine-Gnu",
                     "debian": "libterm-readline-gnu-perl"},
    "perl": {"fedora": "perl", "rhel": "perl", "debian": "perl", "suse": "perl", "arch": "perl"},
    "kernel-headers": {"fedora": "kernel-devel-$(uname -r)", "rhel": "kernel-devel-$(uname -r)",
                       "debian": "linux-headers-$(uname -r)", "suse": "kernel-default-devel",
                       "arch": "linux-headers"},
}

# Ubuntu release -> the newest NVIDIA driver branch its archive packages as nvidia-driver-XXX
# in the restricted component (-updates/-security pockets). 16.04 predates the
# nvidia-driver-XXX names (nvidia-384 ... from the graphics-drivers PPA): NVIDIA's CUDA
# repository is the route there. Sources, per release:
# - 18.04: 470. bionic-updates carried nvidia-graphics-drivers-470 470.182.03-0ubuntu0.18.04.1
#   (a dpkg log of April 2023 in a public notes repo); packages.ubuntu.com no longer lists
#   bionic, so whether a newer non-server branch (510/515/525) reached bionic-updates is not
#   verified. Keeping 470 only sends a newer need to the CUDA repository (ubuntu1804).
# - 20.04: 535. packages.ubuntu.com/focal-updates/libnvidia-fbc1-535 (535.183.01-0ubuntu0.20.04.1);
#   no newer non-server branch found for focal (550 exists there only as 550-server,
#   packages.ubuntu.com/focal/nvidia-dkms-550-server, 550.144.03-0ubuntu0.20.04.1).
# - 22.04 and 24.04: 580. packages.ubuntu.com/source/jammy/nvidia-graphics-drivers-580
#   (580.173.02-0ubuntu0.22.04.1, restricted) and packages.ubuntu.com/noble-updates/
#   nvidia-driver-580 (580.173.02-0ubuntu0.24.04.1, restricted); the 535/550/570 packages there
#   are now transitional to 580. Pages crawled in 2026 (they list 26.04 "resolute"). Both
#   releases also have 590 (restricted, transitional to 595) and nvidia-driver-595, but 595 sits
#   in multiverse on 24.04 (packages.ubuntu.com/noble-updates/nvidia-driver-595, 595.84); a need
#   above 580 goes to NVIDIA's CUDA repository instead.
UBUNTU_DRIVER_BRANCH: dict[str, int] = {
    "18.04": 470,
    "20.04": 535,
    "22.04": 580,
    "24.04": 580,
}
# Debian release -> the branch of its non-free `nvidia-driver` package. Sources:
# packages.debian.org/nvidia-driver (buster 418.226.00-3, bullseye 470.256.02-2, bookworm
# 535.216.01-1~deb12u1 then 535.261.03-1) and, for trixie, 550.163.01-1 in trixie before its
# release (apt history of 2025-06-20, pastebin.com/84fD7zvD) and "the default installable
# nvidia driver is already v550" on released trixie (devleonardoamaral/debian-nvidia-installer
# issue 2, 2025-08-19).
# Debian 9 (stretch): nvidia-driver 390.x (packages.debian.org/stretch/nvidia-driver, 390.87 in
# stretch; 390.144 in stretch-backports); NVIDIA never had a debian9 CUDA repository, so a newer
# branch needs Debian 10 first. Stretch's packages moved to archive.debian.org in 2023.
DEBIAN_DRIVER_BRANCH: dict[str, int] = {"9": 390, "10": 418, "11": 470, "12": 535, "13": 550}
# Debian release -> the components that hold nvidia-driver: non-free-firmware exists from 12 on
# (the GSP firmware moved there: sources.debian.org/src/nvidia-graphics-drivers lists area
# non-free-firmware), 11 and older have only contrib non-free. Source: linuxcapable.com,
# "How to enable contrib and non-free repos on Debian" (11: main contrib non-free; 12 and 13:
# main contrib non-free non-free-firmware).
DEBIAN_NONFREE = {"9": "contrib non-free", "10": "contrib non-free", "11": "contrib non-free"}
# NVIDIA's CUDA repository names per distribution release (developer.download.nvidia.com/
# compute/cuda/repos/<name>/x86_64/). debian13 (with cuda-keyring_1.1-1_all.deb) is listed in
# NVIDIA/cuda-repo-management README, "GPG keys" table (mirror crawled 2026-04).
CUDA_REPO_UBUNTU = {"16.04": "ubuntu1604", "18.04": "ubuntu1804", "20.04": "ubuntu2004",
                    "22.04": "ubuntu2204", "24.04": "ubuntu2404"}
CUDA_REPO_DEBIAN = {"10": "debian10", "11": "debian11", "12": "debian12", "13": "debian13"}
# The cuda-keyring package each repository serves. 1.1-1 is published for ubuntu1804 ... 2404
# (HEAD 200, NVIDIA/ansible-role-nvidia-driver PR 88), debian12/13 (cuda-repo-management README)
# and debian10/11 (public install scripts fetch .../debian10/x86_64/cuda-keyring_1.1-1_all.deb).
# ubuntu1604 only has 1.0-1: "cuda-keyring_1.1-1_all.deb for Ubuntu 1604 is not available"
# (microsoft/lisa PR 4350, 2026-03-18); NVIDIA's 2022 key-rotation notice listed
# ubuntu1604/x86_64 for cuda-keyring_1.0-1_all.deb (forums.developer.nvidia.com/t/212772).
CUDA_KEYRING = {"ubuntu1604": "cuda-keyring_1.0-1_all.deb"}
CUDA_KEYRING_DEFAULT = "cuda-keyring_1.1-1_all.deb"
CUDA_REPOS = "https://developer.download.nvidia.com/compute/cuda/repos"
# NVIDIA's CUDA repositories for releases NVIDIA stopped building CUDA for: repository -> (the
# newest driver branch its cuda-drivers, on rhel7 nvidia-driver-latest-dkms, reaches; the last
# CUDA release published there). Each CUDA release brings its driver into the repository; these
# got no later one, so a newer branch needs a newer release of the distribution. A repository
# not listed is taken as still updated. Sources, per repository:
# - ubuntu1604: 465, CUDA 11.3. The last 16.04 installer found is cuda-repo-ubuntu1604-11-3-local_
#   11.3.1-465.19.01 (public install notes), none found for 11.4; NVIDIA's container-images
#   doc/README.md of CUDA 11.3.1 lists ubuntu16.04 tags, its dist/11.4.1 has no 16.04
#   (gitlab.com/nvidia/container-images/cuda, mirrored in wimjan123/cuda11.7-gptj-training);
#   microsoft/lisa lisa/features/gpu.py installs cuda-drivers-465 on 16.04, -515 elsewhere.
# - ubuntu1804: 530, CUDA 12.1. The last 18.04 installer found is cuda-repo-ubuntu1804-12-1-local_
#   12.1.1-530.30.02, none found for 12.2; microsoft/lisa lisa/features/gpu.py (commit
#   a767a8f8) pins cuda-drivers-530 for 1804: "545 is the latest version available for Ubuntu
#   2004+".
# - debian10: 550, CUDA 12.4. cuda-repo-debian10-12-4-local_12.4.1-550.54.15 (public install
#   notes), none found for 12.5; NVIDIA's CUDA 12.6.2 checksum list (quoted in public notes) has
#   debian11 and debian12 installers and none for debian10, rhel7 or ubuntu1804.
# - debian11: 560, CUDA 12.6. That 12.6.2 list has cuda-repo-debian11-12-6-local_12.6.2-560.35.03;
#   "12.8 only shows up in debian12", not in debian11 (pytorch/xla PR 8903, 2025-03-28). A 565
#   driver without a CUDA release may have reached it: not verified (no CUDA needs 561-565).
# - rhel7: 550, CUDA 12.4. cuda-repo-rhel7-12-4-local-12.4.0_550.54.14 (public install notes),
#   no rhel7 installer found for 12.5; the CUDA 12.4 Installation Guide has a "RHEL 7 / CentOS 7"
#   section, the 12.6 one none (docs.nvidia.com/cuda/archive/12.6.3/pdf/
#   CUDA_Installation_Guide_Linux.pdf).
# Not listed: ubuntu2004. CUDA 13.0 supports Ubuntu 22.04 and 24.04 only (an NVIDIA reply in
# NVIDIA/cuda-samples issue 386), so 12.9 was its last CUDA, but whether the 580 or later
# drivers reached ubuntu2004 was not verified.
CUDA_REPO_LAST: dict[str, tuple[int, str]] = {
    "ubuntu1604": (465, "11.3"),
    "ubuntu1804": (530, "12.1"),
    "debian10": (550, "12.4"),
    "debian11": (560, "12.6"),
    "rhel7": (550, "12.4"),
}
# Ubuntu LTS releases in order: do-release-upgrade on an LTS release goes to the next LTS only
# ("Prompt=lts ... upgrade to the first LTS release available after the currently-running one",
# /etc/update-manager/release-upgrades; manpages.ubuntu.com xenial do-release-upgrade(8)).
UBUNTU_LTS = sorted(CUDA_REPO_UBUNTU)
# Debian codenames. Debian supports upgrades from the previous release only, one at a time
# (release notes, "Upgrades from Debian <N-1>": point APT at the new codename, then a minimal
# upgrade and a full upgrade); from 11 on the security suite is <codename>-security, not
# <codename>/updates (Debian 11 release notes, "Changed security archive layout").
DEBIAN_CODENAME = {"9": "stretch", "10": "buster", "11": "bullseye", "12": "bookworm",
                   "13": "trixie"}

DEBIAN_RELEASES = sorted(DEBIAN_CODENAME, key=int)


# Fedora release -> end-of-life date: the day its repositories (and RPM Fusion's for it) stopped
# receiving updates. Source: endoflife-date/endoflife.date products/fedora.md ("Dates as per
# https://fedorapeople.org/groups/schedule/"), cross-checked against libosinfo/osinfo-db merge
# requests 71 (F29 EOL, Dec 2019), 147 (F30: 2020-05-26) and 309 (F32: 2021-05-25, citing
# fedoraproject.org/wiki/End_of_life), freeipa-healthcheck#251 (F33: since Dec 1 2021) and
# nsnam/ns-3-dev MR 2581 (F40: 2025-05-13). Fedora 42: 2026-05-28, "one-day delay from its original
# deadline of May 27" (krakatech.com news of 2026-05-29; endoflife.date still had the planned
# 2026-05-13; not checked against docs.fedoraproject.org/en-US/releases/eol/). Fedora 43 and newer:
# no end-of-life date known here, so they count as still updated.
FEDORA_EOL: dict[int, date] = {
    21: date(2015, 12, 1), 22: date(2016, 7, 19), 23: date(2016, 12, 20),
    24: date(2017, 8, 8), 25: date(2017, 12, 12), 26: date(2018, 5, 29),
    27: date(2018, 11, 30), 28: date(2019, 5, 28), 29: date(2019, 11, 26), 30: date(2020, 5, 26),
    31: date(2020, 11, 24), 32: date(2021, 5, 25), 33: date(2021, 11, 30),
    34: date(2022, 6, 7), 35: date(2022, 12, 13), 36: date(2023, 5, 16),
    37: date(2023, 12, 5), 38: date(2024, 5, 21), 39: date(2024, 11, 26),
    40: date(2025, 5, 13), 41: date(2025, 12, 15), 42: date(2026, 5, 28),
}
# NVIDIA driver branch -> the day Fedora packaging first carried a release (not a beta) of it:
# the earliest a Fedora release's updates could deliver that branch. Source: the %changelog of
# RPM Fusion's rpmfusion/xorg-x11-drv-nvidia xorg-x11-drv-nvidia.spec and rpmfusion/nvidia-settings
# nvidia-settings.spec ("Update to 418.43 release", 2019-02-22; "Update to 560.35.03 Release",
# 2024-08-21; ...) up to 575; 580, 590 and 595 from negativo17's nvidia-driver.spec %changelog
# (fedora-multimedia; its entries do not mark betas), as RPM Fusion's entries for them were not
# found. Every branch CUDA_MIN_DRIVER / CUDA_MINOR_COMPAT_DRIVER in tables.py names from 384 on is
# here; a branch between two rows is dated by the older row (a lower bound).
NVIDIA_BRANCH_PACKAGED: dict[int, date] = {
    384: date(2017, 7, 25), 387: date(2017, 10, 30), 390: date(2018, 1, 29),
    396: date(2018, 5, 4), 410: date(2018, 10, 16), 415: date(2018, 11, 21),
    418: date(2019, 2, 22), 430: date(2019, 5, 14), 435: date(2019, 8, 29),
    440: date(2019, 11, 4), 450: date(2020, 7, 9), 455: date(2020, 10, 7),
    460: date(2021, 1, 7), 465: date(2021, 4, 14), 470: date(2021, 7, 19),
    495: date(2021, 10, 26), 510: date(2022, 2, 1), 515: date(2022, 5, 31),
    520: date(2022, 10, 12), 525: date(2022, 11, 28), 530: date(2023, 3, 23),
    535: date(2023, 6, 14), 545: date(2023, 10, 31), 550: date(2024, 2, 23),
    555: date(2024, 6, 27), 560: date(2024, 8, 21), 565: date(2024, 12, 5),
    570: date(2025, 2, 27), 575: date(2025, 5, 29), 580: date(2025, 8, 5),
    590: date(2025, 12, 5), 595: date(2026, 3, 5),
}

# What installs a GPU generation's last driver branch (tables.LAST_DRIVER_BRANCH) where the
# usual package moved past it. A branch or release not listed gets words (no package verified).
# RPM Fusion: last branch -> (kmod package, CUDA package, the day the legacy series split off).
# 580: rpmfusion/xorg-x11-drv-nvidia-580xx (%package cuda; %changelog "Initial commit for
# xorg-x11-drv-nvidia-580xx", 2025-12-20) and rpmfusion/nvidia-580xx-kmod (akmod-nvidia-580xx,
# first built 2025-12-23; it "Provides and Obsoletes akmod-nvidia <= 580.x.x"). 470:
# rpmfusion/xorg-x11-drv-nvidia-470xx ("Extracted to a separate legacy LTS branch", 2021-10-29)
# and rpmfusion/nvidia-470xx-kmod. A Fedora release that reached end of life before the next
# branch was packaged (NVIDIA_BRANCH_PACKAGED) keeps akmod-nvidia at the last branch or older.
RPMFUSION_LEGACY: dict[int, tuple[str, str, date]] = {
    470: ("akmod-nvidia-470xx", "xorg-x11-drv-nvidia-470xx-cuda", date(2021, 10, 29)),
    580: ("akmod-nvidia-580xx", "xorg-x11-drv-nvidia-580xx-cuda", date(2025, 12, 23)),
}
# NVIDIA's Debian/Ubuntu repositories: from 590 on, one cuda-drivers package follows the newest
# branch and "version locking (pinning) packages" hold a branch, to be installed before the
# driver (NVIDIA Driver Installation Guide, "Recent Updates": "cuda-drivers-580 will be removed";
# its Ubuntu section: "apt install nvidia-driver-pinning-<branch>", then "apt install
# cuda-drivers" for the proprietary modules). Branches whose pinning package is seen in use:
# 580 (`apt install nvidia-driver-pinning-580` on Ubuntu 24.04 in a DGX Station guide, index file
# 71067677154; before cuda-drivers from NVIDIA's debian repository in an install script, index
# file 55007660587). The old cuda-drivers-580 is no pin: on Debian it pulled in 590 components
# (forums.developer.nvidia.com/t/353805). Whether ubuntu2004's repository, which NVIDIA may have
# stopped before 590, has the pinning package: not verified (if not, apt stops before installing
# anything, where a plain cuda-drivers could install a branch past 580).
APT_PINNING_BRANCHES = (580,)
# NVIDIA's RHEL 8/9 repositories: module stream <branch>-dkms holds a branch ("XXX and XXX-dkms
# streams lock driver updates to the specified driver branch", NVIDIA/yum-packaging-dkms-nvidia
# README). EL release -> branches whose stream is seen in use: 580-dkms on EL8 and EL9
# (NVIDIA/ansible-role-nvidia-driver PR 89: "Branch 580 is present in EL8 and EL9 NVIDIA module
# streams"; `dnf module install nvidia-driver:580-dkms` for a GTX 1080 Ti on EL9 in public notes,
# index file 54096534683), 470-dkms on EL8 (Rocky 8 and cuda-rhel8 images for Tesla K80s, index
# files 22583102114 and 39860435431); 470-dkms on EL9: not verified.
EL_DKMS_STREAMS: dict[int, tuple[int, ...]] = {8: (470, 580), 9: (580,)}
# EL10 has no module streams; a branch is held with dnf's versionlock plugin (NVIDIA Driver
# Installation Guide, "Version locking": python3-dnf-plugin-versionlock; its table "Open GPU
# kernel module installation", RHEL 10, "Install a specific branch": `dnf versionlock
# \*nvidia\*580\*`), and the proprietary modules that pre-Turing GPUs need come from
# kmod-nvidia-latest-dkms with nvidia-driver and nvidia-driver-cuda, all three held by that lock
# (a Rocky Linux 10 guide for Maxwell/Pascal/Volta gives exactly these commands, index file
# 70447921061; cuda-drivers is not, its name lacks "nvidia"). An older branch there: not verified.
EL10_LOCKED_BRANCHES = (580,)
# Debian release -> the package of an older branch where nvidia-driver moved past it: bookworm's
# nvidia-tesla-470-driver, "the last driver series supporting GPUs based on the Kepler
# architecture" (packages.debian.org/nvidia-tesla-470-driver: bullseye, bookworm; not found for
# trixie).
DEBIAN_LEGACY_DRIVER: dict[tuple[str, int], str] = {("12", 470): "nvidia-tesla-470-driver"}


def _parts(os_: OsLike) -> tuple[str, str | None, str]:
    """(family, os-release id, version major[.minor] as os-release writes it)."""
    if isinstance(os_, OsFacts):
        return os_.family, os_.id, os_.version_id or ""
    return os_, None, ""


def _major(version: str | None) -> int | None:
    """The number before the first dot: a release's major version or a driver's branch."""
    head = (version or "").split(".")[0]
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
    if family == "suse":
        return "zypper"
    if family == "arch":
        return "pacman"
    return None


def install_packages(os_: OsLike, names: list[str]) -> Fix:
    """The install command for distro package names given as they are (a profile's list)."""
    tool = package_manager(os_)
    if tool is None:
        return say(f"install {', '.join(names)} with your distribution's package manager")
    if tool == "pacman":
        return run(f"sudo pacman -S --needed --noconfirm {' '.join(names)}")
    if tool == "zypper":
        return run(f"sudo zypper install -y {' '.join(names)}")
    return run(f"sudo {tool} install {' '.join(names)}")


def install(os_: OsLike, *logical: str) -> Fix:
    """The install command for logical package names on this distribution."""
    family = _parts(os_)[0]
    unnamed = [p for p in logical if p in PACKAGE_NAMES and family not in PACKAGE_NAMES[p]]
    if package_manager(os_) is None or unnamed:
        return say(f"install {', '.join(logical)} with your distribution's package manager")
    return install_packages(os_, [PACKAGE_NAMES.get(p, {}).get(family, p) for p in logical])


def nvidia_driver(os_: OsLike, runfile: bool = False, min_version: str | None = None,
                  max_branch: int | None = None) -> Fixes:
    """How to install (or upgrade to) NVIDIA's proprietary driver on this release: fixes in
    order, a release upgrade first where one is needed (each ends in its reboot). `max_branch`
    is the newest branch the machine's GPUs run (tables.driver_branch_ceiling): every route then
    installs that branch, not the newest, and a need above it gets words (no driver runs both)."""
    family, distro, version = _parts(os_)
    need = f"need {min_version} or newer" if min_version else ""
    wanted = _major(min_version)
    if max_branch and wanted and wanted > max_branch:
        return (say(f"no NVIDIA driver runs both: driver branch {max_branch} is the last for "
                    f"{_generation(max_branch)} GPUs, and {min_version} or newer is needed"),)
    if runfile:
        return (run(("sudo systemctl isolate multi-user.target", "stops the display manager"),
                    ("sudo sh cuda_*.run", _join("NVIDIA's CUDA runfile, in this folder; it "
                                                 "installs its driver",
                                                 _runfile_limit(max_branch), need))),)
    if family == "fedora":
        return _fedora_driver(_major(version) if distro == "fedora" else None, min_version, need,
                              max_branch)
    if family == "rhel":
        return _rhel_driver(_major(version), need, distro, wanted, max_branch)
    if family == "debian":
        base = os_.ubuntu_base if isinstance(os_, OsFacts) else None
        if distro == "pop" and not min_version and not max_branch:
            # Pop!_OS packages the driver itself (support.system76.com: system76-driver-nvidia).
            return (run("sudo apt-get update", "sudo apt-get install -y system76-driver-nvidia",
                        reboot()),)
        if distro == "ubuntu" or base or (isinstance(os_, str) and not version):
            return _ubuntu_driver(base or version, min_version, need, max_branch)
        if distro not in (None, "debian") and _parts(os_)[2] not in DEBIAN_DRIVER_BRANCH:
            return (say(_join(f"install NVIDIA's proprietary driver with your distribution's "
                              f"own tool (this {distro} release is neither a Debian nor an "
                              "Ubuntu release the doctor knows)", need)),)
        return _debian_driver(version, min_version, need, max_branch)
    if family == "suse":
        return _suse_driver(distro, version, need, max_branch)
    if family == "arch":
        return _arch_driver(need, max_branch)
    return (say(_join("install NVIDIA's proprietary driver from nvidia.com/drivers", need)),)


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


def _suse_driver(distro: str | None, version: str, need: str, cap: int | None) -> Fixes:
    """NVIDIA's openSUSE repository (en.opensuse.org SDB:NVIDIA drivers: zypper addrepo
    --refresh https://download.nvidia.com/opensuse/leap/<release> or .../tumbleweed, then
    `zypper install-new-recommends`, which picks the driver series the GPU needs; G05 is the
    470 legacy series)."""
    where = "tumbleweed" if "tumbleweed" in (distro or "") else f"leap/{version}" \
        if re.fullmatch(r"\d+\.\d+", version or "") else None
    if where is None:
        return (say(_join("add NVIDIA's openSUSE repository for this release and install its "
                          "driver", need)),)
    add = (f"sudo zypper addrepo --refresh https://download.nvidia.com/opensuse/{where} NVIDIA",
           "NVIDIA's openSUSE repository")
    if cap == 470:
        return (run(add, ("sudo zypper install -y x11-video-nvidiaG05", need), reboot()),)
    if cap:
        return _last_branch_words(cap, need)
    return (run(add, ("sudo zypper install-new-recommends --repo NVIDIA", need), reboot()),)


def _arch_driver(need: str, cap: int | None) -> Fixes:
    """Arch's nvidia-open (Turing and newer, open kernel modules) with nvidia-utils; GPUs whose
    last branch Arch moved past take the AUR's nvidia-580xx-dkms / nvidia-470xx-dkms."""
    if cap:
        return (run((f"yay -S --needed nvidia-{cap}xx-dkms nvidia-{cap}xx-utils", need), reboot(),
                    words=f"install nvidia-{cap}xx-dkms and nvidia-{cap}xx-utils from the AUR "
                          f"(Arch's own packages moved past branch {cap}, the last for "
                          f"{_generation(cap)} GPUs), e.g. with the AUR helper yay"),)
    return (run(("sudo pacman -Syu --needed nvidia-open nvidia-utils", need), reboot()),)


def _generation(branch: int) -> str:
    return next(name for _, last, name in tables.LAST_DRIVER_BRANCH if last == branch)


def _last_branch_words(branch: int, need: str) -> Fixes:
    """Where no package of a GPU generation's last branch is known for this release."""
    return (say(_join(f"install NVIDIA driver branch {branch}, the last for "
                      f"{_generation(branch)} GPUs, from nvidia.com/drivers (no package holding "
                      "that branch is known here for this release)", need)),)


def _runfile_limit(cap: int | None) -> str:
    """Which CUDA runfiles bundle a driver the GPUs run: CUDA_MIN_DRIVER names the driver each
    CUDA release brings."""
    if not cap:
        return ""
    newest = max((c for c, d in tables.CUDA_MIN_DRIVER.items() if (_major(d) or 0) <= cap),
                 key=tables.version_tuple)
    return (f"a runfile of CUDA {newest} or older: newer ones bring a driver past branch "
            f"{cap}, the last for {_generation(cap)} GPUs")


def _capped(branch: int | None, cap: int | None) -> int | None:
    return min(branch, cap) if branch is not None and cap else branch


def _first_after(chain: list[T], current: T, carries: Callable[[T], bool]) -> T | None:
    """The first release after `current` in `chain` (oldest first) whose repositories carry what
    is needed, or None."""
    return next((r for r in chain[chain.index(current) + 1:] if carries(r)), None)


def _upgrade_first(why: str, what: str, upgrade: Fixes) -> Fixes:
    """A release upgrade put before the usual fixes: its first fix says why, in words."""
    return lead(f"{why}: upgrade {what} first", upgrade)


def _after(fixes: Fixes, where: str) -> Fixes:
    """`fixes` run after the reboot that ends the fixes before them (on `where`)."""
    return when(f"after the reboot into {where}", fixes)


def _releases_between(chain: list[str], current: str, target: str,
                      unit: str = "release") -> tuple[list[str], str]:
    """The releases from `current` to `target` in `chain`, and how to say them: (16.04 -> 18.04),
    or (one LTS release at a time: 16.04 -> 18.04 -> 20.04)."""
    path = chain[chain.index(current):chain.index(target) + 1]
    steps = " -> ".join(path)
    return path, f"({steps})" if len(path) <= 2 else f"(one {unit} at a time: {steps})"


def _repo_last(repo: str) -> int | None:
    """The newest branch NVIDIA's `repo` reaches; None while it is still updated."""
    return CUDA_REPO_LAST[repo][0] if repo in CUDA_REPO_LAST else None


def _retired_repo(repo: str, wanted: int | None) -> str:
    """Why NVIDIA's `repo` cannot deliver branch `wanted` (CUDA_REPO_LAST), or "" when it can or
    nothing is known."""
    ceiling = _repo_last(repo)
    if wanted is None or ceiling is None or wanted <= ceiling:
        return ""
    return (f"NVIDIA's {repo} repository stops at driver branch {ceiling} (its last CUDA was "
            f"{CUDA_REPO_LAST[repo][1]}), below the {wanted} needed")


def _carries(branch: int | None, repo: str, wanted: int) -> bool:
    """Whether a release has driver branch `wanted`: in its own archive (its newest `branch`) or
    in NVIDIA's repository for it."""
    ceiling = _repo_last(repo)
    return (branch is not None and branch >= wanted) or ceiling is None or ceiling >= wanted


def _fedora_driver(release: int | None, min_version: str | None, need: str,
                   cap: int | None) -> Fixes:
    """RPM Fusion's driver; for GPUs whose last branch is `cap`, its legacy series, or
    akmod-nvidia where the release's repositories stopped before the branch after `cap`."""
    if cap and cap not in RPMFUSION_LEGACY:
        return _last_branch_words(cap, need)
    first, target = _fedora_upgrade_first(release, min_version, cap)
    packages, note = "akmod-nvidia xorg-x11-drv-nvidia-cuda", ""
    if cap and _froze_below(target, cap):
        # Its akmod-nvidia never reached the branch that dropped these GPUs: safe to install.
        note = (f"Fedora {target} ended before branch {_next_branch(cap)}: its akmod-nvidia "
                f"stays on {cap} or older")
    elif cap:
        packages = " ".join(RPMFUSION_LEGACY[cap][:2])
    driver = (run(("sudo dnf install -y https://mirrors.rpmfusion.org/nonfree/fedora/"
                   "rpmfusion-nonfree-release-$(rpm -E %fedora).noarch.rpm",
                   "RPM Fusion's nonfree repository"),
                  (f"sudo dnf install -y {packages}", _join(need, note)), reboot()),)
    return (*first, *_after(driver, f"Fedora {target}")) if first else driver


def _next_branch(cap: int) -> int:
    return min(b for b in NVIDIA_BRANCH_PACKAGED if b > cap)


def _froze_below(release: int | None, cap: int) -> bool:
    """Whether Fedora `release` reached end of life before the branch after `cap` was packaged,
    so its akmod-nvidia never went past `cap`."""
    return FEDORA_EOL.get(release or 0, date.max) < NVIDIA_BRANCH_PACKAGED[_next_branch(cap)]


def _rpmfusion_holds(release: int, cap: int | None) -> bool:
    """Whether Fedora `release`'s RPM Fusion repositories have a driver of branch `cap` or older
    (always, without a cap): akmod-nvidia frozen below it, or the legacy series, which came after
    the next branch (the days between, neither)."""
    return (not cap or _froze_below(release, cap)
            or FEDORA_EOL.get(release, date.max) > RPMFUSION_LEGACY[cap][2])


def _fedora_upgrade_first(release: int | None, min_version: str | None,
                          cap: int | None = None) -> tuple[Fixes, int | None]:
    """The release upgrade an end-of-life Fedora needs before RPM Fusion can deliver the driver
    branch `min_version` belongs to (and, with a `cap`, a package that holds the GPUs' last
    branch), and the release it ends on; () when its repositories were still updated when that
    branch was packaged. Ubuntu, Debian and RHEL 7 get newer branches from NVIDIA's CUDA
    repository until NVIDIA retires it (CUDA_REPO_LAST; their routes below)."""
    wanted = _major(min_version)
    eol = FEDORA_EOL.get(release or 0)
    known = max((b for b in NVIDIA_BRANCH_PACKAGED if wanted and b <= wanted), default=None)
    packaged = NVIDIA_BRANCH_PACKAGED.get(known or 0)

    def carries(n: int) -> bool:
        return packaged is None or FEDORA_EOL.get(n, date.max) > packaged

    def fits(n: int) -> bool:
        return carries(n) and _rpmfusion_holds(n, cap)

    if release is None or eol is None or fits(release):
        return (), release
    # The first release still updated when the branch was packaged (or one with no EOL yet).
    target = _first_after([*sorted(FEDORA_EOL), max(FEDORA_EOL) + 1], release, fits) or release
    # dnf system-upgrade goes at most two releases at a time (N to N+2: FESCo ticket 1534,
    # pagure.io/fesco/issue/1534, made skip-one-release upgrades supported).
    steps = [*range(release + 2, target, 2), target] if target > release + 2 else [target]
    # Past a release whose akmod-nvidia froze at the GPUs' last branch, akmod-nvidia moves on.
    newer = "" if cap and _froze_below(target, cap) else " or newer"
    if not carries(release):
        when_ = f" ({packaged.isoformat()})" if known == wanted else ""
        why = (f"before NVIDIA driver branch {wanted} was packaged for Fedora{when_}, so its "
               "repositories never carried it")
    else:  # cap is set: the release ended between the next branch and the legacy series
        nxt = _next_branch(cap)
        why = (f"after driver branch {nxt}, the first without {_generation(cap)} GPUs, was "
               f"packaged for Fedora ({NVIDIA_BRANCH_PACKAGED[nxt].isoformat()}) and before "
               f"RPM Fusion's {cap}xx legacy packages ({RPMFUSION_LEGACY[cap][2].isoformat()}), "
               f"so its repositories hold no driver of branch {cap} or older")
    path = " -> ".join(map(str, [release, *steps]))
    hops = [run("sudo dnf install -y dnf-plugin-system-upgrade",
                f"sudo dnf system-upgrade download --releasever={steps[0]}",
                ("sudo dnf system-upgrade reboot", f"restarts into the upgrade to Fedora "
                                                   f"{steps[0]}"))]
    for before, n in zip(steps, steps[1:], strict=False):
        hops += _after((run(f"sudo dnf system-upgrade download --releasever={n}",
                            ("sudo dnf system-upgrade reboot",
                             f"restarts into the upgrade to Fedora {n}")),), f"Fedora {before}")
    return _upgrade_first(f"Fedora {release} reached end of life on {eol.isoformat()}, {why}",
                          f"Fedora to {target}{newer} ({path})", tuple(hops)), target


def _rhel_driver(major: int | None, need: str, distro: str | None = None,
                 wanted: int | None = None, cap: int | None = None) -> Fixes:
    repo = (f"{CUDA_REPOS}/rhel$(rpm -E %rhel)/$(uname -m)/cuda-rhel$(rpm -E %rhel).repo")
    if major is not None and major <= 7:
        why = _retired_repo("rhel7", wanted)
        if why:
            return (*_el7_upgrade_first(why, distro),
                    *_after(_rhel_driver(8, need, cap=cap), "the EL8 release"))
        # EL7: yum, no module streams; the rhel7 repository ships the nvidia-driver-latest-dkms
        # flavour (NVIDIA/yum-packaging-nvidia-driver README, "RHEL7 flavor: latest-dkms";
        # CUDA Installation Guide for Linux <= 12.x, RHEL 7 section). It stops at 550
        # (CUDA_REPO_LAST), which every GPU from Maxwell on runs; Kepler's 470 is the
        # nvidia-driver-branch-470 flavour ("XXX flavors lock driver updates to the specified
        # driver branch", NVIDIA's guide-rhel7 for yum-packaging-nvidia-driver; installed by
        # name on CentOS 7 in public images and the slurm charm docs "for the Kepler GPUs").
        package = "nvidia-driver-latest-dkms"
        if cap and cap < (_repo_last("rhel7") or 0):
            if cap != 470:
                return _last_branch_words(cap, need)
            package = "nvidia-driver-branch-470"
        return (run("sudo yum install -y yum-utils epel-release dkms",
                    f"sudo yum-config-manager --add-repo {repo}",
                    (f"sudo yum install -y {package}", need), reboot()),)
    if major is not None and major >= 10:
        # EL10 has no DNF module streams: NVIDIA's Driver Installation Guide ("Kernel Modules",
        # table "Open GPU kernel module installation", r590+) gives `dnf install nvidia-open`
        # for RHEL/Rocky/Alma/Oracle 10 after adding cuda-rhel10.repo (Turing and newer). GPUs
        # with a last branch take the proprietary modules held there (EL10_LOCKED_BRANCHES).
        if cap and cap not in EL10_LOCKED_BRANCHES:
            return _last_branch_words(cap, need)
        install: list[str | tuple[str, str]] = (
            [("sudo dnf install -y nvidia-open", need)] if not cap else
            ["sudo dnf install -y python3-dnf-plugin-versionlock",
             (f"sudo dnf versionlock add '*nvidia*{cap}*'", f"holds driver branch {cap}"),
             ("sudo dnf install -y nvidia-driver nvidia-driver-cuda kmod-nvidia-latest-dkms",
              need)])
        return (run(f"sudo dnf config-manager --add-repo {repo}", *install, reboot()),)
    # EL8/9: the latest-dkms module stream (proprietary modules; CUDA Installation Guide for
    # Linux 12.x, RHEL 8/9 "dnf module install nvidia-driver:latest-dkms"). The newer Driver
    # Installation Guide steers Turing and newer GPUs to the open modules
    # (`dnf module enable nvidia-driver:open-dkms && dnf install nvidia-open`); latest-dkms
    # covers Maxwell/Pascal/Volta only up to 580, so GPUs with a last branch take its stream.
    if cap and cap not in EL_DKMS_STREAMS.get(major or 9, ()):
        return _last_branch_words(cap, need)
    stream = f"{cap}-dkms" if cap else "latest-dkms"
    return (run(f"sudo dnf config-manager --add-repo {repo}",
                (f"sudo dnf module install -y nvidia-driver:{stream}", need), reboot()),)


LEAPP_REPORT = "if it stops, fix what /var/log/leapp/leapp-report.txt lists and run it again"


def _el7_upgrade_first(why: str, distro: str | None) -> Fixes:
    """The move from EL7 to EL8, after which the EL8 command applies."""
    if distro == "rhel":
        # Red Hat's in-place upgrade: "Upgrading from RHEL 7 to RHEL 8" (Leapp; leapp-upgrade
        # from rhel-7-server-extras-rpms on a fully updated 7.9, then leapp preupgrade, whose
        # report lists what blocks the upgrade, and leapp upgrade).
        return _upgrade_first(why, "RHEL 7 to RHEL 8 in place with Leapp", (
            run("sudo subscription-manager repos --enable rhel-7-server-extras-rpms",
                "sudo yum update -y", reboot()),
            run("sudo yum install -y leapp-upgrade", ("sudo leapp preupgrade", LEAPP_REPORT),
                "sudo leapp upgrade", reboot("restarts into the upgrade to RHEL 8"),
                condition="after the reboot")))
    # CentOS 7 has no supported in-place upgrade of its own. AlmaLinux's ELevate (Leapp) does
    # CentOS 7 to AlmaLinux 8; its quickstart (AlmaLinux/wiki docs/elevate/
    # ELevate-quickstart-guide.md) first points yum at AlmaLinux's CentOS 7 mirror, since the
    # CentOS 7 repositories are offline, then elevate-release, leapp-upgrade leapp-data-almalinux,
    # leapp preupgrade (its report lists blockers) and leapp upgrade.
    if distro not in (None, "centos"):
        # Other EL7 rebuilds (Oracle, Scientific ...) have their own upgrade tools: words only.
        return _upgrade_first(why, "this EL7 release to an EL8 release", (
            say("reinstall Rocky Linux, AlmaLinux or RHEL 8 or 9, or use your distribution's "
                "in-place upgrade (Leapp) to its EL8 release"),))
    return _upgrade_first(
        why, "CentOS 7 to an EL8 release (CentOS has no supported in-place upgrade: reinstall "
        "Rocky Linux, AlmaLinux or RHEL 8 or 9, or upgrade in place to AlmaLinux 8 with ELevate)",
        (run(("sudo curl -o /etc/yum.repos.d/CentOS-Base.repo "
              "https://el7.repo.almalinux.org/centos/CentOS-Base.repo",
              "AlmaLinux's mirror of CentOS 7, whose own repositories are offline"),
             "sudo yum update -y", reboot()),
         run("sudo yum install -y "
             "http://repo.almalinux.org/elevate/elevate-release-latest-el7.noarch.rpm",
             "sudo yum install -y leapp-upgrade leapp-data-almalinux",
             ("sudo leapp preupgrade", LEAPP_REPORT), "sudo leapp upgrade",
             reboot("restarts into the upgrade to AlmaLinux 8"), condition="after the reboot")))


def _cuda_repo_apt(repo: str, need: str, cap: int | None = None) -> Fixes:
    keyring = CUDA_KEYRING.get(repo, CUDA_KEYRING_DEFAULT)
    pin: list[tuple[str, str]] = []
    last = _repo_last(repo)
    if cap and (last is None or last > cap):
        # A repository that goes past the GPUs' last branch: its pinning package first.
        if cap not in APT_PINNING_BRANCHES:
            return _last_branch_words(cap, need)
        pin = [(f"sudo apt-get install -y nvidia-driver-pinning-{cap}",
                f"holds driver branch {cap}")]
    return (run((f"wget {CUDA_REPOS}/{repo}/x86_64/{keyring}", f"NVIDIA's {repo} repository"),
                f"sudo dpkg -i {keyring}", "sudo apt-get update", *pin,
                ("sudo apt-get install -y cuda-drivers", need), reboot()),)


def _apt_repo_route(release: str, min_version: str | None, need: str, chain: list[str],
                    branches: dict[str, int], repos: dict[str, str],
                    upgrade: Callable[[str, str, str], Fixes],
                    driver: Callable[[str, str | None, str, int | None], Fixes],
                    cap: int | None = None, name: str = "") -> Fixes:
    """NVIDIA's CUDA repository for `release`; or, where NVIDIA retired that repository below
    the branch needed, the release upgrade first and then the command of the release it ends on
    (the first later one whose archive or repository carries the branch)."""
    wanted = _major(min_version)
    why = _retired_repo(repos[release], wanted)
    target = _first_after(chain, release, lambda r: _carries(
        branches.get(r), repos[r], wanted or 0)) if why else None
    if target:
        return (*upgrade(why, release, target),
                *_after(driver(target, min_version, need, cap), f"{name} {target}"))
    return _cuda_repo_apt(repos[release], need, cap)


def _ubuntu_driver(version: str, min_version: str | None, need: str,
                   cap: int | None = None) -> Fixes:
    # GPUs with a last branch take it where the archive goes further: nvidia-driver-580 on
    # 22.04 and 24.04 (UBUNTU_DRIVER_BRANCH); nvidia-driver-470 is in 18.04 to 24.04 (its kernel
    # modules: packages.ubuntu.com focal-updates, jammy and noble linux-modules-nvidia-470-generic).
    branch = _capped(UBUNTU_DRIVER_BRANCH.get(version), cap)
    wanted = _major(min_version)
    held = wanted or cap  # a branch to name rather than the GPU's default from ubuntu-drivers
    if version in CUDA_REPO_UBUNTU and (branch is None or (wanted and wanted > branch)):
        # The release's own archive has no branch new enough (or no nvidia-driver-XXX at all).
        return _apt_repo_route(version, min_version, need, UBUNTU_LTS, UBUNTU_DRIVER_BRANCH,
                               CUDA_REPO_UBUNTU, _ubuntu_upgrade_first, _ubuntu_driver, cap,
                               "Ubuntu")
    if branch is not None and held and (_major(version) or 0) >= 22:
        # `ubuntu-drivers install nvidia:580` (the form in Ubuntu Server's "Install NVIDIA
        # drivers" how-to). The driver argument came in ubuntu-drivers-common 1:0.8.4 (20.10,
        # debian/changelog "passing in driver and vendor for the install case"), and reached
        # bionic-updates and focal-updates as 1:0.8.6.3~0.18.04.2 / ~0.20.04.2; 18.04 and 20.04
        # get the equivalent apt-get line below, which needs no updated ubuntu-drivers-common.
        return (run("sudo apt-get update", (f"sudo ubuntu-drivers install nvidia:{branch}", need),
                    reboot()),)
    if branch is not None and held:
        return (run("sudo apt-get update", (f"sudo apt-get install -y nvidia-driver-{branch}",
                                            need), reboot()),)
    if branch is not None:
        # `install` replaced `autoinstall` in ubuntu-drivers-common 1:0.6 (19.04); 18.04 has it
        # once bionic-updates is applied (1:0.8.6.3~0.18.04.2), not in the release's 1:0.5.2:
        # apt-get install brings an installed ubuntu-drivers-common up to that version first.
        return (run("sudo apt-get update", "sudo apt-get install -y ubuntu-drivers-common",
                    ("sudo ubuntu-drivers install", need), reboot()),)
    return (run(("sudo ubuntu-drivers install", need), reboot(), condition="on Ubuntu"),
            run(("sudo apt-get install -y nvidia-driver", need), reboot(),
                condition="on Debian, with the non-free component enabled"))


def _ubuntu_upgrade_first(why: str, version: str, target: str) -> Fixes:
    """do-release-upgrade, once per LTS release from `version` to `target`, each on a fully
    updated and rebooted system (the upgrader asks for pending updates and reboots first)."""
    path, said = _releases_between(UBUNTU_LTS, version, target, "LTS release")
    hops: list[Fix] = []
    for old, new in zip(path, path[1:], strict=False):
        hop = (run("sudo apt-get update", "sudo apt-get -y dist-upgrade", reboot()),
               run(Step("sudo do-release-upgrade", f"upgrades to {new}, then restarts",
                        reboot=True), condition="after the reboot"))
        hops += _after(hop, f"Ubuntu {old}") if hops else hop
    return _upgrade_first(why, f"Ubuntu to {target} {said}", tuple(hops))


def _debian_driver(version: str, min_version: str | None, need: str,
                   cap: int | None = None) -> Fixes:
    major = str(_major(version) or "")
    branch = DEBIAN_DRIVER_BRANCH.get(major)
    package = "nvidia-driver"
    if cap and branch is not None and branch > cap:  # its nvidia-driver went past the GPUs
        package, branch = DEBIAN_LEGACY_DRIVER.get((major, cap), ""), cap
        if not package:
            return _last_branch_words(cap, need)
    wanted = _major(min_version)
    if major in CUDA_REPO_DEBIAN and (branch is None or (wanted and wanted > branch)):
        return _apt_repo_route(major, min_version, need, DEBIAN_RELEASES, DEBIAN_DRIVER_BRANCH,
                               CUDA_REPO_DEBIAN, _debian_upgrade_first, _debian_driver, cap,
                               "Debian")
    if branch is not None and wanted and wanted > branch and major not in CUDA_REPO_DEBIAN:
        # No NVIDIA repository for this release (Debian 9): the first release that has the branch.
        target = _first_after(DEBIAN_RELEASES, major, lambda r: _carries(
            DEBIAN_DRIVER_BRANCH.get(r), CUDA_REPO_DEBIAN[r], wanted))
        if target:
            why = (f"Debian {major}'s nvidia-driver is the {branch} series and NVIDIA has no CUDA "
                   f"repository for it, below the {wanted} needed")
            return (*_debian_upgrade_first(why, major, target),
                    *_after(_debian_driver(target, min_version, need, cap), f"Debian {target}"))
    components = DEBIAN_NONFREE.get(major, "contrib non-free non-free-firmware")
    return (run("sudo apt-get update", (f"sudo apt-get install -y linux-headers-$(uname -r) "
                                        f"{package}", need), reboot(),
                words=f"first enable the {components} components in /etc/apt/sources.list"),)


def _debian_upgrade_first(why: str, major: str, target: str) -> Fixes:
    """Debian upgrades one release at a time: point APT at the next codename (the security suite
    of 10 is <codename>/updates, from 11 on <codename>-security), then the minimal upgrade and
    the full one (release notes, "Upgrades from Debian <N-1>")."""
    path, said = _releases_between(DEBIAN_RELEASES, major, target)
    hops: list[Fix] = []
    for old, new in zip(path, path[1:], strict=False):
        a, b = DEBIAN_CODENAME[old], DEBIAN_CODENAME[new]
        # buster still used <codename>/updates; from bullseye on it is <codename>-security.
        security = "" if int(new) <= 10 else f"s#{a}/updates#{b}-security#; "
        hop = (run((f"sudo sed -i '{security}s/{a}/{b}/g' /etc/apt/sources.list",
                    f"points APT at Debian {new} ({b})"),
                   "sudo apt-get update", "sudo apt-get -y upgrade",
                   "sudo apt-get -y full-upgrade", reboot()),)
        hops += _after(hop, f"Debian {old}") if hops else hop
    return _upgrade_first(why, f"Debian to {target} {said}", tuple(hops))


def blacklist_nouveau(os_: OsLike) -> Fix:
    family = _parts(os_)[0]
    if family in ("fedora", "rhel"):
        return run(("sudo grubby --update-kernel=ALL --args='rd.driver.blacklist=nouveau "
                    "modprobe.blacklist=nouveau'", "keeps nouveau from loading at boot"),
                   "sudo dracut --force", reboot())
    if family == "debian":
        return run(("printf 'blacklist nouveau\\noptions nouveau modeset=0\\n' | sudo tee "
                    "/etc/modprobe.d/blacklist-nouveau.conf", "keeps nouveau from loading"),
                   "sudo update-initramfs -u", reboot())
    return say("blacklist the nouveau module in /etc/modprobe.d, rebuild the initramfs and "
               "reboot")


def enroll_module_key(os_: OsLike) -> Fixes:
    """Enrol the key the module was signed with (the kernel then loads it), or Secure Boot off."""
    family = _parts(os_)[0]
    off = say("turn Secure Boot off in the firmware setup", condition="or instead")
    if family == "fedora":
        return (run("sudo kmodgenca -a", "sudo mokutil --import "
                    "/etc/pki/akmods/certs/public_key.der",
                    reboot("enroll the key in the blue MOK screen")), off)
    if family == "debian":
        return (run("sudo mokutil --import /var/lib/dkms/mok.pub",
                    reboot("enroll the key in the MOK screen")), off)
    return (say("sign the nvidia module with a key enrolled through mokutil --import"), off)
