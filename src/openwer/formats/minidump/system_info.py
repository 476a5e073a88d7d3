"""The SystemInfo stream: operating system, CPU and their versions.

Names follow Breakpad's processor (``Windows NT``, ``Linux``, ``Mac OS X``; ``x86``, ``amd64``,
``arm64``), and the OS version is Breakpad's ``major.minor.build`` followed by the CSD version
string, which on Linux holds the kernel release (``0.0.0 Linux 4.9.60 #1 SMP … x86_64``).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from openwer.formats.minidump.byte_reader import ByteReader, OutOfBounds
from openwer.formats.minidump.damage import Damage
from openwer.formats.minidump.stream_types import CpuArchitecture, PlatformId

__all__ = ["SystemInfo", "cpu_name", "os_name", "os_short_name", "parse_system_info"]

_SYSTEM_INFO = struct.Struct("<HHHBBIIIIIHH")
_X86_CPU = struct.Struct("<12sIII")
_SIZE = _SYSTEM_INFO.size + 24

_OS_NAMES = {
    PlatformId.WIN32_NT: ("windows", "Windows NT"),
    PlatformId.WIN32_WINDOWS: ("windows", "Windows"),
    PlatformId.WIN32_CE: ("windows", "Windows CE"),
    PlatformId.MAC_OS_X: ("mac", "Mac OS X"),
    PlatformId.IOS: ("ios", "iOS"),
    PlatformId.LINUX: ("linux", "Linux"),
    PlatformId.SOLARIS: ("solaris", "Solaris"),
    PlatformId.ANDROID: ("android", "Android"),
    PlatformId.PS3: ("ps3", "PS3"),
    PlatformId.NACL: ("nacl", "NaCl"),
    PlatformId.FUCHSIA: ("fuchsia", "Fuchsia"),
}

_CPU_NAMES = {
    CpuArchitecture.X86: "x86",
    CpuArchitecture.X86_WIN64: "x86",
    CpuArchitecture.AMD64: "amd64",
    CpuArchitecture.ARM: "arm",
    CpuArchitecture.ARM64: "arm64",
    CpuArchitecture.ARM64_OLD: "arm64",
    CpuArchitecture.PPC: "ppc",
    CpuArchitecture.PPC64: "ppc64",
    CpuArchitecture.SPARC: "sparc",
    CpuArchitecture.MIPS: "mips",
    CpuArchitecture.MIPS64: "mips64",
    CpuArchitecture.RISCV: "riscv",
    CpuArchitecture.RISCV64: "riscv64",
    CpuArchitecture.IA64: "ia64",
}


def os_short_name(platform_id: int) -> str:
    """Breakpad's short OS name (``windows``, ``linux``, ``mac``, ``ios``…) or ``unknown``."""
    try:
        return _OS_NAMES[PlatformId(platform_id)][0]
    except (ValueError, KeyError):
        return "unknown"


def os_name(platform_id: int) -> str:
    """Breakpad's OS name (``Windows NT``, ``Linux``, ``Mac OS X``…) or ``0x…``."""
    try:
        return _OS_NAMES[PlatformId(platform_id)][1]
    except (ValueError, KeyError):
        return f"0x{platform_id:08x}"


def cpu_name(architecture: int) -> str:
    """Breakpad's CPU name (``x86``, ``amd64``, ``arm64``…) or ``0x…``."""
    try:
        return _CPU_NAMES[CpuArchitecture(architecture)]
    except (ValueError, KeyError):
        return f"0x{architecture:x}"


@dataclass(frozen=True, slots=True)
class SystemInfo:
    """MINIDUMP_SYSTEM_INFO, with the names openwer shows.

    Attributes:
        processor_architecture: the raw CpuArchitecture value.
        processor_level, processor_revision: the CPU family and model/stepping (x86).
        cpu_count: NumberOfProcessors.
        product_type: 1 workstation, 2 domain controller, 3 server (Windows).
        major_version, minor_version, build_number: the OS version (0.0.0 on Linux).
        platform_id: the raw PlatformId value.
        csd_version: the service pack (Windows) or ``uname`` text (Linux), if any.
        suite_mask: Windows product suites.
        cpu_vendor: the x86 CPUID vendor (``GenuineIntel``), if the CPU is x86 or amd64.
    """

    processor_architecture: int
    processor_level: int
    processor_revision: int
    cpu_count: int
    product_type: int
    major_version: int
    minor_version: int
    build_number: int
    platform_id: int
    csd_version: str | None
    suite_mask: int
    cpu_vendor: str | None

    @property
    def os(self) -> str:
        """Breakpad's OS name: ``Windows NT``, ``Linux``, ``Mac OS X``, ``iOS``…"""
        return os_name(self.platform_id)

    @property
    def os_short(self) -> str:
        """Breakpad's short OS name: ``windows``, ``linux``, ``mac``, ``ios``…"""
        return os_short_name(self.platform_id)

    @property
    def os_version(self) -> str:
        """``major.minor.build``, then the CSD version when there is one (as Breakpad prints)."""
        version = f"{self.major_version}.{self.minor_version}.{self.build_number}"
        return f"{version} {self.csd_version}" if self.csd_version else version

    @property
    def cpu(self) -> str:
        """Breakpad's CPU name: ``x86``, ``amd64``, ``arm64``…"""
        return cpu_name(self.processor_architecture)

    @property
    def cpu_info(self) -> str | None:
        """``GenuineIntel family 6 model 13 stepping 8`` for x86 and amd64 (None elsewhere, or
        when the writer recorded nothing about the CPU)."""
        if self.cpu not in ("x86", "amd64"):
            return None
        if not self.cpu_vendor and not self.processor_level and not self.processor_revision:
            return None  # the writer recorded nothing about the CPU
        model, stepping = self.processor_revision >> 8, self.processor_revision & 0xFF
        text = f"family {self.processor_level} model {model} stepping {stepping}"
        return f"{self.cpu_vendor} {text}" if self.cpu_vendor else text


def parse_system_info(reader: ByteReader, rva: int, size: int, damage: list[Damage]) -> SystemInfo:
    """Read MINIDUMP_SYSTEM_INFO at ``rva``; an unreadable CSD string becomes damage."""
    if size < _SYSTEM_INFO.size:
        raise OutOfBounds(f"the stream is {size} bytes, shorter than MINIDUMP_SYSTEM_INFO")
    (arch, level, revision, cpus, product, major, minor, build, platform, csd_rva, suite, _) = (
        reader.unpack(_SYSTEM_INFO, rva, "SystemInfo")
    )
    vendor = None
    if arch in (CpuArchitecture.X86, CpuArchitecture.AMD64) and size >= _SIZE:
        raw_vendor = reader.unpack(_X86_CPU, rva + _SYSTEM_INFO.size, "SystemInfo CPU")[0]
        text = bytes(raw_vendor).rstrip(b"\x00").decode("ascii", errors="replace")
        vendor = text if text.isprintable() and text.strip() else None
    csd = None
    if csd_rva:
        try:
            csd = reader.utf16_string(csd_rva, "CSD version") or None
        except OutOfBounds as exc:
            damage.append(Damage("SystemInfo CSD version", str(exc)))
    return SystemInfo(
        arch, level, revision, cpus, product, major, minor, build, platform, csd, suite, vendor
    )
