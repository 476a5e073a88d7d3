"""Blobs as files in a local folder: the default :class:`~.blob_store.BlobStore`.

Layout and file format: :mod:`openwer.server.blobs.local_layout`. A put writes a temporary file
in the blob's own folder, fsyncs it, then publishes it with ``link(2)`` (not ``rename(2)``):
``link`` fails when the name exists, which makes "first writer wins" atomic across processes
without a lock, while ``rename`` would silently replace the first blob. The folder is fsynced
after the temporary name is removed, so the blob survives a power cut once ``put`` returns. A
writer killed at any instant leaves the whole blob or none of it, plus at most a temporary file,
which the next size scan removes once it is :data:`STALE_TEMP_SECONDS` old.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from openwer.errors import AccessDeniedError, NotFoundError, OpenwerError, StoreError
from openwer.platform.atomic_file import fsync_directory
from openwer.server.blobs.blob_data import iter_blob_chunks
from openwer.server.blobs.blob_keys import (
    DEFAULT_CONTENT_TYPE,
    check_blob_key,
    check_blob_prefix,
    check_content_type,
    describe_key,
)
from openwer.server.blobs.blob_reader import BlobReader
from openwer.server.blobs.blob_store import BlobData, BlobInfo
from openwer.server.blobs.local_layout import (
    HEADER_SIZE,
    blob_path,
    decode_header,
    encode_header,
    is_blob_name,
    is_temp_name,
    iter_leaf_entries,
    temp_name,
)

__all__ = ["STALE_TEMP_SECONDS", "LocalBlobStore"]

STALE_TEMP_SECONDS = 3600.0
_log = logging.getLogger(__name__)
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | os.O_NOFOLLOW
_OPEN = os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW
_NO_SPACE = (errno.ENOSPC, errno.EDQUOT)
_DENIED = (errno.EACCES, errno.EPERM, errno.EROFS)


class LocalBlobStore:
    """Blobs under ``root`` (created if missing), safe for many threads and processes at once.

    ``total_size`` keeps a running total of this process's puts and deletes and rescans the
    folder (``stat`` only) when the last scan is older than ``size_refresh_seconds`` (0: on
    every call), which is how other processes' writes become visible to it.
    """

    def __init__(self, root: Path, *, size_refresh_seconds: float = 60.0) -> None:
        """Open (and create) the folder ``root``.

        Raises:
            AccessDeniedError: ``root`` cannot be created or is not writable.
            StoreError: ``root`` exists but is not a folder, or cannot be created.
        """
        self.root = Path(root)
        self._refresh = size_refresh_seconds
        self._lock = threading.Lock()
        self._total: int | None = None
        self._scanned_at = 0.0
        self._closed = False
        with self._translated("create the blob folder", None):
            self.root.mkdir(parents=True, exist_ok=True)
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise AccessDeniedError(f"blob folder {self.root} is not writable")

    def put(
        self, key: str, data: BlobData, *, content_type: str = DEFAULT_CONTENT_TYPE
    ) -> BlobInfo:
        """Store ``data`` unless ``key`` is taken; return the stored blob's info."""
        self._check_open()
        check_blob_key(key)
        check_content_type(content_type)
        final = blob_path(self.root, key)
        existing = self._stat_info(final, key)
        if existing is not None:
            return existing
        temp = final.parent / temp_name()
        with self._translated("store", key):
            self._make_folders(final.parent)
            descriptor = os.open(temp, _CREATE, 0o600)
        try:
            size = self._write(descriptor, encode_header(key, content_type), data, key)
            with self._translated("store", key):
                os.fsync(descriptor)
                won = self._publish(temp, final)
        finally:
            with contextlib.suppress(OSError):
                os.close(descriptor)
            with contextlib.suppress(OSError):
                os.unlink(temp)
        with self._translated("store", key):
            fsync_directory(final.parent)
        if won:
            self._adjust(size)
        info = self._stat_info(final, key)
        if info is None:  # deleted by someone else in the instant since
            raise StoreError(f"blob {describe_key(key)} was deleted while it was stored")
        return info

    def get(self, key: str) -> bytes:
        """Return the blob's bytes."""
        with self.open(key) as reader:
            return reader.read()

    def open(self, key: str) -> BlobReader:
        """Open the blob for streaming (the open file stays readable if the blob is deleted)."""
        self._check_open()
        check_blob_key(key)
        path = blob_path(self.root, key)
        with self._translated("read", key):
            try:
                descriptor = os.open(path, _OPEN)
            except FileNotFoundError:
                raise NotFoundError(f"no blob {describe_key(key)}") from None
            stream = os.fdopen(descriptor, "rb", buffering=0)
            try:
                status = os.fstat(descriptor)
                content_type = self._check_header(stream.read(HEADER_SIZE), key, path)
            except BaseException:
                stream.close()
                raise
        info = BlobInfo(key, status.st_size - HEADER_SIZE, _mtime(status))
        return BlobReader(info, content_type, self._reading(stream, key), stream.close)

    def exists(self, key: str) -> bool:
        """Whether ``key`` holds a blob."""
        self._check_open()
        check_blob_key(key)
        return self._stat_info(blob_path(self.root, key), key) is not None

    def delete(self, key: str) -> None:
        """Remove the blob if present; the removal is durable on return."""
        self._check_open()
        check_blob_key(key)
        path = blob_path(self.root, key)
        with self._translated("delete", key):
            try:
                size = max(os.stat(path, follow_symlinks=False).st_size - HEADER_SIZE, 0)
                os.unlink(path)
            except FileNotFoundError:
                return
            fsync_directory(path.parent)
        self._adjust(-size)

    def list(self, prefix: str = "") -> Iterator[BlobInfo]:
        """Iterate over the blobs whose keys start with ``prefix`` (reads every header)."""
        self._check_open()
        check_blob_prefix(prefix)
        return self._iter_infos(prefix)

    def total_size(self) -> int:
        """Sum of blob sizes: running total, rescanned when older than ``size_refresh_seconds``."""
        self._check_open()
        with self._lock:
            now = time.monotonic()
            if self._total is None or now - self._scanned_at >= self._refresh:
                with self._translated("measure", None):
                    self._total = self._scan()
                self._scanned_at = now
            return self._total

    def close(self) -> None:
        """Mark the store closed; idempotent (it holds no open files between calls)."""
        self._closed = True

    def __repr__(self) -> str:
        return f"LocalBlobStore({str(self.root)!r})"

    def _write(self, descriptor: int, header: bytes, data: BlobData, key: str) -> int:
        # The caller's stream is read outside the translation: its own errors propagate as-is.
        with self._translated("store", key):
            _write_all(descriptor, header)
        size = 0
        for chunk in iter_blob_chunks(data):
            with self._translated("store", key):
                _write_all(descriptor, chunk)
            size += len(chunk)
        return size

    def _publish(self, temp: Path, final: Path) -> bool:
        try:
            os.link(temp, final, follow_symlinks=False)
        except FileExistsError:
            return False
        return True

    def _make_folders(self, leaf: Path) -> None:
        # Create the two fan-out levels and fsync each parent that gained an entry, so a blob
        # published into a new folder is reachable after a power cut.
        for folder in (leaf.parent, leaf):
            try:
                folder.mkdir()
            except FileExistsError:
                continue
            fsync_directory(folder.parent)

    def _stat_info(self, path: Path, key: str) -> BlobInfo | None:
        with self._translated("look up", key):
            try:
                status = os.stat(path, follow_symlinks=False)
            except FileNotFoundError:
                return None
        return BlobInfo(key, max(status.st_size - HEADER_SIZE, 0), _mtime(status))

    def _iter_infos(self, prefix: str) -> Iterator[BlobInfo]:
        with self._translated("list", None):
            for entry in iter_leaf_entries(self.root):
                if not is_blob_name(entry.name):
                    continue
                try:
                    with open(entry.path, "rb") as stream:
                        status = os.fstat(stream.fileno())
                        key, _ = decode_header(stream.read(HEADER_SIZE))
                except FileNotFoundError:
                    continue  # deleted since the folder was read
                except (ValueError, UnicodeDecodeError):
                    _log.warning("skipping damaged blob file %s", entry.path)
                    continue
                if key.startswith(prefix):
                    yield BlobInfo(key, status.st_size - HEADER_SIZE, _mtime(status))

    def _scan(self) -> int:
        total = 0
        stale_before = time.time() - STALE_TEMP_SECONDS
        for entry in iter_leaf_entries(self.root):
            try:
                status = entry.stat(follow_symlinks=False)
                if is_blob_name(entry.name):
                    total += max(status.st_size - HEADER_SIZE, 0)
                elif is_temp_name(entry.name) and status.st_mtime < stale_before:
                    os.unlink(entry.path)
            except FileNotFoundError:
                continue
        return total

    def _adjust(self, delta: int) -> None:
        with self._lock:
            if self._total is not None:
                self._total += delta

    def _check_header(self, raw: bytes, key: str, path: Path) -> str:
        try:
            stored_key, content_type = decode_header(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise StoreError(f"blob file {path} is damaged: {exc}") from exc
        if stored_key != key:
            raise StoreError(f"blob file {path} holds another key ({describe_key(stored_key)})")
        return content_type

    def _reading(self, stream: BinaryIO, key: str) -> Callable[[int], bytes]:
        def read(size: int) -> bytes:
            with self._translated("read", key):
                return stream.read(size) or b""

        return read

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError(f"the blob store at {self.root} is closed")

    @contextlib.contextmanager
    def _translated(self, action: str, key: str | None) -> Iterator[None]:
        try:
            yield
        except OpenwerError:
            raise
        except OSError as exc:
            raise _translate(exc, action, key, self.root) from exc


def _translate(exc: OSError, action: str, key: str | None, root: Path) -> OpenwerError:
    what = f"blob {describe_key(key)}" if key is not None else f"blob folder {root}"
    reason = exc.strerror or str(exc)
    if exc.errno in _NO_SPACE:
        return StoreError(f"could not {action} {what}: no space left in {root}")
    if exc.errno in _DENIED:
        return AccessDeniedError(f"could not {action} {what} in {root}: {reason}")
    return StoreError(f"could not {action} {what} in {root}: {reason}")


def _write_all(descriptor: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(descriptor, view)
        view = view[written:]


def _mtime(status: os.stat_result) -> datetime:
    return datetime.fromtimestamp(status.st_mtime_ns / 1e9, UTC)
