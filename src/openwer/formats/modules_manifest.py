"""The Python packages a report's ``modules.json`` names: distribution and version, once each.

The client writes ``modules.json`` on its slow path (docs/events.md): every imported module
with the distribution that installed it and that distribution's version. The server indexes the
distinct ``(distribution, version)`` pairs of each stored bundle, so the dashboard can show
which package versions a bucket's crashes share.

:func:`package_versions` reads that file as it arrives from the network: it never raises
(a damaged or unexpected file yields no packages, the bundle is still good), ignores files over
4 MiB, keeps at most 2,000 packages, names of up to 128 characters and versions of up to 64, and
compares names as PEP 503 normalizes them (``Foo_Bar`` and ``foo-bar`` are one package).

Pure: bytes in, frozen values out; thread-safe.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from openwer.errors import InvalidArgumentError

__all__ = [
    "MAX_PACKAGES",
    "MODULES_FILE_NAME",
    "PackageVersion",
    "normalized_package_name",
    "package_versions",
]

MODULES_FILE_NAME = "modules.json"
MAX_PACKAGES = 2000
_MAX_BYTES = 4 * 1024 * 1024
_MAX_NAME = 128
_MAX_VERSION = 64
_NORMALIZE = re.compile(r"[-_.]+")


@dataclass(frozen=True, slots=True)
class PackageVersion:
    """One installed distribution (PEP 503 name, 1–128 characters) and its version (1–64);
    other values are refused with ``InvalidArgumentError``, so storage can always hold one."""

    name: str
    version: str

    def __post_init__(self) -> None:
        if not (_acceptable(self.name, _MAX_NAME) and _acceptable(self.version, _MAX_VERSION)):
            raise InvalidArgumentError(f"not a package version: {self.name!r} {self.version!r}")


def normalized_package_name(name: str) -> str:
    """``name`` as PEP 503 compares it (``Foo.Bar_baz`` → ``foo-bar-baz``)."""
    return _NORMALIZE.sub("-", name).lower()


def package_versions(data: bytes) -> tuple[PackageVersion, ...]:
    """The distinct packages of a ``modules.json``, sorted by name; ``()`` when there are
    none or the file cannot be read (see the module docstring)."""
    if len(data) > _MAX_BYTES:
        return ()
    try:
        document = json.loads(data.decode("utf-8", "replace"))
    except (ValueError, RecursionError):
        return ()
    modules = document.get("modules") if isinstance(document, dict) else None
    if not isinstance(modules, dict):
        return ()
    found: dict[str, str] = {}
    for entry in modules.values():
        if len(found) >= MAX_PACKAGES:
            break
        if not isinstance(entry, dict):
            continue
        name, version = entry.get("distribution"), entry.get("version")
        if not isinstance(name, str) or not isinstance(version, str):
            continue
        name, version = normalized_package_name(name.strip()), version.strip()
        if _acceptable(name, _MAX_NAME) and _acceptable(version, _MAX_VERSION):
            found.setdefault(name, version)
    return tuple(PackageVersion(name, found[name]) for name in sorted(found))


def _acceptable(text: str, limit: int) -> bool:
    return 0 < len(text) <= limit and text.isprintable()
