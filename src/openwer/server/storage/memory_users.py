"""``MemoryUserRepository``: the in-memory :class:`~openwer.server.storage.users.UserRepository`.

The fake for unit tests, held to the same contract tests as ``SqlUserRepository``. Nothing
persists; one lock serializes every call, so it is thread-safe and each call is atomic.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from openwer.errors import InvalidArgumentError, NotFoundError
from openwer.server.storage.clock import Clock, utc_now
from openwer.server.storage.credentials import hash_secret, new_secret
from openwer.server.storage.users import (
    SESSION_TOKEN_PREFIX,
    UserCredentials,
    UserRow,
    password_hash_value,
    user_name,
)

__all__ = ["MemoryUserRepository"]


@dataclass(frozen=True, slots=True)
class _Session:
    user_id: int
    expires_at: datetime


class MemoryUserRepository:
    """Users and sessions in dictionaries, behind one lock.

    ``product_exists`` tells whether a product id is known (default: every id is), so scoping
    a user to a missing product is refused as the SQL backend refuses it.
    """

    def __init__(
        self, clock: Clock = utc_now, product_exists: Callable[[int], bool] | None = None
    ) -> None:
        self._clock = clock
        self._product_exists = product_exists or (lambda _product_id: True)
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._users: dict[str, UserCredentials] = {}
        self._sessions: dict[str, _Session] = {}

    def create_user(
        self, name: str, password_hash: str, product_ids: Collection[int] | None = None
    ) -> UserRow:
        """See :meth:`UserRepository.create_user`."""
        name = user_name(name)
        password_hash = password_hash_value(password_hash)
        scoped = self._checked_products(product_ids)
        now = self._clock()
        with self._lock:
            if name in self._users:
                raise InvalidArgumentError(f"a user named {name!r} exists already")
            row = UserRow(next(self._ids), name, now, now, scoped)
            self._users[name] = UserCredentials(row, password_hash)
            return row

    def set_password(self, name: str, password_hash: str, *, end_sessions: bool = True) -> UserRow:
        """See :meth:`UserRepository.set_password`."""
        password_hash = password_hash_value(password_hash)
        now = self._clock()
        with self._lock:
            found = self._found(name)
            row = replace(found.user, password_changed_at=now)
            self._users[name] = UserCredentials(row, password_hash)
            if end_sessions:
                for digest in [d for d, s in self._sessions.items() if s.user_id == row.id]:
                    del self._sessions[digest]
            return row

    def set_user_products(self, name: str, product_ids: Collection[int] | None) -> UserRow:
        """See :meth:`UserRepository.set_user_products`."""
        scoped = self._checked_products(product_ids)
        with self._lock:
            found = self._found(name)
            row = replace(found.user, product_ids=scoped)
            self._users[name] = UserCredentials(row, found.password_hash)
            return row

    def user_credentials(self, name: str) -> UserCredentials | None:
        """See :meth:`UserRepository.user_credentials`."""
        with self._lock:
            return self._users.get(name)

    def list_users(self) -> list[UserRow]:
        """See :meth:`UserRepository.list_users`."""
        with self._lock:
            return [self._users[name].user for name in sorted(self._users)]

    def open_session(self, user_id: int, lifetime: timedelta) -> str:
        """See :meth:`UserRepository.open_session`."""
        if lifetime <= timedelta(0):
            raise InvalidArgumentError("a session lifetime must be positive")
        token = new_secret(SESSION_TOKEN_PREFIX)
        now = self._clock()
        with self._lock:
            if not any(c.user.id == user_id for c in self._users.values()):
                raise NotFoundError(f"no user with id {user_id}")
            for digest in [d for d, s in self._sessions.items() if s.expires_at <= now]:
                del self._sessions[digest]
            self._sessions[hash_secret(token)] = _Session(user_id, now + lifetime)
        return token

    def session_user(self, token: str) -> UserRow | None:
        """See :meth:`UserRepository.session_user`."""
        now = self._clock()
        with self._lock:
            session = self._sessions.get(hash_secret(token))
            if session is None or session.expires_at <= now:
                return None
            return next(
                (c.user for c in self._users.values() if c.user.id == session.user_id), None
            )

    def close_session(self, token: str) -> None:
        """See :meth:`UserRepository.close_session`."""
        with self._lock:
            self._sessions.pop(hash_secret(token), None)

    def _found(self, name: str) -> UserCredentials:
        found = self._users.get(name)
        if found is None:
            raise NotFoundError(f"no user named {name!r}")
        return found

    def _checked_products(self, product_ids: Collection[int] | None) -> frozenset[int] | None:
        if product_ids is None:
            return None
        wanted = frozenset(product_ids)
        for product_id in sorted(wanted):
            if not self._product_exists(product_id):
                raise InvalidArgumentError(f"no product with id {product_id}")
        return wanted
