"""Sign-in and sign-out: ``GET /login``, ``POST /login``, ``POST /logout``.

``/`` shows the same form when nobody is signed in (see :mod:`.pages_buckets`). The form
posts ``username``, ``password``, ``next`` and a double-submit CSRF token; a wrong name or
password is answered 401 with the same message for both, repeated failures 429 with
``Retry-After`` (:mod:`.login_throttle`), a success 303 to ``next`` with a fresh session cookie.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from openwer.server.dashboard.access import read_form, safe_next
from openwer.server.dashboard.csrf import (
    CSRF_FIELD,
    LOGIN_CSRF_COOKIE,
    new_login_token,
    same_origin,
    tokens_match,
)
from openwer.server.dashboard.rendering import dashboard_page, redirect, render
from openwer.server.dashboard.sign_in import SignInOutcome
from openwer.server.dashboard.state import Dashboard

__all__ = ["SignInPages", "sign_in_form"]

_LOGIN_CSRF_AGE = 24 * 3600


def sign_in_form(
    dashboard: Dashboard,
    request: Request,
    next_path: str = "/",
    error: str | None = None,
    status: int = 200,
    username: str = "",
    headers: dict[str, str] | None = None,
) -> Response:
    """The sign-in page, with its CSRF cookie (kept when the browser has one)."""
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or new_login_token()
    context = {
        "visitor": None,
        "active": "",
        "title": "Sign in",
        "next": safe_next(next_path),
        "error": error,
        "username": username,
        "csrf_field": CSRF_FIELD,
        "csrf_token": token,
    }
    response = render("sign_in.html", context, status=status, headers=headers)
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=_LOGIN_CSRF_AGE,
        path="/",
        httponly=True,
        samesite="strict",
        secure=dashboard.access.secure(request),
    )
    return response


class SignInPages:
    """The sign-in routes of one dashboard."""

    def __init__(self, dashboard: Dashboard) -> None:
        self._dashboard = dashboard

    async def form(self, request: Request) -> Response:
        """``GET /login``: the form (or straight on when already signed in)."""
        next_path = safe_next(request.query_params.get("next"))
        if await self._dashboard.access.visitor(request) is not None:
            return redirect(next_path)
        return sign_in_form(self._dashboard, request, next_path)

    async def submit(self, request: Request) -> Response:
        """``POST /login``: check the form, the throttle and the password."""
        dashboard = self._dashboard
        form = await read_form(request)
        next_path = safe_next(form.raw("next"))
        username = form.get("username")[:256]
        if not same_origin(request) or not tokens_match(
            request.cookies.get(LOGIN_CSRF_COOKIE), form.raw(CSRF_FIELD)
        ):
            message = "The sign-in form expired. Please try again."
            return sign_in_form(dashboard, request, next_path, message, 403, username)
        address = request.client.host if request.client is not None else "unknown"
        password = form.raw("password") or ""
        result = await dashboard.run(lambda: dashboard.sign_in.attempt(username, password, address))
        if result.outcome is SignInOutcome.THROTTLED:
            message = (
                f"Too many failed sign-ins for this name. Try again in {result.retry_after} s."
            )
            headers = {"Retry-After": str(result.retry_after)}
            return sign_in_form(dashboard, request, next_path, message, 429, username, headers)
        if result.outcome is SignInOutcome.REFUSED or result.token is None:
            return sign_in_form(
                dashboard, request, next_path, "Wrong user name or password.", 401, username
            )
        response = redirect(next_path)
        dashboard.access.set_session(response, request, result.token)
        response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
        return response

    async def sign_out(self, request: Request) -> Response:
        """``POST /logout``: end the session and forget the cookie."""
        visitor, _ = await self._dashboard.access.checked_post(request)
        await self._dashboard.access.close(visitor)
        response = redirect("/")
        self._dashboard.access.clear_session(response, request)
        return response

    def routes(self) -> list[Route]:
        """The routes of sign-in and sign-out."""
        return [
            Route("/login", dashboard_page(self.form), methods=["GET"]),
            Route("/login", dashboard_page(self.submit), methods=["POST"]),
            Route("/logout", dashboard_page(self.sign_out), methods=["POST"]),
        ]
