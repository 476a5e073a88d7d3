"""Protocol v1 ingest: ``POST /api/v1/reports`` (stage 1), ``PUT /api/v1/reports/{id}/bundle``
(stage 2), both with a product's ingest key. See docs/protocol.md."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from openwer.server.http_errors import read_body
from openwer.server.services import services_of

__all__ = ["routes"]


async def post_report(request: Request) -> Response:
    """Stage 1: 201 with the answer for a new report id, 200 for a repeat."""
    services = services_of(request)
    product = await services.auth.product(request)
    body = await read_body(request, services.config.max_report_bytes, "stage 1 body")
    answer = await services.ingest.stage1(product, body)
    return Response(answer.body, status_code=answer.status, media_type="application/json")


async def put_bundle(request: Request) -> Response:
    """Stage 2: 201 when stored now, 200 when it was stored before."""
    services = services_of(request)
    product = await services.auth.product(request)
    body = await read_body(request, services.config.max_bundle_bytes, "bundle")
    report_id = request.path_params["report_id"]
    status = await services.ingest.bundle(product, report_id, body)
    return JSONResponse({"report_id": report_id.lower(), "stored": True}, status_code=status)


def routes() -> list[Route]:
    """The ingest routes."""
    return [
        Route("/api/v1/reports", post_report, methods=["POST"]),
        Route("/api/v1/reports/{report_id}/bundle", put_bundle, methods=["PUT"]),
    ]
