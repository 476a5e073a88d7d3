"""``GET /healthz``: the cheapest endpoint (the benchmark baseline); no storage access."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

__all__ = ["routes"]

_BODY = b'{"status":"ok"}'


async def healthz(request: Request) -> Response:
    """A constant small JSON body."""
    return Response(_BODY, media_type="application/json")


def routes() -> list[Route]:
    """The health route."""
    return [Route("/healthz", healthz, methods=["GET"])]
