"""Admin changes in SQL: products, ingest keys, admin tokens, bucket lifecycle, solutions.

Each function runs inside the caller's write transaction (:class:`Transactions.write`); the
bucket changes lock the rows they change (``FOR UPDATE``), in id order, so they serialize with
concurrent ingest. The semantics are documented on :class:`~openwer.server.storage.protocols.
AdminRepository`; checks shared with the memory fake are in :mod:`.admin_rules`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, RowMapping, delete, func, select, update

from openwer.errors import InvalidArgumentError, NotFoundError
from openwer.server.storage import admin_rules
from openwer.server.storage.credentials import (
    ADMIN_TOKEN_PREFIX,
    INGEST_KEY_PREFIX,
    hash_secret,
    new_secret,
)
from openwer.server.storage.model import BucketRef, BucketStatus, DataPolicy, IssuedSecret, Scope
from openwer.server.storage.rows import (
    AdminTokenRow,
    BucketRow,
    IngestKeyRow,
    ProductRow,
    SolutionRow,
)
from openwer.server.storage.schema import (
    admin_tokens,
    bucket_hits,
    buckets,
    ingest_keys,
    products,
    reports,
    solutions,
)
from openwer.server.storage.sql_rows import (
    bucket_row,
    policy_columns,
    product_row,
    solution_row,
    upsert_insert,
)
from openwer.types import DumpType

__all__ = [
    "add_solution",
    "create_admin_token",
    "create_ingest_key",
    "create_product",
    "delete_solution",
    "get_product",
    "list_ingest_keys",
    "load_product",
    "locked_bucket",
    "merge_buckets",
    "request_data",
    "revoke",
    "set_bucket_status",
    "set_policy",
    "update_solution",
    "verify_admin_token",
    "verify_ingest_key",
]


def load_product(conn: Connection, product_id: int) -> ProductRow:
    """The product with this id; ``NotFoundError`` when there is none."""
    row = conn.execute(select(products).where(products.c.id == product_id)).mappings().first()
    if row is None:
        raise NotFoundError(f"no product with id {product_id}")
    return product_row(row)


def get_product(conn: Connection, name: str) -> ProductRow:
    """The product named ``name``."""
    row = conn.execute(select(products).where(products.c.name == name)).mappings().first()
    if row is None:
        raise NotFoundError(f"no product named {name!r}")
    return product_row(row)


def create_product(conn: Connection, name: str, policy: DataPolicy, now: datetime) -> ProductRow:
    """A new product (see :meth:`AdminRepository.create_product`)."""
    name = admin_rules.product_name(name)
    if conn.execute(select(products.c.id).where(products.c.name == name)).first() is not None:
        raise InvalidArgumentError(f"a product named {name!r} exists already")
    values = {"name": name, "created_at": now, "solutions_version": 0, **policy_columns(policy)}
    new_id = conn.execute(products.insert().values(values).returning(products.c.id)).scalar_one()
    return ProductRow(new_id, name, now, policy)


def set_policy(conn: Connection, product_id: int, policy: DataPolicy) -> ProductRow:
    """Replace a product's policy."""
    load_product(conn, product_id)
    conn.execute(update(products).where(products.c.id == product_id).values(policy_columns(policy)))
    return load_product(conn, product_id)


def create_ingest_key(
    conn: Connection, product_id: int, now: datetime, rotate: bool
) -> IssuedSecret:
    """A new ingest key; with ``rotate`` every live key of the product is revoked first."""
    load_product(conn, product_id)
    if rotate:
        conn.execute(
            update(ingest_keys)
            .where(ingest_keys.c.product_id == product_id, ingest_keys.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
    secret = new_secret(INGEST_KEY_PREFIX)
    key_id = conn.execute(
        ingest_keys.insert()
        .values(product_id=product_id, key_hash=hash_secret(secret), created_at=now)
        .returning(ingest_keys.c.id)
    ).scalar_one()
    return IssuedSecret(key_id, secret, product_id)


def list_ingest_keys(conn: Connection, product_id: int) -> list[IngestKeyRow]:
    """The product's keys, oldest first."""
    load_product(conn, product_id)
    query = (
        select(ingest_keys.c.id, ingest_keys.c.created_at, ingest_keys.c.revoked_at)
        .where(ingest_keys.c.product_id == product_id)
        .order_by(ingest_keys.c.id)
    )
    return [IngestKeyRow(kid, product_id, made, gone) for kid, made, gone in conn.execute(query)]


def create_admin_token(conn: Connection, label: str, now: datetime) -> IssuedSecret:
    """A new admin token."""
    label = admin_rules.token_label(label)
    secret = new_secret(ADMIN_TOKEN_PREFIX)
    token_id = conn.execute(
        admin_tokens.insert()
        .values(label=label, token_hash=hash_secret(secret), created_at=now)
        .returning(admin_tokens.c.id)
    ).scalar_one()
    return IssuedSecret(token_id, secret)


def verify_ingest_key(conn: Connection, secret: str) -> ProductRow | None:
    """The product of the live ingest key with this secret, if any."""
    query = (
        select(products)
        .join(ingest_keys, ingest_keys.c.product_id == products.c.id)
        .where(ingest_keys.c.key_hash == hash_secret(secret), ingest_keys.c.revoked_at.is_(None))
    )
    row = conn.execute(query).mappings().first()
    return None if row is None else product_row(row)


def verify_admin_token(conn: Connection, secret: str) -> AdminTokenRow | None:
    """The live token with this secret, if any."""
    query = select(admin_tokens).where(
        admin_tokens.c.token_hash == hash_secret(secret), admin_tokens.c.revoked_at.is_(None)
    )
    row = conn.execute(query).mappings().first()
    if row is None:
        return None
    return AdminTokenRow(row["id"], row["label"], row["created_at"], row["revoked_at"])


def revoke(conn: Connection, table_name: str, row_id: int, now: datetime) -> None:
    """Revoke an ingest key or admin token (``table_name``); idempotent."""
    table = ingest_keys if table_name == "ingest_keys" else admin_tokens
    if conn.execute(select(table.c.id).where(table.c.id == row_id)).first() is None:
        raise NotFoundError(f"no {table_name.replace('_', ' ')[:-1]} with id {row_id}")
    conn.execute(
        update(table)
        .where(table.c.id == row_id, table.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def locked_bucket(conn: Connection, scope: Scope, ref: BucketRef) -> RowMapping:
    """The bucket row, locked; ``NotFoundError`` when missing or outside ``scope``."""
    if not scope.allows(ref.product_id):
        raise NotFoundError(f"no bucket {ref.bucket_id}")
    query = (
        select(buckets)
        .where(buckets.c.product_id == ref.product_id, buckets.c.bucket_id == ref.bucket_id)
        .with_for_update()
    )
    row = conn.execute(query).mappings().first()
    if row is None:
        raise NotFoundError(f"no bucket {ref.bucket_id}")
    return row


def _merged_guid(conn: Connection, row: RowMapping) -> str | None:
    target = row["merged_into"]
    if target is None:
        return None
    guid: str = conn.execute(select(buckets.c.bucket_id).where(buckets.c.id == target)).scalar_one()
    return guid


def _reload(conn: Connection, pk: int) -> BucketRow:
    row = conn.execute(select(buckets).where(buckets.c.id == pk)).mappings().one()
    return bucket_row(row, _merged_guid(conn, row))


def _live_bucket(conn: Connection, scope: Scope, ref: BucketRef) -> RowMapping:
    row = locked_bucket(conn, scope, ref)
    if row["merged_into"] is not None:
        raise InvalidArgumentError(
            f"bucket {ref.bucket_id} is merged into {_merged_guid(conn, row)}: change that one"
        )
    return row


def set_bucket_status(
    conn: Connection,
    scope: Scope,
    ref: BucketRef,
    status: BucketStatus,
    fixed_in_version: str | None,
) -> BucketRow:
    """Resolve, ignore or reopen a bucket."""
    fixed = admin_rules.status_change(status, fixed_in_version)
    row = _live_bucket(conn, scope, ref)
    conn.execute(
        update(buckets)
        .where(buckets.c.id == row["id"])
        .values(status=status.value, fixed_in_version=fixed)
    )
    return _reload(conn, row["id"])


def request_data(
    conn: Connection, scope: Scope, ref: BucketRef, count: int, dump_type: DumpType
) -> BucketRow:
    """Set (or clear with 0) the bucket's explicit data request."""
    admin_rules.data_request(count, dump_type)
    row = _live_bucket(conn, scope, ref)
    conn.execute(
        update(buckets)
        .where(buckets.c.id == row["id"])
        .values(explicit_remaining=count, explicit_dump_type=int(dump_type) if count else None)
    )
    return _reload(conn, row["id"])


def merge_buckets(
    conn: Connection, dialect: str, scope: Scope, source: BucketRef, target: BucketRef
) -> BucketRow:
    """Merge ``source`` into ``target`` (see :meth:`AdminRepository.merge_buckets`)."""
    admin_rules.merge_refs(source, target)
    for ref in (source, target):
        if not scope.allows(ref.product_id):
            raise NotFoundError(f"no bucket {ref.bucket_id}")
    query = (  # one statement, rows locked in id order like ingest locks them
        select(buckets)
        .where(
            buckets.c.product_id == source.product_id,
            buckets.c.bucket_id.in_([source.bucket_id, target.bucket_id]),
        )
        .order_by(buckets.c.id)
        .with_for_update()
    )
    rows = {row["bucket_id"]: row for row in conn.execute(query).mappings()}
    for ref in (source, target):
        if ref.bucket_id not in rows:
            raise NotFoundError(f"no bucket {ref.bucket_id}")
    src, dst = rows[source.bucket_id], rows[target.bucket_id]
    if dst["merged_into"] is not None:
        dst = (
            conn.execute(
                select(buckets).where(buckets.c.id == dst["merged_into"]).with_for_update()
            )
            .mappings()
            .one()
        )
    if src["merged_into"] is not None:
        if src["merged_into"] == dst["id"]:
            return _reload(conn, dst["id"])
        raise InvalidArgumentError(f"bucket {source.bucket_id} is merged already")
    if src["id"] == dst["id"]:
        raise InvalidArgumentError("a bucket cannot be merged into itself")
    src_pk, dst_pk = src["id"], dst["id"]
    conn.execute(
        update(buckets)
        .where(buckets.c.id == dst_pk)
        .values(
            hits=buckets.c.hits + src["hits"],
            bundles_collected=buckets.c.bundles_collected + src["bundles_collected"],
            explicit_remaining=buckets.c.explicit_remaining + src["explicit_remaining"],
            explicit_dump_type=func.coalesce(
                buckets.c.explicit_dump_type, src["explicit_dump_type"]
            ),
            first_seen=min(src["first_seen"], dst["first_seen"]),
            last_seen=max(src["last_seen"], dst["last_seen"]),
        )
    )
    days = conn.execute(
        select(bucket_hits.c.day, bucket_hits.c.hits, bucket_hits.c.bundles).where(
            bucket_hits.c.bucket_pk == src_pk
        )
    ).all()
    if days:
        insert = upsert_insert(dialect, bucket_hits)
        conn.execute(
            insert.on_conflict_do_update(
                index_elements=["bucket_pk", "day"],
                set_={
                    "hits": bucket_hits.c.hits + insert.excluded.hits,
                    "bundles": bucket_hits.c.bundles + insert.excluded.bundles,
                },
            ),
            [{"bucket_pk": dst_pk, "day": d, "hits": h, "bundles": b} for d, h, b in days],
        )
        conn.execute(delete(bucket_hits).where(bucket_hits.c.bucket_pk == src_pk))
    conn.execute(update(reports).where(reports.c.bucket_pk == src_pk).values(bucket_pk=dst_pk))
    conn.execute(update(solutions).where(solutions.c.bucket_pk == src_pk).values(bucket_pk=dst_pk))
    conn.execute(update(buckets).where(buckets.c.merged_into == src_pk).values(merged_into=dst_pk))
    conn.execute(
        update(buckets)
        .where(buckets.c.id == src_pk)
        .values(merged_into=dst_pk, explicit_remaining=0)
    )
    return _reload(conn, dst_pk)


def _bump_solutions(conn: Connection, product_id: int) -> None:
    conn.execute(
        update(products)
        .where(products.c.id == product_id)
        .values(solutions_version=products.c.solutions_version + 1)
    )


def add_solution(
    conn: Connection,
    scope: Scope,
    product_id: int,
    fields: admin_rules.SolutionFields,
    now: datetime,
) -> SolutionRow:
    """A new solution for a bucket or a pattern."""
    if not scope.allows(product_id):
        raise NotFoundError(f"no product with id {product_id}")
    load_product(conn, product_id)
    bucket_pk = None
    if fields.bucket_id is not None:
        bucket_pk = locked_bucket(conn, scope, BucketRef(product_id, fields.bucket_id))["id"]
    values = {
        "product_id": product_id,
        "bucket_pk": bucket_pk,
        "pattern": fields.pattern,
        "message": fields.message,
        "url": fields.url,
        "created_at": now,
    }
    new_id = conn.execute(solutions.insert().values(values).returning(solutions.c.id)).scalar_one()
    _bump_solutions(conn, product_id)
    return SolutionRow(
        new_id, product_id, fields.bucket_id, fields.pattern, fields.message, fields.url, now
    )


def _solution(conn: Connection, scope: Scope, solution_id: int) -> RowMapping:
    row = conn.execute(select(solutions).where(solutions.c.id == solution_id)).mappings().first()
    if row is None or not scope.allows(row["product_id"]):
        raise NotFoundError(f"no solution with id {solution_id}")
    return row


def update_solution(
    conn: Connection, scope: Scope, solution_id: int, message: str, url: str | None
) -> SolutionRow:
    """Change a solution's message and URL."""
    message, url = admin_rules.solution_text(message, url)
    row = _solution(conn, scope, solution_id)
    conn.execute(
        update(solutions).where(solutions.c.id == solution_id).values(message=message, url=url)
    )
    _bump_solutions(conn, row["product_id"])
    guid = None
    if row["bucket_pk"] is not None:
        guid = conn.execute(
            select(buckets.c.bucket_id).where(buckets.c.id == row["bucket_pk"])
        ).scalar_one()
    updated = conn.execute(select(solutions).where(solutions.c.id == solution_id)).mappings().one()
    return solution_row(updated, guid)


def delete_solution(conn: Connection, scope: Scope, solution_id: int) -> None:
    """Delete a solution."""
    row = _solution(conn, scope, solution_id)
    conn.execute(delete(solutions).where(solutions.c.id == solution_id))
    _bump_solutions(conn, row["product_id"])
