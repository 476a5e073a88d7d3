"""``GET /reports/{id}`` (one report) and its downloads: ``/reports/{id}/files/{name}`` and
``/reports/{id}/bundle``.

The page shows what stage 1 said (signature facts, consent level, client facts), the answer
the server gave (bucket, data request, solution), the bundle's state, every Report.wer field
grouped as WER groups them (:mod:`.report_fields`), the stacks and the files. Downloads are
always ``Content-Disposition: attachment`` with ``application/octet-stream`` (or the CAB type
for the whole bundle) and ``nosniff``, so no file from a crashing program is ever rendered by
the browser as a page. A report outside the visitor's products is "not found", pages and
downloads alike.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from openwer.errors import NotFoundError
from openwer.server.dashboard.access import Visitor
from openwer.server.dashboard.bucket_views import bucket_href
from openwer.server.dashboard.rendering import SECURITY_HEADERS, dashboard_page, render
from openwer.server.dashboard.report_fields import report_field_groups
from openwer.server.dashboard.signature_text import headline
from openwer.server.dashboard.stacks import stacks_of
from openwer.server.dashboard.state import Dashboard
from openwer.server.storage import BundleState, ReportRow
from openwer.types import ConsentLevel, ReportType

__all__ = ["ReportPages"]

_CAB = "application/vnd.ms-cab-compressed"
_CONSENT_TEXT = {
    ConsentLevel.NONE: "nothing",
    ConsentLevel.ALWAYS_ASK: "ask the user each time",
    ConsentLevel.PARAMETERS_ONLY: "parameters only",
    ConsentLevel.PARAMETERS_AND_SAFE_DATA: "parameters and safe data",
    ConsentLevel.ALL_DATA: "all data",
}
_BUNDLE_TEXT = {
    BundleState.NONE: "Not asked for: the server answered stage 1 without a data request.",
    BundleState.WANTED: "Asked for in the stage 1 answer; the client has not uploaded it yet.",
    BundleState.STORED: "Received and stored.",
    BundleState.PRUNED: "Received, then removed by retention (the hit still counts).",
}


def attachment(data: bytes, name: str, media_type: str = "application/octet-stream") -> Response:
    """A download that browsers save and never render."""
    ascii_name = "".join(ch if 32 < ord(ch) < 127 and ch not in '"\\;' else "_" for ch in name)
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"
    headers = {**SECURITY_HEADERS, "Content-Disposition": disposition}
    return Response(data, media_type=media_type, headers=headers)


class ReportPages:
    """The report page and downloads of one dashboard."""

    def __init__(self, dashboard: Dashboard) -> None:
        self._dashboard = dashboard

    async def report(self, request: Request) -> Response:
        """``GET /reports/{report_id}``."""
        visitor = await self._dashboard.access.page_visitor(request)
        report_id = str(request.path_params["report_id"])
        context = await self._dashboard.run(lambda: self._context(visitor, report_id))
        return render("report.html", context)

    def _context(self, visitor: Visitor, report_id: str) -> dict[str, Any]:
        dashboard = self._dashboard
        row = dashboard.repository.get_report(visitor.scope, report_id)
        answer = dashboard.reads.report_answer(visitor.scope, row.report_id)
        buckets = dashboard.repository.find_buckets(visitor.scope, row.bucket_id)
        bucket = next((b for b in buckets if b.product_id == row.product_id), None)
        product = next(
            (p for p in dashboard.products(visitor.scope) if p.id == row.product_id), None
        )
        bundle = None
        if row.bundle_state is BundleState.STORED and row.bundle_key is not None:
            bundle = dashboard.bundles.read(row.bundle_key)
        try:
            report_type = ReportType(row.report_type).name.replace("_", " ").lower()
        except ValueError:
            report_type = "unknown"
        return {
            "visitor": visitor,
            "active": "buckets",
            "title": f"Report {row.report_id}",
            "report": row,
            "product": product,
            "bucket": bucket,
            "bucket_link": bucket_href(row.product_id, row.bucket_id),
            "headline": None if bucket is None else headline(bucket.event_type, bucket.signature),
            "answer": answer,
            "consent_text": _CONSENT_TEXT.get(row.consent, "unknown"),
            "report_type": report_type,
            "bundle_text": _BUNDLE_TEXT[row.bundle_state],
            "groups": ()
            if bundle is None or bundle.report_wer is None
            else report_field_groups(bundle.report_wer),
            "stacks": None if bundle is None else stacks_of(bundle),
            "bundle_readable": bundle is not None,
            "files": _files(row),
        }

    async def file(self, request: Request) -> Response:
        """``GET /reports/{report_id}/files/{name}``: one file of the bundle."""
        visitor = await self._dashboard.access.page_visitor(request)
        report_id = str(request.path_params["report_id"])
        name = str(request.path_params["name"])
        data = await self._dashboard.run(lambda: self._file(visitor, report_id, name))
        return attachment(data, name)

    def _file(self, visitor: Visitor, report_id: str, name: str) -> bytes:
        row = self._dashboard.repository.get_report(visitor.scope, report_id)
        if name not in {f.name for f in row.files} or row.bundle_key is None:
            raise NotFoundError(f"report {row.report_id} has no file {name!r}")
        bundle = self._dashboard.bundles.read(row.bundle_key)
        member = None if bundle is None else bundle.file(name)
        if member is None:
            raise NotFoundError(f"the bundle of report {row.report_id} is gone")
        return member.data

    async def bundle(self, request: Request) -> Response:
        """``GET /reports/{report_id}/bundle``: the whole CAB as it arrived."""
        visitor = await self._dashboard.access.page_visitor(request)
        report_id = str(request.path_params["report_id"])
        row, data = await self._dashboard.run(lambda: self._bundle(visitor, report_id))
        return attachment(data, f"{row.report_id}.cab", _CAB)

    def _bundle(self, visitor: Visitor, report_id: str) -> tuple[ReportRow, bytes]:
        row = self._dashboard.repository.get_report(visitor.scope, report_id)
        data = None if row.bundle_key is None else self._dashboard.bundles.raw(row.bundle_key)
        if data is None:
            raise NotFoundError(f"report {row.report_id} has no stored bundle")
        return row, data

    def routes(self) -> list[Route]:
        """The report routes."""
        return [
            Route("/reports/{report_id}", dashboard_page(self.report), methods=["GET"]),
            Route("/reports/{report_id}/bundle", dashboard_page(self.bundle), methods=["GET"]),
            Route("/reports/{report_id}/files/{name}", dashboard_page(self.file), methods=["GET"]),
        ]


def _files(row: ReportRow) -> list[dict[str, Any]]:
    downloadable = row.bundle_state is BundleState.STORED and row.bundle_key is not None
    return [
        {
            "name": f.name,
            "size": f.size,
            "href": f"/reports/{row.report_id}/files/{quote(f.name, safe='')}"
            if downloadable
            else None,
        }
        for f in row.files
    ]
