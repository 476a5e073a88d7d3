"""The relational schema (SQLAlchemy Core), one definition for SQLite and PostgreSQL.

The migrations in ``migrations/versions`` create exactly these tables (a test compares them);
a schema change is a new migration plus the change here. Surrogate integer keys join the
tables; bucket GUIDs (from :func:`openwer.formats.bucket_id.compute_bucket_ids`, the client's
own definition) and report UUIDs are what the API shows.

::

    products       id, name, policy (first_n, one_in_k, max_bundles_per_day, default_dump_type),
                   solutions_version (bumped by every solution change: invalidates regex caches)
    ingest_keys    id, product_id, key_hash (SHA-256, never the secret), created_at, revoked_at
    admin_tokens   id, label, token_hash, created_at, revoked_at
    buckets        id, product_id, bucket_id (GUID), legacy_id, event_type, signature (JSON),
                   hits, first_seen, last_seen, status, fixed_in_version, merged_into (id),
                   bundles_collected, explicit_remaining, explicit_dump_type
    bucket_hits    bucket_pk, day, hits, bundles (bundles asked that day)
    reports        report_id, product_id, bucket_pk (the bucket counting it), origin_bucket_pk
                   (its signature's bucket), received_at, event_type, report_type, app_version,
                   os, client (JSON), consent, hit_ordinal, bundle_wanted, bundle_state,
                   bundle_key, bundle_size, bundle_received_at, answer (JSON: replayed on repeat)
    report_files   report_id, name, size
    solutions      id, product_id, bucket_pk or pattern, message, url, created_at
    users          id, name, password_hash (argon2 PHC string), all_products, created_at,
                   password_changed_at (dashboard sign-in; see storage/users.py)
    user_products  user_id, product_id (the products of a user whose all_products is false)
    dashboard_sessions  token_hash (SHA-256 of the cookie's token), user_id, created_at,
                   expires_at
    report_packages  report_id, name, version, product_id, origin_bucket_pk, received_at:
                   the distributions (Python packages) a stored bundle's modules.json names,
                   indexed at stage 2 so the dashboard's distribution is a query

Timestamps are timezone-aware UTC in Python (``timestamptz`` on PostgreSQL, UTC text on SQLite).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

__all__ = [
    "NAMING_CONVENTION",
    "UtcDateTime",
    "admin_tokens",
    "bucket_hits",
    "buckets",
    "dashboard_sessions",
    "ingest_keys",
    "metadata",
    "products",
    "report_files",
    "report_packages",
    "reports",
    "solutions",
    "user_products",
    "users",
]

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every dialect (naive values are refused)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        """Store UTC; SQLite gets naive UTC text."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Return an aware UTC datetime."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


products = Table(
    "products",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(128), nullable=False, unique=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("first_n", Integer, nullable=False),
    Column("one_in_k", Integer, nullable=False),
    Column("max_bundles_per_day", Integer, nullable=False),
    Column("default_dump_type", Integer, nullable=False),
    Column("solutions_version", Integer, nullable=False, server_default="0"),
)

ingest_keys = Table(
    "ingest_keys",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("product_id", Integer, ForeignKey("products.id"), nullable=False, index=True),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime, nullable=True),
)

admin_tokens = Table(
    "admin_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("label", String(200), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime, nullable=True),
)

buckets = Table(
    "buckets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("product_id", Integer, ForeignKey("products.id"), nullable=False),
    Column("bucket_id", String(36), nullable=False),
    Column("legacy_id", BigInteger, nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("signature", JSON, nullable=False),
    Column("hits", BigInteger, nullable=False, server_default="0"),
    Column("first_seen", UtcDateTime, nullable=False),
    Column("last_seen", UtcDateTime, nullable=False),
    Column("status", String(16), nullable=False, server_default="new"),
    Column("fixed_in_version", String(128), nullable=True),
    Column("merged_into", Integer, ForeignKey("buckets.id"), nullable=True, index=True),
    Column("bundles_collected", Integer, nullable=False, server_default="0"),
    Column("explicit_remaining", Integer, nullable=False, server_default="0"),
    Column("explicit_dump_type", Integer, nullable=True),
    UniqueConstraint("product_id", "bucket_id"),
    Index(None, "product_id", "last_seen"),
)

bucket_hits = Table(
    "bucket_hits",
    metadata,
    Column("bucket_pk", Integer, ForeignKey("buckets.id"), nullable=False),
    Column("day", Date, nullable=False),
    Column("hits", BigInteger, nullable=False),
    Column("bundles", Integer, nullable=False, server_default="0"),
    PrimaryKeyConstraint("bucket_pk", "day"),
    # The dashboard ranks every bucket by its hits within a range of days: one covering scan.
    Index(None, "day", "bucket_pk", "hits"),
)

reports = Table(
    "reports",
    metadata,
    Column("report_id", String(36), primary_key=True),
    Column("product_id", Integer, ForeignKey("products.id"), nullable=False),
    Column("bucket_pk", Integer, ForeignKey("buckets.id"), nullable=False),
    Column("origin_bucket_pk", Integer, ForeignKey("buckets.id"), nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("report_type", Integer, nullable=False),
    Column("app_version", String(260), nullable=True),
    Column("os", String(260), nullable=True),
    Column("client", JSON, nullable=False),
    Column("consent", Integer, nullable=False),
    Column("hit_ordinal", BigInteger, nullable=False),
    Column("bundle_wanted", Boolean, nullable=False),
    Column("bundle_state", String(8), nullable=False),
    Column("bundle_key", String(512), nullable=True),
    Column("bundle_size", BigInteger, nullable=True),
    Column("bundle_received_at", UtcDateTime, nullable=True),
    Column("answer", JSON, nullable=False),
    Index(None, "bucket_pk", "received_at"),
    Index(None, "bundle_state", "bundle_received_at"),
    # Dashboard reads that must not visit table rows (a bucket may hold 100,000 reports): a
    # bucket's versions and OS, its newest stored bundle; a product's recent reports (the
    # baseline) and its buckets by version or OS within a range of days.
    Index(None, "bucket_pk", "received_at", "app_version", "os", "bundle_state"),
    Index(None, "product_id", "received_at", "app_version", "os", "bucket_pk"),
)

report_files = Table(
    "report_files",
    metadata,
    Column("report_id", String(36), ForeignKey("reports.report_id"), nullable=False),
    Column("name", String(260), nullable=False),
    Column("size", BigInteger, nullable=False),
    PrimaryKeyConstraint("report_id", "name"),
)

solutions = Table(
    "solutions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("product_id", Integer, ForeignKey("products.id"), nullable=False, index=True),
    Column("bucket_pk", Integer, ForeignKey("buckets.id"), nullable=True, index=True),
    Column("pattern", String(500), nullable=True),
    Column("message", Text, nullable=False),
    Column("url", String(2048), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    CheckConstraint("(bucket_pk IS NULL) <> (pattern IS NULL)", name="one_target"),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(128), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("all_products", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("password_changed_at", UtcDateTime, nullable=False),
)

user_products = Table(
    "user_products",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("product_id", Integer, ForeignKey("products.id"), nullable=False, index=True),
    PrimaryKeyConstraint("user_id", "product_id"),
)

dashboard_sessions = Table(
    "dashboard_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False, index=True),
)

report_packages = Table(
    "report_packages",
    metadata,
    # No foreign key to reports on purpose: retention may delete reports, and a package row
    # left behind only weighs on a distribution, never blocks a deletion.
    Column("report_id", String(36), nullable=False),
    Column("name", String(128), nullable=False),
    Column("version", String(64), nullable=False),
    Column("product_id", Integer, ForeignKey("products.id"), nullable=False),
    # The bucket of the report's own signature: it never changes, and a merged bucket's
    # packages are found through the buckets merged into it.
    Column("origin_bucket_pk", Integer, ForeignKey("buckets.id"), nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("report_id", "name"),
    Index("ix_report_packages_origin_bucket", "origin_bucket_pk", "name", "version", "report_id"),
    Index(
        "ix_report_packages_product_recent",
        "product_id",
        "received_at",
        "name",
        "version",
        "report_id",
        "origin_bucket_pk",
    ),
)
