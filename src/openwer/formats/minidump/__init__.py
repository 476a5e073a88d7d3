"""The minidump reader: Windows, Linux, macOS and iOS dumps, lenient on damaged files.

:func:`parse_minidump` turns a dump's bytes into a :class:`Minidump` (streams, threads with
their contexts, modules with debug and code ids, memory readable by address, the crash named as
Breakpad names it) and a list of :class:`Damage` for the parts it could not read. Pure: bytes in,
frozen values out; nothing here touches files. The writer lives in
``openwer.formats.minidump_writer``.
"""

from __future__ import annotations

from openwer.formats.minidump.cpu_context import REGISTER_ORDER, CpuContext
from openwer.formats.minidump.damage import Damage
from openwer.formats.minidump.exception_stream import ExceptionRecord
from openwer.formats.minidump.header import DirectoryEntry, MinidumpHeader
from openwer.formats.minidump.memory_list import MemoryMap, MemoryRange
from openwer.formats.minidump.minidump import CrashSummary, Minidump, parse_minidump
from openwer.formats.minidump.module_list import MinidumpModule, UnloadedModule
from openwer.formats.minidump.stream_types import StreamType
from openwer.formats.minidump.system_info import SystemInfo
from openwer.formats.minidump.thread_list import MinidumpThread

__all__ = [
    "REGISTER_ORDER",
    "CpuContext",
    "CrashSummary",
    "Damage",
    "DirectoryEntry",
    "ExceptionRecord",
    "MemoryMap",
    "MemoryRange",
    "Minidump",
    "MinidumpHeader",
    "MinidumpModule",
    "MinidumpThread",
    "StreamType",
    "SystemInfo",
    "UnloadedModule",
    "parse_minidump",
]
