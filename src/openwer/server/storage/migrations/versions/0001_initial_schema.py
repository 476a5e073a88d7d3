"""Initial schema: products, keys, tokens, buckets, daily hits, reports, files, solutions.

Revision ID: 0001
Revises:
Create Date: 2026-11-24

Self-contained on purpose (no import of the application's schema module), so later changes to
``schema.py`` never change what this revision did.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer(), autoincrement=True, nullable=False)


def upgrade() -> None:
    """Create every table of the server storage."""
    op.create_table(
        "admin_tokens",
        _id(),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("revoked_at", _utc(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_admin_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_admin_tokens_token_hash"),
    )
    op.create_table(
        "products",
        _id(),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("first_n", sa.Integer(), nullable=False),
        sa.Column("one_in_k", sa.Integer(), nullable=False),
        sa.Column("max_bundles_per_day", sa.Integer(), nullable=False),
        sa.Column("default_dump_type", sa.Integer(), nullable=False),
        sa.Column("solutions_version", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_products"),
        sa.UniqueConstraint("name", name="uq_products_name"),
    )
    op.create_table(
        "buckets",
        _id(),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("bucket_id", sa.String(36), nullable=False),
        sa.Column("legacy_id", sa.BigInteger(), nullable=False),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("signature", sa.JSON(), nullable=False),
        sa.Column("hits", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("first_seen", _utc(), nullable=False),
        sa.Column("last_seen", _utc(), nullable=False),
        sa.Column("status", sa.String(16), server_default="new", nullable=False),
        sa.Column("fixed_in_version", sa.String(128), nullable=True),
        sa.Column("merged_into", sa.Integer(), nullable=True),
        sa.Column("bundles_collected", sa.Integer(), server_default="0", nullable=False),
        sa.Column("explicit_remaining", sa.Integer(), server_default="0", nullable=False),
        sa.Column("explicit_dump_type", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["merged_into"], ["buckets.id"], name="fk_buckets_merged_into_buckets"
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name="fk_buckets_product_id_products"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_buckets"),
        sa.UniqueConstraint("product_id", "bucket_id", name="uq_buckets_product_id_bucket_id"),
    )
    op.create_index("ix_buckets_merged_into", "buckets", ["merged_into"])
    op.create_index("ix_buckets_product_id_last_seen", "buckets", ["product_id", "last_seen"])
    op.create_table(
        "ingest_keys",
        _id(),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("revoked_at", _utc(), nullable=True),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name="fk_ingest_keys_product_id_products"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_ingest_keys"),
        sa.UniqueConstraint("key_hash", name="uq_ingest_keys_key_hash"),
    )
    op.create_index("ix_ingest_keys_product_id", "ingest_keys", ["product_id"])
    op.create_table(
        "bucket_hits",
        sa.Column("bucket_pk", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("hits", sa.BigInteger(), nullable=False),
        sa.Column("bundles", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["bucket_pk"], ["buckets.id"], name="fk_bucket_hits_bucket_pk_buckets"
        ),
        sa.PrimaryKeyConstraint("bucket_pk", "day", name="pk_bucket_hits"),
    )
    op.create_table(
        "reports",
        sa.Column("report_id", sa.String(36), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("bucket_pk", sa.Integer(), nullable=False),
        sa.Column("origin_bucket_pk", sa.Integer(), nullable=False),
        sa.Column("received_at", _utc(), nullable=False),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("report_type", sa.Integer(), nullable=False),
        sa.Column("app_version", sa.String(260), nullable=True),
        sa.Column("os", sa.String(260), nullable=True),
        sa.Column("client", sa.JSON(), nullable=False),
        sa.Column("consent", sa.Integer(), nullable=False),
        sa.Column("hit_ordinal", sa.BigInteger(), nullable=False),
        sa.Column("bundle_wanted", sa.Boolean(), nullable=False),
        sa.Column("bundle_state", sa.String(8), nullable=False),
        sa.Column("bundle_key", sa.String(512), nullable=True),
        sa.Column("bundle_size", sa.BigInteger(), nullable=True),
        sa.Column("bundle_received_at", _utc(), nullable=True),
        sa.Column("answer", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["bucket_pk"], ["buckets.id"], name="fk_reports_bucket_pk_buckets"),
        sa.ForeignKeyConstraint(
            ["origin_bucket_pk"], ["buckets.id"], name="fk_reports_origin_bucket_pk_buckets"
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name="fk_reports_product_id_products"
        ),
        sa.PrimaryKeyConstraint("report_id", name="pk_reports"),
    )
    op.create_index("ix_reports_bucket_pk_received_at", "reports", ["bucket_pk", "received_at"])
    op.create_index(
        "ix_reports_bundle_state_bundle_received_at",
        "reports",
        ["bundle_state", "bundle_received_at"],
    )
    op.create_table(
        "solutions",
        _id(),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("bucket_pk", sa.Integer(), nullable=True),
        sa.Column("pattern", sa.String(500), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("url", sa.String(2048), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.CheckConstraint(
            "(bucket_pk IS NULL) <> (pattern IS NULL)", name="ck_solutions_one_target"
        ),
        sa.ForeignKeyConstraint(
            ["bucket_pk"], ["buckets.id"], name="fk_solutions_bucket_pk_buckets"
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name="fk_solutions_product_id_products"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_solutions"),
    )
    op.create_index("ix_solutions_bucket_pk", "solutions", ["bucket_pk"])
    op.create_index("ix_solutions_product_id", "solutions", ["product_id"])
    op.create_table(
        "report_files",
        sa.Column("report_id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(260), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.report_id"], name="fk_report_files_report_id_reports"
        ),
        sa.PrimaryKeyConstraint("report_id", "name", name="pk_report_files"),
    )


def downgrade() -> None:
    """Drop every table (indexes go with them)."""
    for table in (
        "report_files",
        "solutions",
        "reports",
        "bucket_hits",
        "ingest_keys",
        "buckets",
        "products",
        "admin_tokens",
    ):
        op.drop_table(table)
