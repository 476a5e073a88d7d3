"""The blob seam: :class:`BlobStore`, the small Protocol every backend implements.

Implementations: :class:`~openwer.server.blobs.local_store.LocalBlobStore` (a folder, the
default), :class:`~openwer.server.blobs.s3_store.S3BlobStore` (any S3-compatible store) and
:class:`~openwer.server.blobs.memory_store.MemoryBlobStore` (the fake for tests). One contract test
suite runs against all of them (``tests/server/test_server_blobs_contract.py``).

Blocking by design: every method blocks, and the ASGI server calls them from worker threads
(``starlette.concurrency.run_in_threadpool`` / ``anyio.to_thread``), exactly as it calls the
relational :mod:`~openwer.server.storage` repository. Why not ``async``: the local backend is
file I/O plus ``fsync``, which has no non-blocking form on Linux and would go to a thread anyway;
botocore's synchronous client is documented thread-safe, pools connections and needs no event
loop, which keeps the S3 backend usable from the CLI, from retention jobs and from child
processes; and one calling convention for both seams means one way to write the endpoints.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, BinaryIO, Protocol, TypeAlias

from openwer.server.blobs.blob_keys import DEFAULT_CONTENT_TYPE

if TYPE_CHECKING:
    from openwer.server.blobs.blob_reader import BlobReader

__all__ = ["BlobData", "BlobInfo", "BlobStore"]

BlobData: TypeAlias = bytes | BinaryIO
"""What :meth:`BlobStore.put` stores: bytes, or a binary stream read from its position to EOF."""


@dataclass(frozen=True, slots=True)
class BlobInfo:
    """One stored blob: its key, its size in bytes and when it was stored (UTC, aware).

    ``created_at`` is the backend's clock at the precision it keeps (S3: one second).
    """

    key: str
    size: int
    created_at: datetime


class BlobStore(Protocol):
    """Immutable blobs (report bundles) under opaque string keys.

    Keys follow :mod:`openwer.server.blobs.blob_keys` on every backend; a key that breaks the
    rules raises :class:`~openwer.errors.InvalidArgumentError` before any I/O.

    Lifecycle: a store is ready when constructed (S3 checks its bucket, and creates it when
    asked, on first use) and is closed once with :meth:`close`; any other call after ``close``
    raises :class:`~openwer.errors.StoreError`.

    Failure contract: a missing blob raises :class:`~openwer.errors.NotFoundError`; refused
    credentials or permissions raise :class:`~openwer.errors.AccessDeniedError`; everything else
    that goes wrong in the backend (unreachable endpoint, missing bucket, full disk, damaged file)
    raises :class:`~openwer.errors.StoreError` with a one-line message that names the key and,
    for S3, the endpoint, never a secret. No ``OSError`` or botocore exception escapes (they are
    chained as ``__cause__``). Exceptions raised by a caller's stream while it is read propagate
    unchanged. A failed :meth:`put` stores nothing: a blob is visible whole or not at all.

    Thread and process safety: every method may be called from any thread, concurrently; the
    local and S3 backends may also be shared by several processes (or machines, for S3). Blobs
    are never modified in place, so readers never see a partial blob.
    """

    def put(
        self, key: str, data: BlobData, *, content_type: str = DEFAULT_CONTENT_TYPE
    ) -> BlobInfo:
        """Store ``data`` under ``key`` unless the key is taken; return the stored blob's info.

        First writer wins: when ``key`` already holds a blob, that blob is kept and its info is
        returned, whatever ``data`` is (report bundles are idempotent by report id, so a repeat
        upload carries the same bundle; to replace a blob, :meth:`delete` it first). Two writers
        racing on a new key both succeed and both get the winner's info, except on S3 servers
        that ignore conditional writes (``If-None-Match: *``): there both PUTs land and the
        server decides (S3 semantics keep the last whole body; s3rver, a test server that writes
        in place, can even mix them). The blob is durable when ``put`` returns.
        """
        ...

    def get(self, key: str) -> bytes:
        """Return the whole blob (for large blobs prefer :meth:`open`)."""
        ...

    def open(self, key: str) -> BlobReader:
        """Open the blob for streaming; the caller closes the reader."""
        ...

    def exists(self, key: str) -> bool:
        """Whether ``key`` holds a blob now."""
        ...

    def delete(self, key: str) -> None:
        """Remove the blob; removing a missing blob is not an error (idempotent)."""
        ...

    def list(self, prefix: str = "") -> Iterator[BlobInfo]:
        """Iterate over the blobs whose keys start with ``prefix``, in no particular order.

        Arguments are checked when called; backend failures surface while iterating. Blobs
        added or removed meanwhile may or may not appear. Costs a scan of the whole folder on
        the local backend and one request per 1,000 blobs on S3 (for sweeps, not hot paths).
        """
        ...

    def total_size(self) -> int:
        """The sum of the sizes of all blobs, in bytes, for quota checks.

        The local backend keeps a running total and rescans at most every
        ``size_refresh_seconds``, so other processes' writes show up after that delay; S3 lists
        the bucket on every call (prefer the sizes the repository records on hot paths).
        """
        ...

    def close(self) -> None:
        """Release connections and files; idempotent."""
        ...
