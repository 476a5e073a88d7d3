"""SystemInfo facts for a minidump: CPU (from ``/proc/cpuinfo``) and kernel (from ``uname``).

Read once per process (:func:`system_facts` is cached: neither changes while we run). Never
raises; unknown values are 0 or empty.
"""

from __future__ import annotations

import functools
import os
import re

from openwer.formats.minidump_writer import Architecture, SystemFacts
from openwer.platform.ptrace import machine

__all__ = ["cpu_info_text", "lsb_release_text", "system_facts"]

_RELEASE = re.compile(r"^(\d+)(?:\.(\d+))?(?:\.(\d+))?")


@functools.cache
def cpu_info_text() -> bytes:
    """``/proc/cpuinfo`` as read (empty when unreadable)."""
    try:
        with open("/proc/cpuinfo", "rb") as handle:
            return handle.read(1 << 20)
    except OSError:
        return b""


@functools.cache
def lsb_release_text() -> bytes | None:
    """``/etc/lsb-release``, else ``/etc/os-release`` (Debian has only the latter), else None."""
    for path in ("/etc/lsb-release", "/etc/os-release"):
        try:
            with open(path, "rb") as handle:
                return handle.read(1 << 16)
        except OSError:
            continue
    return None


def _cpu_fields(text: bytes) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in text.decode("utf-8", "replace").splitlines():
        if not line.strip():
            break  # the first processor is enough
        name, _, value = line.partition(":")
        fields.setdefault(name.strip(), value.strip())
    return fields


def _number(fields: dict[str, str], name: str) -> int:
    try:
        return int(fields.get(name, "0"), 0)
    except ValueError:
        return 0


@functools.cache
def system_facts() -> SystemFacts:
    """This machine's CPU and kernel, as the minidump SystemInfo stream records them."""
    uname = os.uname()
    match = _RELEASE.match(uname.release)
    numbers = tuple(int(part or 0) for part in match.groups()) if match else (0, 0, 0)
    architecture = Architecture.ARM64 if machine() == "aarch64" else Architecture.X86_64
    fields = _cpu_fields(cpu_info_text())
    family, model, stepping = (
        _number(fields, "cpu family"),
        _number(fields, "model"),
        _number(fields, "stepping"),
    )
    # CPUID leaf 1 EAX, rebuilt from the decoded values /proc/cpuinfo shows.
    version = (
        (stepping & 0xF)
        | (model & 0xF) << 4
        | min(family, 15) << 8
        | (model >> 4 & 0xF) << 16
        | (max(family - 15, 0) & 0xFF) << 20
    )
    return SystemFacts(
        architecture=architecture,
        cpu_count=os.cpu_count() or 1,
        os_version=(numbers[0], numbers[1], numbers[2]),
        os_description=f"{uname.release} {uname.version} {uname.machine}",
        processor_level=family,
        processor_revision=(model & 0xFF) << 8 | (stepping & 0xFF),
        vendor_id=fields.get("vendor_id", "").encode("ascii", "replace")[:12],
        cpu_version_information=version if architecture is Architecture.X86_64 else 0,
    )
