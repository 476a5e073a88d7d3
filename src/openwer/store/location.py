"""Where a report lives: which store (user or machine) and which area of it (queue or archive)."""

from __future__ import annotations

from enum import Enum

from openwer.errors import InvalidArgumentError
from openwer.types import StoreType

__all__ = ["StoreArea", "StoreScope", "store_location", "store_type"]


class StoreScope(Enum):
    """Which store: the user's own, or the machine's (services, non-interactive processes)."""

    USER = "user"
    MACHINE = "machine"


class StoreArea(Enum):
    """Which part of a store: reports waiting to be sent, or reports already handled."""

    QUEUE = "queue"
    """``ReportQueue``: not yet sent."""
    ARCHIVE = "archive"
    """``ReportArchive``: sent (or refused); may hold only Report.wer (ConfigureArchive 1)."""

    @property
    def folder_name(self) -> str:
        """The folder of this area under a store root, named as WER names it."""
        return "ReportQueue" if self is StoreArea.QUEUE else "ReportArchive"


_STORE_TYPES = {
    (StoreScope.USER, StoreArea.ARCHIVE): StoreType.USER_ARCHIVE,
    (StoreScope.USER, StoreArea.QUEUE): StoreType.USER_QUEUE,
    (StoreScope.MACHINE, StoreArea.ARCHIVE): StoreType.MACHINE_ARCHIVE,
    (StoreScope.MACHINE, StoreArea.QUEUE): StoreType.MACHINE_QUEUE,
}
_LOCATIONS = {value: key for key, value in _STORE_TYPES.items()}


def store_type(scope: StoreScope, area: StoreArea) -> StoreType:
    """Return WER's ``REPORT_STORE_TYPES`` value for a scope and an area."""
    return _STORE_TYPES[(scope, area)]


def store_location(kind: StoreType) -> tuple[StoreScope, StoreArea]:
    """Return the scope and area of a ``REPORT_STORE_TYPES`` value.

    Raises:
        InvalidArgumentError: ``kind`` is ``StoreType.INVALID`` (``WerStoreOpen`` → E_INVALIDARG).
    """
    location = _LOCATIONS.get(kind)
    if location is None:
        raise InvalidArgumentError(f"not a report store type: {kind!r}")
    return location
