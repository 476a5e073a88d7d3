"""``/proc/<pid>`` facts a crash capture records: memory maps, threads, times, raw files.

:func:`parse_maps` is pure (text in, :class:`MemoryMapping` values out); the readers read one
file each and never raise: what cannot be read comes back empty, ``None`` or 0. Safe from any
thread. A process can change between two reads; callers that need a consistent picture stop it
first (ptrace).
"""

from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass
from typing import Final

__all__ = [
    "MemoryMapping",
    "ProcessTimes",
    "parse_maps",
    "process_times",
    "read_maps",
    "read_proc_file",
    "task_ids",
    "thread_name",
    "tracer_pid",
]

_MAX_FILE: Final = 4 << 20
_MAPS_LINE = re.compile(
    rb"^([0-9a-f]+)-([0-9a-f]+) ([r-])([w-])([x-])([ps]) ([0-9a-f]+) "
    rb"([0-9a-f]+:[0-9a-f]+) (\d+)\s*(.*)$"
)
_DELETED = " (deleted)"


@dataclass(frozen=True, slots=True)
class MemoryMapping:
    """One line of ``/proc/<pid>/maps``.

    ``path`` is the file name, a pseudo name (``[stack]``, ``[heap]``, ``[vdso]``) or ``""`` for
    anonymous memory; a file deleted since it was mapped keeps the kernel's `` (deleted)``
    suffix.
    """

    start: int
    end: int
    readable: bool
    writable: bool
    executable: bool
    private: bool
    offset: int
    device: str
    inode: int
    path: str

    @property
    def size(self) -> int:
        """The mapping's length in bytes."""
        return self.end - self.start

    @property
    def is_file(self) -> bool:
        """True when a file on disk backs the mapping."""
        return self.path.startswith("/") and self.inode != 0

    @property
    def file_path(self) -> str:
        """The file's path without the `` (deleted)`` suffix."""
        return self.path.removesuffix(_DELETED)

    def contains(self, address: int) -> bool:
        """True when ``address`` lies inside the mapping."""
        return self.start <= address < self.end


def parse_maps(text: bytes) -> tuple[MemoryMapping, ...]:
    """Parse the contents of a ``maps`` file; malformed lines are skipped."""
    found: list[MemoryMapping] = []
    for line in text.splitlines():
        match = _MAPS_LINE.match(line)
        if match is None:
            continue
        start, end, r, w, x, p, offset, device, inode, path = match.groups()
        found.append(
            MemoryMapping(
                start=int(start, 16),
                end=int(end, 16),
                readable=r == b"r",
                writable=w == b"w",
                executable=x == b"x",
                private=p == b"p",
                offset=int(offset, 16),
                device=device.decode("ascii"),
                inode=int(inode),
                path=path.decode("utf-8", "surrogateescape"),
            )
        )
    return tuple(found)


def read_proc_file(pid: int, name: str, limit: int = _MAX_FILE) -> bytes | None:
    """Read ``/proc/<pid>/<name>`` (at most ``limit`` bytes), or ``None`` when unreadable."""
    return _read(f"/proc/{pid}/{name}", limit)


def _read(path: str, limit: int) -> bytes | None:
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    chunks: list[bytes] = []
    total = 0
    try:
        while total < limit:
            chunk = os.read(descriptor, min(1 << 16, limit - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except OSError:
        return b"".join(chunks) if chunks else None
    finally:
        os.close(descriptor)
    return b"".join(chunks)


def read_maps(pid: int) -> tuple[bytes, tuple[MemoryMapping, ...]]:
    """The raw ``maps`` text of ``pid`` and its parsed lines (both empty when unreadable)."""
    raw = read_proc_file(pid, "maps") or b""
    return raw, parse_maps(raw)


def task_ids(pid: int) -> list[int]:
    """The thread ids of ``pid`` (``/proc/<pid>/task``), in ascending order; empty when gone."""
    try:
        names = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    return sorted(int(name) for name in names if name.isdigit())


def thread_name(pid: int, tid: int) -> str:
    """The thread's ``comm`` (up to 15 characters), or ``""``."""
    raw = read_proc_file(pid, f"task/{tid}/comm", 64) or b""
    return raw.decode("utf-8", "replace").rstrip("\n")


def tracer_pid(pid: int | None = None) -> int:
    """``TracerPid`` of ``pid`` (default: this process): 0 when nobody traces it."""
    raw = read_proc_file(os.getpid() if pid is None else pid, "status", 1 << 16) or b""
    for line in raw.splitlines():
        if line.startswith(b"TracerPid:"):
            with contextlib.suppress(ValueError):
                return int(line.split(b":", 1)[1])
    return 0


@dataclass(frozen=True, slots=True)
class ProcessTimes:
    """When a process started (Unix seconds) and the CPU seconds it used."""

    start_time: int
    user_seconds: int
    kernel_seconds: int


def process_times(pid: int) -> ProcessTimes:
    """Read ``/proc/<pid>/stat`` for the start time and CPU times (zeros when unreadable)."""
    raw = read_proc_file(pid, "stat", 4096) or b""
    fields = raw.rpartition(b")")[2].split()
    ticks = os.sysconf("SC_CLK_TCK") or 100
    try:
        utime, stime, start = int(fields[11]), int(fields[12]), int(fields[19])
    except (IndexError, ValueError):
        return ProcessTimes(0, 0, 0)
    return ProcessTimes(_boot_time() + start // ticks, utime // ticks, stime // ticks)


def _boot_time() -> int:
    raw = _read("/proc/stat", 1 << 16) or b""
    for line in raw.splitlines():
        if line.startswith(b"btime "):
            with contextlib.suppress(ValueError):
                return int(line.split()[1])
    return 0
