"""Argument checks of admin changes, shared by every backend so they refuse alike.

Each function returns the normalized value or raises ``InvalidArgumentError``. Pure; thread-safe.
"""

from __future__ import annotations

from dataclasses import dataclass

from openwer.errors import InvalidArgumentError
from openwer.server.storage.model import BucketRef, BucketStatus
from openwer.server.storage.solution_match import compile_pattern
from openwer.types import DumpType

__all__ = [
    "MAX_EXPLICIT_REQUEST",
    "SolutionFields",
    "data_request",
    "merge_refs",
    "product_name",
    "solution_fields",
    "solution_text",
    "status_change",
    "token_label",
]

MAX_EXPLICIT_REQUEST = 10_000
_REQUESTABLE_DUMPS = (
    DumpType.MICRO_DUMP,
    DumpType.MINI_DUMP,
    DumpType.HEAP_DUMP,
    DumpType.TRIAGE_DUMP,
)


@dataclass(frozen=True, slots=True)
class SolutionFields:
    """A checked new solution: exactly one of ``bucket_id`` and ``pattern`` is set."""

    message: str
    url: str | None
    bucket_id: str | None
    pattern: str | None


def _text(value: str, what: str, limit: int) -> str:
    value = value.strip()
    if not 1 <= len(value) <= limit:
        raise InvalidArgumentError(f"{what} must have 1 to {limit} characters")
    return value


def product_name(name: str) -> str:
    """A product name: 1 to 128 characters once stripped."""
    return _text(name, "a product name", 128)


def token_label(label: str) -> str:
    """An admin token's label: 1 to 200 characters once stripped."""
    return _text(label, "a token label", 200)


def status_change(status: BucketStatus, fixed_in_version: str | None) -> str | None:
    """Check a lifecycle change; return the "fixed in" version to store."""
    if status is BucketStatus.REGRESSED:
        raise InvalidArgumentError("a bucket becomes regressed by a hit, not by request")
    if fixed_in_version is not None and status is not BucketStatus.RESOLVED:
        raise InvalidArgumentError("only a resolved bucket has a fixed-in version")
    if fixed_in_version is None:
        return None
    return _text(fixed_in_version, "a fixed-in version", 128)


def data_request(count: int, dump_type: DumpType) -> None:
    """Check an explicit data request."""
    if not 0 <= count <= MAX_EXPLICIT_REQUEST:
        raise InvalidArgumentError(f"a data request asks for 0 to {MAX_EXPLICIT_REQUEST} hits")
    if dump_type not in _REQUESTABLE_DUMPS:
        raise InvalidArgumentError(f"dump type {dump_type!r} cannot be requested")


def merge_refs(source: BucketRef, target: BucketRef) -> None:
    """Check that two buckets may be merged."""
    if source.product_id != target.product_id:
        raise InvalidArgumentError("only buckets of one product can be merged")
    if source == target:
        raise InvalidArgumentError("a bucket cannot be merged into itself")


def solution_text(message: str, url: str | None) -> tuple[str, str | None]:
    """A solution's message (1 to 4,000 characters) and URL (up to 2,048)."""
    message = _text(message, "a solution message", 4000)
    if url is not None:
        url = _text(url, "a solution URL", 2048)
    return message, url


def solution_fields(
    message: str, url: str | None, bucket_id: str | None, pattern: str | None
) -> SolutionFields:
    """Check a new solution; the pattern must compile (see :mod:`.solution_match`)."""
    if (bucket_id is None) == (pattern is None):
        raise InvalidArgumentError("a solution is for one bucket or for a pattern, exactly one")
    if pattern is not None:
        compile_pattern(pattern)
    message, url = solution_text(message, url)
    return SolutionFields(message, url, bucket_id, pattern)
