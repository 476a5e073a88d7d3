"""The ThreadList stream, with ThreadInfoList and ThreadNames where the dump has them.

A thread's context is read here (see :mod:`openwer.formats.minidump.cpu_context`); a context
that cannot be read leaves ``context`` None and a damage entry, and the thread stays listed.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from openwer.formats.minidump.byte_reader import ByteReader, OutOfBounds
from openwer.formats.minidump.counted_list import (
    MAX_THREADS_OR_MODULES,
    cap_count,
    entry_offsets,
)
from openwer.formats.minidump.cpu_context import CpuContext, parse_context
from openwer.formats.minidump.damage import Damage

__all__ = [
    "MAX_CONTEXT_BYTES",
    "MemoryDescriptor",
    "MinidumpThread",
    "ThreadInfo",
    "parse_thread_info_list",
    "parse_thread_list",
    "parse_thread_names",
    "read_context",
]

MAX_CONTEXT_BYTES = 16_384  # a CONTEXT with AVX-512 XSAVE state is about 3 KB; more is damage

_THREAD = struct.Struct("<IIIIQQII" + "II")
_THREAD_INFO_HEADER = struct.Struct("<III")
_THREAD_INFO = struct.Struct("<IIIIQQQQQQ")
_THREAD_NAME = struct.Struct("<IQ")


@dataclass(frozen=True, slots=True)
class MemoryDescriptor:
    """MINIDUMP_MEMORY_DESCRIPTOR: ``size`` bytes of the process at ``start``, at ``rva``."""

    start: int
    size: int
    rva: int


@dataclass(frozen=True, slots=True)
class MinidumpThread:
    """MINIDUMP_THREAD with its context.

    Attributes:
        thread_id: the OS thread id (the Linux tid, the Windows thread id).
        suspend_count, priority_class, priority: as Windows records them (0 elsewhere).
        teb: the thread environment block (Windows) or thread pointer, 0 if unknown.
        stack: where the thread's stack memory is.
        context: the registers, or None if the context could not be read.
    """

    thread_id: int
    suspend_count: int
    priority_class: int
    priority: int
    teb: int
    stack: MemoryDescriptor
    context: CpuContext | None


@dataclass(frozen=True, slots=True)
class ThreadInfo:
    """MINIDUMP_THREAD_INFO: a thread's times and start address (Windows dumps)."""

    thread_id: int
    dump_flags: int
    dump_error: int
    exit_status: int
    create_time: int
    exit_time: int
    kernel_time: int
    user_time: int
    start_address: int
    affinity: int


def read_context(
    reader: ByteReader, size: int, rva: int, cpu: str | None, where: str, damage: list[Damage]
) -> CpuContext | None:
    """Read the context a location descriptor points at; problems become damage."""
    if size == 0:
        return None
    if size > MAX_CONTEXT_BYTES:
        damage.append(Damage(where, f"claims {size} bytes of context; at most {MAX_CONTEXT_BYTES}"))
        return None
    try:
        data = reader.bytes_at(rva, size, where)
    except OutOfBounds as exc:
        damage.append(Damage(where, str(exc)))
        return None
    context, note = parse_context(data, cpu)
    if note:
        damage.append(Damage(where, note))
    return context


def parse_thread_list(
    reader: ByteReader, rva: int, size: int, cpu: str | None, damage: list[Damage]
) -> tuple[MinidumpThread, ...]:
    """Read MINIDUMP_THREAD_LIST and each thread's context."""
    threads = []
    for offset in entry_offsets(
        reader, rva, size, _THREAD.size, "ThreadList", damage, limit=MAX_THREADS_OR_MODULES
    ):
        tid, suspend, priority_class, priority, teb, start, stack_size, stack_rva, ctx_size, ctx = (
            reader.unpack(_THREAD, offset, "ThreadList entry")
        )
        context = read_context(reader, ctx_size, ctx, cpu, f"thread {tid} context", damage)
        stack = MemoryDescriptor(start, stack_size, stack_rva)
        threads.append(MinidumpThread(tid, suspend, priority_class, priority, teb, stack, context))
    return tuple(threads)


def parse_thread_info_list(
    reader: ByteReader, rva: int, size: int, damage: list[Damage]
) -> tuple[ThreadInfo, ...]:
    """Read MINIDUMP_THREAD_INFO_LIST (its header gives its own entry size)."""
    header_size, entry_size, count = reader.unpack(_THREAD_INFO_HEADER, rva, "ThreadInfoList")
    if header_size < _THREAD_INFO_HEADER.size or entry_size < _THREAD_INFO.size:
        raise OutOfBounds(f"header of {header_size} bytes and entries of {entry_size} bytes")
    end = min(rva + size, reader.size)
    fits = max(0, (end - rva - header_size) // entry_size)
    if count > fits:
        damage.append(Damage("ThreadInfoList", f"claims {count} entries; {fits} can be read"))
        count = fits
    count = cap_count(count, MAX_THREADS_OR_MODULES, "ThreadInfoList", damage)
    first = rva + header_size
    return tuple(
        ThreadInfo(*reader.unpack(_THREAD_INFO, first + i * entry_size, "ThreadInfoList entry"))
        for i in range(count)
    )


def parse_thread_names(
    reader: ByteReader, rva: int, size: int, damage: list[Damage]
) -> dict[int, str]:
    """Read MINIDUMP_THREAD_NAME_LIST: thread id → name."""
    names = {}
    for offset in entry_offsets(
        reader, rva, size, _THREAD_NAME.size, "ThreadNames", damage, limit=MAX_THREADS_OR_MODULES
    ):
        tid, name_rva = reader.unpack(_THREAD_NAME, offset, "ThreadNames entry")
        try:
            names[tid] = reader.utf16_string(name_rva, "thread name")
        except OutOfBounds as exc:
            damage.append(Damage(f"thread {tid} name", str(exc)))
    return names
