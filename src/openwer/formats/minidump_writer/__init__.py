"""Minidump writer: a frozen :class:`CrashSnapshot` in, Microsoft MDMP bytes out.

Pure (no platform, settings or clock): :mod:`openwer.native` collects the snapshot from a stopped
process; :func:`write_minidump` lays it out with Breakpad's Linux conventions so that lldb,
Breakpad-based processors and the ``minidump`` package read it (toolchain-notes §4). The streams
and openwer's own Python-stacks stream (0x4F570001) are documented in docs/native.md.
"""

from __future__ import annotations

from openwer.formats.minidump_writer.contexts import encode_context
from openwer.formats.minidump_writer.snapshot import (
    Architecture,
    Arm64Context,
    CrashException,
    CrashSnapshot,
    DsoDebug,
    LinkMapEntry,
    LinuxFiles,
    MemoryRegion,
    MiscInfo,
    ModuleRecord,
    SystemFacts,
    ThreadRecord,
    X86Context,
)
from openwer.formats.minidump_writer.stream_types import OPENWER_PYTHON_STACKS_STREAM
from openwer.formats.minidump_writer.writer import merge_regions, write_minidump

__all__ = [
    "OPENWER_PYTHON_STACKS_STREAM",
    "Architecture",
    "Arm64Context",
    "CrashException",
    "CrashSnapshot",
    "DsoDebug",
    "LinkMapEntry",
    "LinuxFiles",
    "MemoryRegion",
    "MiscInfo",
    "ModuleRecord",
    "SystemFacts",
    "ThreadRecord",
    "X86Context",
    "encode_context",
    "merge_regions",
    "write_minidump",
]
