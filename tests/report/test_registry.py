"""Tests of per-process registered data and WER's limits on it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from openwer.errors import (
    InvalidArgumentError,
    InvalidStateError,
    LengthExceededError,
    LimitReachedError,
    NotFoundError,
)
from openwer.report.registry import Registry, process_registry
from openwer.types import FileFlags, HResult, RegisterFileType


def test_files_round_trip(tmp_path: Path) -> None:
    """A registered file shows in the snapshot and goes away when unregistered."""
    registry = Registry()
    target = tmp_path / "app.log"
    registry.register_file(target, RegisterFileType.OTHER, FileFlags.ANONYMOUS_DATA | 0x10000)
    (item,) = registry.snapshot().files
    assert item.path == target
    assert item.flags == FileFlags.ANONYMOUS_DATA  # high word cleared
    registry.register_file(target)  # re-registering replaces
    assert len(registry.snapshot().files) == 1
    registry.unregister_file(target)
    with pytest.raises(NotFoundError):
        registry.unregister_file(target)


def test_file_validation(tmp_path: Path) -> None:
    """Empty paths, long paths and bad types are refused."""
    registry = Registry()
    with pytest.raises(InvalidArgumentError):
        registry.register_file("")
    with pytest.raises(LengthExceededError):
        registry.register_file("/" + "x" * 300)
    with pytest.raises(InvalidArgumentError):
        registry.register_file(tmp_path / "a", 3)
    with pytest.raises(InvalidArgumentError):
        registry.register_file(tmp_path / "a", 9)


def test_metadata_limits() -> None:
    """At most 8 pairs; keys are XML names of at most 64; values printable ASCII of at most 128."""
    registry = Registry()
    for i in range(8):
        registry.register_metadata(f"key{i}", "value")
    registry.register_metadata("key0", "replaced")  # replacing does not count twice
    with pytest.raises(LimitReachedError) as info:
        registry.register_metadata("key8", "value")
    assert info.value.hresult == HResult.WER_E_INSUFFICIENT_BUFFER
    with pytest.raises(InvalidArgumentError):
        registry.register_metadata("1bad", "v")
    with pytest.raises(InvalidArgumentError):
        registry.register_metadata("xmlKey", "v")
    with pytest.raises(InvalidArgumentError):
        registry.register_metadata("", "v")
    with pytest.raises(LengthExceededError):
        Registry().register_metadata("k" * 65, "v")
    with pytest.raises(LengthExceededError):
        Registry().register_metadata("k", "v" * 129)
    with pytest.raises(InvalidArgumentError):
        Registry().register_metadata("k", "tab\there")
    assert dict(registry.snapshot().metadata)["key0"] == "replaced"
    registry.unregister_metadata("key0")
    with pytest.raises(NotFoundError):
        registry.unregister_metadata("key0")


def test_memory_blocks() -> None:
    """Blocks are at most 64 KiB, need an address and size; excluded blocks have no cap."""
    registry = Registry()
    registry.register_memory_block(0x1000, 64 * 1024)
    registry.register_memory_block(0x1000, 10 * 1024 * 1024, excluded=True)
    with pytest.raises(LengthExceededError):
        registry.register_memory_block(0x2000, 64 * 1024 + 1)
    with pytest.raises(InvalidArgumentError):
        registry.register_memory_block(0, 10)
    assert len(registry.snapshot().memory_blocks) == 2
    registry.unregister_memory_block(0x1000)
    with pytest.raises(NotFoundError) as info:
        registry.unregister_memory_block(0x1000)
    assert info.value.hresult == HResult.WER_E_NOT_FOUND


def test_additional_processes_limit() -> None:
    """At most 4 additional processes; pid 0 is invalid."""
    registry = Registry()
    for pid in range(1, 5):
        registry.register_additional_process(pid)
    registry.register_additional_process(1, 7)  # updating one is fine
    with pytest.raises(LimitReachedError):
        registry.register_additional_process(5)
    with pytest.raises(InvalidArgumentError):
        registry.register_additional_process(0)
    registry.unregister_additional_process(1)
    with pytest.raises(NotFoundError):
        registry.unregister_additional_process(1)


def test_entry_cap_of_512(tmp_path: Path) -> None:
    """Files, memory blocks and metadata share a cap of 512 entries."""
    registry = Registry()
    for i in range(512):
        registry.register_file(tmp_path / f"f{i}")
    with pytest.raises(LimitReachedError):
        registry.register_memory_block(0x1000, 16)


def test_recovery_blocks_changes(tmp_path: Path) -> None:
    """While in recovery every registration call is WER_E_INVALID_STATE."""
    registry = Registry()
    registry.set_in_recovery(True)
    assert registry.in_recovery
    with pytest.raises(InvalidStateError) as info:
        registry.register_file(tmp_path / "x")
    assert info.value.hresult == HResult.WER_E_INVALID_STATE
    registry.clear()
    assert not registry.in_recovery


def test_process_registry_is_one_per_process() -> None:
    """process_registry returns the same object each time."""
    assert process_registry() is process_registry()


def test_fork_gives_child_a_usable_registry(tmp_path: Path) -> None:
    """A forked child can use the registry even if the parent held its lock."""
    registry = process_registry()
    registry.clear()
    registry.register_metadata("parent", "1")
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        try:
            process_registry().register_metadata("child", "1")
            ok = dict(process_registry().snapshot().metadata) == {"parent": "1", "child": "1"}
            os.write(write, b"1" if ok else b"0")
        finally:
            os._exit(0)
    os.close(write)
    assert os.read(read, 1) == b"1"
    os.waitpid(pid, 0)
    registry.clear()
