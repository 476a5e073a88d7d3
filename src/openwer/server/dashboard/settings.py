"""The dashboard's own settings: cookie security and how long a sign-in lasts.

``OPENWER_SERVER_SECURE_COOKIES=1`` marks the session cookie ``Secure`` even when the request
looks like plain HTTP (a TLS-terminating proxy that does not send ``X-Forwarded-Proto``);
without it the cookie is ``Secure`` whenever the request arrived over HTTPS. Frozen; share it
freely.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from openwer.errors import SettingsError

__all__ = ["SECURE_COOKIES_VARIABLE", "DashboardSettings"]

SECURE_COOKIES_VARIABLE = "OPENWER_SERVER_SECURE_COOKIES"


@dataclass(frozen=True, slots=True)
class DashboardSettings:
    """``secure_cookies`` forces the ``Secure`` flag; ``session_lifetime`` is how long a
    sign-in lasts (it does not slide: after it, the user signs in again)."""

    secure_cookies: bool = False
    session_lifetime: timedelta = timedelta(days=7)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> DashboardSettings:
        """Settings from ``environ`` (default: the process environment).

        Raises:
            SettingsError: the variable is set to something other than a boolean.
        """
        env = os.environ if environ is None else environ
        raw = env.get(SECURE_COOKIES_VARIABLE, "").strip().lower()
        if raw in ("", "0", "false", "no", "off"):
            return cls(secure_cookies=False)
        if raw in ("1", "true", "yes", "on"):
            return cls(secure_cookies=True)
        raise SettingsError(f"${SECURE_COOKIES_VARIABLE} must be true or false, not {raw!r}")
