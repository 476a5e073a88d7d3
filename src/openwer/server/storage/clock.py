"""Time as the storage sees it: the clock type, the current UTC time, default day ranges.

Pure; thread-safe.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

__all__ = ["DEFAULT_DAYS", "Clock", "default_days", "utc_now"]

Clock = Callable[[], datetime]
DEFAULT_DAYS = 30


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def default_days(today: date, since: date | None, until: date | None) -> tuple[date, date]:
    """The days of a bucket page: ``until`` defaults to today, ``since`` to 30 days before."""
    last = until or today
    return (since or last - timedelta(days=DEFAULT_DAYS - 1), last)
