"""The statements of the ingest transaction, built once.

SQLAlchemy reuses their compiled form and cache keys on every batch, which keeps the per-batch
overhead of :mod:`.sql_ingest` low. Dialect-specific statements come from
:func:`dialect_statements`. Immutable; thread-safe.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Date, Integer, String, any_, bindparam, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY

from openwer.server.storage.schema import bucket_hits, buckets, products, reports, solutions
from openwer.server.storage.sql_rows import upsert_insert

__all__ = [
    "JSON_COLUMNS",
    "REPORT_COLUMNS",
    "SELECT_PATTERNS",
    "UPDATE_BUCKET",
    "DialectStatements",
    "dialect_statements",
]


# The reports columns stage 1 writes, with their PostgreSQL array types (for unnest).
REPORT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("report_id", "varchar"),
    ("product_id", "integer"),
    ("bucket_pk", "integer"),
    ("origin_bucket_pk", "integer"),
    ("received_at", "timestamptz"),
    ("event_type", "varchar"),
    ("report_type", "integer"),
    ("app_version", "varchar"),
    ("os", "varchar"),
    ("client", "json"),
    ("consent", "integer"),
    ("hit_ordinal", "bigint"),
    ("bundle_wanted", "boolean"),
    ("bundle_state", "varchar"),
    ("answer", "json"),
)
JSON_COLUMNS = frozenset({"client", "answer"})

UPDATE_BUCKET = (
    update(buckets)
    .where(buckets.c.id == bindparam("b_pk"))
    .values(
        hits=bindparam("b_hits"),
        last_seen=bindparam("b_last_seen"),
        status=bindparam("b_status"),
        explicit_remaining=bindparam("b_explicit"),
    )
)
SELECT_PATTERNS = (
    select(solutions.c.id, solutions.c.pattern, solutions.c.message, solutions.c.url)
    .where(solutions.c.product_id == bindparam("product"), solutions.c.pattern.is_not(None))
    .order_by(solutions.c.id)
)


@dataclass(frozen=True, slots=True)
class DialectStatements:
    """The statements whose SQL differs between SQLite and PostgreSQL.

    Lookups take a list per parameter: an expanding ``IN`` on SQLite, ``= ANY(array)`` on
    PostgreSQL (one short statement whatever the batch size, so psycopg and the server reuse
    its parse and plan). ``columnar_reports`` says the reports insert takes one list per column
    (PostgreSQL's ``unnest``) and returns the ids it inserted.
    """

    select_products: Any
    select_stored: Any
    select_keys: Any
    lock_targets: Any
    select_asked: Any
    select_own_solutions: Any
    insert_buckets: Any
    upsert_daily: Any
    insert_reports: Any
    columnar_reports: bool


@functools.cache
def dialect_statements(dialect: str) -> DialectStatements:
    """The statements for ``dialect`` (built once per dialect)."""
    postgres = dialect == "postgresql"

    def member(column: Any, name: str, element: Any) -> Any:
        if postgres:
            return column == any_(bindparam(name, type_=ARRAY(element)))
        return column.in_(bindparam(name, expanding=True))

    daily = upsert_insert(dialect, bucket_hits)
    if postgres:
        # Another process may store one of the batch's report ids between our check and our
        # insert: RETURNING tells, and the transaction is then redone.
        names = ", ".join(name for name, _ in REPORT_COLUMNS)
        arrays = ", ".join(f"CAST(:{name} AS {kind}[])" for name, kind in REPORT_COLUMNS)
        insert_reports: Any = text(
            f"INSERT INTO reports ({names}) SELECT * FROM unnest({arrays}) "
            "ON CONFLICT (report_id) DO NOTHING RETURNING report_id"
        )
    else:
        # SQLite: BEGIN IMMEDIATE holds the database's write lock since before the repeat
        # check, so nobody can race us; a plain executemany is the fast path.
        insert_reports = reports.insert()
    return DialectStatements(
        select_products=select(products).where(member(products.c.id, "ids", Integer)),
        select_stored=select(
            reports.c.report_id, reports.c.product_id, reports.c.answer, reports.c.hit_ordinal
        ).where(member(reports.c.report_id, "ids", String)),
        select_keys=select(
            buckets.c.id, buckets.c.product_id, buckets.c.bucket_id, buckets.c.merged_into
        ).where(member(buckets.c.bucket_id, "guids", String)),
        # only what counting needs: the signature JSON would be decoded on every row
        lock_targets=select(
            buckets.c.id,
            buckets.c.product_id,
            buckets.c.bucket_id,
            buckets.c.legacy_id,
            buckets.c.hits,
            buckets.c.last_seen,
            buckets.c.status,
            buckets.c.fixed_in_version,
            buckets.c.explicit_remaining,
            buckets.c.explicit_dump_type,
            buckets.c.merged_into,
        )
        .where(member(buckets.c.id, "pks", Integer))
        .order_by(buckets.c.id)
        .with_for_update(),
        select_asked=select(
            bucket_hits.c.bucket_pk, bucket_hits.c.day, bucket_hits.c.bundles
        ).where(
            member(bucket_hits.c.bucket_pk, "pks", Integer),
            member(bucket_hits.c.day, "days", Date),
        ),
        select_own_solutions=select(solutions.c.bucket_pk, solutions.c.message, solutions.c.url)
        .where(member(solutions.c.bucket_pk, "pks", Integer))
        .order_by(solutions.c.id),
        insert_buckets=upsert_insert(dialect, buckets).on_conflict_do_nothing(
            index_elements=["product_id", "bucket_id"]
        ),
        upsert_daily=daily.on_conflict_do_update(
            index_elements=["bucket_pk", "day"],
            set_={
                "hits": bucket_hits.c.hits + daily.excluded.hits,
                "bundles": bucket_hits.c.bundles + daily.excluded.bundles,
            },
        ),
        insert_reports=insert_reports,
        columnar_reports=postgres,
    )
