"""The dashboard: buckets, trends, reports, solutions and products in the browser.

Served by ``openwer serve`` beside the API (``create_app`` mounts :func:`dashboard_routes`):

=========================================  ==================================================
``GET /``                                  the bucket list (signed out: the sign-in form)
``GET|POST /login``, ``POST /logout``      sign-in (throttled) and sign-out
``GET /buckets/{product}/{bucket}``        one bucket; ``POST …/status|merge|data-request|
                                           solution|solution/delete`` change it
``GET /reports/{id}``                      one report; ``…/files/{name}`` and ``…/bundle``
                                           download
``GET|POST /solutions…``                   bucket and pattern solutions
``GET|POST /products…``                    products and their ingest keys
``GET /static/…``                          the stylesheet and icon (no CDN, no script needed)
=========================================  ==================================================

Users come from ``openwer users add|passwd`` (:mod:`openwer.cli.user_commands`); they see every
product until scoped. Pages need SQL storage (SQLite or PostgreSQL): over the in-memory test
repository no dashboard route is mounted.

Security: sessions are server-side (random token in an HttpOnly, SameSite=Lax cookie, Secure
over HTTPS), every form carries a CSRF token, sign-in failures back off per name and address,
every read and change is limited to the visitor's products in storage, templates autoescape,
and the Content-Security-Policy allows no inline script.
"""

from __future__ import annotations

import os
from pathlib import Path

from starlette.responses import Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from openwer.server.blobs import BlobStore
from openwer.server.dashboard.bucket_actions import BucketActions
from openwer.server.dashboard.login_throttle import LoginThrottle
from openwer.server.dashboard.pages_buckets import BucketPages
from openwer.server.dashboard.pages_products import ProductPages
from openwer.server.dashboard.pages_reports import ReportPages
from openwer.server.dashboard.pages_sign_in import SignInPages
from openwer.server.dashboard.pages_solutions import SolutionPages
from openwer.server.dashboard.settings import DashboardSettings
from openwer.server.dashboard.state import Dashboard, build_dashboard
from openwer.server.storage import Repository

__all__ = ["STATIC_DIR", "Dashboard", "DashboardSettings", "build_dashboard", "dashboard_routes"]

STATIC_DIR = Path(__file__).resolve().parent / "static"


class _Assets(StaticFiles):
    """The package's static files, never sniffed into another type, cached for an hour."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "public, max-age=3600"
        return response


def dashboard_routes(
    repository: Repository,
    blobs: BlobStore,
    settings: DashboardSettings | None = None,
    throttle: LoginThrottle | None = None,
) -> list[BaseRoute]:
    """The dashboard's routes over ``repository`` and ``blobs`` (none for non-SQL storage)."""
    dashboard = build_dashboard(repository, blobs, settings, throttle)
    if dashboard is None:
        return []
    return [
        *SignInPages(dashboard).routes(),
        *BucketPages(dashboard).routes(),
        *BucketActions(dashboard).routes(),
        *ReportPages(dashboard).routes(),
        *SolutionPages(dashboard).routes(),
        *ProductPages(dashboard).routes(),
        Mount("/static", _Assets(directory=STATIC_DIR), name="dashboard-static"),
    ]
