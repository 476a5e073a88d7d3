"""MS-CER2 (Corporate Error Reporting V.2) for Windows clients: ``POST /stage2.htm`` (level 1,
the ``WERREPORT`` XML) and ``PUT /dumpfiles/{report_id}.cab`` (level 2, Windows' cabinet).

Windows sends no ingest key: such reports go to the configured ``cer_default_product``; with
``cer_require_key`` (or without a default product) a key is required. A key, when sent, always
wins and must be valid (401 otherwise).
"""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from openwer.server.http_errors import HttpError, read_body
from openwer.server.services import Services, services_of
from openwer.server.storage import ProductRow

__all__ = ["routes"]


async def post_level1(request: Request) -> Response:
    """Level 1: bucket the report; answer the ``Key=Value`` lines (``DumpFile`` when wanted)."""
    services = services_of(request)
    product = await _product(services, request)
    body = await read_body(request, services.config.max_cer_report_bytes, "MS-CER2 report")
    answer = await services.ingest.cer_level1(product, body)
    return Response(answer, media_type="text/plain; charset=windows-1252")


async def put_level2(request: Request) -> Response:
    """Level 2: store the cabinet of a report level 1 registered; 200."""
    services = services_of(request)
    product = await _product(services, request)
    body = await read_body(request, services.config.max_bundle_bytes, "cabinet")
    await services.ingest.cer_level2(product, request.path_params["report_id"], body)
    return Response(b"", status_code=200)


async def _product(services: Services, request: Request) -> ProductRow:
    product = await services.auth.optional_product(request)
    if product is not None:
        return product
    name = services.config.cer_default_product
    if services.config.cer_require_key or name is None:
        raise HttpError(401, "missing ingest key (Authorization: Bearer …)")
    return await asyncio.to_thread(services.repository.get_product, name)


def routes() -> list[Route]:
    """The MS-CER2 routes."""
    return [
        Route("/stage2.htm", post_level1, methods=["POST"]),
        Route("/dumpfiles/{report_id}.cab", put_level2, methods=["PUT"]),
    ]
