"""Who may trace whom: Yama's ``ptrace_scope`` and ``prctl(PR_SET_PTRACER)``.

With Yama in mode 1 ("restricted"), a process may trace only its descendants unless the target
named it with ``PR_SET_PTRACER``: that is how a crash handler that is not the program's parent
gets to attach at crash time. Without Yama (or in mode 0) ordinary permission checks apply (same
user, dumpable); mode 2 needs ``CAP_SYS_PTRACE``; mode 3 forbids ptrace entirely.

Functions never raise; safe from any thread (``PR_SET_PTRACER`` applies to the whole process).
"""

from __future__ import annotations

import ctypes
import ctypes.util
from typing import Final

__all__ = ["PTRACER_ANY", "has_cap_sys_ptrace", "ptrace_scope", "set_ptracer"]

_PR_SET_PTRACER: Final = 0x59616D61  # 'Yama'
PTRACER_ANY: Final = -1
_CAP_SYS_PTRACE: Final = 19

_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
_libc.prctl.argtypes = [
    ctypes.c_int,
    ctypes.c_ulong,
    ctypes.c_ulong,
    ctypes.c_ulong,
    ctypes.c_ulong,
]
_libc.prctl.restype = ctypes.c_int


def ptrace_scope() -> int | None:
    """Yama's ``ptrace_scope`` (0–3), or ``None`` when Yama is not active."""
    try:
        with open("/proc/sys/kernel/yama/ptrace_scope", "rb") as handle:
            return int(handle.read().strip() or b"0")
    except (OSError, ValueError):
        return None


def has_cap_sys_ptrace() -> bool:
    """True when this process's effective capabilities include ``CAP_SYS_PTRACE``."""
    try:
        with open("/proc/self/status", "rb") as handle:
            for line in handle:
                if line.startswith(b"CapEff:"):
                    return bool(int(line.split()[1], 16) >> _CAP_SYS_PTRACE & 1)
    except (OSError, ValueError, IndexError):
        return False
    return False


def set_ptracer(pid: int) -> bool:
    """Allow process ``pid`` (or :data:`PTRACER_ANY`) to trace this process under Yama.

    Returns False when the call failed; without Yama it fails with ``EINVAL`` and is not needed.
    """
    value = ctypes.c_ulong(pid).value  # -1 becomes PR_SET_PTRACER_ANY's all-ones
    return int(_libc.prctl(_PR_SET_PTRACER, value, 0, 0, 0)) == 0
