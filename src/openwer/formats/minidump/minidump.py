"""Read a whole minidump: :func:`parse_minidump` and the :class:`Minidump` it returns.

Dumps from any OS are read (Windows, Linux and Android Breakpad/Crashpad dumps, macOS and iOS
Crashpad dumps) with x86, amd64, arm64 and arm contexts. Reading is lenient: the header and the
directory must be readable (else :class:`~openwer.errors.FormatError`), and every stream after
that is read on its own; a stream that cannot be read, or only in part, adds a
:class:`~openwer.formats.minidump.damage.Damage` entry and the rest is still read. Counts and
offsets are checked against the file before anything is allocated, so memory stays proportional
to what the file really holds.

Pure (bytes in, frozen values out) and thread-safe. The returned object keeps a view of the
buffer (memory reads, raw streams): keep the buffer alive while it is used.
"""

from __future__ import annotations

import bisect
import mmap
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final, TypeVar

from openwer.errors import FormatError
from openwer.formats.minidump.breakpad_info import (
    AssertionInfo,
    BreakpadInfo,
    parse_assertion_info,
    parse_breakpad_info,
)
from openwer.formats.minidump.byte_reader import ByteReader
from openwer.formats.minidump.crash_reason import crash_address, crash_reason
from openwer.formats.minidump.crashpad_info import CrashpadInfo, parse_crashpad_info
from openwer.formats.minidump.damage import Damage
from openwer.formats.minidump.exception_stream import ExceptionRecord, parse_exception
from openwer.formats.minidump.header import (
    MINIDUMP_VERSION,
    DirectoryEntry,
    MinidumpHeader,
    parse_directory,
    parse_header,
)
from openwer.formats.minidump.linux_streams import (
    LinuxProcessInfo,
    parse_auxv,
    parse_dso_debug,
    parse_key_values,
    parse_maps,
    parse_nul_separated,
    read_text,
)
from openwer.formats.minidump.memory_list import (
    MemoryInfo,
    MemoryMap,
    MemoryRange,
    parse_memory64_list,
    parse_memory_info_list,
    parse_memory_list,
)
from openwer.formats.minidump.misc_info import MiscInfo, parse_misc_info
from openwer.formats.minidump.module_list import (
    MinidumpModule,
    UnloadedModule,
    parse_module_list,
    parse_unloaded_module_list,
)
from openwer.formats.minidump.python_stacks_stream import (
    MAX_PYTHON_STACKS_BYTES,
    PythonStacks,
    parse_python_stacks,
)
from openwer.formats.minidump.stream_types import StreamType
from openwer.formats.minidump.system_info import SystemInfo, parse_system_info
from openwer.formats.minidump.thread_list import (
    MinidumpThread,
    ThreadInfo,
    parse_thread_info_list,
    parse_thread_list,
    parse_thread_names,
)

__all__ = ["CrashSummary", "Minidump", "parse_minidump"]

_T = TypeVar("_T")

_WORD_SIZES: Final = {"x86": 4, "arm": 4, "mips": 4, "ppc": 4, "sparc": 4, "riscv": 4}
# What a damaged stream can raise besides OutOfBounds (a FormatError): nothing else is expected,
# and these are translated into damage rather than escaping to the caller.
_STREAM_ERRORS = (FormatError, struct.error, ValueError, OverflowError, IndexError)


@dataclass(frozen=True, slots=True)
class CrashSummary:
    """The exception stream, named.

    Attributes:
        reason: ``EXCEPTION_ACCESS_VIOLATION_WRITE``, ``SIGSEGV / SEGV_MAPERR``…
        code: the raw exception code (NTSTATUS, signal number, Mach exception).
        flags: the raw exception flags (``si_code`` on Linux).
        address: the address the crash is about (the data address of an access violation).
        thread_id: the thread that crashed or requested the dump.
        parameters: the exception parameters.
    """

    reason: str
    code: int
    flags: int
    address: int
    thread_id: int
    parameters: tuple[int, ...]


@dataclass(frozen=True, eq=False)
class Minidump:
    """Everything read from one minidump; absent streams give None or empty tuples.

    Attributes:
        header, directory: the file's header and stream directory.
        system_info: OS and CPU (None if the dump has no readable SystemInfo).
        threads: the thread list, in the dump's order.
        thread_infos: ThreadInfoList entries (Windows).
        thread_names: thread id → name (ThreadNames stream).
        modules, unloaded_modules: the module lists, one entry per record.
        exception: the exception stream (None if the dump has none).
        misc_info, breakpad_info, assertion_info, crashpad_info: those streams, if present.
        linux: the Linux /proc streams.
        python_stacks: openwer's Python stacks stream, if the dump has one.
        memory: the process memory the dump holds, readable by address.
        memory_info: MemoryInfoList entries (protection of regions), if present.
        damage: what could not be read.
    """

    header: MinidumpHeader
    directory: tuple[DirectoryEntry, ...]
    system_info: SystemInfo | None
    threads: tuple[MinidumpThread, ...]
    thread_infos: tuple[ThreadInfo, ...]
    thread_names: tuple[tuple[int, str], ...]
    modules: tuple[MinidumpModule, ...]
    unloaded_modules: tuple[UnloadedModule, ...]
    exception: ExceptionRecord | None
    misc_info: MiscInfo | None
    breakpad_info: BreakpadInfo | None
    assertion_info: AssertionInfo | None
    crashpad_info: CrashpadInfo | None
    linux: LinuxProcessInfo
    python_stacks: PythonStacks | None
    memory: MemoryMap
    memory_info: tuple[MemoryInfo, ...]
    damage: tuple[Damage, ...]
    _reader: ByteReader = field(repr=False)
    _module_starts: tuple[int, ...] = field(repr=False)
    _modules_by_base: tuple[MinidumpModule, ...] = field(repr=False)

    @property
    def cpu(self) -> str | None:
        """``x86``, ``amd64``, ``arm64``, ``arm``… (None without SystemInfo)."""
        return self.system_info.cpu if self.system_info else None

    @property
    def os_short(self) -> str:
        """``windows``, ``linux``, ``mac``, ``ios``, ``android``… (``unknown`` without one)."""
        return self.system_info.os_short if self.system_info else "unknown"

    @property
    def crash(self) -> CrashSummary | None:
        """The named crash, whenever the dump has an exception stream (even DUMP_REQUESTED)."""
        record = self.exception
        if record is None:
            return None
        cpu = self.cpu or ""
        return CrashSummary(
            crash_reason(self.os_short, record.code, record.flags, record.parameters, cpu),
            record.code,
            record.flags,
            crash_address(self.os_short, record.code, record.address, record.parameters),
            record.thread_id,
            record.parameters,
        )

    def thread_name(self, thread_id: int) -> str | None:
        """The thread's name from the ThreadNames stream, if any."""
        return next((name for tid, name in self.thread_names if tid == thread_id), None)

    def module_at(self, address: int) -> MinidumpModule | None:
        """The module whose range holds ``address`` (the highest-based one if ranges overlap)."""
        index = bisect.bisect_right(self._module_starts, address) - 1
        # Overlapping modules are rare (and damage); look back a few for one that contains it.
        for candidate in reversed(self._modules_by_base[max(0, index - 3) : index + 1]):
            if candidate.contains(address):
                return candidate
        return None

    def stream(self, stream_type: int) -> bytes | None:
        """The raw bytes of the first stream of that type (cut to the file), or None.

        This is how streams openwer does not interpret are read, such as the Python stacks
        another part of openwer writes.
        """
        for entry in self.directory:
            if entry.stream_type == stream_type:
                size = max(0, min(entry.data_size, self._reader.size - entry.rva))
                return self._reader.bytes_at(entry.rva, size, entry.name) if size else b""
        return None


class _StreamReader:
    """Reads the directory's streams in dependency order, collecting damage."""

    def __init__(self, reader: ByteReader, directory: tuple[DirectoryEntry, ...]) -> None:
        self.reader = reader
        self.damage: list[Damage] = []
        self.entries: dict[int, DirectoryEntry] = {}
        for index, entry in enumerate(directory):
            if entry.stream_type == StreamType.UNUSED:
                continue
            where = f"stream {index} ({entry.name})"
            if entry.stream_type in self.entries:
                self.damage.append(Damage(where, "a second stream of this type; it is ignored"))
                continue
            if entry.rva + entry.data_size > reader.size:
                self.damage.append(
                    Damage(
                        where,
                        f"{entry.data_size} bytes at 0x{entry.rva:x} reach past the end of the "
                        f"file ({reader.size} bytes)",
                    )
                )
            self.entries[entry.stream_type] = entry

    def read(self, stream_type: int, parse: Callable[[int, int], _T]) -> _T | None:
        """Parse one stream with ``parse(rva, size)``; failures become damage."""
        entry = self.entries.get(stream_type)
        if entry is None:
            return None
        size = max(0, min(entry.data_size, self.reader.size - entry.rva))
        try:
            return parse(entry.rva, size)
        except _STREAM_ERRORS as exc:
            self.damage.append(Damage(f"stream {entry.name}", str(exc) or type(exc).__name__))
            return None


def _read_linux(streams: _StreamReader, word: int) -> LinuxProcessInfo:
    reader, damage = streams.reader, streams.damage

    def text(stream_type: StreamType) -> str | None:
        return streams.read(
            stream_type, lambda rva, size: read_text(reader, rva, size, stream_type.name, damage)
        )

    cpu_info = text(StreamType.LINUX_CPU_INFO)
    status = text(StreamType.LINUX_PROC_STATUS)
    lsb = text(StreamType.LINUX_LSB_RELEASE)
    cmdline = text(StreamType.LINUX_CMD_LINE)
    environ = text(StreamType.LINUX_ENVIRON)
    maps = text(StreamType.LINUX_MAPS)
    auxv = streams.read(
        StreamType.LINUX_AUXV, lambda rva, size: parse_auxv(reader, rva, size, word)
    )
    dso = streams.read(
        StreamType.LINUX_DSO_DEBUG,
        lambda rva, size: parse_dso_debug(reader, rva, size, word, damage),
    )
    return LinuxProcessInfo(
        cpu_info,
        parse_key_values(status, ":") if status else (),
        parse_key_values(lsb, "=") if lsb else (),
        parse_nul_separated(cmdline) if cmdline else (),
        parse_nul_separated(environ) if environ else (),
        auxv or (),
        parse_maps(maps, damage) if maps else (),
        dso,
    )


def parse_minidump(data: bytes | bytearray | memoryview | mmap.mmap) -> Minidump:
    """Read a minidump from its bytes.

    Raises:
        FormatError: the bytes are not a minidump (no ``MDMP`` header) or its stream directory
            lies outside the file. Any other damage is in :attr:`Minidump.damage`.
    """
    view = memoryview(data)
    if view.ndim != 1 or view.itemsize != 1:
        view = view.cast("B")
    reader = ByteReader(view)
    header = parse_header(reader)
    directory = parse_directory(reader, header)
    streams = _StreamReader(reader, directory)
    damage = streams.damage
    if header.version & 0xFFFF != MINIDUMP_VERSION:
        damage.append(Damage("header", f"version 0x{header.version:08x} is not 0x....a793"))
    if len(directory) < header.stream_count:
        damage.append(
            Damage("directory", f"claims {header.stream_count} streams; {len(directory)} fit")
        )

    system = streams.read(
        StreamType.SYSTEM_INFO, lambda rva, size: parse_system_info(reader, rva, size, damage)
    )
    cpu = system.cpu if system else None
    os_short = system.os_short if system else "unknown"
    threads = streams.read(
        StreamType.THREAD_LIST, lambda r, s: parse_thread_list(reader, r, s, cpu, damage)
    )
    modules = streams.read(
        StreamType.MODULE_LIST, lambda r, s: parse_module_list(reader, r, s, os_short, damage)
    )
    memory: list[MemoryRange] = []
    memory.extend(
        streams.read(StreamType.MEMORY_LIST, lambda r, s: parse_memory_list(reader, r, s, damage))
        or ()
    )
    memory.extend(
        streams.read(
            StreamType.MEMORY64_LIST, lambda r, s: parse_memory64_list(reader, r, s, damage)
        )
        or ()
    )
    # Thread stacks are usually also in the memory list; adding them again costs nothing
    # (overlaps are trimmed) and covers writers that only reference them from the thread list.
    for thread in threads or ():
        stack = thread.stack
        available = max(0, min(stack.size, reader.size - stack.rva))
        if available and stack.start + available <= 1 << 64:
            memory.append(MemoryRange(stack.start, available, stack.rva))
    thread_infos = streams.read(
        StreamType.THREAD_INFO_LIST, lambda r, s: parse_thread_info_list(reader, r, s, damage)
    )
    names = streams.read(
        StreamType.THREAD_NAMES, lambda r, s: parse_thread_names(reader, r, s, damage)
    )
    unloaded = streams.read(
        StreamType.UNLOADED_MODULE_LIST,
        lambda r, s: parse_unloaded_module_list(reader, r, s, damage),
    )
    exception = streams.read(
        StreamType.EXCEPTION, lambda r, s: parse_exception(reader, r, s, cpu, damage)
    )
    misc = streams.read(StreamType.MISC_INFO, lambda r, s: parse_misc_info(reader, r, s))
    breakpad = streams.read(
        StreamType.BREAKPAD_INFO, lambda r, s: parse_breakpad_info(reader, r, s)
    )
    assertion = streams.read(
        StreamType.ASSERTION_INFO, lambda r, s: parse_assertion_info(reader, r, s)
    )
    crashpad = streams.read(
        StreamType.CRASHPAD_INFO, lambda r, s: parse_crashpad_info(reader, r, s, damage)
    )
    memory_info = streams.read(
        StreamType.MEMORY_INFO_LIST, lambda r, s: parse_memory_info_list(reader, r, s, damage)
    )
    linux = _read_linux(streams, _WORD_SIZES.get(cpu or "", 8))
    python_stacks = streams.read(
        StreamType.OPENWER_PYTHON_STACKS,
        lambda r, s: parse_python_stacks(
            reader.bytes_at(r, min(s, MAX_PYTHON_STACKS_BYTES + 1), "OpenwerPythonStacks")
        ),
    )
    loaded = tuple(modules or ())
    by_base = tuple(sorted(loaded, key=lambda m: m.base))
    return Minidump(
        header=header,
        directory=directory,
        system_info=system,
        threads=threads or (),
        thread_infos=thread_infos or (),
        thread_names=tuple((names or {}).items()),
        modules=loaded,
        unloaded_modules=unloaded or (),
        exception=exception,
        misc_info=misc,
        breakpad_info=breakpad,
        assertion_info=assertion,
        crashpad_info=crashpad,
        linux=linux,
        python_stacks=python_stacks,
        memory=MemoryMap.build(reader, memory),
        memory_info=memory_info or (),
        damage=tuple(damage),
        _reader=reader,
        _module_starts=tuple(m.base for m in by_base),
        _modules_by_base=by_base,
    )
