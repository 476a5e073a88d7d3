"""The dashboard's user store: one contract on memory, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from server_storage_support import FakeClock, migrated_postgres_url, open_sql_backend

from openwer.errors import InvalidArgumentError, NotFoundError
from openwer.server.dashboard.passwords import hash_password
from openwer.server.storage import Repository, Scope, open_repository
from openwer.server.storage.memory import MemoryRepository
from openwer.server.storage.memory_users import MemoryUserRepository
from openwer.server.storage.sql_users import SqlUserRepository
from openwer.server.storage.users import UserRepository, user_name

HASH = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"
DAY = timedelta(days=1)


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    """A fresh migrated PostgreSQL database for this module."""
    yield from migrated_postgres_url()


@pytest.fixture
def clock() -> FakeClock:
    """A clock tests move."""
    return FakeClock()


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def stores(
    request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock
) -> Iterator[tuple[Repository, UserRepository]]:
    """A repository with products "a" and "b", and its user store, on every backend."""
    repository: Repository
    users: UserRepository
    if request.param == "memory":
        memory = MemoryRepository(clock=clock)
        repository = memory
        known = lambda pid: any(p.id == pid for p in memory.list_products(Scope.everything()))  # noqa: E731
        users = MemoryUserRepository(clock, product_exists=known)
    else:
        sql = open_sql_backend(
            request.param, tmp_path, clock, lambda: request.getfixturevalue("pg_url")
        )
        repository = sql
        users = SqlUserRepository(sql.transactions, clock)
    repository.create_product("a")
    repository.create_product("b")
    yield repository, users
    repository.close()


def test_users_are_created_once_and_listed_by_name(
    stores: tuple[Repository, UserRepository],
) -> None:
    """Names are unique, checked and trimmed; a new user sees every product."""
    _, users = stores
    bob = users.create_user("bob", HASH)
    users.create_user("  alice  ", HASH)
    assert bob.product_ids is None
    assert bob.scope == Scope.everything()
    assert [u.name for u in users.list_users()] == ["alice", "bob"]
    with pytest.raises(InvalidArgumentError, match="exists already"):
        users.create_user("bob", HASH)
    for bad in ("", "   ", "two words", "tab\there", "x" * 129, "bell\x07"):
        with pytest.raises(InvalidArgumentError):
            users.create_user(bad, HASH)
    with pytest.raises(InvalidArgumentError, match="PHC"):
        users.create_user("carol", "plain text password")
    found = users.user_credentials("bob")
    assert found is not None
    assert found.password_hash == HASH
    assert found.user == bob
    assert users.user_credentials("nobody") is None


def test_scoping_limits_a_user_to_existing_products(
    stores: tuple[Repository, UserRepository],
) -> None:
    """A user scoped to product a sees a only; unknown products are refused; None undoes it."""
    repository, users = stores
    a = repository.get_product("a")
    scoped = users.create_user("scoped", HASH, [a.id])
    assert scoped.product_ids == frozenset({a.id})
    assert scoped.scope.allows(a.id)
    assert not scoped.scope.allows(repository.get_product("b").id)
    with pytest.raises(InvalidArgumentError, match="no product"):
        users.set_user_products("scoped", [a.id, 999_999])
    assert users.set_user_products("scoped", None).product_ids is None
    assert users.set_user_products("scoped", []).product_ids == frozenset()
    with pytest.raises(NotFoundError):
        users.set_user_products("nobody", None)


def test_sessions_open_resolve_expire_and_close(
    stores: tuple[Repository, UserRepository], clock: FakeClock
) -> None:
    """A session token finds its user until it expires or is closed; only live ones count."""
    _, users = stores
    user = users.create_user("bob", HASH)
    token = users.open_session(user.id, DAY)
    other = users.open_session(user.id, 2 * DAY)
    assert token.startswith("ows_")
    assert token != other
    assert users.session_user(token) == user
    assert users.session_user("ows_unknown") is None
    users.close_session(token)
    users.close_session(token)  # idempotent
    assert users.session_user(token) is None
    clock.advance(days=1, seconds=1)
    assert users.session_user(other) is not None
    clock.advance(days=1)
    assert users.session_user(other) is None
    with pytest.raises(InvalidArgumentError):
        users.open_session(user.id, timedelta(0))
    with pytest.raises(NotFoundError):
        users.open_session(999_999, DAY)


def test_a_new_password_ends_the_sessions_unless_told_not_to(
    stores: tuple[Repository, UserRepository], clock: FakeClock
) -> None:
    """``set_password`` signs the user out everywhere; an upgraded hash keeps the sessions."""
    _, users = stores
    user = users.create_user("bob", HASH)
    token = users.open_session(user.id, DAY)
    clock.advance(minutes=5)
    users.set_password("bob", HASH.replace("c2FsdHNhbHQ", "bmV3c2FsdA"), end_sessions=False)
    assert users.session_user(token) is not None
    changed = users.set_password("bob", hash_password("new password"))
    assert changed.password_changed_at == clock()
    assert users.session_user(token) is None
    with pytest.raises(NotFoundError):
        users.set_password("nobody", HASH)


def test_user_names_are_checked_by_one_rule() -> None:
    """The rule both backends apply."""
    assert user_name("  ops@example.com ") == "ops@example.com"
    with pytest.raises(InvalidArgumentError):
        user_name("a b")


def test_sql_store_keeps_only_hashes_of_session_tokens(tmp_path: Path) -> None:
    """Neither a session token nor a password appears in the database file."""
    repository = open_repository("sqlite:///db.sqlite3", tmp_path)
    users = SqlUserRepository(repository.transactions)
    user = users.create_user("bob", hash_password("very secret words"))
    token = users.open_session(user.id, DAY)
    repository.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("db.sqlite3"))
    assert token.encode() not in raw
    assert b"very secret words" not in raw
