"""Reading stored bundles back for the pages: the blob store, the CAB readers, a small cache.

A bundle's blob key names its content (``<report id>-<sha256 prefix>.cab``), so a bundle read
once never changes and is cached (at most 32 bundles and 64 MiB together, least recently used
first out). Bundles were checked when they arrived; one that no longer reads as a bundle (an
MS-CER2 cabinet has no Report.wer, a blob went missing) degrades instead of failing the page:
:meth:`StoredBundles.read` returns ``None`` or a bundle without Report.wer.

Thread safety: the cache takes a lock; :meth:`StoredBundles.read` blocks (call it from a worker
thread).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass

from openwer.errors import FormatError, NotFoundError, OpenwerError
from openwer.formats.cab_bundle import BundleFile, BundleLimits, read_bundle, read_cab
from openwer.formats.report_wer import WerDocument
from openwer.server.blobs import BlobStore

__all__ = ["StoredBundle", "StoredBundles"]

log = logging.getLogger("openwer.server.dashboard")

_MAX_ENTRIES = 32
_MAX_CACHED_BYTES = 64 * 1024 * 1024
_LIMITS = BundleLimits()  # what ingest accepted, it accepted within these


@dataclass(frozen=True, slots=True)
class StoredBundle:
    """A stored bundle: its Report.wer (``None`` for a cabinet without one) and its members
    (Report.wer included, in the cabinet's order)."""

    report_wer: WerDocument | None
    files: tuple[BundleFile, ...]
    size: int

    def file(self, name: str) -> BundleFile | None:
        """The member called ``name`` (compared regardless of case), or ``None``."""
        folded = name.casefold()
        return next((f for f in self.files if f.name.casefold() == folded), None)


class StoredBundles:
    """Bundles from the blob store, parsed and cached (see the module docstring)."""

    def __init__(self, blobs: BlobStore) -> None:
        self._blobs = blobs
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, StoredBundle] = OrderedDict()
        self._cached_bytes = 0

    def raw(self, key: str) -> bytes | None:
        """The CAB's bytes, or ``None`` when the blob is gone."""
        try:
            return self._blobs.get(key)
        except NotFoundError:
            return None

    def read(self, key: str) -> StoredBundle | None:
        """The bundle stored under ``key``, or ``None`` when it is gone or unreadable."""
        with self._lock:
            found = self._cache.get(key)
            if found is not None:
                self._cache.move_to_end(key)
                return found
        data = self.raw(key)
        if data is None:
            return None
        bundle = _parse(key, data)
        if bundle is not None:
            self._remember(key, bundle)
        return bundle

    def _remember(self, key: str, bundle: StoredBundle) -> None:
        if bundle.size > _MAX_CACHED_BYTES // 4:
            return  # a huge bundle would push everything else out
        with self._lock:
            if key in self._cache:
                return
            self._cache[key] = bundle
            self._cached_bytes += bundle.size
            while len(self._cache) > _MAX_ENTRIES or self._cached_bytes > _MAX_CACHED_BYTES:
                _, dropped = self._cache.popitem(last=False)
                self._cached_bytes -= dropped.size


def _parse(key: str, data: bytes) -> StoredBundle | None:
    try:
        bundle = read_bundle(data, limits=_LIMITS)
        report = BundleFile("Report.wer", bundle.report_wer_bytes)
        return StoredBundle(bundle.report_wer, (report, *bundle.files), len(data))
    except FormatError:
        pass
    try:
        return StoredBundle(None, read_cab(data, limits=_LIMITS), len(data))
    except OpenwerError as exc:
        log.warning("stored bundle %s cannot be read: %s", key, exc)
        return None
