"""Opening the user's or the machine's store at the paths openwer's settings resolve."""

from __future__ import annotations

from openwer.settings.paths import OpenwerPaths, resolve_paths
from openwer.store.directory import DirectoryReportStore
from openwer.store.location import StoreScope

__all__ = ["open_store"]


def open_store(scope: StoreScope, paths: OpenwerPaths | None = None) -> DirectoryReportStore:
    """Return the report store of ``scope`` at its root in ``paths`` (resolved when None).

    The store is created lazily: opening does no I/O, and the root (mode 0700 for the user store,
    0750 for the machine store) and its folders appear on the first write. Reading a store that
    was never written gives empty listings. Cheap; each call returns a new, independent handle.

    Raises:
        AccessDeniedError, StoreError: later, on the first write, when the root cannot be
            created or written (the message names the root and the cause).
    """
    resolved = resolve_paths() if paths is None else paths
    root = resolved.user_store_root if scope is StoreScope.USER else resolved.machine_store_root
    return DirectoryReportStore(root, scope=scope)
