"""Profiles: what a machine is expected to be, loaded from provision/profiles/<name>.toml.

Without a profile the doctor infers expectations from the machine itself (`inferred_profile`).
"""

from __future__ import annotations

import re
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

PROFILE_DIR = Path(__file__).parent / "profiles"


class ProfileError(Exception):
    """The profile does not exist or cannot be read; the message is one line for the user."""


@dataclass
class Profile:
    name: str | None = None  # None: inferred from the machine
    description: str = ""
    distro_id: str | None = None
    distro_version: str | None = None
    gpu_required: bool = False
    gpu_name: str | None = None
    compute_capability: str | None = None
    cuda_toolkit: str | None = None
    cuda_installer: str | None = None  # runfile | package
    packages: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def available_profiles() -> list[str]:
    return sorted(p.stem for p in PROFILE_DIR.glob("*.toml"))


# A package name goes into rpm's and dpkg-query's argv: one starting with "-" is an option
# there (`rpm -q --eval=%(cmd)` runs cmd), so only plain names get through.
PACKAGE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*")
PROFILE_LIMIT = 1 << 20  # a profile is a few lines; a bigger file is not one


def load_profile(name: str) -> Profile:
    """The named shipped profile, or a .toml file path; raises ProfileError."""
    path = Path(name) if name.endswith(".toml") else PROFILE_DIR / f"{name}.toml"
    if not path.is_file():  # is_file is False for a FIFO or a device: never opened
        known = ", ".join(available_profiles()) or "none"
        raise ProfileError(f"unknown profile {name!r} (available: {known})")
    try:
        with open(path, "rb") as handle:
            raw = handle.read(PROFILE_LIMIT + 1)
        if len(raw) > PROFILE_LIMIT:
            raise ProfileError(f"cannot read profile {path}: larger than "
                               f"{PROFILE_LIMIT >> 20} MiB")
        data = tomllib.loads(raw.decode("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ProfileError(f"cannot read profile {path}: {_one_line(exc)}") from exc
    return profile_from_dict(data, default_name=path.stem)


def _one_line(exc: Exception) -> str:
    return " ".join(str(getattr(exc, "strerror", None) or exc).split())


def _text(table: dict[str, Any], key: str, where: str) -> str | None:
    """A text setting: a TOML string (a number will do, `version = 29`), or None when absent."""
    value = table.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ProfileError(f"profile {where}{key} must be text, not {_toml_type(value)}")
    return str(value)


def _toml_type(value: object) -> str:
    kinds = {bool: "a boolean", str: "a string", int: "an integer", float: "a number",
             list: "an array", dict: "a table"}
    return kinds.get(type(value), type(value).__name__)


def profile_from_dict(data: dict[str, Any], default_name: str | None = None) -> Profile:
    """A Profile from parsed TOML; raises ProfileError (one line) for a value of the wrong
    type or a package name that is not a plain name."""
    def section(key: str) -> dict[str, Any]:
        value = data.get(key, {})
        if not isinstance(value, dict):
            raise ProfileError(f"profile section [{key}] must be a table")
        return value

    distro, gpu, cuda, packages = (section(k) for k in ("distribution", "gpu", "cuda",
                                                        "packages"))
    required = packages.get("required", [])
    if not isinstance(required, list) or not all(isinstance(p, str) for p in required):
        raise ProfileError("profile [packages] required must be a list of names")
    for package in required:
        if not PACKAGE_NAME.fullmatch(package):
            raise ProfileError(f"profile [packages] required: {package!r} is not a package "
                               "name (letters, digits and ._+- only, not starting with one of "
                               "._+-)")
    gpu_required = gpu.get("required", False)
    if not isinstance(gpu_required, bool):
        raise ProfileError(f"profile [gpu] required must be true or false, not "
                           f"{_toml_type(gpu_required)} {gpu_required!r}")
    text = {"distro_id": _text(distro, "id", "[distribution] "),
            "distro_version": _text(distro, "version", "[distribution] "),
            "gpu_name": _text(gpu, "name", "[gpu] "),
            "compute_capability": _text(gpu, "compute_capability", "[gpu] "),
            "cuda_toolkit": _text(cuda, "toolkit", "[cuda] "),
            "cuda_installer": _text(cuda, "installer", "[cuda] ")}
    name = _text(data, "name", "")
    return Profile(name=name if name is not None else str(default_name),
                   description=_text(data, "description", "") or "",
                   gpu_required=gpu_required, packages=list(required), **text)
