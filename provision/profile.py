"""Profiles: what a machine is expected to be, loaded from provision/profiles/<name>.toml.

Without a profile the doctor infers expectations from the machine itself (`inferred_profile`).
"""

from __future__ import annotations

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


def load_profile(name: str) -> Profile:
    """The named shipped profile, or a .toml file path; raises ProfileError."""
    path = Path(name) if name.endswith(".toml") else PROFILE_DIR / f"{name}.toml"
    if not path.is_file():
        known = ", ".join(available_profiles()) or "none"
        raise ProfileError(f"unknown profile {name!r} (available: {known})")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ProfileError(f"cannot read profile {path}: {exc}") from exc
    return profile_from_dict(data, default_name=path.stem)


def profile_from_dict(data: dict[str, Any], default_name: str | None = None) -> Profile:
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
    text = {k: (str(v) if v is not None else None) for k, v in {
        "distro_id": distro.get("id"), "distro_version": distro.get("version"),
        "gpu_name": gpu.get("name"), "compute_capability": gpu.get("compute_capability"),
        "cuda_toolkit": cuda.get("toolkit"), "cuda_installer": cuda.get("installer")}.items()}
    return Profile(name=str(data.get("name", default_name)),
                   description=str(data.get("description", "")),
                   gpu_required=bool(gpu.get("required", False)), packages=list(required), **text)
