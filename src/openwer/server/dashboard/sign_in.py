"""Signing in: the throttle, the password check and the new session, as one blocking call.

:meth:`SignIn.attempt` answers with a named outcome (:class:`SignInOutcome`): ``SIGNED_IN``
with the new session's token, ``REFUSED`` for a wrong name or password (the same answer for
both, after the same work), or ``THROTTLED`` with the seconds to wait, decided before the
password is even checked. A hash made with older parameters is upgraded on a successful sign-in.

Thread safety: share one instance; call :meth:`SignIn.attempt` from worker threads (hashing
takes tens of milliseconds).
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from datetime import timedelta

from openwer.server.dashboard.login_throttle import LoginThrottle
from openwer.server.dashboard.passwords import (
    check_unknown_user,
    hash_password,
    needs_rehash,
    verify_password,
)
from openwer.server.storage.users import UserRepository

__all__ = ["SignIn", "SignInOutcome", "SignInResult"]


class SignInOutcome(enum.Enum):
    """What a sign-in attempt did."""

    SIGNED_IN = "signed_in"
    REFUSED = "refused"  # unknown name or wrong password: indistinguishable on purpose
    THROTTLED = "throttled"  # too many recent failures from this address for this name


@dataclass(frozen=True, slots=True)
class SignInResult:
    """The outcome; ``token`` for ``SIGNED_IN``, ``retry_after`` (whole seconds) otherwise."""

    outcome: SignInOutcome
    token: str | None = None
    retry_after: int = 0


class SignIn:
    """Checks a name and password and opens a session (see the module docstring)."""

    def __init__(
        self, users: UserRepository, throttle: LoginThrottle, session_lifetime: timedelta
    ) -> None:
        self._users = users
        self._throttle = throttle
        self._lifetime = session_lifetime

    def attempt(self, name: str, password: str, address: str) -> SignInResult:
        """One sign-in attempt from ``address`` (blocking)."""
        name = name.strip()
        wait = self._throttle.retry_after(name, address)
        if wait > 0:
            return SignInResult(SignInOutcome.THROTTLED, retry_after=math.ceil(wait))
        found = self._users.user_credentials(name) if name else None
        if found is None:
            check_unknown_user(password)
            return self._refused(name, address)
        if not verify_password(found.password_hash, password):
            return self._refused(name, address)
        self._throttle.succeeded(name, address)
        if needs_rehash(found.password_hash):
            self._users.set_password(name, hash_password(password), end_sessions=False)
        token = self._users.open_session(found.user.id, self._lifetime)
        return SignInResult(SignInOutcome.SIGNED_IN, token=token)

    def _refused(self, name: str, address: str) -> SignInResult:
        wait = self._throttle.failed(name, address)
        return SignInResult(SignInOutcome.REFUSED, retry_after=math.ceil(wait))
