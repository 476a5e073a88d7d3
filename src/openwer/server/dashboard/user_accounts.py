"""Managing dashboard users, for ``openwer users``: add, change a password, scope, list.

Passwords are hashed here (:mod:`.passwords`) and only the hash reaches storage. Product names
are resolved to ids against the server's products. Every function blocks and raises openwer's
errors: ``InvalidArgumentError`` for a bad name, password or product, ``NotFoundError`` for an
unknown user, ``StoreError`` when storage fails. Thread-safe as the storage is.
"""

from __future__ import annotations

from collections.abc import Sequence

from openwer.errors import InvalidArgumentError, NotFoundError
from openwer.server.dashboard.passwords import hash_password
from openwer.server.storage import Repository, SqlRepository
from openwer.server.storage.sql_users import SqlUserRepository
from openwer.server.storage.users import UserRepository, UserRow

__all__ = [
    "WEAK_PASSWORD_LENGTH",
    "add_user",
    "change_password",
    "list_users",
    "scope_user",
    "user_store",
]

WEAK_PASSWORD_LENGTH = 8


def user_store(repository: Repository) -> UserRepository:
    """The users of the server whose storage is ``repository`` (SQL storage only)."""
    if isinstance(repository, SqlRepository):
        return SqlUserRepository(repository.transactions, repository.clock)
    raise InvalidArgumentError("dashboard users live in SQL storage (SQLite or PostgreSQL)")


def _product_ids(repository: Repository, names: Sequence[str]) -> list[int]:
    ids = []
    for name in names:
        try:
            ids.append(repository.get_product(name).id)
        except NotFoundError as exc:
            raise InvalidArgumentError(f"no product named {name!r}") from exc
    return ids


def add_user(
    repository: Repository, name: str, password: str, products: Sequence[str] = ()
) -> UserRow:
    """A new user; it sees every product unless ``products`` names some."""
    ids = _product_ids(repository, products) if products else None
    return user_store(repository).create_user(name, hash_password(password), ids)


def change_password(repository: Repository, name: str, password: str) -> UserRow:
    """A new password for ``name``; the user's sessions end (it signs in again)."""
    return user_store(repository).set_password(name, hash_password(password))


def scope_user(repository: Repository, name: str, products: Sequence[str] | None) -> UserRow:
    """Limit ``name`` to ``products`` (``None``: every product again)."""
    ids = None if products is None else _product_ids(repository, products)
    return user_store(repository).set_user_products(name, ids)


def list_users(repository: Repository) -> list[UserRow]:
    """Every user, by name."""
    return user_store(repository).list_users()
