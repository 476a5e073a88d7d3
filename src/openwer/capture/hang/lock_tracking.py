"""Python wait chains' raw material: who holds each lock and what each blocked thread waits for.

:func:`install_lock_tracking` (called by ``openwer.install()``) makes, from then on:

* ``threading.Lock()`` and ``threading.RLock()`` return :class:`TrackedLock` /
  :class:`TrackedRLock` (owner and acquisition line), and so do the locks ``threading.Condition``,
  ``Event``, ``Semaphore``, ``Barrier``, ``queue.Queue`` and ``concurrent.futures`` create, since
  they call those names;
* ``Semaphore.acquire``/``release`` (and ``BoundedSemaphore.release``) remember the threads
  holding a semaphore (best effort: a release by a thread that did not acquire frees the oldest
  holder);
* ``Condition.wait`` (hence ``Event.wait``, ``Queue.get``, ``Barrier.wait``) and
  ``Thread.join`` record what the thread waits for; ``Future.result`` too, through
  :mod:`~openwer.capture.hang.futures_tracking`.

Not tracked: locks created before ``install()`` (module-level locks of modules imported earlier,
names bound by ``from threading import Lock`` before it), ``_thread.allocate_lock()`` and locks of
C extensions, ``multiprocessing`` and ``asyncio`` primitives (asyncio waits come from the task
graph instead). A thread blocked on one of those shows as blocked, with no owner.

:func:`uninstall_lock_tracking` puts the originals back; locks made meanwhile stay tracked.
Thread safety: install and uninstall serialise on a module lock. Never raises.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from openwer.capture.hang.tracked_locks import Owner, TrackedLock, TrackedRLock, current_owner
from openwer.capture.hang.waits import begin_outer_wait, begin_wait, caller_site, end_wait

__all__ = [
    "HOLDERS_ATTRIBUTE",
    "TrackedLock",
    "TrackedRLock",
    "install_lock_tracking",
    "lock_tracking_installed",
    "semaphore_holders",
    "uninstall_lock_tracking",
]

log = logging.getLogger("openwer")

HOLDERS_ATTRIBUTE = "_openwer_holders"
"""Where a semaphore keeps ``{thread ident: (count, code, lasti, owner)}`` of its holders."""

_install_lock = threading.Lock()  # created at import, before any patch: never tracked
_originals: dict[tuple[object, str], Any] = {}

_Semaphore: Any = threading.Semaphore
_BoundedSemaphore: Any = threading.BoundedSemaphore
_Condition: Any = threading.Condition
_Thread: Any = threading.Thread
_sem_acquire: Callable[..., bool] = _Semaphore.acquire
_sem_release: Callable[..., None] = _Semaphore.release
_bounded_release: Callable[..., None] = _BoundedSemaphore.release
_condition_wait: Callable[..., bool] = _Condition.wait
_thread_join: Callable[..., None] = _Thread.join


def semaphore_holders(semaphore: object) -> dict[int, tuple[int, Any, int, Owner]]:
    """The holders a tracked semaphore knows (empty when none or not tracked)."""
    holders = getattr(semaphore, "__dict__", {}).get(HOLDERS_ATTRIBUTE)
    return dict(holders) if isinstance(holders, dict) else {}


def _add_holder(semaphore: Any, depth: int) -> None:
    code, lasti = caller_site(depth + 1)
    holders = semaphore.__dict__.setdefault(HOLDERS_ATTRIBUTE, {})
    ident = threading.get_ident()
    count = holders.get(ident, (0,))[0]
    holders[ident] = (count + 1, code, lasti, current_owner())


def _remove_holders(semaphore: Any, n: int) -> None:
    holders = semaphore.__dict__.get(HOLDERS_ATTRIBUTE)
    if not holders:
        return
    ident = threading.get_ident()
    for _ in range(n):
        key = ident if ident in holders else next(iter(holders), None)
        if key is None:
            return
        count, code, lasti, owner = holders.pop(key, (1, None, 0, None))
        if count > 1:
            holders[key] = (count - 1, code, lasti, owner)


def _semaphore_acquire(self: Any, blocking: bool = True, timeout: float | None = None) -> bool:
    if _sem_acquire(self, False):
        _add_holder(self, 1)
        return True
    if not blocking:
        if timeout is not None:
            raise ValueError("can't specify timeout for non-blocking acquire")
        return False
    code, lasti = caller_site(1)
    previous = begin_wait(self, code, lasti)
    try:
        acquired = _sem_acquire(self, True, timeout)
    finally:
        end_wait(previous)
    if acquired:
        _add_holder(self, 1)
    return acquired


def _semaphore_release(self: Any, n: int = 1) -> None:
    _sem_release(self, n)
    _remove_holders(self, n)


def _bounded_semaphore_release(self: Any, n: int = 1) -> None:
    _bounded_release(self, n)
    _remove_holders(self, n)


def _tracked_condition_wait(self: Any, timeout: float | None = None) -> bool:
    code, lasti = caller_site(1)
    recorded = begin_outer_wait(self, code, lasti)
    try:
        return _condition_wait(self, timeout)
    finally:
        if recorded:
            end_wait(None)


def _tracked_thread_join(self: Any, timeout: float | None = None) -> None:
    code, lasti = caller_site(1)
    previous = begin_wait(self, code, lasti)
    try:
        _thread_join(self, timeout)
    finally:
        end_wait(previous)


_PATCHES: tuple[tuple[object, str, object], ...] = (
    (threading, "Lock", TrackedLock),
    (threading, "RLock", TrackedRLock),
    (_Semaphore, "acquire", _semaphore_acquire),
    (_Semaphore, "__enter__", _semaphore_acquire),
    (_Semaphore, "release", _semaphore_release),
    (_BoundedSemaphore, "release", _bounded_semaphore_release),
    (_Condition, "wait", _tracked_condition_wait),
    (_Thread, "join", _tracked_thread_join),
)


def install_lock_tracking() -> bool:
    """Track the locks, semaphores, conditions and joins made or used from now on.

    Idempotent; returns whether tracking is in place.
    """
    with _install_lock:
        if _originals:
            return True
        try:
            for owner, name, replacement in _PATCHES:
                _originals[(owner, name)] = getattr(owner, name)
                setattr(owner, name, replacement)
        except Exception:
            log.exception("openwer: could not install lock tracking")
            _restore()
            return False
        return True


def uninstall_lock_tracking() -> None:
    """Put back what :func:`install_lock_tracking` replaced."""
    with _install_lock:
        _restore()


def _restore() -> None:
    for (owner, name), original in list(_originals.items()):
        try:
            setattr(owner, name, original)
        except Exception:
            log.exception("openwer: could not restore threading.%s", name)
    _originals.clear()


def lock_tracking_installed() -> bool:
    """Whether ``threading.Lock`` is openwer's tracked lock right now."""
    return bool(_originals)
