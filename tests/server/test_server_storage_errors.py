"""The transaction runner: retries of lost races and deadlocks, and errors translated once."""

from __future__ import annotations

from pathlib import Path

import pytest
from server_storage_support import stage1
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError, OperationalError

from openwer.errors import NotFoundError, StoreError
from openwer.server.storage import Stage1Item, open_repository, sql_transactions
from openwer.server.storage.database import create_engines, resolve_url
from openwer.server.storage.sql_ingest import RetryTransactionError
from openwer.server.storage.sql_transactions import Transactions


class _Deadlock(Exception):
    sqlstate = "40P01"


@pytest.fixture
def transactions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Transactions:
    """Transactions on a fresh SQLite file, with no backoff sleeps."""
    monkeypatch.setattr(sql_transactions, "_backoff", lambda _attempt: None)
    return Transactions(create_engines(resolve_url("sqlite:///t.db", tmp_path)))


def test_lost_races_and_deadlocks_are_retried(transactions: Transactions) -> None:
    """RetryTransactionError and SQLSTATE 40P01 roll back and run the work again."""
    attempts: list[int] = []

    def work(connection: Connection) -> int:
        attempts.append(1)
        if len(attempts) == 1:
            raise RetryTransactionError
        if len(attempts) == 2:
            raise DBAPIError("SELECT 1", None, _Deadlock())
        return int(connection.execute(text("SELECT 41 + 1")).scalar_one())

    assert transactions.write(work) == 42
    assert len(attempts) == 3


def test_endless_conflicts_and_driver_errors_become_store_errors(
    transactions: Transactions,
) -> None:
    """Retries are bounded; other driver errors and SQL errors are StoreError at once."""

    def always_conflicting(_connection: Connection) -> None:
        raise RetryTransactionError

    with pytest.raises(StoreError, match="conflicting"):
        transactions.write(always_conflicting)

    def broken(_connection: Connection) -> None:
        raise OperationalError("SELECT", None, Exception("disk I/O error"))

    with pytest.raises(StoreError, match="disk I/O error"):
        transactions.write(broken)
    with pytest.raises(StoreError, match="no such table"):
        transactions.read(lambda c: c.execute(text("SELECT * FROM missing")).all())


def test_openwer_errors_pass_through_after_rollback(transactions: Transactions) -> None:
    """The work's own errors reach the caller unchanged, and its writes are rolled back."""

    def work(connection: Connection) -> None:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
        raise NotFoundError("gone")

    with pytest.raises(NotFoundError):
        transactions.write(work)
    with pytest.raises(StoreError, match="no such table"):
        transactions.read(lambda c: c.execute(text("SELECT * FROM t")).all())
    transactions.close()
    with pytest.raises(StoreError, match="closed"):
        transactions.read(lambda c: None)


def test_damaged_stored_answer_is_a_store_error(tmp_path: Path) -> None:
    """A repeat whose stored answer was damaged by hand raises StoreError, not KeyError."""
    repository = open_repository("sqlite:///db.sqlite3", tmp_path)
    product = repository.create_product("p")
    repository.ingest_stage1([Stage1Item(product.id, stage1(1))])
    engines = create_engines(resolve_url("sqlite:///db.sqlite3", tmp_path))
    with engines.writer.begin() as connection:
        connection.execute(text("UPDATE reports SET answer = '{}'"))
    engines.dispose()
    with pytest.raises(StoreError, match="damaged"):
        repository.ingest_stage1([Stage1Item(product.id, stage1(1))])
    repository.close()
