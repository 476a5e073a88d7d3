"""Running one unit of work in one transaction, with retries and error translation.

Writes run on the writer engine (``BEGIN IMMEDIATE`` on SQLite), reads on the reader engine.
A write that loses a race (:class:`~openwer.server.storage.sql_ingest.RetryTransactionError`)
or that PostgreSQL aborts as a deadlock or serialization failure (SQLSTATE 40P01, 40001) is
rolled back and run again, a few times, with a short random backoff. Every SQLAlchemy or driver
exception leaves as :class:`~openwer.errors.StoreError`; openwer's own errors raised by the
work pass through after the rollback. Thread-safe: each call checks out its own connection.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from openwer.errors import StoreError
from openwer.server.storage.database import Engines
from openwer.server.storage.sql_ingest import RetryTransactionError

__all__ = ["Transactions"]

T = TypeVar("T")

_RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})
_ATTEMPTS = 8


class Transactions:
    """Runs work functions in transactions on one database's engines."""

    def __init__(self, engines: Engines) -> None:
        self.engines = engines
        self.dialect = engines.dialect
        self._closed = False

    def write(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` in a write transaction; commit when it returns."""
        for attempt in range(_ATTEMPTS):
            self._check_open()
            try:
                with self.engines.writer.begin() as connection:
                    return work(connection)
            except RetryTransactionError:
                pass
            except DBAPIError as exc:
                if _sqlstate(exc) not in _RETRYABLE_SQLSTATES:
                    raise StoreError(f"storage write failed: {_describe(exc)}") from exc
            except SQLAlchemyError as exc:
                raise StoreError(f"storage write failed: {_describe(exc)}") from exc
            time.sleep(random.uniform(0, 0.002 * 2**attempt))
        raise StoreError(f"storage write still conflicting after {_ATTEMPTS} attempts")

    def read(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` in a read-only transaction (rolled back at the end)."""
        self._check_open()
        try:
            with self.engines.reader.connect() as connection:
                return work(connection)
        except SQLAlchemyError as exc:
            raise StoreError(f"storage read failed: {_describe(exc)}") from exc

    def close(self) -> None:
        """Dispose of the engines; later calls raise ``StoreError``. Idempotent."""
        if not self._closed:
            self._closed = True
            self.engines.dispose()

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError("the repository is closed")


def _backoff(attempt: int) -> None:
    time.sleep(random.uniform(0, 0.002 * 2**attempt))


def _sqlstate(exc: DBAPIError) -> str | None:
    state = getattr(exc.orig, "sqlstate", None)
    return state if isinstance(state, str) else None


def _describe(exc: SQLAlchemyError) -> str:
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        return f"{type(exc.orig).__name__}: {exc.orig}".strip()
    return f"{type(exc).__name__}: {exc}"
