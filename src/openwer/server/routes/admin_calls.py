"""The steps every admin route takes: check the admin token, read the JSON body, call storage.

* :func:`admin_body` reads at most :data:`MAX_ADMIN_BODY` bytes (413 beyond, refused from
  ``Content-Length`` before reading) and decodes one strict JSON object (400 otherwise).
* :func:`in_worker` runs one blocking storage round in a worker thread; errors (a state
  conflict such as a merged bucket is 409) are answered by :mod:`openwer.server.http_errors`.

The token is checked before the body is read, so an unauthenticated caller cannot make the
server read a body. Stateless; safe from any task.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from starlette.requests import Request

from openwer.errors import NotFoundError
from openwer.formats.json_body import load_json_object
from openwer.server.http_errors import read_body
from openwer.server.services import Services, services_of

__all__ = ["MAX_ADMIN_BODY", "admin_body", "admin_services", "in_worker", "path_id"]

MAX_ADMIN_BODY = 64 * 1024
T = TypeVar("T")


async def admin_services(request: Request) -> Services:
    """The app's services, once the request's admin token is checked (401 otherwise)."""
    services = services_of(request)
    await services.auth.admin(request)
    return services


async def admin_body(request: Request, what: str) -> dict[str, Any]:
    """The request's JSON object (400 when it is not one, 413 when it is too large)."""
    data = await read_body(request, MAX_ADMIN_BODY, what)
    return load_json_object(data, limit=MAX_ADMIN_BODY, what=what)


async def in_worker(function: Callable[..., T], *args: Any) -> T:
    """``function(*args)`` in a worker thread."""
    return await asyncio.to_thread(function, *args)


def path_id(request: Request, name: str, what: str) -> int:
    """A numeric id from the path; anything else names no such thing (404)."""
    raw: str = request.path_params[name]
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise NotFoundError(f"no {what} with id {raw[:32]!r}")
    return int(raw)
