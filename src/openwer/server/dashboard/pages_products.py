"""``/products``: the visitor's products, their data-request policy and their ingest keys.

``POST /products`` creates a product with its first key (only users who see every product:
a scoped user could not see what they created); ``POST /products/{id}/keys`` adds a key,
``…/keys/rotate`` adds one and revokes the older ones in the same step, and
``…/keys/{key_id}/revoke`` revokes one. A new key is shown once, on the page that answers the
POST (it never travels in a URL and storage keeps only its hash). A product outside the
visitor's scope is "not found", and so is a key of another product.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from openwer.errors import AccessDeniedError, NotFoundError
from openwer.server.dashboard.access import Visitor
from openwer.server.dashboard.path_ids import path_id
from openwer.server.dashboard.rendering import dashboard_page, redirect, render
from openwer.server.dashboard.state import Dashboard
from openwer.server.storage import IssuedSecret, ProductRow

__all__ = ["ProductPages"]

_NOTICES = {"revoked": "Key revoked: clients using it are refused within seconds."}


class ProductPages:
    """The products page of one dashboard."""

    def __init__(self, dashboard: Dashboard) -> None:
        self._dashboard = dashboard

    async def page(self, request: Request) -> Response:
        """``GET /products``."""
        visitor = await self._dashboard.access.page_visitor(request)
        context = await self._dashboard.run(lambda: self._context(visitor))
        context["notice"] = _NOTICES.get(request.query_params.get("done", ""))
        return render("products.html", context)

    def _context(
        self, visitor: Visitor, issued: IssuedSecret | None = None, issued_for: str = ""
    ) -> dict[str, Any]:
        products = self._dashboard.products(visitor.scope)
        return {
            "visitor": visitor,
            "active": "products",
            "title": "Products",
            "products": [
                {"product": p, "keys": self._dashboard.repository.list_ingest_keys(p.id)}
                for p in products
            ],
            "issued": issued,
            "issued_for": issued_for,
            "notice": None,
        }

    def _product(self, visitor: Visitor, product_id: int) -> ProductRow:
        for product in self._dashboard.products(visitor.scope):
            if product.id == product_id:
                return product
        raise NotFoundError(f"no product with id {product_id}")

    async def create(self, request: Request) -> Response:
        """``POST /products``: a new product and its first key."""
        visitor, form = await self._dashboard.access.checked_post(request)
        if not visitor.sees_every_product:
            raise AccessDeniedError("only users who see every product can create products")
        name = form.get("name")

        def work() -> dict[str, Any]:
            repository = self._dashboard.repository
            product = repository.create_product(name)
            issued = repository.create_ingest_key(product.id)
            return self._context(visitor, issued, product.name)

        return render("products.html", await self._dashboard.run(work), status=201)

    async def add_key(self, request: Request) -> Response:
        """``POST /products/{product_id}/keys``: one more key."""
        return await self._issue(request, rotate=False)

    async def rotate(self, request: Request) -> Response:
        """``POST /products/{product_id}/keys/rotate``: a new key, older ones revoked."""
        return await self._issue(request, rotate=True)

    async def _issue(self, request: Request, rotate: bool) -> Response:
        visitor, _ = await self._dashboard.access.checked_post(request)
        product_id = path_id(request, "product_id")

        def work() -> dict[str, Any]:
            product = self._product(visitor, product_id)
            repository = self._dashboard.repository
            issue = repository.rotate_ingest_key if rotate else repository.create_ingest_key
            return self._context(visitor, issue(product.id), product.name)

        return render("products.html", await self._dashboard.run(work), status=201)

    async def revoke(self, request: Request) -> Response:
        """``POST /products/{product_id}/keys/{key_id}/revoke``."""
        visitor, _ = await self._dashboard.access.checked_post(request)
        product_id, key_id = path_id(request, "product_id"), path_id(request, "key_id")

        def work() -> None:
            product = self._product(visitor, product_id)
            repository = self._dashboard.repository
            if all(key.id != key_id for key in repository.list_ingest_keys(product.id)):
                raise NotFoundError(f"no key {key_id} for product {product.name!r}")
            repository.revoke_ingest_key(key_id)

        await self._dashboard.run(work)
        return redirect("/products?done=revoked")

    def routes(self) -> list[Route]:
        """The products routes."""
        keys = "/products/{product_id}/keys"
        return [
            Route("/products", dashboard_page(self.page), methods=["GET"]),
            Route("/products", dashboard_page(self.create), methods=["POST"]),
            Route(keys, dashboard_page(self.add_key), methods=["POST"]),
            Route(f"{keys}/rotate", dashboard_page(self.rotate), methods=["POST"]),
            Route(f"{keys}/{{key_id}}/revoke", dashboard_page(self.revoke), methods=["POST"]),
        ]
