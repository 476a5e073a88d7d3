"""The query API (admin token): ``GET /api/v1/buckets``, ``/api/v1/buckets/{id}``,
``/api/v1/reports/{id}``.

Listing filters (query string): ``product`` (name), ``event_type``, ``version``, ``since`` and
``until`` (ISO dates, inclusive, UTC), ``status`` (new, resolved, regressed, ignored), ``sort``
(hits, last_seen, first_seen; descending), ``limit`` (1–1000, default 50), ``offset``.
Answer: ``{"buckets": [...], "total": N, "limit": L, "offset": O}``. A bucket GUID may exist in
several products; ``?product=NAME`` picks one (without it the first, by product id).
Storage calls run in worker threads; each request reads one consistent snapshot per call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import date
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from openwer.errors import FormatError, NotFoundError
from openwer.server.row_json import bucket_json, detail_json, report_json
from openwer.server.services import services_of
from openwer.server.storage import (
    BucketQuery,
    BucketRef,
    BucketSort,
    BucketStatus,
    Repository,
    Scope,
)

__all__ = ["routes"]

_E = TypeVar("_E", BucketStatus, BucketSort)


async def list_buckets(request: Request) -> Response:
    """One page of buckets, most hits first by default."""
    services = services_of(request)
    await services.auth.admin(request)
    params = request.query_params
    query = BucketQuery(
        event_type=params.get("event_type"),
        version=params.get("version"),
        since=_date(params, "since"),
        until=_date(params, "until"),
        status=_enum(BucketStatus, params, "status"),
        sort=_enum(BucketSort, params, "sort") or BucketSort.HITS,
        limit=_int(params, "limit", 50),
        offset=_int(params, "offset", 0),
    )
    body = await asyncio.to_thread(_bucket_page, services.repository, params.get("product"), query)
    return JSONResponse(body)


async def get_bucket(request: Request) -> Response:
    """A bucket: signature, hits per day, versions, OS, samples, data requests, solution."""
    services = services_of(request)
    await services.auth.admin(request)
    body = await asyncio.to_thread(
        _bucket_detail,
        services.repository,
        request.path_params["bucket_id"].lower(),
        request.query_params.get("product"),
        _date(request.query_params, "since"),
        _date(request.query_params, "until"),
    )
    return JSONResponse(body)


async def get_report(request: Request) -> Response:
    """One report's metadata and its bundle's files."""
    services = services_of(request)
    await services.auth.admin(request)
    row = await asyncio.to_thread(
        services.repository.get_report, Scope.everything(), request.path_params["report_id"]
    )
    return JSONResponse(report_json(row, _product_names(services.repository)))


def routes() -> list[Route]:
    """The query routes."""
    return [
        Route("/api/v1/buckets", list_buckets, methods=["GET"]),
        Route("/api/v1/buckets/{bucket_id}", get_bucket, methods=["GET"]),
        Route("/api/v1/reports/{report_id}", get_report, methods=["GET"]),
    ]


# -- one storage round per request (run in a worker thread) -----------------------------------


def _scope(repository: Repository, product: str | None) -> Scope:
    if product is None:
        return Scope.everything()
    return Scope.products([repository.get_product(product).id])


def _product_names(repository: Repository) -> dict[int, str]:
    return {p.id: p.name for p in repository.list_products(Scope.everything())}


def _bucket_page(repository: Repository, product: str | None, query: BucketQuery) -> Any:
    page = repository.list_buckets(_scope(repository, product), query)
    names = _product_names(repository)
    return {
        "buckets": [
            {**bucket_json(s.bucket, names), "range_hits": s.range_hits} for s in page.rows
        ],
        "total": page.total,
        "limit": query.limit,
        "offset": query.offset,
    }


def _bucket_detail(
    repository: Repository,
    bucket_id: str,
    product: str | None,
    since: date | None,
    until: date | None,
) -> Any:
    scope = _scope(repository, product)
    found = repository.find_buckets(scope, bucket_id)
    if not found:
        raise NotFoundError(f"no bucket {bucket_id}")
    first = min(found, key=lambda b: b.product_id)
    detail = repository.get_bucket(
        scope, BucketRef(first.product_id, first.bucket_id), since=since, until=until
    )
    return detail_json(detail, _product_names(repository))


# -- query-string parsing ----------------------------------------------------------------------


def _date(params: Mapping[str, str], name: str) -> date | None:
    raw = params.get(name)
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise FormatError(f"{name} must be a date (YYYY-MM-DD), not {raw!r}") from exc


def _int(params: Mapping[str, str], name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or len(raw) > 9:
        raise FormatError(f"{name} must be a whole number, not {raw!r}")
    return int(raw)


def _enum(kind: type[_E], params: Mapping[str, str], name: str) -> _E | None:
    raw = params.get(name)
    if raw is None:
        return None
    try:
        return kind(raw)
    except ValueError as exc:
        allowed = ", ".join(m.value for m in kind)
        raise FormatError(f"{name} must be one of {allowed}, not {raw!r}") from exc
