"""``GET /`` (the bucket list, or the sign-in form) and ``GET /buckets/{product}/{bucket}``.

Thin routes: parse the URL, read storage once in a worker thread, build the view model
(:mod:`.bucket_views`), render. A bucket outside the visitor's products is "not found", exactly
like a bucket that does not exist.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from openwer.errors import InvalidArgumentError, NotFoundError
from openwer.server.dashboard.access import Visitor
from openwer.server.dashboard.bucket_filters import RANGES, SORTS, STATUSES, BucketFilters
from openwer.server.dashboard.bucket_views import (
    BUCKET_RANGES,
    REPORTS_PER_PAGE,
    bucket_page_view,
    list_items,
)
from openwer.server.dashboard.pages_sign_in import sign_in_form
from openwer.server.dashboard.path_ids import path_id
from openwer.server.dashboard.rendering import dashboard_page, render
from openwer.server.dashboard.stacks import ReportStacks, stacks_of
from openwer.server.dashboard.state import Dashboard
from openwer.server.storage import BucketRef
from openwer.server.storage.dashboard_model import BucketOverview
from openwer.types import DumpType

__all__ = ["NOTICES", "BucketPages"]

# Messages after an action, chosen by a fixed key in the URL (never text from the URL).
NOTICES = {
    "resolved": "Bucket resolved.",
    "ignored": "Bucket ignored: it still counts hits, and no data is asked for it.",
    "reopened": "Bucket reopened.",
    "merged": "Buckets merged: this bucket now counts the other's hits and reports.",
    "requested": "Data request saved: the next clients that hit this bucket will upload.",
    "cleared": "Data request cleared.",
    "solution_saved": "Solution saved: clients hitting this bucket get it in stage 1.",
    "solution_deleted": "Solution deleted.",
}
DUMP_CHOICES = (
    (DumpType.MINI_DUMP, "Mini dump"),
    (DumpType.MICRO_DUMP, "Micro dump"),
    (DumpType.TRIAGE_DUMP, "Triage dump"),
    (DumpType.HEAP_DUMP, "Heap dump"),
)


class BucketPages:
    """The bucket list and the bucket page of one dashboard."""

    def __init__(self, dashboard: Dashboard) -> None:
        self._dashboard = dashboard

    async def home(self, request: Request) -> Response:
        """``GET /``: the bucket list when signed in, else the sign-in form."""
        visitor = await self._dashboard.access.visitor(request)
        if visitor is None:
            return sign_in_form(self._dashboard, request)
        filters = BucketFilters.from_params(request.query_params)
        context = await self._dashboard.run(lambda: self._list_context(visitor, filters))
        return render("buckets.html", context)

    def _list_context(self, visitor: Visitor, filters: BucketFilters) -> dict[str, Any]:
        dashboard = self._dashboard
        today = dashboard.clock().date()
        products = dashboard.products(visitor.scope)
        if filters.product is not None and all(p.id != filters.product for p in products):
            filters = BucketFilters(status=filters.status, range=filters.range)
        page = dashboard.reads.bucket_list(visitor.scope, filters.query(today))
        names = {p.id: p.name for p in products}
        pages = max(1, -(-page.total // 50))
        return {
            "visitor": visitor,
            "active": "buckets",
            "title": "Buckets",
            "filters": filters,
            "products": products,
            "event_types": dashboard.reads.event_types(visitor.scope),
            "ranges": RANGES,
            "statuses": STATUSES,
            "sorts": SORTS,
            "items": list_items(page, names, filters.since(today), today),
            "total": page.total,
            "pages": pages,
            "trend_since": page.trend_since,
            "trend_until": page.trend_until,
            "show_product": len(products) > 1,
        }

    async def bucket(self, request: Request) -> Response:
        """``GET /buckets/{product_id}/{bucket_id}``: one bucket."""
        visitor = await self._dashboard.access.page_visitor(request)
        product_id = path_id(request, "product_id")
        bucket_id = str(request.path_params["bucket_id"])
        range_key = request.query_params.get("range", "30d")
        if range_key not in BUCKET_RANGES:
            range_key = "30d"
        page_text = request.query_params.get("reports", "1")
        reports_page = int(page_text) if page_text.isdigit() and len(page_text) < 6 else 1
        context = await self._dashboard.run(
            lambda: self._bucket_context(
                visitor, product_id, bucket_id, range_key, max(1, reports_page)
            )
        )
        context["notice"] = NOTICES.get(request.query_params.get("done", ""))
        return render("bucket.html", context)

    def _bucket_context(
        self,
        visitor: Visitor,
        product_id: int,
        bucket_id: str,
        range_key: str,
        reports_page: int,
    ) -> dict[str, Any]:
        dashboard = self._dashboard
        try:
            ref = BucketRef(product_id, bucket_id)
        except InvalidArgumentError as exc:
            raise NotFoundError(f"no bucket {bucket_id!r}") from exc
        product = next((p for p in dashboard.products(visitor.scope) if p.id == product_id), None)
        if product is None:
            raise NotFoundError(f"no bucket {bucket_id}")
        until = dashboard.clock().date()
        since = until - timedelta(days=BUCKET_RANGES[range_key][1] - 1)
        overview = dashboard.reads.bucket_overview(
            visitor.scope,
            ref,
            since,
            until,
            reports_limit=REPORTS_PER_PAGE,
            reports_offset=(reports_page - 1) * REPORTS_PER_PAGE,
        )
        view = bucket_page_view(
            overview,
            product,
            since,
            until,
            range_key,
            self._stacks(overview),
            reports_page,
            dashboard.clock(),
        )
        return {
            "visitor": visitor,
            "active": "buckets",
            "title": view.headline.title,
            "view": view,
            "ranges": BUCKET_RANGES,
            "dump_choices": DUMP_CHOICES,
            "today": until,
        }

    def _stacks(self, overview: BucketOverview) -> ReportStacks | None:
        sample = overview.sample
        if sample is None or sample.bundle_key is None:
            return None
        bundle = self._dashboard.bundles.read(sample.bundle_key)
        return None if bundle is None else stacks_of(bundle)

    def routes(self) -> list[Route]:
        """The routes of the list and the bucket page."""
        return [
            Route("/", dashboard_page(self.home), methods=["GET"]),
            Route(
                "/buckets/{product_id}/{bucket_id}",
                dashboard_page(self.bucket),
                methods=["GET"],
            ),
        ]


def _today(dashboard: Dashboard) -> date:
    return dashboard.clock().date()
