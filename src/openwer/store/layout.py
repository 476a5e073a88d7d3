"""The folders of a store root and the names of the entries in its ``Temp`` area.

::

    <root>/
      ReportQueue/<key>/           reports waiting to be sent (Report.wer and files)
      ReportArchive/<key>/         reports sent or refused (Report.wer, files unless dropped)
      Temp/                        work in progress, named by what it is:
        new~<writer>~<random>/       a report being built by add()
        doc~<writer>~<random>        a Report.wer being replaced by update_document()
        archive~<P|A>~<key>/         a report moving to the archive (P: parameters only)
        delete~<random>/             an entry being deleted (delete, purge, prune)
      ERC/Throttle/<sha256>        data throttling markers, one per bucket
      store.lock                   flock serializing moves, deletes and recovery

``<writer>`` is the writing process's :class:`~openwer.platform.process_identity.ProcessIdentity`
token (pid, start ticks, boot, pid namespace), which lets recovery tell a dead writer's leftovers
from a live writer's work. An ``archive~`` or ``delete~`` entry is its own intent marker: the name
says what to finish, and only a holder of ``store.lock`` creates or finishes one.

Pure naming plus one ``mkdir`` helper; thread-safe.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from openwer.platform.process_identity import ProcessIdentity
from openwer.store.location import StoreArea

__all__ = ["StoreLayout", "TempEntry", "TempKind", "parse_temp_name"]

_SEPARATOR = "~"


class TempKind(Enum):
    """What a ``Temp`` entry is."""

    NEW_REPORT = "new"
    DOCUMENT = "doc"
    ARCHIVE = "archive"
    DELETE = "delete"


@dataclass(frozen=True, slots=True)
class TempEntry:
    """A parsed ``Temp`` entry name.

    ``writer`` is set for ``new``/``doc`` entries, ``key`` and ``parameters_only`` for
    ``archive`` entries.
    """

    kind: TempKind
    writer: ProcessIdentity | None = None
    key: str | None = None
    parameters_only: bool = False


def parse_temp_name(name: str) -> TempEntry | None:
    """Return what a ``Temp`` entry name says, or None for a name the store did not make."""
    kind_text, _, rest = name.partition(_SEPARATOR)
    try:
        kind = TempKind(kind_text)
    except ValueError:
        return None
    if kind is TempKind.DELETE:
        return TempEntry(kind) if rest else None
    first, _, second = rest.partition(_SEPARATOR)
    if not first or not second:
        return None
    if kind in (TempKind.NEW_REPORT, TempKind.DOCUMENT):
        writer = ProcessIdentity.from_token(first)
        return None if writer is None else TempEntry(kind, writer=writer)
    if first not in ("P", "A"):
        return None
    return TempEntry(kind, key=second, parameters_only=first == "P")


@dataclass(frozen=True, slots=True)
class StoreLayout:
    """The paths of one store root."""

    root: Path

    @property
    def queue(self) -> Path:
        """``ReportQueue``."""
        return self.root / StoreArea.QUEUE.folder_name

    @property
    def archive(self) -> Path:
        """``ReportArchive``."""
        return self.root / StoreArea.ARCHIVE.folder_name

    @property
    def temp(self) -> Path:
        """``Temp``: work in progress (same file system as the areas, so renames are atomic)."""
        return self.root / "Temp"

    @property
    def throttle(self) -> Path:
        """``ERC/Throttle``: data throttling markers."""
        return self.root / "ERC" / "Throttle"

    @property
    def lock(self) -> Path:
        """``store.lock``."""
        return self.root / "store.lock"

    def area(self, area: StoreArea) -> Path:
        """The folder of ``area``."""
        return self.queue if area is StoreArea.QUEUE else self.archive

    def ensure(self, mode: int) -> None:
        """Create the root (with ``mode``) and its area folders if they are missing.

        Raises:
            OSError: a folder cannot be created.
        """
        if not self.root.is_dir():
            self.root.mkdir(mode=mode, parents=True, exist_ok=True)
            # mkdir's mode is filtered by the umask; the store's privacy must not depend on it.
            os.chmod(self.root, mode)
        for folder in (self.queue, self.archive, self.temp):
            folder.mkdir(mode=mode, exist_ok=True)

    def new_report_path(self, writer: ProcessIdentity) -> Path:
        """A fresh ``Temp`` folder name for a report being built by ``writer``."""
        return self.temp / _join(TempKind.NEW_REPORT.value, writer.to_token(), _random())

    def document_path(self, writer: ProcessIdentity) -> Path:
        """A fresh ``Temp`` file name for a Report.wer being written by ``writer``."""
        return self.temp / _join(TempKind.DOCUMENT.value, writer.to_token(), _random())

    def archive_path(self, key: str, *, parameters_only: bool) -> Path:
        """The ``Temp`` name of ``key`` while it moves to the archive."""
        return self.temp / _join(TempKind.ARCHIVE.value, "P" if parameters_only else "A", key)

    def delete_path(self) -> Path:
        """A fresh ``Temp`` name for an entry while it is being deleted.

        The name holds no key: any entry, even one whose name is too long to be a key, can go.
        """
        return self.temp / _join(TempKind.DELETE.value, _random())


def _join(*parts: str) -> str:
    return _SEPARATOR.join(parts)


def _random() -> str:
    return secrets.token_hex(6)
