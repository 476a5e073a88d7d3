"""The numeric ids in dashboard paths: ``/products/{product_id}``, ``…/keys/{key_id}``,
``/solutions/{solution_id}``, ``/buckets/{product_id}/{bucket_id}``.

A path id that is not a whole number of at most nine digits names nothing, so it answers 404
like a number that exists nowhere (not 400: a path is an address, not a form), and nine digits
keep it inside every database's integer column.
"""

from __future__ import annotations

from starlette.requests import Request

from openwer.errors import NotFoundError

__all__ = ["path_id"]


def path_id(request: Request, name: str) -> int:
    """The path parameter ``name`` (``"<thing>_id"``) as a number.

    Raises:
        NotFoundError: ``no <thing> '<text>'`` when it is not one.
    """
    raw = str(request.path_params[name])
    if not raw.isdigit() or len(raw) > 9:
        raise NotFoundError(f"no {name.removesuffix('_id')} {raw!r}")
    return int(raw)
