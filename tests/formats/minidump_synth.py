"""Build small minidumps in tests: any streams, contexts of every CPU, stacks and modules.

:class:`DumpBuilder` lays blobs out one after the other from offset 32 and writes the stream
directory last, so a stream can point at blobs added before it. :func:`synthetic_dump` builds a
complete dump from threads, modules and an exception. Independent of openwer's own writer, so
the reader is tested against bytes laid out by hand from the format's definition.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

__all__ = [
    "CPU_ARCHITECTURES",
    "DumpBuilder",
    "SynthDump",
    "SynthException",
    "SynthModule",
    "SynthThread",
    "amd64_context",
    "arm64_context",
    "context_for",
    "minidump_string",
    "synthetic_dump",
    "x86_context",
]

CPU_ARCHITECTURES = {"x86": 0, "arm": 5, "amd64": 9, "arm64": 12}
PLATFORMS = {"windows": 2, "mac": 0x8101, "ios": 0x8102, "linux": 0x8201, "android": 0x8203}

STREAM_THREAD_LIST, STREAM_MODULE_LIST, STREAM_MEMORY_LIST = 3, 4, 5
STREAM_EXCEPTION, STREAM_SYSTEM_INFO, STREAM_MEMORY64_LIST = 6, 7, 9


def minidump_string(text: str) -> bytes:
    """A MINIDUMP_STRING: 32-bit byte length, UTF-16LE, then a NUL unit."""
    raw = text.encode("utf-16-le")
    return struct.pack("<I", len(raw)) + raw + b"\x00\x00"


def amd64_context(registers: Mapping[str, int], flags: int = 0x0010_000F) -> bytes:
    """A 1232-byte CONTEXT_AMD64."""
    data = bytearray(1232)
    struct.pack_into("<I", data, 48, flags)
    order = ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi"]
    order += [f"r{n}" for n in range(8, 16)]
    for index, name in enumerate(order):
        struct.pack_into("<Q", data, 120 + 8 * index, registers.get(name, 0))
    struct.pack_into("<Q", data, 248, registers.get("rip", 0))
    struct.pack_into("<I", data, 68, registers.get("eflags", 0x246))
    return bytes(data)


def x86_context(registers: Mapping[str, int], flags: int = 0x0001_0007) -> bytes:
    """A 716-byte CONTEXT_X86."""
    data = bytearray(716)
    struct.pack_into("<I", data, 0, flags)
    offsets = {"edi": 156, "esi": 160, "ebx": 164, "edx": 168, "ecx": 172, "eax": 176}
    offsets |= {"ebp": 180, "eip": 184, "eflags": 192, "esp": 196}
    for name, offset in offsets.items():
        struct.pack_into("<I", data, offset, registers.get(name, 0))
    return bytes(data)


def arm64_context(registers: Mapping[str, int], flags: int = 0x0040_0003) -> bytes:
    """A 912-byte Windows/Crashpad CONTEXT_ARM64."""
    data = bytearray(912)
    struct.pack_into("<II", data, 0, flags, registers.get("cpsr", 0))
    for n in range(29):
        struct.pack_into("<Q", data, 8 + 8 * n, registers.get(f"x{n}", 0))
    struct.pack_into("<Q", data, 8 + 29 * 8, registers.get("fp", 0))
    struct.pack_into("<Q", data, 8 + 30 * 8, registers.get("lr", 0))
    struct.pack_into("<QQ", data, 256, registers.get("sp", 0), registers.get("pc", 0))
    return bytes(data)


def context_for(cpu: str, registers: Mapping[str, int]) -> bytes:
    """The standard context of ``cpu`` holding ``registers``."""
    builders = {"amd64": amd64_context, "x86": x86_context, "arm64": arm64_context}
    return builders[cpu](registers)


class DumpBuilder:
    """Lay out a minidump: :meth:`blob` returns an RVA, :meth:`stream` adds a stream."""

    def __init__(self, *, version: int = 0xA793) -> None:
        self.version = version
        self.body = bytearray(32)
        self.streams: list[tuple[int, int, int]] = []

    def blob(self, data: bytes, align: int = 4) -> int:
        """Append ``data`` (aligned) and return its RVA."""
        while len(self.body) % align:
            self.body.append(0)
        rva = len(self.body)
        self.body += data
        return rva

    def stream(self, stream_type: int, payload: bytes) -> int:
        """Add a stream whose bytes are ``payload``; return its RVA."""
        rva = self.blob(payload)
        self.streams.append((stream_type, len(payload), rva))
        return rva

    def build(self, *, stamp: int = 1_700_000_000) -> bytes:
        """The dump's bytes."""
        directory = b"".join(struct.pack("<III", *entry) for entry in self.streams)
        directory_rva = self.blob(directory)
        header = struct.pack(
            "<IIIIIIQ", 0x504D444D, self.version, len(self.streams), directory_rva, 0, stamp, 0
        )
        self.body[:32] = header
        return bytes(self.body)


@dataclass
class SynthThread:
    """A thread: registers, and its stack memory (``stack`` bytes at ``stack_base``)."""

    thread_id: int
    registers: dict[str, int]
    stack_base: int = 0
    stack: bytes = b""


@dataclass
class SynthModule:
    """A module: where it is, its path, and an ELF build id or a PDB identity."""

    base: int
    size: int
    name: str
    build_id: bytes | None = None
    pdb: tuple[bytes, int, str] | None = None  # GUID bytes, age, pdb name
    stamp: int = 0


@dataclass
class SynthException:
    """The exception stream's content (registers default to the thread's)."""

    thread_id: int
    code: int
    flags: int = 0
    address: int = 0
    parameters: Sequence[int] = ()
    registers: dict[str, int] | None = None


@dataclass
class SynthDump:
    """Everything :func:`synthetic_dump` needs."""

    cpu: str = "amd64"
    os: str = "linux"
    threads: list[SynthThread] = field(default_factory=list)
    modules: list[SynthModule] = field(default_factory=list)
    exception: SynthException | None = None
    extra_memory: list[tuple[int, bytes]] = field(default_factory=list)
    extra_streams: list[tuple[int, bytes]] = field(default_factory=list)
    csd: str = ""


def _system_info(builder: DumpBuilder, cpu: str, os: str, csd: str) -> bytes:
    csd_rva = builder.blob(minidump_string(csd))
    major, minor, build = (10, 0, 19041) if os == "windows" else (0, 0, 0)
    fixed = struct.pack(
        "<HHHBBIIIIIHH",
        CPU_ARCHITECTURES[cpu],
        6,
        0x3F02,
        4,
        1,
        major,
        minor,
        build,
        PLATFORMS[os],
        csd_rva,
        0,
        0,
    )
    return fixed + b"GenuineIntel" + bytes(12)


def _module_entry(builder: DumpBuilder, module: SynthModule) -> bytes:
    name_rva = builder.blob(minidump_string(module.name))
    cv = b""
    if module.build_id is not None:
        cv = struct.pack("<I", 0x4270454C) + module.build_id
    elif module.pdb is not None:
        guid, age, pdb_name = module.pdb
        cv = struct.pack("<I", 0x53445352) + guid + struct.pack("<I", age) + pdb_name.encode()
        cv += b"\x00"
    cv_rva = builder.blob(cv) if cv else 0
    version = struct.pack("<13I", 0xFEEF04BD, 0x10000, 0x00010002, 0x00030004, *([0] * 9))
    return (
        struct.pack("<QIIII", module.base, module.size, 0, module.stamp, name_rva)
        + version
        + struct.pack("<IIII", len(cv), cv_rva, 0, 0)
        + bytes(16)
    )


def synthetic_dump(spec: SynthDump) -> bytes:
    """The bytes of a minidump with ``spec``'s system, threads, modules, memory and exception."""
    builder = DumpBuilder()
    builder.stream(STREAM_SYSTEM_INFO, _system_info(builder, spec.cpu, spec.os, spec.csd))
    entries = []
    memory = []
    for thread in spec.threads:
        context_rva = builder.blob(context_for(spec.cpu, thread.registers))
        context_size = len(context_for(spec.cpu, thread.registers))
        stack_rva = builder.blob(thread.stack) if thread.stack else 0
        memory.append((thread.stack_base, len(thread.stack), stack_rva))
        entries.append(
            struct.pack(
                "<IIIIQQIIII",
                thread.thread_id,
                0,
                0,
                0,
                0,
                thread.stack_base,
                len(thread.stack),
                stack_rva,
                context_size,
                context_rva,
            )
        )
    builder.stream(STREAM_THREAD_LIST, struct.pack("<I", len(entries)) + b"".join(entries))
    modules = [_module_entry(builder, module) for module in spec.modules]
    builder.stream(STREAM_MODULE_LIST, struct.pack("<I", len(modules)) + b"".join(modules))
    for start, data in spec.extra_memory:
        memory.append((start, len(data), builder.blob(data)))
    listing = [struct.pack("<QII", start, size, rva) for start, size, rva in memory if size]
    builder.stream(STREAM_MEMORY_LIST, struct.pack("<I", len(listing)) + b"".join(listing))
    if spec.exception is not None:
        exception = spec.exception
        registers = exception.registers
        if registers is None:
            registers = next(
                t.registers for t in spec.threads if t.thread_id == exception.thread_id
            )
        context = context_for(spec.cpu, registers)
        context_rva = builder.blob(context)
        parameters = list(exception.parameters) + [0] * (15 - len(exception.parameters))
        builder.stream(
            STREAM_EXCEPTION,
            struct.pack(
                "<IIIIQQII15QII",
                exception.thread_id,
                0,
                exception.code,
                exception.flags,
                0,
                exception.address,
                len(exception.parameters),
                0,
                *parameters,
                len(context),
                context_rva,
            ),
        )
    for stream_type, payload in spec.extra_streams:
        builder.stream(stream_type, payload)
    return builder.build()
