"""The frozen picture of a crashed process that :func:`write_minidump` turns into MDMP bytes.

Everything here is a plain value: the collector (:mod:`openwer.native`) fills it from ptrace and
``/proc``; tests build it by hand. Addresses and registers are unsigned 64-bit integers; byte
strings are copied verbatim into the dump.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

__all__ = [
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
]


class Architecture(Enum):
    """The CPU a snapshot was taken on; decides the context layout and SystemInfo numbers."""

    X86_64 = "x86_64"
    ARM64 = "aarch64"


@dataclass(frozen=True, slots=True)
class X86Context:
    """x86-64 registers: general, flags, segments and the 512-byte FXSAVE area (x87/SSE/MXCSR).

    ``fxsave`` is ``PTRACE_GETFPREGS``'s ``user_fpregs_struct`` (or a signal frame's
    ``_fpstate``) verbatim; empty when unknown.
    """

    rax: int = 0
    rcx: int = 0
    rdx: int = 0
    rbx: int = 0
    rsp: int = 0
    rbp: int = 0
    rsi: int = 0
    rdi: int = 0
    r8: int = 0
    r9: int = 0
    r10: int = 0
    r11: int = 0
    r12: int = 0
    r13: int = 0
    r14: int = 0
    r15: int = 0
    rip: int = 0
    eflags: int = 0
    cs: int = 0
    ds: int = 0
    es: int = 0
    fs: int = 0
    gs: int = 0
    ss: int = 0
    fxsave: bytes = b""

    @property
    def stack_pointer(self) -> int:
        """``rsp``."""
        return self.rsp

    @property
    def instruction_pointer(self) -> int:
        """``rip``."""
        return self.rip


@dataclass(frozen=True, slots=True)
class Arm64Context:
    """aarch64 registers: x0–x30 (x29 = fp, x30 = lr), sp, pc, pstate and the FP/SIMD state.

    ``v`` holds the 32 128-bit vector registers as integers (empty when unknown).
    """

    x: tuple[int, ...] = (0,) * 31
    sp: int = 0
    pc: int = 0
    pstate: int = 0
    v: tuple[int, ...] = ()
    fpsr: int = 0
    fpcr: int = 0

    @property
    def stack_pointer(self) -> int:
        """``sp``."""
        return self.sp

    @property
    def instruction_pointer(self) -> int:
        """``pc``."""
        return self.pc


@dataclass(frozen=True, slots=True)
class MemoryRegion:
    """Bytes read from the process at ``address``."""

    address: int
    data: bytes

    @property
    def end(self) -> int:
        """The first address after the region."""
        return self.address + len(self.data)


@dataclass(frozen=True, slots=True)
class ThreadRecord:
    """One thread: its id, registers, stack bytes (from the stack pointer up) and name."""

    thread_id: int
    context: X86Context | Arm64Context
    stack: MemoryRegion | None = None
    name: str = ""


@dataclass(frozen=True, slots=True)
class ModuleRecord:
    """A loaded ELF image: lowest mapped address, span to its highest mapping, path, build id.

    ``version`` is four numbers for VS_FIXEDFILEINFO (from a ``.so.N.M`` name), or None.
    """

    base: int
    size: int
    path: str
    build_id: bytes = b""
    version: tuple[int, int, int, int] | None = None


@dataclass(frozen=True, slots=True)
class CrashException:
    """The signal that ended the process, as Breakpad's Linux writers record it.

    ``signal`` is the signal number (ExceptionCode), ``code`` is ``si_code`` (ExceptionFlags),
    ``address`` is ``si_addr`` (ExceptionAddress); ``thread_id`` is the thread it hit.
    """

    thread_id: int
    signal: int
    code: int
    address: int


@dataclass(frozen=True, slots=True)
class SystemFacts:
    """SystemInfo: CPU and kernel.

    ``vendor_id`` is the 12-byte CPUID vendor string (``GenuineIntel``); ``processor_level``
    and ``processor_revision`` are family and ``model << 8 | stepping``; ``os_version`` is the
    kernel release as three numbers and ``os_description`` the string readers show beside it.
    """

    architecture: Architecture
    cpu_count: int
    os_version: tuple[int, int, int]
    os_description: str
    processor_level: int = 0
    processor_revision: int = 0
    vendor_id: bytes = b""
    cpu_version_information: int = 0
    cpu_feature_information: int = 0


@dataclass(frozen=True, slots=True)
class MiscInfo:
    """MiscInfo: process id, start time (Unix seconds) and CPU seconds."""

    process_id: int
    process_create_time: int = 0
    user_seconds: int = 0
    kernel_seconds: int = 0


@dataclass(frozen=True, slots=True)
class LinkMapEntry:
    """One ``struct link_map`` of the dynamic linker: load bias, name and dynamic section."""

    address: int
    name: str
    dynamic: int


@dataclass(frozen=True, slots=True)
class DsoDebug:
    """The dynamic linker's ``r_debug`` (Breakpad's MD_LINUX_DSO_DEBUG stream)."""

    version: int
    entries: tuple[LinkMapEntry, ...]
    brk: int = 0
    ldbase: int = 0
    dynamic: int = 0


@dataclass(frozen=True, slots=True)
class LinuxFiles:
    """Raw ``/proc`` and ``/etc`` texts for Breakpad's Linux streams; None leaves one out.

    ``environ`` is included only when the caller's consent rules allow it.
    """

    cpu_info: bytes | None = None
    proc_status: bytes | None = None
    lsb_release: bytes | None = None
    cmdline: bytes | None = None
    environ: bytes | None = None
    auxv: bytes | None = None
    maps: bytes | None = None


@dataclass(frozen=True, slots=True)
class CrashSnapshot:
    """Everything one minidump holds (see docs/native.md for the stream list).

    ``memory`` is extra memory beyond the thread stacks (windows around the faulting address and
    instruction, data segments, heap…); overlapping regions are merged when written.
    ``python_stacks`` is the openwer stream's JSON payload (UTF-8), or None.
    """

    timestamp: int
    system: SystemFacts
    misc: MiscInfo
    threads: tuple[ThreadRecord, ...]
    modules: tuple[ModuleRecord, ...] = ()
    memory: tuple[MemoryRegion, ...] = ()
    exception: CrashException | None = None
    linux: LinuxFiles = field(default_factory=LinuxFiles)
    dso_debug: DsoDebug | None = None
    python_stacks: bytes | None = None
