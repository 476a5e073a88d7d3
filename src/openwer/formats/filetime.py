"""Windows FILETIME: 100-nanosecond intervals since 1601-01-01 UTC, as Report.wer writes them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

__all__ = ["FILETIME_EPOCH", "datetime_to_filetime", "filetime_to_datetime"]

FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)
_MAX_FILETIME = 0x7FFF_FFFF_FFFF_FFFF


def filetime_to_datetime(value: int) -> datetime:
    """Return the aware UTC datetime of a FILETIME, truncated to microseconds.

    Raises:
        ValueError: the value is negative or beyond what ``datetime`` can hold (year 9999).
    """
    if value < 0 or value > _MAX_FILETIME:
        raise ValueError(f"FILETIME out of range: {value}")
    try:
        return FILETIME_EPOCH + timedelta(microseconds=value // 10)
    except OverflowError as exc:
        raise ValueError(f"FILETIME out of range: {value}") from exc


def datetime_to_filetime(moment: datetime) -> int:
    """Return the FILETIME of an aware datetime (naive datetimes are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - FILETIME_EPOCH
    return (delta.days * 86_400 + delta.seconds) * 10_000_000 + delta.microseconds * 10
