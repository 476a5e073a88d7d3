"""File locks as ``/proc/locks`` lists them: who holds a lock, who waits for it.

Each line is one lock or one blocked request::

    4: FLOCK  ADVISORY  WRITE 15298 fe:00:2155128 0 EOF
    4: -> FLOCK  ADVISORY  WRITE 15299 fe:00:2155128 0 EOF

A request blocked by a lock carries the lock's ordinal and a ``->`` (newer kernels indent a
request blocked behind another request one ``->`` deeper); the ordinal's first line without one
is the lock that blocks them all. The pid is the one that took the lock, translated into the
reader's pid namespace: 0 when it has none there, and -1 for open-file-description locks
(``OFDLCK``), which belong to an open file rather than to a process. ``/proc/locks`` is readable
by everyone and lists every lock of the machine.

:func:`parse_proc_locks` is pure and skips lines it does not understand; :func:`read_proc_locks`
never raises (empty when unreadable). Safe from any thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["FileLock", "lock_blocking", "parse_proc_locks", "read_proc_locks"]


@dataclass(frozen=True, slots=True)
class FileLock:
    """One ``/proc/locks`` line.

    ``kind`` is ``FLOCK``, ``POSIX`` (``fcntl``/``lockf``), ``OFDLCK``, ``LEASE``…; ``access``
    ``READ`` or ``WRITE``; ``depth`` 0 for a held lock and the number of ``->`` for a blocked
    request; ``end`` is ``None`` for ``EOF``; ``pid`` is -1 or 0 when no process is named.
    """

    ordinal: int
    depth: int
    kind: str
    mode: str
    access: str
    pid: int
    device_major: int
    device_minor: int
    inode: int
    start: int
    end: int | None

    @property
    def blocked(self) -> bool:
        """Whether this is a request waiting for a lock rather than a held lock."""
        return self.depth > 0

    def describe(self) -> str:
        """``"FLOCK ADVISORY WRITE 0-EOF"``: the lock as a person reads it."""
        end = "EOF" if self.end is None else str(self.end)
        return f"{self.kind} {self.mode} {self.access} {self.start}-{end}"


def parse_proc_locks(text: str) -> tuple[FileLock, ...]:
    """Parse the contents of ``/proc/locks``."""
    found: list[FileLock] = []
    for line in text.splitlines():
        entry = _parse_line(line)
        if entry is not None:
            found.append(entry)
    return tuple(found)


def _parse_line(line: str) -> FileLock | None:
    head, sep, rest = line.partition(":")
    if not sep or not head.strip().isdigit():
        return None
    words = rest.split()
    depth = 0
    while words and words[0] == "->":
        depth += 1
        words.pop(0)
    if len(words) < 7:
        return None
    kind, mode, access, pid_text, device, start_text, end_text = words[:7]
    parts = device.split(":")
    try:
        if len(parts) != 3:
            return None
        major, minor, inode = int(parts[0], 16), int(parts[1], 16), int(parts[2])
        start = int(start_text)
        end = None if end_text == "EOF" else int(end_text)
        pid = int(pid_text)
    except ValueError:
        return None
    return FileLock(
        ordinal=int(head),
        depth=depth,
        kind=kind,
        mode=mode,
        access=access,
        pid=pid,
        device_major=major,
        device_minor=minor,
        inode=inode,
        start=start,
        end=end,
    )


def read_proc_locks() -> tuple[FileLock, ...]:
    """Every file lock of the machine; empty when ``/proc/locks`` cannot be read."""
    try:
        with open("/proc/locks", "rb") as handle:
            text = handle.read(16 << 20).decode("ascii", "replace")
    except OSError:
        return ()
    return parse_proc_locks(text)


def lock_blocking(locks: Sequence[FileLock], request: FileLock) -> FileLock | None:
    """The held lock that blocks ``request`` (the first line of its ordinal), if listed.

    Ordinals number the lines of one reading of ``/proc/locks``: ``locks`` and ``request`` must
    come from the same one.
    """
    for entry in locks:
        if entry.ordinal == request.ordinal and not entry.blocked:
            return entry
    return None
