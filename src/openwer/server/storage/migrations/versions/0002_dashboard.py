"""Dashboard: users, their products, sessions, package versions of bundles, read indexes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26

Self-contained on purpose (no import of the application's schema module), so later changes to
``schema.py`` never change what this revision did. The indexes let the dashboard's pages read
covering index ranges instead of table rows (see ``storage/sql_dashboard.py``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the dashboard's tables and indexes."""
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("all_products", sa.Boolean(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("password_changed_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("name", name="uq_users_name"),
    )
    op.create_table(
        "user_products",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_user_products_user_id_users"),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name="fk_user_products_product_id_products"
        ),
        sa.PrimaryKeyConstraint("user_id", "product_id", name="pk_user_products"),
    )
    op.create_index("ix_user_products_product_id", "user_products", ["product_id"])
    op.create_table(
        "dashboard_sessions",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("expires_at", _utc(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_dashboard_sessions_user_id_users"
        ),
        sa.PrimaryKeyConstraint("token_hash", name="pk_dashboard_sessions"),
    )
    op.create_index("ix_dashboard_sessions_user_id", "dashboard_sessions", ["user_id"])
    op.create_index("ix_dashboard_sessions_expires_at", "dashboard_sessions", ["expires_at"])
    op.create_table(
        "report_packages",
        sa.Column("report_id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("origin_bucket_pk", sa.Integer(), nullable=False),
        sa.Column("received_at", _utc(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name="fk_report_packages_product_id_products"
        ),
        sa.ForeignKeyConstraint(
            ["origin_bucket_pk"],
            ["buckets.id"],
            name="fk_report_packages_origin_bucket_pk_buckets",
        ),
        sa.PrimaryKeyConstraint("report_id", "name", name="pk_report_packages"),
    )
    op.create_index(
        "ix_report_packages_origin_bucket",
        "report_packages",
        ["origin_bucket_pk", "name", "version", "report_id"],
    )
    op.create_index(
        "ix_report_packages_product_recent",
        "report_packages",
        ["product_id", "received_at", "name", "version", "report_id", "origin_bucket_pk"],
    )
    op.create_index(
        "ix_bucket_hits_day_bucket_pk_hits", "bucket_hits", ["day", "bucket_pk", "hits"]
    )
    op.create_index(
        "ix_reports_bucket_pk_received_at_app_version_os_bundle_state",
        "reports",
        ["bucket_pk", "received_at", "app_version", "os", "bundle_state"],
    )
    op.create_index(
        "ix_reports_product_id_received_at_app_version_os_bucket_pk",
        "reports",
        ["product_id", "received_at", "app_version", "os", "bucket_pk"],
    )


def downgrade() -> None:
    """Drop what :func:`upgrade` created."""
    op.drop_index("ix_reports_product_id_received_at_app_version_os_bucket_pk", "reports")
    op.drop_index("ix_reports_bucket_pk_received_at_app_version_os_bundle_state", "reports")
    op.drop_index("ix_bucket_hits_day_bucket_pk_hits", "bucket_hits")
    for table in ("report_packages", "dashboard_sessions", "user_products", "users"):
        op.drop_table(table)
