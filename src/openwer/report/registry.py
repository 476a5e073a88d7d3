"""Per-process registered data: what WER's kernel32 ``WerRegister*`` functions record.

Files, custom metadata, memory blocks and additional processes registered here go into every crash
report of this process, and into generic reports submitted with ``ADD_REGISTERED_DATA``. Limits are
WER's (wer-spec.md §1.11): 512 entries in all, 8 metadata pairs (key ≤ 64 characters and a valid
XML name, value ≤ 128 printable ASCII characters), memory blocks ≤ 64 KiB, 4 additional processes.
While the process is in recovery every call raises :class:`InvalidStateError`, as WER does.

One :class:`Registry` per process (:func:`process_registry`); a forked child starts with a copy of
the parent's registrations and its own lock. All methods are thread-safe. Listeners
(:meth:`Registry.add_listener`) get a snapshot after every change: the native crash handler, a
separate process, keeps its copy that way.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from openwer.errors import (
    InvalidArgumentError,
    InvalidStateError,
    LengthExceededError,
    LimitReachedError,
    NotFoundError,
)
from openwer.types import (
    MAX_PATH,
    WER_MAX_MEM_BLOCK_SIZE,
    WER_MAX_REGISTERED_DUMPCOLLECTION,
    WER_MAX_REGISTERED_ENTRIES,
    WER_MAX_REGISTERED_METADATA,
    WER_METADATA_KEY_MAX_LENGTH,
    WER_METADATA_VALUE_MAX_LENGTH,
    FileFlags,
    RegisterFileType,
)

__all__ = [
    "RegisteredData",
    "RegisteredFile",
    "RegisteredMemoryBlock",
    "RegisteredProcess",
    "Registry",
    "process_registry",
]

_XML_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")


@dataclass(frozen=True, slots=True)
class RegisteredFile:
    """A file to collect with every report (``WerRegisterFile``)."""

    path: Path
    file_type: RegisterFileType
    flags: FileFlags


@dataclass(frozen=True, slots=True)
class RegisteredMemoryBlock:
    """A memory range to add to heap-or-larger dumps (or to keep out of them when excluded)."""

    address: int
    size: int
    excluded: bool = False


@dataclass(frozen=True, slots=True)
class RegisteredProcess:
    """Another process to dump with a crash (``WerRegisterAdditionalProcess``)."""

    process_id: int
    thread_id: int = 0


@dataclass(frozen=True, slots=True)
class RegisteredData:
    """A consistent snapshot of everything registered."""

    files: tuple[RegisteredFile, ...] = ()
    metadata: tuple[tuple[str, str], ...] = ()
    memory_blocks: tuple[RegisteredMemoryBlock, ...] = ()
    processes: tuple[RegisteredProcess, ...] = ()


class Registry:
    """The registration tables of one process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._files: dict[Path, RegisteredFile] = {}
        self._metadata: dict[str, str] = {}
        self._blocks: dict[tuple[int, bool], RegisteredMemoryBlock] = {}
        self._processes: dict[int, RegisteredProcess] = {}
        self._in_recovery = False
        self._listeners: list[Callable[[RegisteredData], None]] = []

    def add_listener(self, listener: Callable[[RegisteredData], None]) -> None:
        """Call ``listener`` with a snapshot after every change (it must be quick; errors in it
        are ignored)."""
        with self._lock:
            self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[RegisteredData], None]) -> None:
        """Stop calling ``listener`` (no error when it was not added)."""
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def _changed(self) -> None:
        listeners = list(self._listeners)
        if not listeners:
            return
        snapshot = self.snapshot()
        for listener in listeners:
            try:
                listener(snapshot)
            except Exception:  # a listener never breaks a registration
                continue

    # Recovery state: the recovery code of the capture layer flips it.
    def set_in_recovery(self, value: bool) -> None:
        """Mark the process as running its recovery callback (registrations are then refused)."""
        with self._lock:
            self._in_recovery = value

    @property
    def in_recovery(self) -> bool:
        """True while the process is in recovery."""
        return self._in_recovery

    def _check_state(self) -> None:
        if self._in_recovery:
            raise InvalidStateError("registrations cannot change while the process is in recovery")

    def _entries(self) -> int:
        return len(self._files) + len(self._blocks) + len(self._metadata)

    def _check_room(self) -> None:
        if self._entries() >= WER_MAX_REGISTERED_ENTRIES:
            raise LimitReachedError(
                f"at most {WER_MAX_REGISTERED_ENTRIES} files, memory blocks and metadata "
                "may be registered"
            )

    def register_file(
        self,
        path: str | os.PathLike[str],
        file_type: RegisterFileType | int = RegisterFileType.OTHER,
        flags: FileFlags | int = FileFlags.NONE,
    ) -> None:
        """Collect ``path`` with every report (only when the server asks for data, as WER does).

        Raises:
            InvalidArgumentError: empty path or a file type outside 1..2.
            LengthExceededError: the path is longer than MAX_PATH (260).
            LimitReachedError: 512 entries are registered already.
            InvalidStateError: the process is in recovery.
        """
        text = os.fspath(path)
        if not text:
            raise InvalidArgumentError("the path to register must not be empty")
        if len(text) > MAX_PATH:
            raise LengthExceededError(f"the path is {len(text)} characters; WER allows {MAX_PATH}")
        try:
            kind = RegisterFileType(file_type)
        except ValueError as exc:
            raise InvalidArgumentError(f"invalid registered file type {file_type}") from exc
        if kind is RegisterFileType.MAX:
            raise InvalidArgumentError("WerRegFileTypeMax is not a file type")
        resolved = Path(os.path.expandvars(os.path.expanduser(text))).absolute()
        with self._lock:
            self._check_state()
            if resolved not in self._files:
                self._check_room()
            self._files[resolved] = RegisteredFile(resolved, kind, FileFlags(int(flags) & 0xFFFF))
        self._changed()

    def unregister_file(self, path: str | os.PathLike[str]) -> None:
        """Remove a registration.

        Raises:
            NotFoundError: the file was not registered.
            InvalidStateError: the process is in recovery.
        """
        resolved = Path(os.path.expandvars(os.path.expanduser(os.fspath(path)))).absolute()
        with self._lock:
            self._check_state()
            if self._files.pop(resolved, None) is None:
                raise NotFoundError(f"{resolved} is not registered")
        self._changed()

    def register_metadata(self, key: str, value: str) -> None:
        """Add (or replace) one custom metadata pair.

        Raises:
            InvalidArgumentError: the key is not a valid XML element name, or the value holds
                characters other than printable ASCII.
            LengthExceededError: key over 64 or value over 128 characters.
            LimitReachedError: 8 pairs (or 512 entries) are registered already.
            InvalidStateError: the process is in recovery.
        """
        if not key or not _XML_NAME.match(key) or key.lower().startswith("xml"):
            raise InvalidArgumentError(f"metadata key {key!r} is not a valid XML element name")
        if len(key) > WER_METADATA_KEY_MAX_LENGTH:
            raise LengthExceededError(
                f"metadata key is {len(key)} characters; WER allows {WER_METADATA_KEY_MAX_LENGTH}"
            )
        if len(value) > WER_METADATA_VALUE_MAX_LENGTH:
            raise LengthExceededError(
                f"metadata value is {len(value)} characters; WER allows "
                f"{WER_METADATA_VALUE_MAX_LENGTH}"
            )
        if not all(" " <= ch <= "~" for ch in value):
            raise InvalidArgumentError("metadata values must be printable ASCII")
        with self._lock:
            self._check_state()
            if key not in self._metadata:
                if len(self._metadata) >= WER_MAX_REGISTERED_METADATA:
                    raise LimitReachedError(
                        f"at most {WER_MAX_REGISTERED_METADATA} metadata pairs may be registered"
                    )
                self._check_room()
            self._metadata[key] = value
        self._changed()

    def unregister_metadata(self, key: str) -> None:
        """Remove a metadata pair; :class:`NotFoundError` if there is none."""
        with self._lock:
            self._check_state()
            if self._metadata.pop(key, None) is None:
                raise NotFoundError(f"no metadata registered under {key!r}")
        self._changed()

    def register_memory_block(self, address: int, size: int, *, excluded: bool = False) -> None:
        """Register a memory range for dumps (``excluded=True``: keep it out of dumps).

        Raises:
            InvalidArgumentError: a zero address or size.
            LengthExceededError: an included block larger than 64 KiB.
            LimitReachedError / InvalidStateError: as for files.
        """
        if address <= 0 or size <= 0:
            raise InvalidArgumentError("a memory block needs a non-zero address and size")
        if not excluded and size > WER_MAX_MEM_BLOCK_SIZE:
            raise LengthExceededError(
                f"a memory block may be at most {WER_MAX_MEM_BLOCK_SIZE} bytes, not {size}"
            )
        with self._lock:
            self._check_state()
            if (address, excluded) not in self._blocks:
                self._check_room()
            self._blocks[(address, excluded)] = RegisteredMemoryBlock(address, size, excluded)
        self._changed()

    def unregister_memory_block(self, address: int, *, excluded: bool = False) -> None:
        """Remove a memory block; :class:`NotFoundError` (WER_E_NOT_FOUND) if not registered."""
        with self._lock:
            self._check_state()
            if self._blocks.pop((address, excluded), None) is None:
                raise NotFoundError(f"no memory block registered at {address:#x}")
        self._changed()

    def register_additional_process(self, process_id: int, thread_id: int = 0) -> None:
        """Dump another process too when this one crashes.

        Raises:
            InvalidArgumentError: ``process_id`` is 0.
            LimitReachedError: 4 processes are registered already.
        """
        if process_id <= 0:
            raise InvalidArgumentError("the process id must not be 0")
        with self._lock:
            self._check_state()
            if (
                process_id not in self._processes
                and len(self._processes) >= WER_MAX_REGISTERED_DUMPCOLLECTION
            ):
                raise LimitReachedError(
                    f"at most {WER_MAX_REGISTERED_DUMPCOLLECTION} additional processes"
                )
            self._processes[process_id] = RegisteredProcess(process_id, thread_id)
        self._changed()

    def unregister_additional_process(self, process_id: int) -> None:
        """Remove an additional process; :class:`NotFoundError` if not registered."""
        with self._lock:
            self._check_state()
            if self._processes.pop(process_id, None) is None:
                raise NotFoundError(f"process {process_id} is not registered")
        self._changed()

    def snapshot(self) -> RegisteredData:
        """Return everything registered, consistently."""
        with self._lock:
            return RegisteredData(
                files=tuple(self._files.values()),
                metadata=tuple(self._metadata.items()),
                memory_blocks=tuple(self._blocks.values()),
                processes=tuple(self._processes.values()),
            )

    def clear(self) -> None:
        """Forget every registration (tests; a new program image)."""
        with self._lock:
            self._files.clear()
            self._metadata.clear()
            self._blocks.clear()
            self._processes.clear()
            self._in_recovery = False
        self._changed()

    def _after_fork(self) -> None:
        # The parent's lock may have been held at fork time; the child gets a fresh one.
        self._lock = threading.Lock()


_REGISTRY = Registry()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_REGISTRY._after_fork)


def process_registry() -> Registry:
    """Return this process's registry."""
    return _REGISTRY
