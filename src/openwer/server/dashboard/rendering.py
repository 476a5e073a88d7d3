"""Turning view models into HTML answers: templates, filters, security headers, error pages.

Templates (``templates/`` of this package) are Jinja2 with autoescaping on for everything, so
no value from a report, a signature or a user reaches the page unescaped. Every answer carries
a Content-Security-Policy that allows scripts, styles and images from this server only (no
inline script, no inline style: charts are SVG with presentation attributes), forbids framing,
and is not cached.

:func:`dashboard_page` wraps a page or action endpoint: it turns openwer's errors into HTML
error pages (404 for what does not exist *or is outside the visitor's products*, 400 for bad
input, 503 when storage is down) and :class:`~openwer.server.dashboard.access.SignInRequired`
into a redirect to the sign-in page.

Thread safety: the Jinja environment is built once and only read afterwards.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from openwer.errors import (
    AccessDeniedError,
    FormatError,
    InvalidArgumentError,
    NotFoundError,
    StoreError,
)
from openwer.server.dashboard.access import SignInRequired, sign_in_path
from openwer.server.http_errors import HttpError
from openwer.version import __version__

__all__ = [
    "SECURITY_HEADERS",
    "dashboard_page",
    "redirect",
    "render",
]

log = logging.getLogger("openwer.server.dashboard")

SECURITY_HEADERS: Mapping[str, str] = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
        "base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

Endpoint = Callable[[Request], Awaitable[Response]]


def _number(value: int | float | None) -> str:
    if value is None:
        return "–"
    return f"{value:,}".replace(",", "\u202f")  # narrow no-break space between thousands


def _percent(value: float | None) -> str:
    if value is None:
        return "–"
    shown = value * 100
    if 0 < shown < 1:
        return "<1 %"
    return f"{shown:.0f} %"


def _when(value: datetime | None) -> str:
    if value is None:
        return "–"
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _ago(value: datetime | None, now: datetime | None = None) -> str:
    if value is None:
        return "never"
    seconds = ((now or datetime.now(UTC)) - value).total_seconds()
    for limit, size, unit in (
        (90, 1, "s"),
        (90 * 60, 60, "min"),
        (36 * 3600, 3600, "h"),
        (60 * 86400, 86400, "d"),
    ):
        if seconds < limit:
            return f"{max(0, int(seconds // size))} {unit} ago"
    return value.astimezone(UTC).strftime("%Y-%m-%d")


def _size(value: int | None) -> str:
    if value is None:
        return "–"
    amount = float(value)
    for unit in ("B", "KB", "MB", "GB"):
        if amount < 1024 or unit == "GB":
            return f"{amount:.0f} {unit}" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1024
    return f"{value} B"


def _web_url(value: object) -> bool:
    """True for an http(s) URL: the only links a page makes from stored text."""
    return isinstance(value, str) and value.lower().startswith(("https://", "http://"))


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("openwer.server.dashboard", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(number=_number, percent=_percent, when=_when, ago=_ago, size=_size)
    env.tests["web_url"] = _web_url
    env.globals.update(version=__version__)
    return env


_ENVIRONMENT = _environment()


def render(
    template: str,
    context: Mapping[str, Any],
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """``template`` rendered with ``context``, with the security headers."""
    body = _ENVIRONMENT.get_template(template).render(**context)
    return HTMLResponse(body, status_code=status, headers={**SECURITY_HEADERS, **(headers or {})})


def redirect(path: str) -> RedirectResponse:
    """303 See Other to ``path`` (a page of this site), with the security headers."""
    response = RedirectResponse(path, status_code=303)
    response.headers.update(SECURITY_HEADERS)
    return response


def error_page(status: int, message: str, visitor: Any = None) -> HTMLResponse:
    """The HTML page of an error."""
    titles = {
        400: "That did not work",
        403: "Not allowed",
        404: "Not found",
        413: "Too large",
        415: "Not understood",
        429: "Slow down",
        503: "Storage unavailable",
    }
    context = {
        "title": titles.get(status, "Something went wrong"),
        "message": message,
        "status": status,
        "visitor": visitor,
        "active": "",
    }
    return render("error.html", context, status=status)


def dashboard_page(endpoint: Endpoint) -> Endpoint:
    """Wrap ``endpoint`` so errors become pages (see the module docstring)."""

    @functools.wraps(endpoint)
    async def wrapped(request: Request) -> Response:
        try:
            return await endpoint(request)
        except SignInRequired as needed:
            return redirect(sign_in_path(needed.next_path))
        except HttpError as exc:
            return error_page(exc.status, exc.message)
        except NotFoundError as exc:
            return error_page(404, str(exc))
        except (InvalidArgumentError, FormatError) as exc:
            return error_page(400, str(exc))
        except AccessDeniedError as exc:
            return error_page(403, str(exc))
        except StoreError as exc:
            log.error("storage unavailable on %s %s: %s", request.method, request.url.path, exc)
            return error_page(503, "The storage is unavailable right now. Try again shortly.")

    return wrapped
