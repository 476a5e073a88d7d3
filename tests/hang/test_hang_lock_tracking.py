"""Tracked locks behave exactly like threading's, and know their owner, line and waiters."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest

from openwer.capture.hang import waits
from openwer.capture.hang.lock_tracking import (
    install_lock_tracking,
    lock_tracking_installed,
    semaphore_holders,
    uninstall_lock_tracking,
)
from openwer.capture.hang.tracked_locks import Owner, TrackedLock, TrackedRLock

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
def tracking() -> Iterator[None]:
    """Lock tracking on for one test, off afterwards."""
    install_lock_tracking()
    try:
        yield
    finally:
        uninstall_lock_tracking()


def _wait_until(condition: Callable[[], bool], timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.005)


def _blocked_on(target: object) -> Callable[[], bool]:
    return lambda: any(record[0] is target for record in waits.snapshot().values())


def test_install_replaces_and_uninstall_restores() -> None:
    """threading.Lock/RLock become tracked, and come back; made locks stay usable."""
    original_lock, original_rlock = threading.Lock, threading.RLock
    install_lock_tracking()
    try:
        assert lock_tracking_installed()
        assert isinstance(threading.Lock(), TrackedLock)
        assert isinstance(threading.RLock(), TrackedRLock)
        made = threading.Lock()
    finally:
        uninstall_lock_tracking()
    assert threading.Lock is original_lock
    assert threading.RLock is original_rlock
    assert not lock_tracking_installed()
    with made:
        assert made.locked()


def test_lock_records_owner_and_line() -> None:
    """The owner is the acquiring thread and the line the `with` statement; both cleared."""
    lock = TrackedLock()
    with lock:
        line = _line() - 1
        assert lock.owner is threading.current_thread()
        assert waits.line_of(lock.code, lock.lasti) == line
    assert _owner_of(lock) is None
    assert not lock.locked()


def _owner_of(lock: TrackedLock | TrackedRLock) -> Owner:
    return lock.owner  # read again (not narrowed by an earlier assertion)


def _line() -> int:
    import sys

    return sys._getframe(1).f_lineno


def test_lock_semantics_are_unchanged() -> None:
    """Non-blocking, timeouts, release errors, release by another thread: as _thread.lock."""
    lock = TrackedLock()
    assert lock.acquire()
    assert not lock.acquire(False)
    started = time.monotonic()
    assert not lock.acquire(timeout=0.05)
    assert time.monotonic() - started >= 0.04
    released = threading.Thread(target=lock.release)
    released.start()
    released.join()
    assert not lock.locked()
    with pytest.raises(RuntimeError):
        lock.release()
    assert "lock object" in repr(lock)
    lock._at_fork_reinit()
    assert lock.acquire(False)


def test_waiting_thread_is_recorded_while_it_waits() -> None:
    """A thread blocked on a held lock appears in the wait registry, and leaves it after."""
    lock = TrackedLock()
    lock.acquire()
    waiter = threading.Thread(target=lock.acquire, kwargs={"timeout": 5})
    waiter.start()
    _wait_until(_blocked_on(lock))
    record = waits.snapshot()[waiter.ident or 0]
    assert record[0] is lock
    assert record[3] <= time.monotonic()
    lock.release()
    waiter.join()
    assert waiter.ident not in waits.snapshot()
    assert lock.owner is waiter  # it took the lock, then ended holding it


def test_rlock_counts_levels_and_keeps_the_outermost_line() -> None:
    """Recursion keeps one owner until the last release; another thread cannot release it."""
    lock = TrackedRLock()
    with lock:
        outer = _line() - 1
        with lock:
            assert lock.owner is threading.current_thread()
        assert waits.line_of(lock.code, lock.lasti) == outer
        failure: list[BaseException] = []

        def release_elsewhere() -> None:
            try:
                lock.release()
            except RuntimeError as exc:
                failure.append(exc)

        other = threading.Thread(target=release_elsewhere)
        other.start()
        other.join()
        assert failure
        assert lock.owner is threading.current_thread()
    assert _owner_of(lock) is None


def test_condition_over_tracked_locks(tracking: None) -> None:
    """Condition.wait releases every level of an RLock and takes them back; the waiter is
    recorded as waiting on the condition, whose lock nobody then holds."""
    for condition in (threading.Condition(), threading.Condition(threading.Lock())):
        ready: list[bool] = []

        def consumer(condition: threading.Condition = condition, ready: list[bool] = ready) -> None:
            with condition:
                condition.wait_for(lambda: bool(ready), timeout=5)

        thread = threading.Thread(target=consumer)
        thread.start()
        _wait_until(_blocked_on(condition))
        inner = condition._lock  # type: ignore[attr-defined]
        assert _owner_of(inner) is None
        with condition:
            ready.append(True)
            condition.notify_all()
        thread.join(5)
        assert not thread.is_alive()


def test_semaphore_holders_and_join_waits(tracking: None) -> None:
    """Semaphores know who holds them; a release by a non-holder frees the oldest; a
    Thread.join records the joined thread as what the caller waits for."""
    semaphore = threading.BoundedSemaphore(2)
    with semaphore:
        assert set(semaphore_holders(semaphore)) == {threading.get_ident()}
    assert semaphore_holders(semaphore) == {}
    signal = threading.Semaphore(0)
    taker = threading.Thread(target=lambda: signal.acquire(timeout=5))
    taker.start()
    _wait_until(_blocked_on(signal))
    signal.release()
    taker.join()
    assert list(semaphore_holders(signal)) == [taker.ident]
    signal.release()  # by a thread that does not hold it: the oldest holder is freed
    assert semaphore_holders(signal) == {}
    stop = threading.Event()
    sleeper = threading.Thread(target=stop.wait, args=(5,))
    sleeper.start()
    joiner = threading.Thread(target=sleeper.join)
    joiner.start()
    _wait_until(_blocked_on(sleeper))
    stop.set()
    joiner.join()
    with pytest.raises(ValueError, match="released too many times"):
        semaphore.release()
