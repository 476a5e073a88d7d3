"""Who a process is, in a form that survives pid reuse: pid, start time, boot and pid namespace.

A pid alone does not name a process: the kernel reuses it. ``(pid, start ticks)`` read from
``/proc/<pid>/stat`` does, within one boot; the boot id (``/proc/sys/kernel/random/boot_id``)
extends that across reboots, and the pid-namespace inode tells whether a pid can be checked here
at all (a writer in another container has pids this process cannot see).

:func:`current_process_identity` names this process; :func:`process_liveness` says whether a named
process still runs. Both are cheap, never raise, and are safe from any thread and after ``fork``.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass
from enum import Enum

__all__ = [
    "ProcessIdentity",
    "ProcessLiveness",
    "current_process_identity",
    "process_liveness",
]

_TOKEN = re.compile(r"^(\d{1,10})\.(\d{1,20})\.([0-9a-f]{8})\.(\d{1,20})$")
_UNKNOWN_BOOT = "00000000"


@dataclass(frozen=True, slots=True)
class ProcessIdentity:
    """A process named so that a later process with the same pid is told apart.

    ``start_ticks`` is field 22 of ``/proc/<pid>/stat`` (clock ticks after boot, 0 when unknown),
    ``boot`` the first 8 hex digits of the boot id, ``pid_namespace`` the inode of
    ``/proc/<pid>/ns/pid`` (0 when unknown).
    """

    pid: int
    start_ticks: int
    boot: str
    pid_namespace: int

    def to_token(self) -> str:
        """Return the identity as a short file-name-safe token (``pid.ticks.boot.ns``)."""
        return f"{self.pid}.{self.start_ticks}.{self.boot}.{self.pid_namespace}"

    @classmethod
    def from_token(cls, token: str) -> ProcessIdentity | None:
        """Parse :meth:`to_token`'s output; None when ``token`` is not one."""
        match = _TOKEN.match(token)
        if match is None:
            return None
        pid, ticks, boot, namespace = match.groups()
        return cls(int(pid), int(ticks), boot, int(namespace))


class ProcessLiveness(Enum):
    """Whether the process an identity names is still running."""

    ALIVE = "alive"
    """It runs (or this cannot be ruled out on a system without ``/proc``)."""
    GONE = "gone"
    """It exited, was killed, is a zombie, or the pid now belongs to another process."""
    UNKNOWN = "unknown"
    """It lives in another pid namespace, so its pid means nothing here."""


@dataclass(frozen=True, slots=True)
class _StatFields:
    state: str
    start_ticks: int


def _read_stat(pid: int | str) -> _StatFields | None:
    """Parse ``/proc/<pid>/stat``; None when it does not parse. Raises ``OSError`` as ``open``."""
    with open(f"/proc/{pid}/stat", "rb") as handle:
        data = handle.read()
    # The command name (field 2) may contain spaces and parentheses: split after the last ")".
    fields = data.rpartition(b")")[2].split()
    try:
        return _StatFields(fields[0].decode("ascii", "replace"), int(fields[19]))
    except (IndexError, ValueError):
        return None


def _read_boot() -> str:
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as handle:
            text = handle.read().strip().replace("-", "").lower()
    except OSError:
        return _UNKNOWN_BOOT
    return text[:8] if re.fullmatch(r"[0-9a-f]{8,}", text) else _UNKNOWN_BOOT


def _read_pid_namespace(pid: int | str) -> int:
    try:
        return os.stat(f"/proc/{pid}/ns/pid").st_ino
    except OSError:
        return 0


_cache_lock = threading.Lock()
_cached: ProcessIdentity | None = None


def current_process_identity() -> ProcessIdentity:
    """Return this process's identity (computed once per process, recomputed after ``fork``)."""
    global _cached
    pid = os.getpid()
    cached = _cached
    if cached is not None and cached.pid == pid:
        return cached
    with _cache_lock:
        try:
            fields = _read_stat("self")
        except OSError:
            fields = None
        identity = ProcessIdentity(
            pid=pid,
            start_ticks=0 if fields is None else fields.start_ticks,
            boot=_read_boot(),
            pid_namespace=_read_pid_namespace("self"),
        )
        _cached = identity
    return identity


def process_liveness(identity: ProcessIdentity) -> ProcessLiveness:
    """Return whether the process ``identity`` names is still running."""
    here = current_process_identity()
    if identity.boot != here.boot:
        # Started during another boot: it cannot be running now.
        return ProcessLiveness.GONE
    if identity.pid_namespace != here.pid_namespace:
        return ProcessLiveness.UNKNOWN
    if identity.pid == here.pid:
        same = identity.start_ticks == here.start_ticks
        return ProcessLiveness.ALIVE if same else ProcessLiveness.GONE
    try:
        fields = _read_stat(identity.pid)
    except FileNotFoundError:
        return _liveness_without_proc(identity.pid)
    except OSError:
        # Hidden (hidepid) or unreadable: it may well be running, so never call it gone.
        return ProcessLiveness.ALIVE
    if fields is None:
        return ProcessLiveness.ALIVE
    if fields.start_ticks != identity.start_ticks or fields.state in ("Z", "X"):
        # A reused pid, or a zombie that can no longer write anything.
        return ProcessLiveness.GONE
    return ProcessLiveness.ALIVE


def _liveness_without_proc(pid: int) -> ProcessLiveness:
    if os.path.isdir("/proc/self"):
        # /proc works, so a missing /proc/<pid> means the process is gone.
        return ProcessLiveness.GONE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return ProcessLiveness.GONE
    except OSError:
        return ProcessLiveness.ALIVE
    return ProcessLiveness.ALIVE
