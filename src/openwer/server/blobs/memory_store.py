"""The in-memory :class:`~openwer.server.blobs.blob_store.BlobStore`: the fake for tests."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from openwer.errors import NotFoundError, StoreError
from openwer.server.blobs.blob_data import read_blob_data
from openwer.server.blobs.blob_keys import (
    DEFAULT_CONTENT_TYPE,
    check_blob_key,
    check_blob_prefix,
    check_content_type,
    describe_key,
)
from openwer.server.blobs.blob_reader import BlobReader
from openwer.server.blobs.blob_store import BlobData, BlobInfo

__all__ = ["MemoryBlobStore"]


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class _Blob:
    info: BlobInfo
    content_type: str
    data: bytes


class MemoryBlobStore:
    """Blobs in a dict, with the same contract as the real backends (keys, first writer wins).

    ``clock`` gives ``created_at`` (tests of retention pass a settable one). Thread-safe (one
    lock); nothing is shared between processes, nothing survives :meth:`close`.
    """

    def __init__(self, *, clock: Callable[[], datetime] = _utc_now) -> None:
        """Create an empty store; ``clock`` returns aware UTC datetimes."""
        self._clock = clock
        self._lock = threading.Lock()
        self._blobs: dict[str, _Blob] = {}
        self._closed = False

    def put(
        self, key: str, data: BlobData, *, content_type: str = DEFAULT_CONTENT_TYPE
    ) -> BlobInfo:
        """Store ``data`` unless ``key`` is taken; return the stored blob's info."""
        self._check_open()
        check_blob_key(key)
        check_content_type(content_type)
        with self._lock:
            existing = self._blobs.get(key)
        if existing is not None:
            return existing.info
        payload = read_blob_data(data)
        with self._lock:
            self._check_open()
            blob = self._blobs.get(key)
            if blob is None:
                info = BlobInfo(key, len(payload), self._clock())
                blob = self._blobs[key] = _Blob(info, content_type, payload)
            return blob.info

    def get(self, key: str) -> bytes:
        """Return the blob's bytes."""
        return self._find(key).data

    def open(self, key: str) -> BlobReader:
        """Open the blob for streaming."""
        blob = self._find(key)
        stream = io.BytesIO(blob.data)
        return BlobReader(blob.info, blob.content_type, stream.read, stream.close)

    def exists(self, key: str) -> bool:
        """Whether ``key`` holds a blob."""
        self._check_open()
        check_blob_key(key)
        with self._lock:
            return key in self._blobs

    def delete(self, key: str) -> None:
        """Remove the blob if present."""
        self._check_open()
        check_blob_key(key)
        with self._lock:
            self._blobs.pop(key, None)

    def list(self, prefix: str = "") -> Iterator[BlobInfo]:
        """Iterate over a snapshot of the blobs whose keys start with ``prefix``."""
        self._check_open()
        check_blob_prefix(prefix)
        with self._lock:
            infos = [blob.info for key, blob in self._blobs.items() if key.startswith(prefix)]
        return iter(infos)

    def total_size(self) -> int:
        """The exact sum of the blob sizes."""
        self._check_open()
        with self._lock:
            return sum(blob.info.size for blob in self._blobs.values())

    def close(self) -> None:
        """Drop every blob; idempotent."""
        with self._lock:
            self._closed = True
            self._blobs.clear()

    def _find(self, key: str) -> _Blob:
        self._check_open()
        check_blob_key(key)
        with self._lock:
            blob = self._blobs.get(key)
        if blob is None:
            raise NotFoundError(f"no blob {describe_key(key)}")
        return blob

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError("the blob store is closed")

    def __repr__(self) -> str:
        return f"MemoryBlobStore({len(self._blobs)} blobs)"
