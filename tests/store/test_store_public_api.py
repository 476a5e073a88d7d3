"""The public names of openwer.store and of the platform modules the store relies on."""

from __future__ import annotations

import importlib
from types import ModuleType

import pytest

import openwer.store

MODULES = [
    "openwer.store.base",
    "openwer.store.directory",
    "openwer.store.directory_recovery",
    "openwer.store.entry",
    "openwer.store.error_translation",
    "openwer.store.folder_moves",
    "openwer.store.folder_reader",
    "openwer.store.folder_writer",
    "openwer.store.layout",
    "openwer.store.location",
    "openwer.store.memory",
    "openwer.store.metadata",
    "openwer.store.naming",
    "openwer.store.opening",
    "openwer.store.recovery",
    "openwer.store.retention",
    "openwer.store.stats",
    "openwer.store.throttle",
    "openwer.platform.atomic_file",
    "openwer.platform.disk_space",
    "openwer.platform.file_lock",
    "openwer.platform.process_identity",
    "openwer.platform.tree_removal",
]


def test_package_exports_the_store_api() -> None:
    """openwer.store.__all__ is sorted, complete for the documented API, and importable."""
    names = openwer.store.__all__
    assert names == sorted(names)
    for name in names:
        assert getattr(openwer.store, name) is not None
    assert {
        "ReportStore",
        "DirectoryReportStore",
        "MemoryReportStore",
        "NewReport",
        "StagedFile",
        "StoredReport",
        "StoreArea",
        "StoreScope",
        "ReportMetadata",
        "RetentionPolicy",
        "PruneResult",
        "RecoveryResult",
        "DataThrottle",
        "StoreStats",
        "open_store",
    } <= set(names)


@pytest.mark.parametrize("module_name", MODULES)
def test_every_module_declares_its_public_names(module_name: str) -> None:
    """Each module's __all__ exists and names every public class and function defined there."""
    module: ModuleType = importlib.import_module(module_name)
    exported = set(module.__all__)
    defined = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and getattr(value, "__module__", None) == module_name
    }
    assert defined <= exported
    assert all(hasattr(module, name) for name in exported)
