"""The bucket page's forms: lifecycle (resolve, fixed in version, ignore, reopen, merge), data
requests and the bucket's own solution.

``POST /buckets/{product_id}/{bucket_id}/{status|merge|data-request|solution|solution/delete}``.
Each one passes :meth:`Access.checked_post` (session, same site, CSRF token), calls one
:class:`~openwer.server.storage.AdminRepository` method with the visitor's scope (so a bucket
of another product is "not found"), and answers 303 back to the bucket page with a notice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from openwer.errors import InvalidArgumentError, NotFoundError
from openwer.server.dashboard.access import Form, Visitor
from openwer.server.dashboard.bucket_views import bucket_href
from openwer.server.dashboard.path_ids import path_id
from openwer.server.dashboard.rendering import dashboard_page, redirect
from openwer.server.dashboard.state import Dashboard
from openwer.server.storage import BucketRef, BucketStatus, Scope
from openwer.types import DumpType

__all__ = ["BucketActions"]

_STATUS_ACTIONS = {
    "resolve": (BucketStatus.RESOLVED, "resolved"),
    "ignore": (BucketStatus.IGNORED, "ignored"),
    "reopen": (BucketStatus.NEW, "reopened"),
}
_MAX_TEXT = 4096

# An action answers with its notice and the bucket to show next.
Action = Callable[[Visitor, BucketRef, Form], tuple[str, BucketRef]]


def _ref(request: Request) -> BucketRef:
    product, bucket = path_id(request, "product_id"), str(request.path_params["bucket_id"])
    try:
        return BucketRef(product, bucket)
    except InvalidArgumentError as exc:
        raise NotFoundError(f"no bucket {bucket!r}") from exc


def _optional(form: Form, name: str) -> str | None:
    value = form.get(name)[:_MAX_TEXT]
    return value or None


class BucketActions:
    """The bucket page's POST routes of one dashboard."""

    def __init__(self, dashboard: Dashboard) -> None:
        self._dashboard = dashboard

    def _endpoint(self, action: Action) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            visitor, form = await self._dashboard.access.checked_post(request)
            ref = _ref(request)
            notice, shown = await self._dashboard.run(lambda: action(visitor, ref, form))
            return redirect(f"{bucket_href(shown.product_id, shown.bucket_id)}?done={notice}")

        return endpoint

    def _status(self, visitor: Visitor, ref: BucketRef, form: Form) -> tuple[str, BucketRef]:
        chosen = _STATUS_ACTIONS.get(form.get("action"))
        if chosen is None:
            raise InvalidArgumentError("choose resolve, ignore or reopen")
        status, notice = chosen
        fixed = _optional(form, "fixed_in_version") if status is BucketStatus.RESOLVED else None
        self._dashboard.repository.set_bucket_status(visitor.scope, ref, status, fixed)
        return notice, ref

    def _merge(self, visitor: Visitor, ref: BucketRef, form: Form) -> tuple[str, BucketRef]:
        target_text = form.get("target")
        try:
            target = BucketRef(ref.product_id, target_text)
        except InvalidArgumentError as exc:
            raise InvalidArgumentError(
                f"merge into: {target_text!r} is not a bucket id (a GUID from a bucket's page)"
            ) from exc
        merged = self._dashboard.repository.merge_buckets(visitor.scope, ref, target)
        return "merged", BucketRef(merged.product_id, merged.bucket_id)

    def _data_request(self, visitor: Visitor, ref: BucketRef, form: Form) -> tuple[str, BucketRef]:
        count_text = form.get("count", "0")
        if not count_text.isdigit() or len(count_text) > 6:
            raise InvalidArgumentError("ask for a number of reports (0 clears the request)")
        dump_text = form.get("dump_type", str(int(DumpType.MINI_DUMP)))
        try:
            dump_type = DumpType(int(dump_text)) if dump_text.isdigit() else DumpType.MINI_DUMP
        except ValueError as exc:
            raise InvalidArgumentError(f"not a dump type: {dump_text!r}") from exc
        count = int(count_text)
        self._dashboard.repository.request_data(visitor.scope, ref, count, dump_type)
        return ("requested" if count else "cleared"), ref

    def _solution(self, visitor: Visitor, ref: BucketRef, form: Form) -> tuple[str, BucketRef]:
        message, url = form.get("message")[:_MAX_TEXT], form.link("url")
        repository = self._dashboard.repository
        own = _own_solution_id(self._dashboard, visitor.scope, ref)
        if own is None:
            repository.add_solution(
                visitor.scope, ref.product_id, message, url, bucket_id=ref.bucket_id
            )
        else:
            repository.update_solution(visitor.scope, own, message, url)
        return "solution_saved", ref

    def _delete_solution(
        self, visitor: Visitor, ref: BucketRef, form: Form
    ) -> tuple[str, BucketRef]:
        own = _own_solution_id(self._dashboard, visitor.scope, ref)
        if own is None:
            raise NotFoundError("this bucket has no solution of its own")
        self._dashboard.repository.delete_solution(visitor.scope, own)
        return "solution_deleted", ref

    def routes(self) -> list[Route]:
        """The POST routes of the bucket page."""
        base = "/buckets/{product_id}/{bucket_id}"
        actions: list[tuple[str, Action]] = [
            ("status", self._status),
            ("merge", self._merge),
            ("data-request", self._data_request),
            ("solution", self._solution),
            ("solution/delete", self._delete_solution),
        ]
        return [
            Route(f"{base}/{path}", dashboard_page(self._endpoint(action)), methods=["POST"])
            for path, action in actions
        ]


def _own_solution_id(dashboard: Dashboard, scope: Scope, ref: BucketRef) -> int | None:
    if not scope.allows(ref.product_id):
        raise NotFoundError(f"no bucket {ref.bucket_id}")
    for solution in dashboard.repository.list_solutions(scope, ref.product_id):
        if solution.bucket_id == ref.bucket_id:
            return solution.id
    return None
