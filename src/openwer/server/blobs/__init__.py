"""Report bundles (CAB files) as blobs: a local folder by default, or an S3-compatible store.

Open a store with :func:`open_blob_store` (``None`` for ``<data_dir>/blobs``, a folder,
``file:///path``, ``s3://bucket?endpoint=…``, ``memory://``). Every backend implements the small
:class:`BlobStore` Protocol, whose docstring states lifecycle, failure contract and thread safety:
blocking methods meant for worker threads, first writer wins on a key, blobs visible whole or not
at all, errors from :mod:`openwer.errors` only. Keys follow :mod:`.blob_keys`.

:class:`MemoryBlobStore` is the fake for tests; :class:`LocalBlobStore` and
:class:`~openwer.server.blobs.s3_store.S3BlobStore` are the real backends. ``S3BlobStore`` loads
botocore (the ``[s3]`` extra) only when first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from openwer.server.blobs.blob_keys import (
    DEFAULT_CONTENT_TYPE,
    MAX_KEY_BYTES,
    MAX_SEGMENT_BYTES,
    check_blob_key,
)
from openwer.server.blobs.blob_reader import BlobReader
from openwer.server.blobs.blob_store import BlobData, BlobInfo, BlobStore
from openwer.server.blobs.local_store import LocalBlobStore
from openwer.server.blobs.memory_store import MemoryBlobStore
from openwer.server.blobs.s3_location import S3Location, parse_s3_url
from openwer.server.blobs.store_url import open_blob_store

if TYPE_CHECKING:
    from openwer.server.blobs.s3_store import S3BlobStore

__all__ = [
    "DEFAULT_CONTENT_TYPE",
    "MAX_KEY_BYTES",
    "MAX_SEGMENT_BYTES",
    "BlobData",
    "BlobInfo",
    "BlobReader",
    "BlobStore",
    "LocalBlobStore",
    "MemoryBlobStore",
    "S3BlobStore",
    "S3Location",
    "check_blob_key",
    "open_blob_store",
    "parse_s3_url",
]


def __getattr__(name: str) -> object:
    """Load :class:`S3BlobStore` (and botocore) on first use only."""
    if name == "S3BlobStore":
        from openwer.server.blobs.s3_store import S3BlobStore

        return S3BlobStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    """The module's names, including the lazily loaded :class:`S3BlobStore`."""
    return sorted(set(globals()) | {"S3BlobStore"})
