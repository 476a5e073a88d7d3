"""CSRF tokens: every form the dashboard serves carries one, every POST must bring it back.

* Signed in: the token is derived from the session token (HMAC-SHA256), so it is per session,
  changes at every sign-in, needs no storage, and cannot be computed by a page that cannot read
  the HttpOnly session cookie.
* Signed out (the sign-in form): a random token in its own cookie must equal the form field
  (the double-submit pattern), so another site cannot sign a victim in to an account of its
  choosing.

Comparisons are constant-time. A POST whose ``Origin`` (or, lacking it, ``Referer``) names
another site, or that a browser labels ``Sec-Fetch-Site: cross-site``, is refused before the
token is even looked at. Pure; thread-safe.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from starlette.requests import Request

__all__ = [
    "CSRF_FIELD",
    "LOGIN_CSRF_COOKIE",
    "new_login_token",
    "same_origin",
    "session_token_csrf",
    "tokens_match",
]

CSRF_FIELD = "csrf_token"
LOGIN_CSRF_COOKIE = "openwer_login_csrf"
_PURPOSE = b"openwer dashboard csrf v1"


def session_token_csrf(session_token: str) -> str:
    """The CSRF token of the session holding ``session_token``."""
    return hmac.new(session_token.encode("utf-8"), _PURPOSE, hashlib.sha256).hexdigest()


def new_login_token() -> str:
    """A random token for the sign-in form's double-submit cookie."""
    return secrets.token_urlsafe(32)


def tokens_match(expected: str | None, given: str | None) -> bool:
    """True when both are present and equal (compared in constant time)."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


def same_origin(request: Request) -> bool:
    """False when the request says it comes from another site (see the module docstring)."""
    if request.headers.get("sec-fetch-site", "").lower() == "cross-site":
        return False
    source = request.headers.get("origin") or request.headers.get("referer")
    if source is None or source == "":
        return True  # no header (an old browser, a script): the token alone decides
    if source == "null":
        return False  # an opaque origin: a sandboxed frame or a data: page
    parts = urlsplit(source)
    host = request.headers.get("host", "")
    return bool(parts.netloc) and parts.netloc.lower() == host.lower()
