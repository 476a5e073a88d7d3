"""Stage 1 items checked and normalized before any transaction (shared by every backend).

Checking first means a malformed item is refused on its own (``InvalidArgumentError`` from
:func:`prepare_items`, raised to its submitter by the batcher) instead of failing the batch it
would have shared a transaction with. Pure apart from the clock value passed in; thread-safe.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from openwer.errors import InvalidArgumentError
from openwer.formats.bucket_id import compute_bucket_ids
from openwer.formats.protocol import Stage1Request
from openwer.server.storage.decisions import HitFacts, app_version_of, os_of
from openwer.server.storage.model import BundleUpload, Stage1Item, canonical_report_id

__all__ = ["PreparedItem", "check_item", "check_upload", "first_occurrences", "prepare_items"]

_MAX_EVENT_TYPE = 64
_MAX_TEXT = 260
_MAX_FILES = 1000


@dataclass(frozen=True, slots=True)
class PreparedItem:
    """A checked stage 1 item with everything derived from it (bucket ids, version, day)."""

    index: int
    product_id: int
    request: Stage1Request
    report_id: str
    received_at: datetime
    bucket_id: str
    legacy_id: int
    values: tuple[str, ...]
    os: str | None
    facts: HitFacts

    @property
    def key(self) -> tuple[int, str]:
        """The bucket key: product and bucket GUID."""
        return (self.product_id, self.bucket_id)


def prepare_items(items: Sequence[Stage1Item], now: datetime) -> list[PreparedItem]:
    """Check and derive every item; ``now`` stands in for a missing ``received_at``."""
    return [_prepare(index, item, now) for index, item in enumerate(items)]


def check_item(item: Stage1Item) -> str:
    """Refuse an item storage cannot take (cheap: no hashing); return its canonical id."""
    report_id = canonical_report_id(item.request.report_id)
    if not 1 <= len(item.request.event_type) <= _MAX_EVENT_TYPE:
        raise InvalidArgumentError(f"event type must have 1 to 64 characters: {report_id}")
    if item.received_at is not None and item.received_at.tzinfo is None:
        raise InvalidArgumentError("received_at must be timezone-aware")
    return report_id


def _prepare(index: int, item: Stage1Item, now: datetime) -> PreparedItem:
    request = item.request
    report_id = check_item(item)
    received = (item.received_at or now).astimezone(UTC)
    values = tuple(parameter.value for parameter in request.signature)
    ids = compute_bucket_ids(request.event_type, values)
    version = _bounded(app_version_of(request))
    return PreparedItem(
        index=index,
        product_id=item.product_id,
        request=request,
        report_id=report_id,
        received_at=received,
        bucket_id=ids.bucket_id_string,
        legacy_id=ids.legacy_bucket_id,
        values=values,
        os=_bounded(os_of(request)),
        facts=HitFacts(day=received.date(), consent=request.consent, app_version=version),
    )


def _bounded(text: str | None) -> str | None:
    return None if text is None else text[:_MAX_TEXT]


def first_occurrences(
    prepared: Sequence[PreparedItem],
) -> tuple[list[PreparedItem], dict[int, int]]:
    """The items whose report id comes first in the batch, and for every later repeat the
    index of its first occurrence (it gets the same answer and no hit)."""
    first: dict[str, int] = {}
    unique: list[PreparedItem] = []
    repeats: dict[int, int] = {}
    for item in prepared:
        seen = first.get(item.report_id)
        if seen is None:
            first[item.report_id] = item.index
            unique.append(item)
        else:
            repeats[item.index] = seen
    return unique, repeats


def check_upload(upload: BundleUpload) -> None:
    """Refuse an upload whose fields storage cannot hold (every backend)."""
    canonical_report_id(upload.report_id)
    if not 1 <= len(upload.blob_key) <= 512:
        raise InvalidArgumentError("a blob key has 1 to 512 characters")
    if upload.size < 0 or any(f.size < 0 for f in upload.files):
        raise InvalidArgumentError("sizes cannot be negative")
    names = [f.name for f in upload.files]
    if len(names) > _MAX_FILES or len(set(names)) != len(names):
        raise InvalidArgumentError(f"a bundle lists up to {_MAX_FILES} distinct file names")
    if any(not 1 <= len(name) <= 260 for name in names):
        raise InvalidArgumentError("a bundle file name has 1 to 260 characters")
    if upload.received_at is not None and upload.received_at.tzinfo is None:
        raise InvalidArgumentError("received_at must be timezone-aware")
