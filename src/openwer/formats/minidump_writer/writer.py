"""``write_minidump``: a :class:`CrashSnapshot` in, Microsoft MDMP bytes with Breakpad's Linux
conventions out.

Layout: the 32-byte header, the stream directory right after it (12 bytes per stream), then the
data of every stream; all RVAs are absolute file offsets. Streams, in order:

=========================  ============  ================================================
ThreadList (3)             always        48-byte MINIDUMP_THREAD entries, full contexts
ModuleList (4)             always        108-byte entries, CodeView ``BpEL`` + build id
MemoryList (5)             always        stacks and extra regions, overlaps merged
Exception (6)              with a crash  signal, ``si_code``, ``si_addr``; fault context
SystemInfo (7)             always        AMD64/ARM64, PlatformId 0x8201, CSD string
MiscInfo (15)              always        pid, start time, CPU seconds
ThreadNameList (24)        named threads ``comm`` of each thread
0x47670003…0x47670009      when given    cpuinfo, status, lsb-release, cmdline, environ,
                                         auxv, maps (raw text)
0x4767000A                 when given    DSO debug (``r_debug`` and its link maps)
0x4F570001                 when given    openwer: Python stacks as UTF-8 JSON
=========================  ============  ================================================

A thread's stack descriptor points into the memory list's copy of the same bytes (one copy),
and the exception's context is the crashing thread's context. Pure and thread-safe.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable

from openwer.formats.minidump_writer import stream_types as st
from openwer.formats.minidump_writer.contexts import encode_context
from openwer.formats.minidump_writer.snapshot import (
    Architecture,
    CrashSnapshot,
    DsoDebug,
    MemoryRegion,
    ModuleRecord,
    SystemFacts,
    ThreadRecord,
)

__all__ = ["merge_regions", "write_minidump"]

_HEADER = struct.Struct("<IIIIIIQ")
_DIRECTORY_ENTRY = struct.Struct("<III")
_THREAD = struct.Struct("<IIIIQQIIII")  # id, suspend, class, priority, teb, stack desc, context
_MEMORY_DESCRIPTOR = struct.Struct("<QII")
_MODULE = struct.Struct("<QIIII13IIIIIQQ")
_EXCEPTION = struct.Struct("<IIIIQQII15QII")
_SYSTEM_INFO = struct.Struct("<HHHBBIIIIIHH24s")
_MISC_INFO = struct.Struct("<IIIIII")
_THREAD_NAME = struct.Struct("<IQ")
_DEBUG_HEADER = struct.Struct("<IIIxxxxQQQ")  # MDRawDebug64, natural alignment (40 bytes)
_LINK_MAP = struct.Struct("<QIxxxxQ")  # MDRawLinkMap64, natural alignment (24 bytes)
_VS_FIXEDFILEINFO_SIGNATURE = 0xFEEF04BD
_VS_FIXEDFILEINFO_VERSION = 0x00010000
_MISC1_PROCESS_ID = 0x1
_MISC1_PROCESS_TIMES = 0x2
_MASK32 = 0xFFFFFFFF


class _Body:
    """The part of the file after the directory, laid out as it is appended."""

    def __init__(self, start: int) -> None:
        self.chunks: list[bytes] = []
        self.offset = start

    def place(self, data: bytes, align: int = 4) -> int:
        pad = -self.offset % align
        if pad:
            self.chunks.append(b"\0" * pad)
            self.offset += pad
        rva = self.offset
        self.chunks.append(data)
        self.offset += len(data)
        return rva

    def string(self, text: str) -> int:
        encoded = text.encode("utf-16-le", "surrogatepass")
        return self.place(struct.pack("<I", len(encoded)) + encoded + b"\0\0")


def merge_regions(regions: Iterable[MemoryRegion]) -> list[MemoryRegion]:
    """Sort ``regions`` and merge the ones that overlap or touch (earlier bytes win)."""
    merged: list[MemoryRegion] = []
    for region in sorted((r for r in regions if r.data), key=lambda r: (r.address, -len(r.data))):
        if merged and region.address <= merged[-1].end:
            last = merged[-1]
            if region.end > last.end:
                extra = region.data[last.end - region.address :]
                merged[-1] = MemoryRegion(last.address, last.data + extra)
            continue
        merged.append(region)
    return merged


def write_minidump(snapshot: CrashSnapshot) -> bytes:
    """Serialize ``snapshot`` (see the module docstring for the streams and their order)."""
    linux = _linux_streams(snapshot)
    named = [thread for thread in snapshot.threads if thread.name]
    count = 5 + (snapshot.exception is not None) + bool(named) + len(linux)
    count += (snapshot.dso_debug is not None) + (snapshot.python_stacks is not None)
    body = _Body(_HEADER.size + _DIRECTORY_ENTRY.size * count)
    directory: list[tuple[int, int, int]] = []

    def stream(kind: int, data: bytes, align: int = 4) -> None:
        directory.append((kind, len(data), body.place(data, align)))

    memory = merge_regions(
        [thread.stack for thread in snapshot.threads if thread.stack is not None]
        + list(snapshot.memory)
    )
    placed = [(region, body.place(region.data, 16)) for region in memory]
    contexts = {
        thread.thread_id: _location(body, encode_context(thread.context))
        for thread in snapshot.threads
    }
    stream(st.THREAD_LIST_STREAM, _thread_list(snapshot.threads, placed, contexts))
    stream(st.MODULE_LIST_STREAM, _module_list(body, snapshot.modules))
    stream(st.MEMORY_LIST_STREAM, _memory_list(placed))
    if snapshot.exception is not None:
        crash = snapshot.exception
        context = contexts.get(crash.thread_id, (0, 0))
        stream(
            st.EXCEPTION_STREAM,
            _EXCEPTION.pack(
                crash.thread_id & _MASK32,
                0,
                crash.signal & _MASK32,
                crash.code & _MASK32,
                0,
                crash.address & (1 << 64) - 1,
                0,
                0,
                *([0] * 15),
                *context,
            ),
        )
    stream(st.SYSTEM_INFO_STREAM, _system_info(body, snapshot.system))
    misc = snapshot.misc
    stream(
        st.MISC_INFO_STREAM,
        _MISC_INFO.pack(
            _MISC_INFO.size,
            _MISC1_PROCESS_ID | _MISC1_PROCESS_TIMES,
            misc.process_id & _MASK32,
            misc.process_create_time & _MASK32,
            misc.user_seconds & _MASK32,
            misc.kernel_seconds & _MASK32,
        ),
    )
    if named:
        names = [(thread.thread_id, body.string(thread.name)) for thread in named]
        listing = struct.pack("<I", len(names)) + b"".join(
            _THREAD_NAME.pack(tid & _MASK32, rva) for tid, rva in names
        )
        stream(st.THREAD_NAME_LIST_STREAM, listing)
    for kind, data in linux:
        stream(kind, data)
    if snapshot.dso_debug is not None:
        stream(st.LINUX_DSO_DEBUG, _dso_debug(body, snapshot.dso_debug), 8)
    if snapshot.python_stacks is not None:
        stream(st.OPENWER_PYTHON_STACKS_STREAM, snapshot.python_stacks)
    assert len(directory) == count
    header = _HEADER.pack(
        st.MINIDUMP_SIGNATURE,
        st.MINIDUMP_VERSION,
        count,
        _HEADER.size,
        0,
        snapshot.timestamp & _MASK32,
        0,
    )
    entries = b"".join(_DIRECTORY_ENTRY.pack(kind, size, rva) for kind, size, rva in directory)
    return header + entries + b"".join(body.chunks)


def _location(body: _Body, data: bytes) -> tuple[int, int]:
    return len(data), body.place(data, 16)


def _stack_descriptor(
    stack: MemoryRegion | None, placed: list[tuple[MemoryRegion, int]]
) -> tuple[int, int, int]:
    if stack is None or not stack.data:
        return 0, 0, 0
    for region, rva in placed:
        if region.address <= stack.address and stack.end <= region.end:
            return stack.address, len(stack.data), rva + stack.address - region.address
    return 0, 0, 0  # not reached: every stack is in the merged list


def _thread_list(
    threads: tuple[ThreadRecord, ...],
    placed: list[tuple[MemoryRegion, int]],
    contexts: dict[int, tuple[int, int]],
) -> bytes:
    out = [struct.pack("<I", len(threads))]
    for thread in threads:
        start, size, rva = _stack_descriptor(thread.stack, placed)
        context_size, context_rva = contexts[thread.thread_id]
        out.append(
            _THREAD.pack(
                thread.thread_id & _MASK32, 0, 0, 0, 0, start, size, rva, context_size, context_rva
            )
        )
    return b"".join(out)


def _version_info(version: tuple[int, int, int, int] | None) -> tuple[int, ...]:
    if version is None:
        return (0,) * 13
    major, minor, build, revision = (part & 0xFFFF for part in version)
    high, low = major << 16 | minor, build << 16 | revision
    return (_VS_FIXEDFILEINFO_SIGNATURE, _VS_FIXEDFILEINFO_VERSION, high, low, high, low) + (0,) * 7


def _module_list(body: _Body, modules: tuple[ModuleRecord, ...]) -> bytes:
    out = [struct.pack("<I", len(modules))]
    for module in modules:
        name_rva = body.string(module.path)
        cv_size = cv_rva = 0
        if module.build_id:
            record = struct.pack("<I", st.CV_SIGNATURE_ELF) + module.build_id
            cv_size, cv_rva = len(record), body.place(record)
        out.append(
            _MODULE.pack(
                module.base,
                min(module.size, _MASK32),
                0,
                0,
                name_rva,
                *_version_info(module.version),
                cv_size,
                cv_rva,
                0,
                0,
                0,
                0,
            )
        )
    return b"".join(out)


def _memory_list(placed: list[tuple[MemoryRegion, int]]) -> bytes:
    return struct.pack("<I", len(placed)) + b"".join(
        _MEMORY_DESCRIPTOR.pack(region.address, len(region.data), rva) for region, rva in placed
    )


def _system_info(body: _Body, system: SystemFacts) -> bytes:
    csd_rva = body.string(system.os_description)
    if system.architecture is Architecture.X86_64:
        architecture = st.CPU_ARCHITECTURE_AMD64
        vendor = (system.vendor_id + b"\0" * 12)[:12]
        cpu = vendor + struct.pack(
            "<III", system.cpu_version_information, system.cpu_feature_information, 0
        )
    else:
        architecture = st.CPU_ARCHITECTURE_ARM64
        cpu = b"\0" * 24
    major, minor, build = system.os_version
    return _SYSTEM_INFO.pack(
        architecture,
        system.processor_level & 0xFFFF,
        system.processor_revision & 0xFFFF,
        min(system.cpu_count, 255),
        1,  # VER_NT_WORKSTATION, as Breakpad's Linux writer says
        major & _MASK32,
        minor & _MASK32,
        build & _MASK32,
        st.PLATFORM_LINUX,
        csd_rva,
        0,
        0,
        cpu,
    )


def _linux_streams(snapshot: CrashSnapshot) -> list[tuple[int, bytes]]:
    files = snapshot.linux
    candidates = (
        (st.LINUX_CPU_INFO, files.cpu_info),
        (st.LINUX_PROC_STATUS, files.proc_status),
        (st.LINUX_LSB_RELEASE, files.lsb_release),
        (st.LINUX_CMD_LINE, files.cmdline),
        (st.LINUX_ENVIRON, files.environ),
        (st.LINUX_AUXV, files.auxv),
        (st.LINUX_MAPS, files.maps),
    )
    return [(kind, data) for kind, data in candidates if data is not None]


def _dso_debug(body: _Body, debug: DsoDebug) -> bytes:
    names = [body.string(entry.name) for entry in debug.entries]
    table = b"".join(
        _LINK_MAP.pack(entry.address, rva, entry.dynamic)
        for entry, rva in zip(debug.entries, names, strict=True)
    )
    map_rva = body.place(table, 8) if table else 0
    return _DEBUG_HEADER.pack(
        debug.version, map_rva, len(debug.entries), debug.brk, debug.ldbase, debug.dynamic
    )
