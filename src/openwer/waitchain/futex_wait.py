"""A thread blocked in ``futex``: which lock it is, and which thread holds it.

The futex address and operation come from the thread's ``syscall`` file; who holds the lock comes
from where the kernel or glibc records it:

* **PI futexes** (``FUTEX_LOCK_PI``/``FUTEX_LOCK_PI2``, glibc's priority-inheritance mutexes): the
  kernel keeps the owner's TID in the futex word (``word & FUTEX_TID_MASK``). Certain.
* **Robust mutexes** (``__kind & PTHREAD_MUTEX_ROBUST``): the word is the owner's TID too. Certain
  once the word is read.
* **Ordinary pthread mutexes**: glibc writes the owner's TID into ``__owner`` (offset 8 of
  ``struct __pthread_mutex_s`` on 64-bit glibc: ``int __lock`` at 0, ``unsigned __count`` at 4,
  ``int __owner`` at 8, ``unsigned __nusers`` at 12, ``int __kind`` at 16) and a waiter sleeps
  with the value 2 in ``__lock``. When the call waits for 2, the word is non-zero, ``__kind`` is a
  valid mutex kind and ``__owner`` names a live thread (of the same process for a private futex),
  the owner is **inferred** from ``__owner``: the futex could in principle be another object whose
  bytes look like a mutex, which the node says (``owner_source``).
* **pthread_join**: the joiner waits on the joined thread's TID word, which the kernel clears
  when that thread exits; a wait whose value and word are the TID of another live thread of the
  same process is a join on it (``WctThreadWaitType``, inferred).

Anything else (condition variables, semaphores such as CPython 3.11's ``threading.Lock``,
barriers) keeps its address and operation and ``WctUnknownType``: no owner is recorded anywhere.
A private futex is typed ``WctCriticalSectionType`` (an in-process lock, like a critical
section), a shared or PI one ``WctMutexType``. Reading the word needs ptrace read access, as
``syscall`` does. Never raises; thread-safe.
"""

from __future__ import annotations

import struct
from typing import Final

from openwer.platform.proc_task import TaskSyscall, thread_group_of
from openwer.platform.process_memory import read_memory
from openwer.types import WctObjectStatus, WctObjectType
from openwer.waitchain.wait_resolution import WaitResolution, WaitTarget, object_node

__all__ = ["resolve_futex_wait"]

_WAIT: Final = 0
_LOCK_PI: Final = 6
_WAIT_BITSET: Final = 9
_LOCK_PI2: Final = 13
_PRIVATE: Final = 128
_CLOCK_REALTIME: Final = 256
_TID_MASK: Final = 0x3FFFFFFF
_OWNER_DIED: Final = 0x40000000
_OP_NAMES: Final = {
    0: "FUTEX_WAIT",
    6: "FUTEX_LOCK_PI",
    9: "FUTEX_WAIT_BITSET",
    11: "FUTEX_WAIT_REQUEUE_PI",
    13: "FUTEX_LOCK_PI2",
}
_MUTEX = struct.Struct("<iIiIi")  # __lock, __count, __owner, __nusers, __kind
_KIND_FLAGS: Final = 16 | 32 | 64 | 128 | 256 | 512  # robust, PI, PP, pshared, elision bits
_ROBUST: Final = 16


def resolve_futex_wait(
    pid: int, tid: int, call: TaskSyscall, read_owners: bool = True
) -> WaitResolution:
    """The lock (and owner) thread ``tid`` of ``pid`` waits on in ``call`` (``futex`` or
    ``futex_wait``); ``read_owners`` false skips reading the process's memory."""
    address = call.arg(0)
    if call.name == "futex_wait":
        # futex_wait(uaddr, val, mask, flags, …): FUTEX2_PRIVATE is 128 in flags.
        command, private, value = _WAIT, bool(call.arg(3) & _PRIVATE), call.arg(1) & 0xFFFFFFFF
        op_name = "futex_wait" + ("_PRIVATE" if private else "")
    else:
        op = call.arg(1)
        command, private, value = (
            op & ~(_PRIVATE | _CLOCK_REALTIME),
            bool(op & _PRIVATE),
            call.arg(2),
        )
        op_name = _OP_NAMES.get(command, f"futex op {command}") + ("_PRIVATE" if private else "")
        value &= 0xFFFFFFFF
    facts = {"futex_op": op_name, "futex_value": str(value), "primitive": "futex"}
    name = f"futex {address:#x}"
    if not read_owners:
        return _unknown(pid, name, "owner not looked up in another process", facts)
    if command in (_LOCK_PI, _LOCK_PI2):
        return _pi_lock(pid, address, name, facts)
    if command not in (_WAIT, _WAIT_BITSET):
        return _unknown(pid, name, "no owner recorded for this futex operation", facts)
    raw = read_memory(pid, address, _MUTEX.size)
    if len(raw) < 4:
        return _unknown(pid, name, "futex word unreadable", facts)
    word = int.from_bytes(raw[:4], "little")
    facts["futex_word"] = f"{word:#x}"
    joined = _joined_thread(pid, tid, value, word)
    if joined is not None:
        return joined
    if len(raw) == _MUTEX.size:
        lock, _, owner, _, kind = _MUTEX.unpack(raw)
        if _is_mutex_kind(kind):
            mutex = _mutex(pid, name, private, value, lock, owner, kind, facts)
            if mutex is not None:
                return mutex
    return _unknown(pid, name, "no owner recorded (condition variable, semaphore…)", facts)


def _is_mutex_kind(kind: int) -> bool:
    return kind >= 0 and (kind & ~_KIND_FLAGS) in (0, 1, 2, 3)


def _lock_type(private: bool) -> WctObjectType:
    # A private futex stays inside its process like a critical section; a shared one may be a
    # process-shared mutex.
    return WctObjectType.CRITICAL_SECTION if private else WctObjectType.MUTEX


def _pi_lock(pid: int, address: int, name: str, facts: dict[str, str]) -> WaitResolution:
    raw = read_memory(pid, address, 4)
    facts["primitive"] = "PI futex"
    if len(raw) < 4:
        return _unknown(pid, name, "futex word unreadable", facts, WctObjectType.MUTEX)
    word = int.from_bytes(raw, "little")
    facts["futex_word"] = f"{word:#x}"
    return _owned_by(
        pid,
        name,
        WctObjectType.MUTEX,
        word & _TID_MASK,
        "PI futex word",
        facts,
        died=bool(word & _OWNER_DIED),
    )


def _mutex(
    pid: int,
    name: str,
    private: bool,
    value: int,
    lock: int,
    owner: int,
    kind: int,
    facts: dict[str, str],
) -> WaitResolution | None:
    facts["mutex_kind"] = str(kind)
    if kind & _ROBUST:
        facts["primitive"] = "robust pthread mutex"
        word = lock & 0xFFFFFFFF
        return _owned_by(
            pid,
            name,
            _lock_type(private),
            word & _TID_MASK,
            "robust mutex word",
            facts,
            died=bool(word & _OWNER_DIED),
        )
    # glibc's lll_lock_wait sleeps on the value 2 ("locked, with waiters").
    if value != 2 or lock == 0 or owner <= 0:
        return None
    owner_pid = thread_group_of(owner)
    if private and owner_pid is not None and owner_pid != pid:
        return None  # a private lock owned from another process: these bytes are no mutex
    facts["primitive"] = "pthread mutex"
    return _owned_by(
        pid, name, _lock_type(private), owner, "pthread_mutex_t.__owner, inferred", facts
    )


def _owned_by(
    pid: int,
    name: str,
    kind: WctObjectType,
    owner: int,
    source: str,
    facts: dict[str, str],
    *,
    died: bool = False,
) -> WaitResolution:
    if owner == 0:
        return WaitResolution(
            object_node(kind, WctObjectStatus.NOT_OWNED, name, pid, "not owned", facts)
        )
    facts["owner_tid"] = str(owner)
    facts["owner_source"] = source
    owner_pid = thread_group_of(owner)
    if died or owner_pid is None:
        # The recorded owner no longer exists (or the kernel flagged its death): it exited
        # holding the lock, which nobody will release.
        note = f"abandoned: owner thread {owner} exited holding it ({source})"
        return WaitResolution(object_node(kind, WctObjectStatus.ABANDONED, name, pid, note, facts))
    facts["owner_pid"] = str(owner_pid)
    where = "" if owner_pid == pid else f" of process {owner_pid}"
    note = f"owned by thread {owner}{where} ({source})"
    return WaitResolution(
        object_node(kind, WctObjectStatus.OWNED, name, pid, note, facts),
        (WaitTarget(owner_pid, owner),),
    )


def _joined_thread(pid: int, tid: int, value: int, word: int) -> WaitResolution | None:
    # pthread_join waits on the joined thread's tid field, which the kernel clears (and wakes)
    # when that thread exits (CLONE_CHILD_CLEARTID).
    if value != word or value in (0, tid) or thread_group_of(value) != pid:
        return None
    facts = {
        "primitive": "pthread_join",
        "futex_value": str(value),
        "owner_tid": str(value),
        "owner_pid": str(pid),
        "owner_source": "joined thread's tid word, inferred",
    }
    node = object_node(
        WctObjectType.THREAD_WAIT,
        WctObjectStatus.OWNED,
        f"thread {value}",
        pid,
        f"waits for thread {value} to exit (inferred from its tid word)",
        facts,
    )
    return WaitResolution(node, (WaitTarget(pid, value),))


def _unknown(
    pid: int,
    name: str,
    note: str,
    facts: dict[str, str],
    kind: WctObjectType = WctObjectType.UNKNOWN,
) -> WaitResolution:
    return WaitResolution(object_node(kind, WctObjectStatus.UNKNOWN, name, pid, note, facts))
