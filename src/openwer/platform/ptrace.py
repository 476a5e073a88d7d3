"""ptrace(2) through ctypes: seize, interrupt, resume, detach and read a stopped thread's state.

Only what native crash capture needs, with the recipes of toolchain-notes §3 and §5:

* :func:`seize` (``PTRACE_SEIZE``, never ``PTRACE_ATTACH``: it sends no SIGSTOP and reports
  group-stops as ``PTRACE_EVENT_STOP``), :func:`interrupt` (``PTRACE_INTERRUPT``),
  :func:`cont` (``PTRACE_CONT`` with the signal to deliver, 0 for none), :func:`listen`
  (``PTRACE_LISTEN``: keep a group-stopped tracee stopped, as job control wants),
  :func:`detach`.
* :func:`get_regs` / :func:`get_fpregs` (x86-64 ``user_regs_struct`` and the 512-byte FXSAVE
  area), :func:`get_regset` (``PTRACE_GETREGSET``, the portable form aarch64 needs),
  :func:`get_siginfo` and :func:`get_event_message`.

Lifecycle and thread safety: the kernel ties a tracee to the *thread* that seized it, so every
request for a tracee must come from that same thread. One tracer per process: while openwer
traces a program, a debugger cannot attach to it (``EPERM``), and the other way round.

Failure contract: every function raises :class:`~openwer.errors.TraceError` carrying ``errno``
(``EPERM`` not allowed, ``ESRCH`` gone or not stopped); nothing else.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import platform
import struct
from dataclasses import dataclass
from typing import Final

from openwer.errors import TraceError

__all__ = [
    "NT_PRFPREG",
    "NT_PRSTATUS",
    "OPTIONS_FOLLOW_ALL",
    "PTRACE_EVENT_CLONE",
    "PTRACE_EVENT_EXEC",
    "PTRACE_EVENT_EXIT",
    "PTRACE_EVENT_FORK",
    "PTRACE_EVENT_STOP",
    "PTRACE_EVENT_VFORK",
    "PTRACE_O_EXITKILL",
    "PTRACE_O_TRACECLONE",
    "PTRACE_O_TRACEEXEC",
    "PTRACE_O_TRACEFORK",
    "PTRACE_O_TRACEVFORK",
    "WALL",
    "SignalInfo",
    "X86UserRegs",
    "cont",
    "detach",
    "get_event_message",
    "get_fpregs",
    "get_regs",
    "get_regset",
    "get_siginfo",
    "interrupt",
    "listen",
    "machine",
    "seize",
]

# <sys/ptrace.h>
_PTRACE_CONT: Final = 7
_PTRACE_GETREGS: Final = 12
_PTRACE_GETFPREGS: Final = 14
_PTRACE_DETACH: Final = 17
_PTRACE_GETEVENTMSG: Final = 0x4201
_PTRACE_GETSIGINFO: Final = 0x4202
_PTRACE_GETREGSET: Final = 0x4204
_PTRACE_SEIZE: Final = 0x4206
_PTRACE_INTERRUPT: Final = 0x4207
_PTRACE_LISTEN: Final = 0x4208

PTRACE_O_TRACEFORK: Final = 0x02
PTRACE_O_TRACEVFORK: Final = 0x04
PTRACE_O_TRACECLONE: Final = 0x08
PTRACE_O_TRACEEXEC: Final = 0x10
PTRACE_O_EXITKILL: Final = 0x100000
OPTIONS_FOLLOW_ALL: Final = (
    PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC
)
"""Follow threads, forked children and exec; deliberately without ``EXITKILL`` (see the tracer)."""

PTRACE_EVENT_FORK: Final = 1
PTRACE_EVENT_VFORK: Final = 2
PTRACE_EVENT_CLONE: Final = 3
PTRACE_EVENT_EXEC: Final = 4
PTRACE_EVENT_EXIT: Final = 6
PTRACE_EVENT_STOP: Final = 128

NT_PRSTATUS: Final = 1
NT_PRFPREG: Final = 2
WALL: Final = 0x40000000
"""``__WALL`` for ``os.waitpid``: wait for every thread and clone, not only for processes."""

_SIGINFO_SIZE: Final = 128
_FPREGS_SIZE: Final = 512  # struct user_fpregs_struct: the FXSAVE area
_USER_REGS_FIELDS: Final = [
    "r15",
    "r14",
    "r13",
    "r12",
    "rbp",
    "rbx",
    "r11",
    "r10",
    "r9",
    "r8",
    "rax",
    "rcx",
    "rdx",
    "rsi",
    "rdi",
    "orig_rax",
    "rip",
    "cs",
    "eflags",
    "rsp",
    "ss",
    "fs_base",
    "gs_base",
    "ds",
    "es",
    "fs",
    "gs",
]
_USER_REGS = struct.Struct(f"<{len(_USER_REGS_FIELDS)}Q")


class _IoVec(ctypes.Structure):
    _fields_ = [("iov_base", ctypes.c_void_p), ("iov_len", ctypes.c_size_t)]


def _load_libc() -> ctypes.CDLL:
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
    libc.ptrace.restype = ctypes.c_long
    return libc


_libc = _load_libc()


@dataclass(frozen=True, slots=True)
class X86UserRegs:
    """An x86-64 ``struct user_regs_struct``, field for field (all unsigned 64-bit)."""

    r15: int
    r14: int
    r13: int
    r12: int
    rbp: int
    rbx: int
    r11: int
    r10: int
    r9: int
    r8: int
    rax: int
    rcx: int
    rdx: int
    rsi: int
    rdi: int
    orig_rax: int
    rip: int
    cs: int
    eflags: int
    rsp: int
    ss: int
    fs_base: int
    gs_base: int
    ds: int
    es: int
    fs: int
    gs: int

    @classmethod
    def from_bytes(cls, data: bytes) -> X86UserRegs:
        """Decode the kernel's 216-byte structure."""
        return cls(*_USER_REGS.unpack_from(data))

    def to_bytes(self) -> bytes:
        """Encode back to the kernel's layout."""
        return _USER_REGS.pack(*(getattr(self, name) for name in _USER_REGS_FIELDS))


@dataclass(frozen=True, slots=True)
class SignalInfo:
    """The fields of a ``siginfo_t`` a crash report uses.

    ``address`` is ``si_addr`` (the faulting address of SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP;
    the calling instruction of SIGSYS); ``sender_pid`` is ``si_pid`` for a signal another process
    or ``raise()`` sent (``code`` ≤ 0). ``raw`` keeps all 128 bytes.
    """

    signo: int
    errno: int
    code: int
    address: int
    sender_pid: int
    raw: bytes

    @property
    def sent_by_process(self) -> bool:
        """True for kill/tgkill/raise/sigqueue (``si_code`` ≤ 0), False for a CPU fault."""
        return self.code <= 0

    @classmethod
    def from_bytes(cls, raw: bytes) -> SignalInfo:
        """Decode a 128-byte x86-64/aarch64 ``siginfo_t``."""
        signo, error, code = struct.unpack_from("<iii", raw, 0)
        (address,) = struct.unpack_from("<Q", raw, 16)
        (sender,) = struct.unpack_from("<i", raw, 16)
        return cls(signo, error, code, address, sender if code <= 0 else 0, bytes(raw))


def machine() -> str:
    """``x86_64`` or ``aarch64`` (``platform.machine()``), the layouts this module decodes."""
    return platform.machine()


def _call(request: int, tid: int, address: int | None, data: int | ctypes.c_void_p | None) -> int:
    ctypes.set_errno(0)
    result = int(_libc.ptrace(request, tid, address, data))
    if result == -1:
        error = ctypes.get_errno()
        if error:
            raise TraceError(f"ptrace request {request:#x} on {tid}: {os.strerror(error)}", error)
    return result


def seize(tid: int, options: int = 0) -> None:
    """Start tracing thread ``tid`` without stopping it (``PTRACE_SEIZE``)."""
    _call(_PTRACE_SEIZE, tid, 0, options)


def interrupt(tid: int) -> None:
    """Ask a seized thread to stop (it reports ``PTRACE_EVENT_STOP`` soon after)."""
    _call(_PTRACE_INTERRUPT, tid, 0, 0)


def cont(tid: int, signal_number: int = 0) -> None:
    """Resume a stopped tracee, delivering ``signal_number`` (0: none)."""
    _call(_PTRACE_CONT, tid, 0, signal_number)


def listen(tid: int) -> None:
    """Leave a group-stopped tracee stopped but let it report SIGCONT (``PTRACE_LISTEN``)."""
    _call(_PTRACE_LISTEN, tid, 0, 0)


def detach(tid: int, signal_number: int = 0) -> None:
    """Stop tracing a stopped tracee, delivering ``signal_number`` as it resumes."""
    _call(_PTRACE_DETACH, tid, 0, signal_number)


def get_event_message(tid: int) -> int:
    """``PTRACE_GETEVENTMSG``: the new tid of a clone/fork event, the former tid of an exec."""
    value = ctypes.c_ulong(0)
    _call(_PTRACE_GETEVENTMSG, tid, 0, ctypes.c_void_p(ctypes.addressof(value)))
    return int(value.value)


def get_siginfo(tid: int) -> SignalInfo:
    """The ``siginfo_t`` of the signal a tracee stopped for."""
    buffer = ctypes.create_string_buffer(_SIGINFO_SIZE)
    _call(_PTRACE_GETSIGINFO, tid, 0, ctypes.c_void_p(ctypes.addressof(buffer)))
    return SignalInfo.from_bytes(buffer.raw)


def get_regs(tid: int) -> X86UserRegs:
    """The general registers of a stopped x86-64 tracee (``PTRACE_GETREGS``)."""
    buffer = ctypes.create_string_buffer(_USER_REGS.size)
    _call(_PTRACE_GETREGS, tid, 0, ctypes.c_void_p(ctypes.addressof(buffer)))
    return X86UserRegs.from_bytes(buffer.raw)


def get_fpregs(tid: int) -> bytes:
    """The 512-byte FXSAVE area of a stopped x86-64 tracee (``PTRACE_GETFPREGS``)."""
    buffer = ctypes.create_string_buffer(_FPREGS_SIZE)
    _call(_PTRACE_GETFPREGS, tid, 0, ctypes.c_void_p(ctypes.addressof(buffer)))
    return buffer.raw


def get_regset(tid: int, note_type: int, size: int) -> bytes:
    """``PTRACE_GETREGSET``: up to ``size`` bytes of register set ``note_type`` (``NT_*``).

    Returns as many bytes as the kernel filled (it shortens ``iov_len``).
    """
    buffer = ctypes.create_string_buffer(size)
    vector = _IoVec(ctypes.addressof(buffer), size)
    _call(_PTRACE_GETREGSET, tid, note_type, ctypes.c_void_p(ctypes.addressof(vector)))
    return buffer.raw[: vector.iov_len]
