"""A forward-only stream of one blob's bytes, the same for every backend."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from types import TracebackType

from openwer.errors import StoreError
from openwer.server.blobs.blob_keys import describe_key
from openwer.server.blobs.blob_store import BlobInfo

__all__ = ["CHUNK_SIZE", "BlobReader"]

CHUNK_SIZE = 256 * 1024


class BlobReader:
    """The bytes of one blob, read front to back; a context manager and an iterable of chunks.

    ``info`` and ``content_type`` describe the blob as it was when opened. The reader holds a
    file or a connection: close it (``with store.open(key) as reader: …``). It is not seekable
    and not meant to be shared between threads. A blob deleted while it is read stays readable
    to the end on the local backend; on S3 the answer was already under way and is read whole.

    Failure contract: backend failures while reading raise
    :class:`~openwer.errors.StoreError` (the backend translates them); a stream that ends before
    ``info.size`` bytes raises ``StoreError`` instead of returning a short blob; reading after
    :meth:`close` raises ``StoreError``. Starlette's ``StreamingResponse`` can iterate it in a
    worker thread.
    """

    def __init__(
        self,
        info: BlobInfo,
        content_type: str,
        read: Callable[[int], bytes],
        close: Callable[[], None],
    ) -> None:
        """Wrap ``read(n)`` (at most ``n`` bytes, ``n == -1`` for all, ``b""`` at the end)."""
        self.info = info
        self.content_type = content_type
        self._read = read
        self._close = close
        self._remaining = info.size
        self._closed = False

    def read(self, size: int = -1) -> bytes:
        """Return up to ``size`` bytes (all that is left when ``size`` < 0); ``b""`` at the end."""
        if self._closed:
            raise StoreError(f"blob reader of {describe_key(self.info.key)} is closed")
        if self._remaining == 0 or size == 0:
            return b""
        wanted = self._remaining if size < 0 else min(size, self._remaining)
        parts: list[bytes] = []
        got = 0
        while got < wanted:
            chunk = self._read(wanted - got)
            if not chunk:
                raise StoreError(
                    f"blob {describe_key(self.info.key)} ended after "
                    f"{self.info.size - self._remaining + got} of {self.info.size} bytes"
                )
            parts.append(chunk)
            got += len(chunk)
            if size >= 0:
                break  # like a file: one short read is a valid answer
        self._remaining -= got
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def __iter__(self) -> Iterator[bytes]:
        """Yield the remaining bytes in chunks of at most :data:`CHUNK_SIZE`."""
        while chunk := self.read(CHUNK_SIZE):
            yield chunk

    def close(self) -> None:
        """Release the file or connection; idempotent."""
        if not self._closed:
            self._closed = True
            self._close()

    def __enter__(self) -> BlobReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"BlobReader({describe_key(self.info.key)}, size={self.info.size})"
