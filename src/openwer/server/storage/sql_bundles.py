"""Bundle bookkeeping in SQL: recording stage 2 uploads and retention (pruning).

Semantics are documented on :class:`~openwer.server.storage.protocols.IngestRepository` and
:meth:`~openwer.server.storage.protocols.AdminRepository.prune_bundles`. Each function runs in
the caller's write transaction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, select, update

from openwer.errors import InvalidArgumentError
from openwer.server.storage.model import (
    BundleOutcome,
    BundleResult,
    BundleState,
    BundleUpload,
    PrunedBundle,
    canonical_report_id,
)
from openwer.server.storage.schema import buckets, report_files, report_packages, reports

__all__ = ["prune_bundles", "record_bundles"]


def record_bundles(
    conn: Connection, uploads: Sequence[BundleUpload], now: datetime
) -> list[BundleResult]:
    """Record stored bundles in one transaction; idempotent (see :class:`BundleOutcome`).

    Set-based, so a group commit of many bundles costs a handful of statements: the reports are
    read and locked in one query (id order, then bucket counters in bucket order: the lock order
    of ingest, so concurrent servers do not deadlock), then updated and their files and packages
    inserted with one ``executemany`` each. A report listed twice is stored by its first upload
    and answered ``ALREADY_STORED`` for the second.
    """
    ids = [canonical_report_id(upload.report_id) for upload in uploads]
    rows = {
        row["report_id"]: row
        for row in conn.execute(
            select(
                reports.c.report_id,
                reports.c.product_id,
                reports.c.bucket_pk,
                reports.c.origin_bucket_pk,
                reports.c.bundle_state,
                reports.c.bundle_key,
            )
            .where(reports.c.report_id.in_(sorted(set(ids))))
            .order_by(reports.c.report_id)
            .with_for_update()
        ).mappings()
    }
    results: list[BundleResult] = []
    stored: dict[str, str] = {}  # report id -> key stored by this batch
    collected: Counter[int] = Counter()
    updates: list[dict[str, Any]] = []
    files: list[dict[str, Any]] = []
    packages: list[dict[str, Any]] = []
    for report_id, upload in zip(ids, uploads, strict=True):
        row = rows.get(report_id)
        if row is None or row["product_id"] != upload.product_id:
            results.append(BundleResult(BundleOutcome.UNKNOWN_REPORT, None))
            continue
        state = BundleState(row["bundle_state"])
        if report_id in stored:
            results.append(BundleResult(BundleOutcome.ALREADY_STORED, stored[report_id]))
            continue
        if state is BundleState.NONE:
            results.append(BundleResult(BundleOutcome.NOT_REQUESTED, None))
            continue
        if state is not BundleState.WANTED:
            results.append(BundleResult(BundleOutcome.ALREADY_STORED, row["bundle_key"]))
            continue
        received = upload.received_at or now
        results.append(BundleResult(BundleOutcome.STORED, upload.blob_key))
        stored[report_id] = upload.blob_key
        collected[row["bucket_pk"]] += 1
        updates.append(
            {
                "r_id": report_id,
                "r_key": upload.blob_key,
                "r_size": upload.size,
                "r_received": received,
            }
        )
        files.extend({"report_id": report_id, "name": f.name, "size": f.size} for f in upload.files)
        # indexed now so the dashboard's distributions are a query
        versions = {p.name: p.version for p in upload.packages}
        packages.extend(
            {
                "report_id": report_id,
                "product_id": upload.product_id,
                "origin_bucket_pk": row["origin_bucket_pk"],
                "received_at": received,
                "name": name,
                "version": version,
            }
            for name, version in versions.items()
        )
    if updates:
        conn.execute(_STORE_BUNDLE, updates)
    if files:
        conn.execute(report_files.insert(), files)
    if packages:
        conn.execute(report_packages.insert(), packages)
    for bucket_pk in sorted(collected):
        conn.execute(
            update(buckets)
            .where(buckets.c.id == bucket_pk)
            .values(bundles_collected=buckets.c.bundles_collected + collected[bucket_pk])
        )
    return results


_STORE_BUNDLE = (
    update(reports)
    .where(reports.c.report_id == bindparam("r_id"))
    .values(
        bundle_state=BundleState.STORED.value,
        bundle_key=bindparam("r_key"),
        bundle_size=bindparam("r_size"),
        bundle_received_at=bindparam("r_received"),
    )
)


def prune_bundles(
    conn: Connection, older_than: datetime | None, max_total_bytes: int | None, limit: int
) -> list[PrunedBundle]:
    """Mark bundles as pruned, oldest first: by age, then beyond the quota."""
    if limit < 1 or (max_total_bytes is not None and max_total_bytes < 0):
        raise InvalidArgumentError("limit must be >= 1 and max_total_bytes >= 0")
    if older_than is not None and older_than.tzinfo is None:
        raise InvalidArgumentError("older_than must be timezone-aware")
    stored = reports.c.bundle_state == BundleState.STORED.value
    oldest_first = (reports.c.bundle_received_at, reports.c.report_id)
    chosen: list[Any] = []
    if older_than is not None:
        query = (
            select(reports.c.report_id, reports.c.bundle_key, reports.c.bundle_size)
            .where(stored, reports.c.bundle_received_at < older_than)
            .order_by(*oldest_first)
            .limit(limit)
        )
        chosen.extend(conn.execute(query).all())
    if max_total_bytes is not None and len(chosen) < limit:
        taken = {row[0] for row in chosen}
        newer_total = (
            func.sum(reports.c.bundle_size)
            .over(order_by=(reports.c.bundle_received_at.desc(), reports.c.report_id.desc()))
            .label("newer_total")
        )
        ranked = select(
            reports.c.report_id,
            reports.c.bundle_key,
            reports.c.bundle_size,
            reports.c.bundle_received_at,
            newer_total,
        ).where(stored)
        if taken:
            ranked = ranked.where(reports.c.report_id.not_in(sorted(taken)))
        sub = ranked.subquery()
        query = (
            select(sub.c.report_id, sub.c.bundle_key, sub.c.bundle_size)
            .where(sub.c.newer_total > max_total_bytes)
            .order_by(sub.c.bundle_received_at, sub.c.report_id)
            .limit(limit - len(chosen))
        )
        chosen.extend(conn.execute(query).all())
    if chosen:
        conn.execute(
            update(reports)
            .where(reports.c.report_id.in_(sorted(row[0] for row in chosen)))
            .values(bundle_state=BundleState.PRUNED.value, bundle_key=None)
        )
    return [PrunedBundle(rid, key, size) for rid, key, size in chosen]
