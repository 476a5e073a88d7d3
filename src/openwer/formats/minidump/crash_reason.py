"""Crash reasons: the name of an exception stream's code, as Breakpad and rust-minidump name it.

- Windows: the exception code (an NTSTATUS) by its ``EXCEPTION_*`` or ``STATUS_*`` name; an
  access violation or in-page error gets ``_READ``, ``_WRITE`` or ``_EXEC`` from its first
  parameter and its crash address from its second; a stack buffer overrun names its fast-fail
  code.
- Linux, Android and other Unixes: the signal (``SIGSEGV``), then `` / `` and the ``si_code``
  from the exception flags (``SEGV_MAPERR``; generic codes such as ``SI_TKILL``; hex otherwise).
  Flags of 0 add nothing: older Breakpad clients always wrote 0 there.
- macOS and iOS: the Mach exception (``EXC_BAD_ACCESS``), then the code from the flags
  (``KERN_INVALID_ADDRESS``; CPU-specific codes on x86 and ARM).
- Any platform: ``0xFFFFFFFF`` is ``DUMP_REQUESTED`` (a dump written without a crash).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from openwer.formats.minidump.ntstatus_names import FAST_FAIL_NAMES, NTSTATUS_NAMES

__all__ = ["DUMP_REQUESTED", "crash_address", "crash_reason"]

DUMP_REQUESTED: Final = 0xFFFF_FFFF

_ACCESS_VIOLATION: Final = 0xC000_0005
_IN_PAGE_ERROR: Final = 0xC000_0006
_STACK_BUFFER_OVERRUN: Final = 0xC000_0409
_ACCESS_TYPES: Final = {0: "_READ", 1: "_WRITE", 8: "_EXEC"}

_WINDOWS_NAMES: Final[Mapping[int, str]] = {
    0x8000_0001: "EXCEPTION_GUARD_PAGE",
    0x8000_0002: "EXCEPTION_DATATYPE_MISALIGNMENT",
    0x8000_0003: "EXCEPTION_BREAKPOINT",
    0x8000_0004: "EXCEPTION_SINGLE_STEP",
    0xC000_0005: "EXCEPTION_ACCESS_VIOLATION",
    0xC000_0006: "EXCEPTION_IN_PAGE_ERROR",
    0xC000_0008: "EXCEPTION_INVALID_HANDLE",
    0xC000_001D: "EXCEPTION_ILLEGAL_INSTRUCTION",
    0xC000_0025: "EXCEPTION_NONCONTINUABLE_EXCEPTION",
    0xC000_0026: "EXCEPTION_INVALID_DISPOSITION",
    0xC000_008C: "EXCEPTION_BOUNDS_EXCEEDED",
    0xC000_008D: "EXCEPTION_FLT_DENORMAL_OPERAND",
    0xC000_008E: "EXCEPTION_FLT_DIVIDE_BY_ZERO",
    0xC000_008F: "EXCEPTION_FLT_INEXACT_RESULT",
    0xC000_0090: "EXCEPTION_FLT_INVALID_OPERATION",
    0xC000_0091: "EXCEPTION_FLT_OVERFLOW",
    0xC000_0092: "EXCEPTION_FLT_STACK_CHECK",
    0xC000_0093: "EXCEPTION_FLT_UNDERFLOW",
    0xC000_0094: "EXCEPTION_INT_DIVIDE_BY_ZERO",
    0xC000_0095: "EXCEPTION_INT_OVERFLOW",
    0xC000_0096: "EXCEPTION_PRIV_INSTRUCTION",
    0xC000_00FD: "EXCEPTION_STACK_OVERFLOW",
    0xC000_0194: "EXCEPTION_POSSIBLE_DEADLOCK",
    0xC000_0409: "EXCEPTION_STACK_BUFFER_OVERRUN",
    0xC000_0374: "EXCEPTION_HEAP_CORRUPTION",
    0xE000_0008: "OUT_OF_MEMORY",
    0xE06D_7363: "UNHANDLED_CPP_EXCEPTION",
    0xE043_4352: "MANAGED_EXCEPTION_CODE_V4",
    0x0517_A7ED: "SIMULATED",
    0x4001_0005: "DBG_CONTROL_C",
}

_SIGNALS: Final[Mapping[int, str]] = {
    1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT",
    7: "SIGBUS", 8: "SIGFPE", 9: "SIGKILL", 10: "SIGUSR1", 11: "SIGSEGV", 12: "SIGUSR2",
    13: "SIGPIPE", 14: "SIGALRM", 15: "SIGTERM", 16: "SIGSTKFLT", 17: "SIGCHLD", 18: "SIGCONT",
    19: "SIGSTOP", 20: "SIGTSTP", 21: "SIGTTIN", 22: "SIGTTOU", 23: "SIGURG", 24: "SIGXCPU",
    25: "SIGXFSZ", 26: "SIGVTALRM", 27: "SIGPROF", 28: "SIGWINCH", 29: "SIGIO", 30: "SIGPWR",
    31: "SIGSYS",
}  # fmt: skip

# si_code values by signal (asm-generic/siginfo.h).
_SIGNAL_CODES: Final[Mapping[int, Mapping[int, str]]] = {
    4: {1: "ILL_ILLOPC", 2: "ILL_ILLOPN", 3: "ILL_ILLADR", 4: "ILL_ILLTRP", 5: "ILL_PRVOPC",
        6: "ILL_PRVREG", 7: "ILL_COPROC", 8: "ILL_BADSTK", 9: "ILL_BADIADDR"},
    5: {1: "TRAP_BRKPT", 2: "TRAP_TRACE", 3: "TRAP_BRANCH", 4: "TRAP_HWBKPT", 5: "TRAP_UNK",
        6: "TRAP_PERF"},
    7: {1: "BUS_ADRALN", 2: "BUS_ADRERR", 3: "BUS_OBJERR", 4: "BUS_MCEERR_AR",
        5: "BUS_MCEERR_AO"},
    8: {1: "FPE_INTDIV", 2: "FPE_INTOVF", 3: "FPE_FLTDIV", 4: "FPE_FLTOVF", 5: "FPE_FLTUND",
        6: "FPE_FLTRES", 7: "FPE_FLTINV", 8: "FPE_FLTSUB"},
    11: {1: "SEGV_MAPERR", 2: "SEGV_ACCERR", 3: "SEGV_BNDERR", 4: "SEGV_PKUERR",
         5: "SEGV_ACCADI", 6: "SEGV_ADIDERR", 7: "SEGV_ADIPERR", 8: "SEGV_MTEAERR",
         9: "SEGV_MTESERR"},
    31: {1: "SYS_SECCOMP", 2: "SYS_USER_DISPATCH"},
}  # fmt: skip

_GENERIC_SI_CODES: Final[Mapping[int, str]] = {
    0: "SI_USER", 0x80: "SI_KERNEL", -1: "SI_QUEUE", -2: "SI_TIMER", -3: "SI_MESGQ",
    -4: "SI_ASYNCIO", -5: "SI_SIGIO", -6: "SI_TKILL", -7: "SI_DETHREAD", -60: "SI_ASYNCNL",
}  # fmt: skip

_MACH_EXCEPTIONS: Final[Mapping[int, str]] = {
    1: "EXC_BAD_ACCESS", 2: "EXC_BAD_INSTRUCTION", 3: "EXC_ARITHMETIC", 4: "EXC_EMULATION",
    5: "EXC_SOFTWARE", 6: "EXC_BREAKPOINT", 7: "EXC_SYSCALL", 8: "EXC_MACH_SYSCALL",
    9: "EXC_RPC_ALERT", 10: "EXC_CRASH", 11: "EXC_RESOURCE", 12: "EXC_GUARD",
    13: "EXC_CORPSE_NOTIFY", 0x43507378: "SIMULATED",
}  # fmt: skip

_KERN_CODES: Final[Mapping[int, str]] = {
    1: "KERN_INVALID_ADDRESS", 2: "KERN_PROTECTION_FAILURE", 5: "KERN_FAILURE",
    8: "KERN_NO_ACCESS", 9: "KERN_MEMORY_FAILURE", 10: "KERN_MEMORY_ERROR",
    50: "KERN_CODESIGN_ERROR",
}  # fmt: skip

# Mach exception codes by (exception, CPU family): mach/i386/exception.h, mach/arm/exception.h.
_MACH_CPU_CODES: Final[Mapping[tuple[int, str], Mapping[int, str]]] = {
    (1, "x86"): {13: "EXC_I386_GPFLT"},
    (1, "arm"): {0x101: "EXC_ARM_DA_ALIGN", 0x102: "EXC_ARM_DA_DEBUG"},
    (2, "x86"): {1: "EXC_I386_INVOP", 10: "EXC_I386_INVTSSFLT", 11: "EXC_I386_SEGNPFLT",
                 12: "EXC_I386_STKFLT", 13: "EXC_I386_GPFLT", 17: "EXC_I386_ALIGNFLT"},
    (2, "arm"): {1: "EXC_ARM_UNDEFINED"},
    (3, "x86"): {1: "EXC_I386_DIV", 2: "EXC_I386_INTO", 3: "EXC_I386_NOEXT", 4: "EXC_I386_EXTOVR",
                 5: "EXC_I386_EXTERR", 6: "EXC_I386_EMERR", 7: "EXC_I386_BOUND",
                 8: "EXC_I386_SSEEXTERR"},
    (3, "arm"): {1: "EXC_ARM_FP_IO", 2: "EXC_ARM_FP_DZ", 3: "EXC_ARM_FP_OF", 4: "EXC_ARM_FP_UF",
                 5: "EXC_ARM_FP_IX", 6: "EXC_ARM_FP_ID"},
    (6, "x86"): {1: "EXC_I386_SGL", 2: "EXC_I386_BPT"},
    (6, "arm"): {1: "EXC_ARM_BREAKPOINT", 0x101: "EXC_ARM_DA_ALIGN", 0x102: "EXC_ARM_DA_DEBUG"},
}  # fmt: skip

_MACH_SOFTWARE: Final[Mapping[int, str]] = {
    0x0001_0002: "SIGABRT", 0xDEAD_C0DE: "UNCAUGHT_NS_EXCEPTION", 0x0001_0100: "EXC_PPC_MIGRATE",
}  # fmt: skip


def _signed32(value: int) -> int:
    value &= 0xFFFF_FFFF
    return value - (1 << 32) if value & 0x8000_0000 else value


def _windows_reason(code: int, parameters: Sequence[int]) -> str:
    if code in (_ACCESS_VIOLATION, _IN_PAGE_ERROR):
        name = _WINDOWS_NAMES[code]
        if parameters:
            name += _ACCESS_TYPES.get(parameters[0], "")
        if code == _IN_PAGE_ERROR and len(parameters) >= 3:
            status = parameters[2] & 0xFFFF_FFFF
            name += " / " + NTSTATUS_NAMES.get(status, f"0x{status:08x}")
        return name
    if code == _STACK_BUFFER_OVERRUN and parameters:
        fast_fail = parameters[0]
        return f"{_WINDOWS_NAMES[code]} / " + FAST_FAIL_NAMES.get(fast_fail, f"0x{fast_fail:x}")
    if code in _WINDOWS_NAMES:
        return _WINDOWS_NAMES[code]
    return NTSTATUS_NAMES.get(code, f"0x{code:08x}")


def _unix_reason(code: int, flags: int) -> str:
    name = _SIGNALS.get(code)
    if name is None:
        return f"0x{code:08x}"
    si_code = _signed32(flags)
    if si_code == 0:
        # Older Breakpad clients always wrote 0 here; calling that SI_USER would mislead.
        return name
    detail = _SIGNAL_CODES.get(code, {}).get(si_code) or _GENERIC_SI_CODES.get(si_code)
    return f"{name} / {detail or f'0x{flags & 0xFFFF_FFFF:x}'}"


def _mach_reason(code: int, flags: int, cpu: str) -> str:
    name = _MACH_EXCEPTIONS.get(code)
    if name is None:
        return f"0x{code:08x}"
    family = "x86" if cpu in ("x86", "amd64") else "arm" if cpu in ("arm", "arm64") else cpu
    if code == 5:
        detail = _MACH_SOFTWARE.get(flags)
    elif code == 1 and flags in _KERN_CODES:
        detail = _KERN_CODES[flags]
    else:
        detail = _MACH_CPU_CODES.get((code, family), {}).get(flags)
    if detail is None and code in (1, 2, 3, 5, 6):
        detail = f"0x{flags:08x}"
    return f"{name} / {detail}" if detail else name


def crash_reason(
    os_short: str, code: int, flags: int, parameters: Sequence[int], cpu: str = ""
) -> str:
    """The crash reason's name for an exception stream's code, flags and parameters.

    ``os_short`` is Breakpad's short OS name (``windows``, ``linux``, ``mac``…); an unknown
    platform is read as Windows when the code looks like an NTSTATUS, else as a Unix signal.
    """
    code &= 0xFFFF_FFFF
    if code == DUMP_REQUESTED:
        return "DUMP_REQUESTED"
    if os_short == "windows" or (os_short == "unknown" and code > 0xFFFF):
        return _windows_reason(code, parameters)
    if os_short in ("mac", "ios"):
        return _mach_reason(code, flags & 0xFFFF_FFFF, cpu)
    return _unix_reason(code, flags)


def crash_address(os_short: str, code: int, address: int, parameters: Sequence[int]) -> int:
    """The address the crash is about: the faulting data address of a Windows access violation
    or in-page error (its second parameter), else the exception address."""
    if (
        os_short == "windows"
        and code & 0xFFFF_FFFF in (_ACCESS_VIOLATION, _IN_PAGE_ERROR)
        and len(parameters) >= 2
    ):
        return parameters[1]
    return address
