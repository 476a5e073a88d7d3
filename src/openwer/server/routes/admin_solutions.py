"""Solution routes (admin token).

* ``GET /api/v1/solutions[?product=NAME]``: ``{"solutions": [solution, ...]}``, oldest first.
* ``POST /api/v1/solutions`` ``{"product", "bucket_id"|"pattern", "event_type"?, "message",
  "url"?}``: 201 and the solution.
* ``PATCH /api/v1/solutions/{id}`` ``{"message"?, "url"?}``: the solution.
* ``DELETE /api/v1/solutions/{id}``: 204.

A solution is ``{"id", "product", "bucket_id", "pattern", "event_type", "message", "url",
"created_at"}``. 404 for an unknown product, bucket or solution; 400 for a bad body, text, URL
or pattern (not a regex, over 500 characters, nested repeats); 409 for a bucket merged into
another. The rules are in :mod:`openwer.server.solution_admin`.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from openwer.server import solution_admin
from openwer.server.admin_bodies import (
    NewSolution,
    SolutionEdit,
    parse_new_solution,
    parse_solution_edit,
)
from openwer.server.bucket_admin import product_names
from openwer.server.routes.admin_calls import admin_body, admin_services, in_worker, path_id
from openwer.server.row_json import solution_json
from openwer.server.storage import Repository

__all__ = ["routes"]


async def list_solutions(request: Request) -> Response:
    """Every solution, or one product's."""
    services = await admin_services(request)
    body = await in_worker(_list, services.repository, request.query_params.get("product"))
    return JSONResponse(body)


async def post_solution(request: Request) -> Response:
    """Add a solution for a bucket or a pattern."""
    services = await admin_services(request)
    new = parse_new_solution(await admin_body(request, "solution"))
    body = await in_worker(_add, services.repository, new)
    return JSONResponse(body, status_code=201)


async def patch_solution(request: Request) -> Response:
    """Change a solution's message and/or URL."""
    services = await admin_services(request)
    solution_id = path_id(request, "solution_id", "solution")
    edit = parse_solution_edit(await admin_body(request, "solution edit"))
    body = await in_worker(_update, services.repository, solution_id, edit)
    return JSONResponse(body)


async def delete_solution(request: Request) -> Response:
    """Remove a solution."""
    services = await admin_services(request)
    solution_id = path_id(request, "solution_id", "solution")
    await in_worker(solution_admin.delete_solution, services.repository, solution_id)
    return Response(status_code=204)


def routes() -> list[Route]:
    """The solution routes."""
    return [
        Route("/api/v1/solutions", list_solutions, methods=["GET"]),
        Route("/api/v1/solutions", post_solution, methods=["POST"]),
        Route("/api/v1/solutions/{solution_id}", patch_solution, methods=["PATCH"]),
        Route("/api/v1/solutions/{solution_id}", delete_solution, methods=["DELETE"]),
    ]


# -- one storage round per request (run in a worker thread) -----------------------------------


def _list(repository: Repository, product: str | None) -> Any:
    rows = solution_admin.list_solutions(repository, product)
    names = product_names(repository)
    return {"solutions": [solution_json(row, names) for row in rows]}


def _add(repository: Repository, new: NewSolution) -> Any:
    row = solution_admin.add_solution(
        repository,
        new.product,
        new.message,
        url=new.url,
        bucket_id=new.bucket_id,
        pattern=new.pattern,
        event_type=new.event_type,
    )
    return solution_json(row, product_names(repository))


def _update(repository: Repository, solution_id: int, edit: SolutionEdit) -> Any:
    row = solution_admin.update_solution(
        repository, solution_id, edit.message, edit.url, change_url=edit.change_url
    )
    return solution_json(row, product_names(repository))
