"""Reading what callers hand to :meth:`~openwer.server.blobs.blob_store.BlobStore.put`."""

from __future__ import annotations

from collections.abc import Iterator

from openwer.errors import InvalidArgumentError
from openwer.server.blobs.blob_store import BlobData

__all__ = ["iter_blob_chunks", "read_blob_data"]

_CHUNK = 1024 * 1024


def iter_blob_chunks(data: BlobData, chunk_size: int = _CHUNK) -> Iterator[bytes]:
    """Yield ``data`` in chunks: bytes-like values as one chunk, streams read to EOF.

    A stream is read from its current position; exceptions it raises propagate unchanged.

    Raises:
        InvalidArgumentError: ``data`` is neither bytes-like nor a binary stream.
    """
    if isinstance(data, bytes | bytearray | memoryview):
        yield bytes(data)
        return
    read = getattr(data, "read", None)
    if not callable(read):
        raise InvalidArgumentError(
            f"blob data is bytes or a binary stream, not {type(data).__name__}"
        )
    while True:
        chunk = read(chunk_size)
        if not chunk:
            return
        if not isinstance(chunk, bytes | bytearray | memoryview):
            raise InvalidArgumentError("blob data streams must be binary (read() returns bytes)")
        yield bytes(chunk)


def read_blob_data(data: BlobData) -> bytes:
    """The whole of ``data`` as bytes (see :func:`iter_blob_chunks`)."""
    if isinstance(data, bytes):
        return data
    return b"".join(iter_blob_chunks(data))
