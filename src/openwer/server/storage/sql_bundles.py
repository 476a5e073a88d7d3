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

from sqlalchemy import Connection, func, select, update

from openwer.errors import InvalidArgumentError
from openwer.server.storage.model import (
    BundleOutcome,
    BundleResult,
    BundleState,
    BundleUpload,
    PrunedBundle,
    canonical_report_id,
)
from openwer.server.storage.schema import buckets, report_files, reports

__all__ = ["prune_bundles", "record_bundles"]


def record_bundles(
    conn: Connection, uploads: Sequence[BundleUpload], now: datetime
) -> list[BundleResult]:
    """Record stored bundles in one transaction; idempotent (see :class:`BundleOutcome`).

    Reports are locked in id order and bucket counters updated at the end in bucket order (the
    lock order of ingest), so concurrent servers do not deadlock; a report listed twice is
    stored by its first upload and answered ``ALREADY_STORED`` for the second.
    """
    results: dict[int, BundleResult] = {}
    collected: Counter[int] = Counter()
    order = sorted(range(len(uploads)), key=lambda i: canonical_report_id(uploads[i].report_id))
    for index in order:
        upload = uploads[index]
        results[index], bucket_pk = _record_one(conn, upload, now)
        if bucket_pk is not None:
            collected[bucket_pk] += 1
    for bucket_pk in sorted(collected):
        conn.execute(
            update(buckets)
            .where(buckets.c.id == bucket_pk)
            .values(bundles_collected=buckets.c.bundles_collected + collected[bucket_pk])
        )
    return [results[index] for index in range(len(uploads))]


def _record_one(
    conn: Connection, upload: BundleUpload, now: datetime
) -> tuple[BundleResult, int | None]:
    report_id = canonical_report_id(upload.report_id)
    query = (
        select(
            reports.c.product_id,
            reports.c.bucket_pk,
            reports.c.bundle_state,
            reports.c.bundle_key,
        )
        .where(reports.c.report_id == report_id)
        .with_for_update()
    )
    row = conn.execute(query).mappings().first()
    if row is None or row["product_id"] != upload.product_id:
        return BundleResult(BundleOutcome.UNKNOWN_REPORT, None), None
    state = BundleState(row["bundle_state"])
    if state is BundleState.NONE:
        return BundleResult(BundleOutcome.NOT_REQUESTED, None), None
    if state is not BundleState.WANTED:
        return BundleResult(BundleOutcome.ALREADY_STORED, row["bundle_key"]), None
    conn.execute(
        update(reports)
        .where(reports.c.report_id == report_id)
        .values(
            bundle_state=BundleState.STORED.value,
            bundle_key=upload.blob_key,
            bundle_size=upload.size,
            bundle_received_at=upload.received_at or now,
        )
    )
    if upload.files:
        conn.execute(
            report_files.insert(),
            [{"report_id": report_id, "name": f.name, "size": f.size} for f in upload.files],
        )
    return BundleResult(BundleOutcome.STORED, upload.blob_key), row["bucket_pk"]


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
