"""Blob store URLs: :func:`open_blob_store` turns a configuration value into a store.

==================================  ===========================================================
Value                               Store
==================================  ===========================================================
``None`` or empty                   :class:`LocalBlobStore` at ``<data_dir>/blobs`` (the default)
``/srv/openwer/blobs``, ``blobs``   :class:`LocalBlobStore` at that folder (relative to
                                    ``data_dir``; ``~`` is expanded)
``file:///srv/openwer/blobs``       :class:`LocalBlobStore` (``file://localhost/…`` too)
``s3://bucket?endpoint=…``          :class:`~openwer.server.blobs.s3_store.S3BlobStore`, see
                                    :mod:`openwer.server.blobs.s3_location`
``memory://``                       :class:`MemoryBlobStore` (tests, demos; nothing persists)
==================================  ===========================================================

A bare path is relative to ``data_dir`` so that a value in the server's settings means the same
wherever the server starts; command-line front ends resolve their arguments against the current
directory before calling. A bare path whose first segment contains ``:`` looks like a URL
scheme: write it as ``./a:b``.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from openwer.errors import InvalidArgumentError, StoreError
from openwer.server.blobs.blob_store import BlobStore
from openwer.server.blobs.local_store import LocalBlobStore
from openwer.server.blobs.memory_store import MemoryBlobStore
from openwer.server.blobs.s3_location import parse_s3_url

__all__ = ["DEFAULT_BLOB_FOLDER", "open_blob_store"]

DEFAULT_BLOB_FOLDER = "blobs"
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_FORMS = "a folder path, file:///path, s3://bucket?endpoint=http://host:port or memory://"


def open_blob_store(url: str | None, data_dir: Path) -> BlobStore:
    """Open the blob store ``url`` names (see the module docstring); no network I/O.

    Raises:
        InvalidArgumentError: the value is not a supported, well-formed store URL or path.
        StoreError: the store cannot be opened (the ``[s3]`` extra is missing, say).
        AccessDeniedError: the folder cannot be created or written.
    """
    if url is None or not url.strip():
        return LocalBlobStore(Path(data_dir) / DEFAULT_BLOB_FOLDER)
    url = url.strip()
    if "\0" in url:
        raise InvalidArgumentError("a blob store URL cannot contain NUL")
    scheme = _SCHEME.match(url)
    if scheme is None:
        return LocalBlobStore(Path(data_dir) / Path(url).expanduser())
    name = scheme.group(1).lower()
    if name == "file":
        return LocalBlobStore(_file_path(url))
    if name == "s3":
        return _open_s3(url)
    if name == "memory":
        if url.lower() not in ("memory:", "memory://"):
            raise InvalidArgumentError("the memory blob store URL is just memory://")
        return MemoryBlobStore()
    raise InvalidArgumentError(f"unsupported blob store URL scheme {name[:20]!r}; use {_FORMS}")


def _file_path(url: str) -> Path:
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        raise InvalidArgumentError(
            "a file:// blob store URL names a local folder: file:///path (no host)"
        )
    if parts.query or parts.fragment:
        raise InvalidArgumentError("a file:// blob store URL takes no query or fragment")
    path = unquote(parts.path)
    if not path.startswith("/"):
        raise InvalidArgumentError("a file:// blob store URL needs an absolute path: file:///path")
    if "\0" in path:
        raise InvalidArgumentError("a blob store path cannot contain NUL")
    return Path(path)


def _open_s3(url: str) -> BlobStore:
    location = parse_s3_url(url)
    try:
        from openwer.server.blobs.s3_store import S3BlobStore
    except ImportError as exc:
        raise StoreError("s3:// blob stores need the S3 extra: pip install 'openwer[s3]'") from exc
    return S3BlobStore.from_location(location)
