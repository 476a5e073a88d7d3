"""Bucket lifecycle routes (admin token): explicit data requests, status, merge.

* ``GET|POST|DELETE /api/v1/buckets/{id}/data-requests``: the bucket's open explicit request
  (``{"bucket_id", "product", "requests": [{"remaining", "dump_type", "dump_type_name",
  "files"}], "bundles_collected"}``); ``POST {"count", "dump_type"?, "files"?}`` replaces it,
  ``DELETE`` withdraws it.
* ``POST /api/v1/buckets/{id}/status`` ``{"status": "resolved"|"ignored"|"new",
  "fixed_in"?}``: the bucket as the query API lists it.
* ``POST /api/v1/buckets/{id}/merge`` ``{"into": "<bucket id>"}``: the bucket that now counts
  both.

``?product=NAME`` picks the product when a GUID exists in several (else the lowest product
id). 404 for an unknown bucket or product, 409 for a merged bucket (change its target) or a
merge that would loop, 400 for a bad body, a merge into itself or across products. The rules
are in :mod:`openwer.server.bucket_admin`.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from openwer.server import bucket_admin
from openwer.server.admin_bodies import (
    DataRequestOrder,
    StatusChange,
    parse_data_request,
    parse_merge_target,
    parse_status_change,
)
from openwer.server.routes.admin_calls import admin_body, admin_services, in_worker
from openwer.server.row_json import bucket_json, data_requests_json
from openwer.server.storage import Repository

__all__ = ["routes"]


def _target(request: Request) -> tuple[str, str | None]:
    return request.path_params["bucket_id"], request.query_params.get("product")


async def get_data_requests(request: Request) -> Response:
    """The bucket's open explicit data request, if any."""
    services = await admin_services(request)
    body = await in_worker(_requests_of, services.repository, *_target(request))
    return JSONResponse(body)


async def post_data_request(request: Request) -> Response:
    """Ask for the bundles of the bucket's next N hits (replacing an open request)."""
    services = await admin_services(request)
    order = parse_data_request(await admin_body(request, "data request"))
    body = await in_worker(_request_data, services.repository, *_target(request), order)
    return JSONResponse(body)


async def delete_data_requests(request: Request) -> Response:
    """Withdraw the bucket's open explicit data request."""
    services = await admin_services(request)
    body = await in_worker(_cancel, services.repository, *_target(request))
    return JSONResponse(body)


async def post_status(request: Request) -> Response:
    """Resolve (optionally fixed in a version), ignore or reopen a bucket."""
    services = await admin_services(request)
    change = parse_status_change(await admin_body(request, "status change"))
    body = await in_worker(_set_status, services.repository, *_target(request), change)
    return JSONResponse(body)


async def post_merge(request: Request) -> Response:
    """Merge the bucket into another bucket of its product."""
    services = await admin_services(request)
    into = parse_merge_target(await admin_body(request, "merge"))
    body = await in_worker(_merge, services.repository, *_target(request), into)
    return JSONResponse(body)


def routes() -> list[Route]:
    """The bucket lifecycle routes."""
    return [
        Route(
            "/api/v1/buckets/{bucket_id}/data-requests",
            get_data_requests,
            methods=["GET"],
        ),
        Route(
            "/api/v1/buckets/{bucket_id}/data-requests",
            post_data_request,
            methods=["POST"],
        ),
        Route(
            "/api/v1/buckets/{bucket_id}/data-requests",
            delete_data_requests,
            methods=["DELETE"],
        ),
        Route("/api/v1/buckets/{bucket_id}/status", post_status, methods=["POST"]),
        Route("/api/v1/buckets/{bucket_id}/merge", post_merge, methods=["POST"]),
    ]


# -- one storage round per request (run in a worker thread) -----------------------------------


def _requests_of(repository: Repository, bucket_id: str, product: str | None) -> Any:
    bucket = bucket_admin.find_bucket(repository, bucket_id, product)
    return data_requests_json(bucket, bucket_admin.product_names(repository))


def _request_data(
    repository: Repository, bucket_id: str, product: str | None, order: DataRequestOrder
) -> Any:
    bucket = bucket_admin.request_data(
        repository, bucket_id, order.count, order.dump_type, order.files, product
    )
    return data_requests_json(bucket, bucket_admin.product_names(repository))


def _cancel(repository: Repository, bucket_id: str, product: str | None) -> Any:
    bucket = bucket_admin.cancel_data_request(repository, bucket_id, product)
    return data_requests_json(bucket, bucket_admin.product_names(repository))


def _set_status(
    repository: Repository, bucket_id: str, product: str | None, change: StatusChange
) -> Any:
    bucket = bucket_admin.change_status(
        repository, bucket_id, change.status, change.fixed_in, product
    )
    return bucket_json(bucket, bucket_admin.product_names(repository))


def _merge(repository: Repository, bucket_id: str, product: str | None, into: str) -> Any:
    bucket = bucket_admin.merge_bucket(repository, bucket_id, into, product)
    return bucket_json(bucket, bucket_admin.product_names(repository))
