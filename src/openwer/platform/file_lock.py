"""Advisory whole-file locks with ``flock(2)``, shared between threads and processes.

``flock`` locks belong to an open file description, so two :class:`FileLock` objects on the same
path conflict even inside one process (unlike ``fcntl`` record locks), and the kernel drops the
lock when its holder dies, including by SIGKILL: a crashed holder never leaves a stale lock.
"""

from __future__ import annotations

import errno
import fcntl
import os
from enum import Enum
from pathlib import Path
from types import TracebackType

__all__ = ["FileLock", "LockMode", "LockOutcome"]


class LockMode(Enum):
    """How a lock is shared."""

    SHARED = "shared"
    """Many holders at once (readers)."""
    EXCLUSIVE = "exclusive"
    """One holder, and no shared holders."""


class LockOutcome(Enum):
    """What :meth:`FileLock.acquire` came to."""

    ACQUIRED = "acquired"
    """The lock is held until :meth:`FileLock.release`."""
    BUSY = "busy"
    """Non-blocking only: another holder has it; nothing is held."""


class FileLock:
    """An ``flock`` on ``path`` (created with ``mode`` if missing).

    Lifecycle: create, :meth:`acquire` (or ``with lock:``, which blocks), :meth:`release`.
    Not re-entrant, and one instance belongs to one thread at a time: create one per use.
    Failure contract: ``OSError`` when the lock file cannot be opened or created; a failed
    acquisition leaves nothing open.
    """

    def __init__(
        self, path: Path, *, mode: LockMode = LockMode.EXCLUSIVE, file_mode: int = 0o600
    ) -> None:
        self._path = path
        self._mode = mode
        self._file_mode = file_mode
        self._descriptor: int | None = None

    @property
    def path(self) -> Path:
        """The lock file."""
        return self._path

    @property
    def is_held(self) -> bool:
        """Whether this instance holds the lock now."""
        return self._descriptor is not None

    def acquire(self, *, blocking: bool = True) -> LockOutcome:
        """Take the lock, waiting for it unless ``blocking`` is False.

        Raises:
            OSError: the lock file cannot be opened or created.
            RuntimeError: this instance already holds the lock.
        """
        if self._descriptor is not None:
            raise RuntimeError(f"{self._path}: lock already held by this FileLock")
        descriptor = os.open(
            self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, self._file_mode
        )
        operation = fcntl.LOCK_SH if self._mode is LockMode.SHARED else fcntl.LOCK_EX
        if not blocking:
            operation |= fcntl.LOCK_NB
        try:
            fcntl.flock(descriptor, operation)
        except OSError as exc:
            os.close(descriptor)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                return LockOutcome.BUSY
            raise
        self._descriptor = descriptor
        return LockOutcome.ACQUIRED

    def release(self) -> None:
        """Release the lock; a no-op when it is not held."""
        descriptor, self._descriptor = self._descriptor, None
        if descriptor is not None:
            # Closing the descriptor drops the flock.
            os.close(descriptor)

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()
