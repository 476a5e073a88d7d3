"""Reading another process's memory: ``process_vm_readv``, else ``/proc/<pid>/mem``.

Both need ptrace access to the target (being its tracer is enough). ``process_vm_readv`` is one
system call per range and does not need the target stopped; ``/proc/<pid>/mem`` is the fallback
where that call is missing or refused (some seccomp profiles and older kernels).

:func:`read_memory` returns what could be read from the start of the range: a range that runs
into an unmapped page comes back shorter, an unreadable start comes back empty. Never raises for
an unreadable range; :class:`ProcessMemory` is one reader per target process (it keeps the
``/proc`` file open once the fallback was needed). Not thread-safe: use one per thread.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import os
from types import TracebackType
from typing import Final

__all__ = ["ProcessMemory", "read_memory"]

_PAGE: Final = os.sysconf("SC_PAGE_SIZE")


class _IoVec(ctypes.Structure):
    _fields_ = [("iov_base", ctypes.c_void_p), ("iov_len", ctypes.c_size_t)]


def _load() -> ctypes.CDLL:
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    libc.process_vm_readv.argtypes = [
        ctypes.c_int,
        ctypes.POINTER(_IoVec),
        ctypes.c_ulong,
        ctypes.POINTER(_IoVec),
        ctypes.c_ulong,
        ctypes.c_ulong,
    ]
    libc.process_vm_readv.restype = ctypes.c_ssize_t
    return libc


_libc = _load()


class ProcessMemory:
    """Reads ranges of one process's memory (see the module docstring)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self._vm_readv = True
        self._mem: int | None = None

    def __enter__(self) -> ProcessMemory:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the ``/proc/<pid>/mem`` file if the fallback opened it."""
        if self._mem is not None:
            with contextlib.suppress(OSError):
                os.close(self._mem)
            self._mem = None

    def read(self, address: int, size: int) -> bytes:
        """Read up to ``size`` bytes at ``address``; shorter when the range ends unmapped."""
        if size <= 0 or address < 0 or address + size > 1 << 64:
            return b""
        if self._vm_readv:
            data = self._read_vm(address, size)
            if data is not None:
                return data
        return self._read_proc(address, size)

    def _read_vm(self, address: int, size: int) -> bytes | None:
        buffer = ctypes.create_string_buffer(size)
        local = _IoVec(ctypes.addressof(buffer), size)
        remote = _IoVec(address, size)
        done = _libc.process_vm_readv(self.pid, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0)
        if done >= 0:
            return buffer.raw[:done]
        error = ctypes.get_errno()
        if error == errno.EFAULT:
            return b""  # the first page is unmapped or unreadable
        if error in (errno.ENOSYS, errno.EPERM, errno.EINVAL):
            self._vm_readv = False  # not available here: /proc/<pid>/mem from now on
            return None
        return b""

    def _read_proc(self, address: int, size: int) -> bytes:
        if self._mem is None:
            try:
                self._mem = os.open(f"/proc/{self.pid}/mem", os.O_RDONLY | os.O_CLOEXEC)
            except OSError:
                return b""
        chunks: list[bytes] = []
        offset, remaining = address, size
        while remaining > 0:
            step = min(remaining, _PAGE - offset % _PAGE)
            try:
                chunk = os.pread(self._mem, step, offset)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
            offset += len(chunk)
            remaining -= len(chunk)
            if len(chunk) < step:
                break
        return b"".join(chunks)


def read_memory(pid: int, address: int, size: int) -> bytes:
    """One-shot :meth:`ProcessMemory.read`."""
    with ProcessMemory(pid) as memory:
        return memory.read(address, size)
