"""One thread as ``/proc`` shows it: its state, the system call it sits in, its children.

``/proc/<pid>/task/<tid>/status`` (state, name, thread group, parent, context switches) is readable
for any process; ``syscall`` and ``wchan`` need ptrace read access to the target (the same user
and a dumpable process, or ``CAP_SYS_PTRACE``; Yama's ``ptrace_scope`` may narrow that). The
readers translate the kernel's refusals once: a thread or process that does not exist (or exits
while it is read) raises :class:`~openwer.errors.NotFoundError`, a refused read
:class:`~openwer.errors.AccessDeniedError`; :func:`read_wchan`, :func:`thread_group_of` and
:func:`process_children` never raise. A thread changes between two reads: each value is a
snapshot. Safe from any thread.
"""

from __future__ import annotations

import contextlib
import errno
import os
from dataclasses import dataclass
from enum import Enum
from typing import Final

from openwer.errors import AccessDeniedError, NotFoundError
from openwer.platform.proc_syscalls import syscall_name

__all__ = [
    "TaskStatus",
    "TaskSyscall",
    "TaskSyscallState",
    "process_children",
    "process_group_of",
    "read_task_status",
    "read_task_syscall",
    "read_wchan",
    "thread_group_of",
]

_GONE: Final = frozenset({errno.ENOENT, errno.ESRCH, errno.ENOTDIR})
_DENIED: Final = frozenset({errno.EACCES, errno.EPERM})
_CHILDREN_SCAN_LIMIT: Final = 65536
_STATE_NAMES: Final = {
    "R": "running",
    "S": "sleeping",
    "D": "disk sleep",
    "T": "stopped",
    "t": "tracing stop",
    "Z": "zombie",
    "X": "dead",
    "I": "idle",
    "P": "parked",
}


@dataclass(frozen=True, slots=True)
class TaskStatus:
    """What ``status`` says of one thread.

    ``state`` is the kernel's one-letter state (``R`` running, ``S`` sleeping, ``D`` in an
    uninterruptible wait, ``T``/``t`` stopped, ``Z`` zombie…); ``context_switches`` adds the
    voluntary and involuntary ones.
    """

    pid: int
    tid: int
    name: str
    state: str
    parent_pid: int
    context_switches: int

    @property
    def state_text(self) -> str:
        """``"S (sleeping)"``: the letter and its meaning."""
        return f"{self.state} ({_STATE_NAMES.get(self.state, 'unknown')})"


class TaskSyscallState(Enum):
    """Where a thread is, according to ``/proc/<pid>/task/<tid>/syscall``."""

    IN_SYSCALL = "in_syscall"
    """Inside a system call (usually blocked in it): ``number`` and ``args`` are known."""
    RUNNING = "running"
    """On a CPU or runnable: the kernel does not say more."""
    OUTSIDE_SYSCALL = "outside_syscall"
    """Stopped in the kernel outside any call (a page fault, a signal or ptrace stop)."""


@dataclass(frozen=True, slots=True)
class TaskSyscall:
    """The system call a thread is in, with its six arguments (unsigned machine words)."""

    state: TaskSyscallState
    number: int = -1
    name: str = ""
    args: tuple[int, ...] = ()

    def arg(self, index: int) -> int:
        """Argument ``index`` (0-based), 0 when the call has none there."""
        return self.args[index] if 0 <= index < len(self.args) else 0

    def signed_arg(self, index: int) -> int:
        """Argument ``index`` read as a signed 32-bit int (pids, fds, ``-1``)."""
        value = self.arg(index) & 0xFFFFFFFF
        return value - (1 << 32) if value & 0x80000000 else value


def _translate(exc: OSError, what: str) -> Exception:
    # One place turns the kernel's refusals into openwer's two outcomes.
    if exc.errno in _DENIED:
        return AccessDeniedError(
            f"cannot read {what}: permission denied (another user's process needs "
            "CAP_SYS_PTRACE; Yama's ptrace_scope may forbid it)"
        )
    if exc.errno in _GONE:
        return NotFoundError(f"cannot read {what}: no such process or thread")
    return NotFoundError(f"cannot read {what}: {exc.strerror or exc}")


def _read_text(path: str, limit: int = 1 << 16) -> str:
    try:
        with open(path, "rb") as handle:
            return handle.read(limit).decode("utf-8", "replace")
    except OSError as exc:
        raise _translate(exc, path) from exc


def read_task_status(pid: int, tid: int) -> TaskStatus:
    """The status of thread ``tid`` of process ``pid``; ``NotFoundError`` when there is none."""
    if pid <= 0 or tid <= 0:
        raise NotFoundError(f"no thread {tid} in process {pid}")
    fields: dict[str, str] = {}
    for line in _read_text(f"/proc/{pid}/task/{tid}/status").splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    if not fields.get("State"):
        raise NotFoundError(f"no thread {tid} in process {pid}")
    switches = 0
    for key in ("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches"):
        with contextlib.suppress(ValueError):
            switches += int(fields.get(key, "0"))
    return TaskStatus(
        pid=pid,
        tid=tid,
        name=fields.get("Name", ""),
        state=fields["State"][:1],
        parent_pid=_int(fields.get("PPid", "0")),
        context_switches=switches,
    )


def read_task_syscall(pid: int, tid: int) -> TaskSyscall:
    """The system call thread ``tid`` of ``pid`` is in (needs ptrace read access).

    ``AccessDeniedError`` when the kernel refuses, ``NotFoundError`` when the thread is gone.
    """
    text = _read_text(f"/proc/{pid}/task/{tid}/syscall", 512).strip()
    if not text:
        # An exiting thread's file reads empty.
        raise NotFoundError(f"thread {tid} of process {pid} is exiting")
    if text == "running":
        return TaskSyscall(TaskSyscallState.RUNNING)
    words = text.split()
    number = _int(words[0])
    if number < 0:
        return TaskSyscall(TaskSyscallState.OUTSIDE_SYSCALL)
    args = tuple(_int(word, 16) for word in words[1:7])
    return TaskSyscall(TaskSyscallState.IN_SYSCALL, number, syscall_name(number), args)


def read_wchan(pid: int, tid: int) -> str:
    """The kernel function thread ``tid`` sleeps in (``futex_do_wait``…), or ``""``."""
    try:
        with open(f"/proc/{pid}/task/{tid}/wchan", "rb") as handle:
            text = handle.read(256).decode("ascii", "replace").strip()
    except OSError:
        return ""
    return "" if text == "0" else text


def thread_group_of(tid: int) -> int | None:
    """The process (thread group) thread ``tid`` belongs to, or ``None`` when there is none.

    ``/proc/<tid>`` exists for every thread, not only for thread-group leaders.
    """
    if tid <= 0:
        return None
    try:
        with open(f"/proc/{tid}/status", "rb") as handle:
            for line in handle.read(1 << 16).splitlines():
                if line.startswith(b"Tgid:"):
                    return int(line.split(b":", 1)[1])
    except (OSError, ValueError):
        return None
    return None


def process_group_of(pid: int) -> int | None:
    """The process group of ``pid`` (field 5 of ``stat``), or ``None`` when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read(4096).rpartition(b")")[2].split()
        return int(fields[2])
    except (OSError, ValueError, IndexError):
        return None


def process_children(pid: int) -> tuple[int, ...]:
    """The child processes of ``pid``, ascending; empty when it has none or is gone.

    Read from ``/proc/<pid>/task/*/children`` (``CONFIG_PROC_CHILDREN``), else by scanning every
    process's parent pid (bounded).
    """
    found: set[int] = set()
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return ()
    readable = False
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children", "rb") as handle:
                found.update(int(word) for word in handle.read().split())
            readable = True
        except (OSError, ValueError):
            continue
    if not readable:
        found = set(_children_by_scan(pid))
    return tuple(sorted(found))


def _children_by_scan(pid: int) -> list[int]:
    children: list[int] = []
    with contextlib.suppress(OSError):
        for count, entry in enumerate(os.scandir("/proc")):
            if count >= _CHILDREN_SCAN_LIMIT:
                break
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as handle:
                    fields = handle.read(4096).rpartition(b")")[2].split()
            except OSError:
                continue
            if len(fields) > 1 and fields[1] == str(pid).encode():
                children.append(int(entry.name))
    return children


def _int(text: str, base: int = 10) -> int:
    try:
        return int(text, base)
    except ValueError:
        return 0
