"""Product routes (admin token): the products and their data-request policies.

* ``GET /api/v1/products``: ``{"products": [{"name", "id", "created_at", "policy"}]}`` by name.
* ``GET /api/v1/products/{name}/policy``: ``{"product", "first_n", "one_in_k",
  "max_bundles_per_day", "default_dump_type", "default_dump_type_name"}``.
* ``PUT /api/v1/products/{name}/policy`` ``{"first_n", "one_in_k", "max_bundles_per_day",
  "default_dump_type"?}``: replaces the policy; the new one.

The policy (:class:`~openwer.server.storage.DataPolicy`): a new report's bundle is wanted when
its hit ordinal in its bucket is at most ``first_n`` or a multiple of ``one_in_k`` (0: no
sampling), while the bucket had fewer than ``max_bundles_per_day`` bundles asked that UTC day.
404 for an unknown product, 400 for a bad body. Products and keys are created with
``openwer products``.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from openwer.server.admin_bodies import parse_policy
from openwer.server.routes.admin_calls import admin_body, admin_services, in_worker
from openwer.server.row_json import policy_json, product_json
from openwer.server.storage import DataPolicy, ProductRow, Repository, Scope

__all__ = ["routes"]


async def list_products(request: Request) -> Response:
    """Every product with its policy."""
    services = await admin_services(request)
    rows = await in_worker(services.repository.list_products, Scope.everything())
    return JSONResponse({"products": [product_json(row) for row in rows]})


async def get_policy(request: Request) -> Response:
    """A product's data-request policy."""
    services = await admin_services(request)
    row = await in_worker(services.repository.get_product, request.path_params["name"])
    return JSONResponse(_policy_body(row))


async def put_policy(request: Request) -> Response:
    """Replace a product's data-request policy."""
    services = await admin_services(request)
    policy = parse_policy(await admin_body(request, "policy"))
    row = await in_worker(_set_policy, services.repository, request.path_params["name"], policy)
    return JSONResponse(_policy_body(row))


def routes() -> list[Route]:
    """The product routes."""
    return [
        Route("/api/v1/products", list_products, methods=["GET"]),
        Route("/api/v1/products/{name}/policy", get_policy, methods=["GET"]),
        Route("/api/v1/products/{name}/policy", put_policy, methods=["PUT"]),
    ]


def _policy_body(row: ProductRow) -> dict[str, Any]:
    return {"product": row.name, **policy_json(row.policy)}


def _set_policy(repository: Repository, name: str, policy: DataPolicy) -> ProductRow:
    return repository.set_policy(repository.get_product(name).id, policy)
