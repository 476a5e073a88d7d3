"""Stream type numbers and fixed values of the MDMP format that the writer emits.

Microsoft's numbers (minidumpapiset.h) below 0x10000, Breakpad's Linux extensions 0x4767xxxx
("Gg"), and openwer's own stream in the user range (above ``LastReservedStream`` = 0xFFFF),
0x4F570001 ("OW" + 1), documented in docs/native.md.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "CPU_ARCHITECTURE_AMD64",
    "CPU_ARCHITECTURE_ARM64",
    "CV_SIGNATURE_ELF",
    "EXCEPTION_STREAM",
    "LINUX_AUXV",
    "LINUX_CMD_LINE",
    "LINUX_CPU_INFO",
    "LINUX_DSO_DEBUG",
    "LINUX_ENVIRON",
    "LINUX_LSB_RELEASE",
    "LINUX_MAPS",
    "LINUX_PROC_STATUS",
    "MEMORY_LIST_STREAM",
    "MINIDUMP_SIGNATURE",
    "MINIDUMP_VERSION",
    "MISC_INFO_STREAM",
    "MODULE_LIST_STREAM",
    "OPENWER_PYTHON_STACKS_STREAM",
    "PLATFORM_LINUX",
    "SYSTEM_INFO_STREAM",
    "THREAD_LIST_STREAM",
    "THREAD_NAME_LIST_STREAM",
]

MINIDUMP_SIGNATURE: Final = 0x504D444D  # "MDMP" read little-endian
MINIDUMP_VERSION: Final = 0xA793  # 42899; the high word is implementation-specific (0)

THREAD_LIST_STREAM: Final = 3
MODULE_LIST_STREAM: Final = 4
MEMORY_LIST_STREAM: Final = 5
EXCEPTION_STREAM: Final = 6
SYSTEM_INFO_STREAM: Final = 7
MISC_INFO_STREAM: Final = 15
THREAD_NAME_LIST_STREAM: Final = 24

LINUX_CPU_INFO: Final = 0x47670003  # /proc/cpuinfo
LINUX_PROC_STATUS: Final = 0x47670004  # /proc/<pid>/status
LINUX_LSB_RELEASE: Final = 0x47670005  # /etc/lsb-release (else /etc/os-release)
LINUX_CMD_LINE: Final = 0x47670006  # /proc/<pid>/cmdline
LINUX_ENVIRON: Final = 0x47670007  # /proc/<pid>/environ
LINUX_AUXV: Final = 0x47670008  # /proc/<pid>/auxv
LINUX_MAPS: Final = 0x47670009  # /proc/<pid>/maps
LINUX_DSO_DEBUG: Final = 0x4767000A  # MDRawDebug64 + MDRawLinkMap64[]

OPENWER_PYTHON_STACKS_STREAM: Final = 0x4F570001
"""openwer's stream: UTF-8 JSON with the Python stacks of the crashed process (docs/native.md)."""

CPU_ARCHITECTURE_AMD64: Final = 9  # PROCESSOR_ARCHITECTURE_AMD64
CPU_ARCHITECTURE_ARM64: Final = 12  # PROCESSOR_ARCHITECTURE_ARM64
PLATFORM_LINUX: Final = 0x8201  # Breakpad's MD_OS_LINUX
CV_SIGNATURE_ELF: Final = 0x4270454C  # 'BpEL': CodeView record holding an ELF build id
