"""Data throttling state: WER uploads at most one CAB per bucket unless ``BypassDataThrottling``.

wer-spec.md §4: "WER does not upload more than one CAB for a report with data about the same
event type". The uploader asks :meth:`DataThrottle.has_uploaded_cab` before stage 2 and calls
:meth:`DataThrottle.record_cab_uploaded` after a CAB went up; ``BypassDataThrottling`` (or
``WER_SUBMIT_BYPASS_DATA_THROTTLING``) simply skips the question. The state belongs to one store.

:class:`DirectoryDataThrottle` keeps one marker file per bucket, created with
``O_CREAT | O_EXCL``, so any number of processes agree on who recorded a bucket first.
:class:`MemoryDataThrottle` is the in-memory twin for tests.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Protocol

from openwer.errors import InvalidArgumentError
from openwer.platform.atomic_file import fsync_directory
from openwer.platform.tree_removal import remove_entry
from openwer.store.error_translation import translate_os_error

__all__ = ["DataThrottle", "DirectoryDataThrottle", "MemoryDataThrottle", "ThrottleRecord"]


class ThrottleRecord(Enum):
    """What :meth:`DataThrottle.record_cab_uploaded` came to."""

    RECORDED = "recorded"
    """First CAB of this bucket: recorded now."""
    ALREADY_RECORDED = "already-recorded"
    """A CAB of this bucket was recorded before (by this or another process)."""


class DataThrottle(Protocol):
    """Which buckets already had a CAB uploaded from this store.

    Lifecycle: obtained from a store (``store.throttle``); lives as long as the store's files.
    Failure contract: :class:`~openwer.errors.InvalidArgumentError` for an empty bucket id,
    :class:`~openwer.errors.StoreError` (or its access-denied twin) when the state cannot be
    read or written. Safe from any thread and, for the directory implementation, any process.
    Bucket ids compare case-insensitively and without surrounding braces or blanks.
    """

    def has_uploaded_cab(self, bucket_id: str) -> bool:
        """Return whether a CAB of ``bucket_id`` was recorded."""
        ...

    def record_cab_uploaded(self, bucket_id: str) -> ThrottleRecord:
        """Record that a CAB of ``bucket_id`` was uploaded."""
        ...

    def reset(self) -> int:
        """Forget every bucket; return how many were recorded."""
        ...


_ACTION = "use the data throttling state"


def _normalize(bucket_id: str) -> str:
    normalized = bucket_id.strip().strip("{}").strip().lower()
    if not normalized:
        raise InvalidArgumentError("a bucket id must not be empty")
    return normalized


class MemoryDataThrottle:
    """An in-memory :class:`DataThrottle` for tests; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: set[str] = set()

    def has_uploaded_cab(self, bucket_id: str) -> bool:
        """Return whether a CAB of ``bucket_id`` was recorded."""
        with self._lock:
            return _normalize(bucket_id) in self._buckets

    def record_cab_uploaded(self, bucket_id: str) -> ThrottleRecord:
        """Record that a CAB of ``bucket_id`` was uploaded."""
        bucket = _normalize(bucket_id)
        with self._lock:
            if bucket in self._buckets:
                return ThrottleRecord.ALREADY_RECORDED
            self._buckets.add(bucket)
            return ThrottleRecord.RECORDED

    def reset(self) -> int:
        """Forget every bucket; return how many were recorded."""
        with self._lock:
            count = len(self._buckets)
            self._buckets.clear()
            return count


class DirectoryDataThrottle:
    """A :class:`DataThrottle` kept as one marker file per bucket under ``folder``.

    A marker is named by the SHA-256 of the normalized bucket id (so no bucket id can name a path)
    and holds the id itself. The folder is created on first record, after calling ``prepare``
    (the owning store uses it to create its root with the right mode). Safe from any thread and
    any number of processes: creation with ``O_EXCL`` decides races.
    """

    def __init__(
        self,
        folder: Path,
        *,
        file_mode: int = 0o600,
        prepare: Callable[[], None] | None = None,
    ) -> None:
        self._folder = folder
        self._file_mode = file_mode
        self._prepare = prepare

    @property
    def folder(self) -> Path:
        """Where the markers live."""
        return self._folder

    def _marker(self, bucket: str) -> Path:
        return self._folder / (hashlib.sha256(bucket.encode("utf-8", "surrogatepass")).hexdigest())

    def has_uploaded_cab(self, bucket_id: str) -> bool:
        """Return whether a CAB of ``bucket_id`` was recorded."""
        marker = self._marker(_normalize(bucket_id))
        try:
            os.lstat(marker)
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise translate_os_error(exc, _ACTION) from exc
        return True

    def record_cab_uploaded(self, bucket_id: str) -> ThrottleRecord:
        """Record that a CAB of ``bucket_id`` was uploaded (durably, before returning)."""
        bucket = _normalize(bucket_id)
        marker = self._marker(bucket)
        if self._prepare is not None:
            self._prepare()
        try:
            self._folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | os.O_NOFOLLOW
            descriptor = os.open(marker, flags, self._file_mode)
        except FileExistsError:
            return ThrottleRecord.ALREADY_RECORDED
        except OSError as exc:
            raise translate_os_error(exc, _ACTION) from exc
        # The marker's existence is what counts; its content is only for people reading it.
        with contextlib.suppress(OSError):
            os.write(descriptor, bucket.encode("utf-8", "surrogatepass"))
            os.fsync(descriptor)
        os.close(descriptor)
        try:
            fsync_directory(self._folder)
        except OSError as exc:
            raise translate_os_error(exc, _ACTION) from exc
        return ThrottleRecord.RECORDED

    def reset(self) -> int:
        """Forget every bucket; return how many markers were removed."""
        try:
            names = os.listdir(self._folder)
        except FileNotFoundError:
            return 0
        except OSError as exc:
            raise translate_os_error(exc, _ACTION) from exc
        removed = 0
        for name in names:
            try:
                remove_entry(self._folder / name)
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise translate_os_error(exc, _ACTION) from exc
            removed += 1
        return removed
