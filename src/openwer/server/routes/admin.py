"""The admin API (admin token): bucket lifecycle, explicit data requests, solutions, product
policies. JSON in and out; docs/protocol.md "Admin API" has the bodies and examples.

One module per area (:mod:`.admin_buckets`, :mod:`.admin_solutions`, :mod:`.admin_products`),
gathered here for ``create_app``. Every route checks the admin token first (401; an ingest
key is no admin token), reads at most 64 KiB of strict JSON (413, 400; unknown fields are
refused), then makes its storage calls in a worker thread. A refused request changes nothing.
"""

from __future__ import annotations

from starlette.routing import Route

from openwer.server.routes import admin_buckets, admin_products, admin_solutions

__all__ = ["routes"]


def routes() -> list[Route]:
    """Every admin route."""
    return [*admin_buckets.routes(), *admin_solutions.routes(), *admin_products.routes()]
