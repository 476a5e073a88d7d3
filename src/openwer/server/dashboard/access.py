"""Who is asking: the session cookie, the signed-in visitor, and the checks every POST passes.

The session cookie (``openwer_session``) holds a random token; storage keeps its SHA-256
(:class:`~openwer.server.storage.users.UserRepository`). It is ``HttpOnly`` (no script reads
it), ``SameSite=Lax`` (no other site's form or fetch sends it) and ``Secure`` when the request
came over HTTPS or :class:`~openwer.server.dashboard.settings.DashboardSettings` says so.

:meth:`Access.visitor` resolves the cookie to a :class:`Visitor` (one storage read);
:meth:`Access.page_visitor` does the same or raises :class:`SignInRequired`;
:meth:`Access.checked_post` is what every state-changing form goes through: a signed-in visitor,
a same-site request, a bounded url-encoded body and the session's CSRF token.

Thread safety: one instance per app, used from the event loop (storage reads go to worker
threads).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote

from starlette.requests import Request
from starlette.responses import Response

from openwer.errors import InvalidArgumentError
from openwer.server.dashboard.csrf import (
    CSRF_FIELD,
    same_origin,
    session_token_csrf,
    tokens_match,
)
from openwer.server.dashboard.settings import DashboardSettings
from openwer.server.http_errors import HttpError, read_body
from openwer.server.storage import Scope
from openwer.server.storage.users import SESSION_TOKEN_PREFIX, UserRepository, UserRow

__all__ = [
    "SESSION_COOKIE",
    "Access",
    "Form",
    "SignInRequired",
    "Visitor",
    "read_form",
    "safe_next",
]

SESSION_COOKIE = "openwer_session"
_MAX_TOKEN = 100
_MAX_FORM_BYTES = 64 * 1024
_MAX_FIELDS = 200
_MAX_LINK = 2048


class SignInRequired(Exception):
    """The page needs a signed-in visitor; ``next_path`` is where to come back to."""

    def __init__(self, next_path: str) -> None:
        super().__init__("sign in first")
        self.next_path = next_path


@dataclass(frozen=True, slots=True)
class Visitor:
    """A signed-in user and the session token of this request."""

    user: UserRow
    token: str

    @property
    def scope(self) -> Scope:
        """What this visitor may see and change."""
        return self.user.scope

    @property
    def csrf_token(self) -> str:
        """The token every form of this session carries."""
        return session_token_csrf(self.token)

    @property
    def sees_every_product(self) -> bool:
        """True for users not scoped to some products (they may create products)."""
        return self.user.product_ids is None


@dataclass(frozen=True, slots=True)
class Form:
    """A url-encoded form body: the first value of each field."""

    fields: dict[str, str]

    def get(self, name: str, default: str = "") -> str:
        """The field's value, stripped of surrounding blanks (``default`` when absent)."""
        return self.fields.get(name, default).strip()

    def raw(self, name: str) -> str | None:
        """The field's value as sent, or ``None``."""
        return self.fields.get(name)

    def link(self, name: str) -> str | None:
        """An optional http(s) URL field (``None`` when empty); ``InvalidArgumentError`` for
        any other scheme, so no ``javascript:`` link ever reaches a page or a client."""
        value = self.get(name)[:_MAX_LINK]
        if not value:
            return None
        if not value.lower().startswith(("https://", "http://")):
            raise InvalidArgumentError(f"a link starts with https:// or http://, not {value!r}")
        return value


async def read_form(request: Request) -> Form:
    """The request's url-encoded form (at most 64 KiB and 200 fields); 415/413/400 otherwise."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise HttpError(415, "a dashboard form is sent url-encoded")
    body = await read_body(request, _MAX_FORM_BYTES, "form")
    try:
        pairs = parse_qsl(
            body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=_MAX_FIELDS
        )
    except ValueError as exc:
        raise HttpError(400, "the form has too many fields") from exc
    fields: dict[str, str] = {}
    for key, value in pairs:
        fields.setdefault(key, value)
    return Form(fields)


def safe_next(path: str | None) -> str:
    """``path`` when it is a path of this site (``/…``, not ``//host``), else ``/``."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    if any(ord(ch) < 32 for ch in path):
        return "/"
    return path


class Access:
    """Sessions and the checks of the dashboard's requests (see the module docstring)."""

    def __init__(self, users: UserRepository, settings: DashboardSettings) -> None:
        self._users = users
        self._settings = settings

    async def visitor(self, request: Request) -> Visitor | None:
        """The signed-in visitor of ``request``, or ``None``."""
        token = request.cookies.get(SESSION_COOKIE)
        if not token or len(token) > _MAX_TOKEN or not token.startswith(SESSION_TOKEN_PREFIX):
            return None
        user = await asyncio.to_thread(self._users.session_user, token)
        return None if user is None else Visitor(user, token)

    async def page_visitor(self, request: Request) -> Visitor:
        """The signed-in visitor; :class:`SignInRequired` when there is none."""
        visitor = await self.visitor(request)
        if visitor is None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise SignInRequired(target)
        return visitor

    async def checked_post(self, request: Request) -> tuple[Visitor, Form]:
        """The visitor and form of a state-changing POST, or :class:`HttpError` 403 (or
        :class:`SignInRequired`) when any check fails (see the module docstring)."""
        if not same_origin(request):
            raise HttpError(403, "This form was sent from another site.")
        visitor = await self.page_visitor(request)
        form = await read_form(request)
        if not tokens_match(visitor.csrf_token, form.raw(CSRF_FIELD)):
            raise HttpError(403, "This form has expired. Reload the page and try again.")
        return visitor, form

    def secure(self, request: Request) -> bool:
        """Whether cookies set in answer to ``request`` get the ``Secure`` flag."""
        return self._settings.secure_cookies or request.url.scheme == "https"

    def set_session(self, response: Response, request: Request, token: str) -> None:
        """Give the browser its session cookie."""
        response.set_cookie(
            SESSION_COOKIE,
            token,
            max_age=int(self._settings.session_lifetime.total_seconds()),
            path="/",
            httponly=True,
            samesite="lax",
            secure=self.secure(request),
        )

    def clear_session(self, response: Response, request: Request) -> None:
        """Make the browser forget its session cookie."""
        response.delete_cookie(
            SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=self.secure(request)
        )

    async def close(self, visitor: Visitor) -> None:
        """End the visitor's session in storage."""
        await asyncio.to_thread(self._users.close_session, visitor.token)


def sign_in_path(next_path: str) -> str:
    """The sign-in page that comes back to ``next_path``."""
    target = safe_next(next_path)
    return "/login" if target == "/" else f"/login?next={quote(target, safe='/')}"
