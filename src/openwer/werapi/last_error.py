"""``GetLastError``/``SetLastError``: the calling thread's last Win32 error code.

Win32 functions that return ``BOOL`` or a handle report why they failed through the thread's
last-error value; the Python functions of :mod:`openwer.werapi` that mirror them also return the
code, and set it here so that ported ``if (!f(...)) err = GetLastError();`` code keeps working.
Per thread, like Windows' TEB field; thread-safe.
"""

from __future__ import annotations

import threading

__all__ = ["GetLastError", "SetLastError"]

_state = threading.local()


def GetLastError() -> int:
    """The last error code set on this thread (0, ``ERROR_SUCCESS``, before any)."""
    return int(getattr(_state, "code", 0))


def SetLastError(dwErrCode: int) -> None:
    """Set this thread's last error code."""
    _state.code = int(dwErrCode)
