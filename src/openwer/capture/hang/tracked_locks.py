"""``threading.Lock`` and ``threading.RLock`` that know their owner and where it took them.

:class:`TrackedLock` and :class:`TrackedRLock` wrap the interpreter's own locks
(``_thread.allocate_lock()``, ``_thread.RLock()``), so blocking, timeouts, signals and fork
behave exactly as before. On top, each remembers the ident of the thread holding it and the code
object and instruction offset of the line that took it (never a stack: the line is worked out
only when a report needs it), and a thread that has to wait records what it waits for in
:mod:`~openwer.capture.hang.waits`.

The owner is kept as its ``threading.Thread`` object (the bare ident for a thread ``threading``
does not know): a thread that ends while holding a lock is then seen as such (the lock is
*abandoned*) even when a new thread gets the same ident, as glibc hands out the stack, hence the
ident, of the thread that just ended.

Cost: the uncontended path is one non-blocking acquire of the real lock, a dictionary lookup and
three attribute writes; only a thread that actually blocks records a wait
(benchmarks/bench_hang.py measures it).

C code never sees these classes: it allocates its locks with ``PyThread_allocate_lock``, and
``threading``'s own internals (``Condition`` waiters, thread-state locks) use
``_thread.allocate_lock`` directly, which openwer leaves alone.

Thread safety: the owner fields are written only by the thread that holds the lock, under the
GIL; a reader in another thread may see an owner a moment late, never a torn value. Never
raises anything the wrapped lock would not.
"""

from __future__ import annotations

import _thread
import sys
import threading
from types import CodeType
from typing import Any, TypeAlias

from openwer.capture.hang.waits import begin_wait, caller_site, end_wait

__all__ = ["Owner", "TrackedLock", "TrackedRLock", "current_owner"]

Owner: TypeAlias = "threading.Thread | int | None"
"""Who holds a lock: its Thread, its ident when ``threading`` does not know it, None: nobody."""

_allocate_lock = _thread.allocate_lock
_RLock: Any = _thread.RLock
_get_ident = threading.get_ident
_getframe = sys._getframe
_THREADING_GLOBALS = threading.__dict__
_active_thread = threading._active.get  # type: ignore[attr-defined]  # cleared in place at fork


def current_owner() -> threading.Thread | int:
    """The calling thread as an owner: its Thread object, else its ident."""
    ident = _get_ident()
    return _active_thread(ident) or ident


def _wait_for(wrapper: object, lock: Any, timeout: float) -> tuple[bool, CodeType | None, int]:
    """Block on ``lock`` with the wait recorded; the caller of ``wrapper.acquire`` is the site."""
    code, lasti = caller_site(3)  # _wait_for ← _acquire_waiting ← acquire ← the caller
    previous = begin_wait(wrapper, code, lasti)
    try:
        acquired: bool = lock.acquire(True, timeout)
    finally:
        end_wait(previous)
    return acquired, code, lasti


class TrackedLock:
    """A ``threading.Lock`` that records its owner and the line that took it.

    ``owner`` is the holder (:data:`Owner`; None: free); ``code``/``lasti`` locate the
    acquisition.
    """

    __slots__ = ("__weakref__", "_lock", "code", "lasti", "owner")

    def __init__(self) -> None:
        self._lock = _allocate_lock()
        self.owner: Owner = None
        self.code: CodeType | None = None
        self.lasti = 0

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        """Acquire as ``_thread.lock.acquire`` does."""
        # The uncontended path is inlined here and in TrackedRLock on purpose: every call of a
        # helper would be paid on every acquisition of every lock.
        if self._lock.acquire(False):
            frame = _getframe(1)
            while frame.f_globals is _THREADING_GLOBALS and frame.f_back is not None:
                frame = frame.f_back
            ident = _get_ident()
            self.owner = _active_thread(ident) or ident
            self.code = frame.f_code
            self.lasti = frame.f_lasti
            return True
        if not blocking:
            return False
        return self._acquire_waiting(timeout)

    __enter__ = acquire

    def _acquire_waiting(self, timeout: float) -> bool:
        acquired, code, lasti = _wait_for(self, self._lock, timeout)
        if acquired:
            self.owner = current_owner()
            self.code = code
            self.lasti = lasti
        return acquired

    def release(self) -> None:
        """Release as ``_thread.lock.release`` does (any thread may release a Lock)."""
        self.owner = None
        self._lock.release()

    def __exit__(self, kind: object, value: object, traceback: object) -> None:
        self.owner = None
        self._lock.release()

    def locked(self) -> bool:
        """Whether some thread holds the lock."""
        return bool(self._lock.locked())

    def _at_fork_reinit(self) -> None:
        self._lock._at_fork_reinit()  # type: ignore[attr-defined]
        self.owner = None

    # The interpreter's old aliases. (No __getattr__ fallback: defining one slows down every
    # attribute access of the class, the hot path's included.)
    acquire_lock = acquire
    release_lock = release
    locked_lock = locked

    def __repr__(self) -> str:
        return repr(self._lock)


class TrackedRLock:
    """A ``threading.RLock`` that records its owner and the line of the outermost acquire."""

    __slots__ = ("__weakref__", "_count", "_lock", "code", "lasti", "owner")

    def __init__(self) -> None:
        self._lock = _RLock()
        self._count = 0
        self.owner: Owner = None
        self.code: CodeType | None = None
        self.lasti = 0

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        """Acquire as ``_thread.RLock.acquire`` does."""
        if self._lock.acquire(False):
            count = self._count
            if not count:
                frame = _getframe(1)
                while frame.f_globals is _THREADING_GLOBALS and frame.f_back is not None:
                    frame = frame.f_back
                ident = _get_ident()
                self.owner = _active_thread(ident) or ident
                self.code = frame.f_code
                self.lasti = frame.f_lasti
            self._count = count + 1
            return True
        if not blocking:
            return False
        return self._acquire_waiting(timeout)

    __enter__ = acquire

    def _acquire_waiting(self, timeout: float) -> bool:
        acquired, code, lasti = _wait_for(self, self._lock, timeout)
        if acquired:  # another thread held it, so this is the outermost acquire
            self.owner = current_owner()
            self.code = code
            self.lasti = lasti
            self._count = 1
        return acquired

    def release(self) -> None:
        """Release one level, as ``_thread.RLock.release`` does."""
        if not self._lock._is_owned():
            self._lock.release()  # not ours: the interpreter raises RuntimeError
            return
        # The bookkeeping is undone before the real release: once released, another thread may
        # take the lock and write its own.
        count = self._count - 1
        self._count = count
        if not count:
            self.owner = None
        self._lock.release()

    def __exit__(self, kind: object, value: object, traceback: object) -> None:
        self.release()

    def _is_owned(self) -> bool:
        return bool(self._lock._is_owned())

    def _release_save(self) -> tuple[Any, tuple[int, CodeType | None, int]]:
        # Condition.wait releases every level at once.
        if not self._lock._is_owned():
            return self._lock._release_save(), (0, None, 0)  # raises: not owned
        saved = (self._count, self.code, self.lasti)
        self._count = 0
        self.owner = None
        try:
            state = self._lock._release_save()
        except BaseException:
            self._count, self.code, self.lasti = saved
            self.owner = current_owner()
            raise
        return state, saved

    def _acquire_restore(self, state: tuple[Any, tuple[int, CodeType | None, int]]) -> None:
        inner, saved = state
        code, lasti = caller_site(1)
        previous = begin_wait(self, code, lasti)
        try:
            self._lock._acquire_restore(inner)
        finally:
            end_wait(previous)
        self._count, self.code, self.lasti = saved
        self.owner = current_owner()

    def _at_fork_reinit(self) -> None:
        self._lock._at_fork_reinit()
        self._count = 0
        self.owner = None

    def _recursion_count(self) -> int:
        return int(self._lock._recursion_count())

    def __repr__(self) -> str:
        return repr(self._lock)
