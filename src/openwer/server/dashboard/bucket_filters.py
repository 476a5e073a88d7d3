"""The bucket list's filters as they travel in the URL, and the storage query they make.

``/?product=ID&event_type=…&version=…&os=…&status=open|all|new|regressed|resolved|ignored
&range=1d|7d|30d|90d|all&sort=hits|last_seen|first_seen&page=N``. Parsing is lenient (a value
it does not know falls back to the default, so a hand-edited or stale link still shows a list);
text filters are cut to 260 characters, as storage cuts them. Every range ends today (UTC), so
the default (30 days) includes today. Frozen; thread-safe.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from openwer.server.storage import BucketStatus
from openwer.server.storage.dashboard_model import BucketListQuery, BucketListSort

__all__ = ["PAGE_SIZE", "RANGES", "STATUSES", "BucketFilters"]

PAGE_SIZE = 50
RANGES: Mapping[str, tuple[str, int | None]] = {
    "1d": ("Today", 1),
    "7d": ("7 days", 7),
    "30d": ("30 days", 30),
    "90d": ("90 days", 90),
    "all": ("All time", None),
}
STATUSES: Mapping[str, tuple[str, frozenset[BucketStatus] | None]] = {
    "open": ("Open", frozenset({BucketStatus.NEW, BucketStatus.REGRESSED})),
    "new": ("New", frozenset({BucketStatus.NEW})),
    "regressed": ("Regressed", frozenset({BucketStatus.REGRESSED})),
    "resolved": ("Resolved", frozenset({BucketStatus.RESOLVED})),
    "ignored": ("Ignored", frozenset({BucketStatus.IGNORED})),
    "all": ("All", None),
}
SORTS: Mapping[str, str] = {"hits": "Hits", "last_seen": "Last seen", "first_seen": "First seen"}
_DEFAULT_RANGE = "30d"
_DEFAULT_STATUS = "open"
_MAX_TEXT = 260
_MAX_PAGE = 100_000
_TREND_DAYS_ALL_TIME = 30


def _text(params: Mapping[str, str], name: str) -> str | None:
    value = params.get(name, "").strip()
    return value[:_MAX_TEXT] if value else None


@dataclass(frozen=True, slots=True)
class BucketFilters:
    """The filters of one bucket list page."""

    product: int | None = None
    event_type: str | None = None
    version: str | None = None
    os: str | None = None
    status: str = _DEFAULT_STATUS
    range: str = _DEFAULT_RANGE
    sort: str = "hits"
    page: int = 1

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> BucketFilters:
        """Read the filters of a query string (see the module docstring)."""
        product = params.get("product", "")
        page = params.get("page", "")
        status = params.get("status", _DEFAULT_STATUS)
        days = params.get("range", _DEFAULT_RANGE)
        sort = params.get("sort", "hits")
        return cls(
            product=int(product) if product.isdigit() and len(product) < 10 else None,
            event_type=_text(params, "event_type"),
            version=_text(params, "version"),
            os=_text(params, "os"),
            status=status if status in STATUSES else _DEFAULT_STATUS,
            range=days if days in RANGES else _DEFAULT_RANGE,
            sort=sort if sort in SORTS else "hits",
            page=min(_MAX_PAGE, max(1, int(page))) if page.isdigit() and len(page) < 7 else 1,
        )

    @property
    def since_days(self) -> int | None:
        """The range in days (``None``: all time)."""
        return RANGES[self.range][1]

    def since(self, today: date) -> date | None:
        """The first day of the range."""
        days = self.since_days
        return None if days is None else today - timedelta(days=days - 1)

    def query(self, today: date) -> BucketListQuery:
        """The storage query of this page."""
        since = self.since(today)
        trend_since = since if since is not None else today - timedelta(_TREND_DAYS_ALL_TIME - 1)
        if since is not None and (today - since).days < 6:
            trend_since = today - timedelta(days=6)  # a trend needs a few days to be one
        return BucketListQuery(
            until=today,
            since=since,
            trend_since=trend_since,
            product_ids=None if self.product is None else frozenset({self.product}),
            event_type=self.event_type,
            app_version=self.version,
            os=self.os,
            statuses=STATUSES[self.status][1],
            sort=BucketListSort(self.sort),
            limit=PAGE_SIZE,
            offset=(self.page - 1) * PAGE_SIZE,
        )

    def link(self, **changes: Any) -> str:
        """The URL of this list with ``changes``; a filter change goes back to page 1."""
        if "page" not in changes:
            changes["page"] = 1
        chosen = replace(self, **changes)
        defaults = BucketFilters()
        params = {
            name: value
            for name in (
                "product",
                "event_type",
                "version",
                "os",
                "status",
                "range",
                "sort",
                "page",
            )
            if (value := getattr(chosen, name)) is not None and value != getattr(defaults, name)
        }
        return "/?" + urlencode(params) if params else "/"

    @property
    def narrowed(self) -> bool:
        """True when a filter beyond the range hides buckets (for the empty state)."""
        hides = self.status not in (_DEFAULT_STATUS, "all")
        return any((self.product is not None, self.event_type, self.version, self.os, hides))
