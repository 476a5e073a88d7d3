"""``SqlUserRepository``: dashboard users and sessions on SQLite or PostgreSQL.

Lifecycle, failure contract and thread safety are those of
:class:`~openwer.server.storage.users.UserRepository`. It runs on the transactions of a
``SqlRepository`` (:attr:`SqlRepository.transactions`), so it needs no closing of its own.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import timedelta

from sqlalchemy import Connection, RowMapping, delete, select, update

from openwer.errors import InvalidArgumentError, NotFoundError
from openwer.server.storage.clock import Clock, utc_now
from openwer.server.storage.credentials import hash_secret, new_secret
from openwer.server.storage.schema import dashboard_sessions, products, user_products, users
from openwer.server.storage.sql_transactions import Transactions
from openwer.server.storage.users import (
    SESSION_TOKEN_PREFIX,
    UserCredentials,
    UserRow,
    password_hash_value,
    user_name,
)

__all__ = ["SqlUserRepository"]


class SqlUserRepository:
    """Users and sessions in the ``users``, ``user_products`` and ``dashboard_sessions``
    tables."""

    def __init__(self, transactions: Transactions, clock: Clock = utc_now) -> None:
        self._tx = transactions
        self._clock = clock

    def create_user(
        self, name: str, password_hash: str, product_ids: Collection[int] | None = None
    ) -> UserRow:
        """See :meth:`UserRepository.create_user`."""
        name = user_name(name)
        password_hash = password_hash_value(password_hash)
        now = self._clock()

        def work(conn: Connection) -> UserRow:
            if conn.execute(select(users.c.id).where(users.c.name == name)).first() is not None:
                raise InvalidArgumentError(f"a user named {name!r} exists already")
            values = {
                "name": name,
                "password_hash": password_hash,
                "all_products": product_ids is None,
                "created_at": now,
                "password_changed_at": now,
            }
            user_id = conn.execute(users.insert().values(values).returning(users.c.id)).scalar_one()
            _replace_products(conn, user_id, product_ids)
            return _load(conn, user_id)

        return self._tx.write(work)

    def set_password(self, name: str, password_hash: str, *, end_sessions: bool = True) -> UserRow:
        """See :meth:`UserRepository.set_password`."""
        password_hash = password_hash_value(password_hash)
        now = self._clock()

        def work(conn: Connection) -> UserRow:
            user_id = _user_id(conn, name)
            conn.execute(
                update(users)
                .where(users.c.id == user_id)
                .values(password_hash=password_hash, password_changed_at=now)
            )
            if end_sessions:
                conn.execute(
                    delete(dashboard_sessions).where(dashboard_sessions.c.user_id == user_id)
                )
            return _load(conn, user_id)

        return self._tx.write(work)

    def set_user_products(self, name: str, product_ids: Collection[int] | None) -> UserRow:
        """See :meth:`UserRepository.set_user_products`."""

        def work(conn: Connection) -> UserRow:
            user_id = _user_id(conn, name)
            conn.execute(
                update(users).where(users.c.id == user_id).values(all_products=product_ids is None)
            )
            _replace_products(conn, user_id, product_ids)
            return _load(conn, user_id)

        return self._tx.write(work)

    def user_credentials(self, name: str) -> UserCredentials | None:
        """See :meth:`UserRepository.user_credentials`."""

        def work(conn: Connection) -> UserCredentials | None:
            row = conn.execute(select(users).where(users.c.name == name)).mappings().first()
            if row is None:
                return None
            return UserCredentials(_user_row(conn, row), row["password_hash"])

        return self._tx.read(work)

    def list_users(self) -> list[UserRow]:
        """See :meth:`UserRepository.list_users`."""

        def work(conn: Connection) -> list[UserRow]:
            rows = conn.execute(select(users).order_by(users.c.name)).mappings().all()
            return [_user_row(conn, row) for row in rows]

        return self._tx.read(work)

    def open_session(self, user_id: int, lifetime: timedelta) -> str:
        """See :meth:`UserRepository.open_session`."""
        if lifetime <= timedelta(0):
            raise InvalidArgumentError("a session lifetime must be positive")
        token = new_secret(SESSION_TOKEN_PREFIX)
        now = self._clock()

        def work(conn: Connection) -> None:
            _load(conn, user_id)
            conn.execute(delete(dashboard_sessions).where(dashboard_sessions.c.expires_at <= now))
            conn.execute(
                dashboard_sessions.insert().values(
                    token_hash=hash_secret(token),
                    user_id=user_id,
                    created_at=now,
                    expires_at=now + lifetime,
                )
            )

        self._tx.write(work)
        return token

    def session_user(self, token: str) -> UserRow | None:
        """See :meth:`UserRepository.session_user`."""
        digest = hash_secret(token)
        now = self._clock()

        def work(conn: Connection) -> UserRow | None:
            query = (
                select(users)
                .join(dashboard_sessions, dashboard_sessions.c.user_id == users.c.id)
                .where(
                    dashboard_sessions.c.token_hash == digest,
                    dashboard_sessions.c.expires_at > now,
                )
            )
            row = conn.execute(query).mappings().first()
            return None if row is None else _user_row(conn, row)

        return self._tx.read(work)

    def close_session(self, token: str) -> None:
        """See :meth:`UserRepository.close_session`."""
        digest = hash_secret(token)
        self._tx.write(
            lambda conn: conn.execute(
                delete(dashboard_sessions).where(dashboard_sessions.c.token_hash == digest)
            )
        )


def _user_id(conn: Connection, name: str) -> int:
    found = conn.execute(select(users.c.id).where(users.c.name == name)).scalar()
    if found is None:
        raise NotFoundError(f"no user named {name!r}")
    return int(found)


def _load(conn: Connection, user_id: int) -> UserRow:
    row = conn.execute(select(users).where(users.c.id == user_id)).mappings().first()
    if row is None:
        raise NotFoundError(f"no user with id {user_id}")
    return _user_row(conn, row)


def _user_row(conn: Connection, row: RowMapping) -> UserRow:
    scoped: frozenset[int] | None = None
    if not row["all_products"]:
        query = select(user_products.c.product_id).where(user_products.c.user_id == row["id"])
        scoped = frozenset(conn.execute(query).scalars())
    return UserRow(
        id=row["id"],
        name=row["name"],
        created_at=row["created_at"],
        password_changed_at=row["password_changed_at"],
        product_ids=scoped,
    )


def _replace_products(conn: Connection, user_id: int, product_ids: Iterable[int] | None) -> None:
    conn.execute(delete(user_products).where(user_products.c.user_id == user_id))
    if product_ids is None:
        return
    wanted = sorted(set(product_ids))
    if not wanted:
        return
    known = set(conn.execute(select(products.c.id).where(products.c.id.in_(wanted))).scalars())
    missing = [pid for pid in wanted if pid not in known]
    if missing:
        raise InvalidArgumentError(f"no product with id {missing[0]}")
    conn.execute(
        user_products.insert(), [{"user_id": user_id, "product_id": pid} for pid in wanted]
    )
