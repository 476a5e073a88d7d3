"""Dashboard users and their sessions: the rows, the name rule and the storage Protocol.

A user signs in to the dashboard with a name and a password. Storage keeps only the password's
hash (an argon2 PHC string made by :mod:`openwer.server.dashboard.passwords`; storage never sees
a password) and, for each session, the SHA-256 of the random token the browser holds in its
cookie, so a copy of the database lets nobody sign in. A user sees every product
(``product_ids is None``) until scoped to some (:meth:`UserRepository.set_user_products`).

Implementations: ``SqlUserRepository`` (:mod:`.sql_users`, SQLite and PostgreSQL) and
``MemoryUserRepository`` (:mod:`.memory_users`), held to one contract test suite.

Lifecycle: a user repository lives on the storage it was made from (the SQL one shares the
``SqlRepository``'s engines and is closed with it). Failure contract: every method is one
transaction; storage failures raise ``StoreError``, an unknown user ``NotFoundError``, a bad
name or a taken one ``InvalidArgumentError``. Thread safety: every method may be called from
any thread, concurrently; they block.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from openwer.errors import InvalidArgumentError
from openwer.server.storage.model import Scope

__all__ = [
    "MAX_PASSWORD_HASH",
    "MAX_USER_NAME",
    "SESSION_TOKEN_PREFIX",
    "UserCredentials",
    "UserRepository",
    "UserRow",
    "user_name",
]

MAX_USER_NAME = 128
MAX_PASSWORD_HASH = 255
SESSION_TOKEN_PREFIX = "ows_"


@dataclass(frozen=True, slots=True)
class UserRow:
    """A dashboard user (never the password hash): ``product_ids`` of ``None`` means every
    product."""

    id: int
    name: str
    created_at: datetime
    password_changed_at: datetime
    product_ids: frozenset[int] | None

    @property
    def scope(self) -> Scope:
        """What the user may see and change."""
        if self.product_ids is None:
            return Scope.everything()
        return Scope.products(self.product_ids)


@dataclass(frozen=True, slots=True)
class UserCredentials:
    """A user with the hash its password is checked against (sign-in only)."""

    user: UserRow
    password_hash: str


def user_name(name: str) -> str:
    """``name`` without surrounding blanks; ``InvalidArgumentError`` unless it is 1 to 128
    printable characters without blanks (names appear in logs and on every page)."""
    cleaned = name.strip() if isinstance(name, str) else ""
    if not 1 <= len(cleaned) <= MAX_USER_NAME:
        raise InvalidArgumentError(f"a user name has 1 to {MAX_USER_NAME} characters")
    if not cleaned.isprintable() or any(ch.isspace() for ch in cleaned):
        raise InvalidArgumentError(f"a user name has no blanks or control characters: {name!r}")
    return cleaned


def password_hash_value(password_hash: str) -> str:
    """``password_hash`` if storage can hold it; ``InvalidArgumentError`` otherwise."""
    if not 1 <= len(password_hash) <= MAX_PASSWORD_HASH or not password_hash.startswith("$"):
        raise InvalidArgumentError("a password hash is a PHC string of up to 255 characters")
    return password_hash


class UserRepository(Protocol):
    """Dashboard users and sessions (see the module docstring)."""

    def create_user(
        self, name: str, password_hash: str, product_ids: Collection[int] | None = None
    ) -> UserRow:
        """A new user; ``InvalidArgumentError`` when the name is taken or not valid, or a
        product does not exist."""
        ...

    def set_password(self, name: str, password_hash: str, *, end_sessions: bool = True) -> UserRow:
        """Replace the user's password hash; its sessions end unless ``end_sessions`` is false
        (a hash upgraded at sign-in keeps them)."""
        ...

    def set_user_products(self, name: str, product_ids: Collection[int] | None) -> UserRow:
        """Scope the user to ``product_ids`` (``None``: every product, the default)."""
        ...

    def user_credentials(self, name: str) -> UserCredentials | None:
        """The user named ``name`` with its password hash, or ``None``."""
        ...

    def list_users(self) -> list[UserRow]:
        """Every user, by name."""
        ...

    def open_session(self, user_id: int, lifetime: timedelta) -> str:
        """A new session for the user: returns the token for the cookie (only its hash is
        stored). Expired sessions of every user are removed on the way."""
        ...

    def session_user(self, token: str) -> UserRow | None:
        """The user of a live session, or ``None`` (unknown, ended or expired token)."""
        ...

    def close_session(self, token: str) -> None:
        """End one session; idempotent."""
        ...
