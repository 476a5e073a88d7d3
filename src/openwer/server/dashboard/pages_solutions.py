"""``/solutions``: every solution of the visitor's products, and the pattern solutions.

A solution is the answer stage 1 gives the user (WER's "solution" / "response"): one bucket's,
or a regular expression's over ``"<event type>|P0|P1|…"`` that covers every matching bucket of
the product (a bucket's own solution wins over a pattern). ``GET`` lists them with a form
each; ``POST /solutions`` adds a pattern solution, ``POST /solutions/{id}`` changes one's
message and link, ``POST /solutions/{id}/delete`` deletes one; each answers 303 back here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from openwer.errors import InvalidArgumentError
from openwer.server.dashboard.access import Visitor
from openwer.server.dashboard.bucket_views import bucket_href
from openwer.server.dashboard.path_ids import path_id
from openwer.server.dashboard.rendering import dashboard_page, redirect, render
from openwer.server.dashboard.signature_text import headline
from openwer.server.dashboard.state import Dashboard
from openwer.server.storage import SolutionRow

__all__ = ["SolutionPages"]

_NOTICES = {
    "added": "Pattern solution added: every matching bucket answers with it from now on.",
    "saved": "Solution saved.",
    "deleted": "Solution deleted.",
}
_MAX_TEXT = 4096


@dataclass(frozen=True, slots=True)
class SolutionItem:
    """A solution with its product's name and, for a bucket's, the bucket page."""

    solution: SolutionRow
    product: str
    bucket_href: str | None
    bucket_title: str | None = None


class SolutionPages:
    """The solutions page of one dashboard."""

    def __init__(self, dashboard: Dashboard) -> None:
        self._dashboard = dashboard

    async def page(self, request: Request) -> Response:
        """``GET /solutions``."""
        visitor = await self._dashboard.access.page_visitor(request)
        context = await self._dashboard.run(lambda: self._context(visitor))
        context["notice"] = _NOTICES.get(request.query_params.get("done", ""))
        return render("solutions.html", context)

    def _context(self, visitor: Visitor) -> dict[str, Any]:
        products = self._dashboard.products(visitor.scope)
        names = {p.id: p.name for p in products}
        solutions = self._dashboard.repository.list_solutions(visitor.scope)
        rows = [
            SolutionItem(
                solution=s,
                product=names.get(s.product_id, "?"),
                bucket_href=None if s.bucket_id is None else bucket_href(s.product_id, s.bucket_id),
                bucket_title=self._bucket_title(visitor, s),
            )
            for s in sorted(solutions, key=lambda s: (names.get(s.product_id, ""), -s.id))
        ]
        return {
            "visitor": visitor,
            "active": "solutions",
            "title": "Solutions",
            "products": products,
            "patterns": [r for r in rows if r.solution.pattern is not None],
            "bucket_solutions": [r for r in rows if r.solution.pattern is None],
        }

    def _bucket_title(self, visitor: Visitor, solution: SolutionRow) -> str | None:
        if solution.bucket_id is None:
            return None
        for bucket in self._dashboard.repository.find_buckets(visitor.scope, solution.bucket_id):
            if bucket.product_id == solution.product_id:
                shown = headline(bucket.event_type, bucket.signature)
                return f"{shown.title} {shown.detail}".strip()
        return None

    async def add(self, request: Request) -> Response:
        """``POST /solutions``: a new pattern solution."""
        visitor, form = await self._dashboard.access.checked_post(request)
        product = form.get("product_id")
        if not product.isdigit() or len(product) > 9:
            raise InvalidArgumentError("choose the product the pattern is for")
        pattern, message = form.get("pattern")[:_MAX_TEXT], form.get("message")[:_MAX_TEXT]
        url = form.link("url")
        await self._dashboard.run(
            lambda: self._dashboard.repository.add_solution(
                visitor.scope, int(product), message, url, pattern=pattern
            )
        )
        return redirect("/solutions?done=added")

    async def update(self, request: Request) -> Response:
        """``POST /solutions/{solution_id}``: change the message and link."""
        visitor, form = await self._dashboard.access.checked_post(request)
        solution_id = path_id(request, "solution_id")
        message, url = form.get("message")[:_MAX_TEXT], form.link("url")
        await self._dashboard.run(
            lambda: self._dashboard.repository.update_solution(
                visitor.scope, solution_id, message, url
            )
        )
        return redirect("/solutions?done=saved")

    async def delete(self, request: Request) -> Response:
        """``POST /solutions/{solution_id}/delete``."""
        visitor, _ = await self._dashboard.access.checked_post(request)
        solution_id = path_id(request, "solution_id")
        await self._dashboard.run(
            lambda: self._dashboard.repository.delete_solution(visitor.scope, solution_id)
        )
        return redirect("/solutions?done=deleted")

    def routes(self) -> list[Route]:
        """The solutions routes."""
        return [
            Route("/solutions", dashboard_page(self.page), methods=["GET"]),
            Route("/solutions", dashboard_page(self.add), methods=["POST"]),
            Route("/solutions/{solution_id}", dashboard_page(self.update), methods=["POST"]),
            Route("/solutions/{solution_id}/delete", dashboard_page(self.delete), methods=["POST"]),
        ]
