"""Reads in SQL for the query API and the dashboard; every read is limited to a scope.

Semantics are documented on :class:`~openwer.server.storage.protocols.QueryRepository`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, RowMapping, func, select, true

from openwer.errors import InvalidArgumentError, NotFoundError
from openwer.formats.protocol import Solution
from openwer.server.storage.decisions import signature_text
from openwer.server.storage.model import (
    BucketQuery,
    BucketRef,
    BucketSort,
    BundleState,
    ReportFile,
    Scope,
    canonical_report_id,
)
from openwer.server.storage.rows import (
    BucketDetail,
    BucketPage,
    BucketRow,
    BucketSummary,
    DayCount,
    ProductRow,
    ReportRow,
    SolutionRow,
    ValueCount,
)
from openwer.server.storage.schema import (
    bucket_hits,
    buckets,
    products,
    report_files,
    reports,
    solutions,
)
from openwer.server.storage.solution_match import PatternCache
from openwer.server.storage.sql_rows import bucket_row, product_row, report_row, solution_row

__all__ = [
    "find_buckets",
    "get_bucket",
    "get_report",
    "list_buckets",
    "list_products",
    "list_solutions",
    "reports_wanting_bundle",
]

_DISTRIBUTION_LIMIT = 20


def _scoped(column: Any, scope: Scope) -> ColumnElement[bool]:
    if scope.product_ids is None:
        return true()
    result: ColumnElement[bool] = column.in_(sorted(scope.product_ids))
    return result


def _start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def list_products(conn: Connection, scope: Scope) -> list[ProductRow]:
    """Products in scope, by name."""
    query = select(products).where(_scoped(products.c.id, scope)).order_by(products.c.name)
    return [product_row(row) for row in conn.execute(query).mappings()]


def list_buckets(conn: Connection, scope: Scope, query: BucketQuery) -> BucketPage:
    """One page of buckets (see :meth:`QueryRepository.list_buckets`)."""
    conditions: list[ColumnElement[bool]] = [
        buckets.c.merged_into.is_(None),
        _scoped(buckets.c.product_id, scope),
    ]
    if query.event_type is not None:
        conditions.append(buckets.c.event_type == query.event_type)
    if query.status is not None:
        conditions.append(buckets.c.status == query.status.value)
    bounded = query.since is not None or query.until is not None
    range_hits: Any
    if query.version is not None:
        counted = select(reports.c.bucket_pk, func.count().label("n")).where(
            reports.c.app_version == query.version
        )
        if query.since is not None:
            counted = counted.where(reports.c.received_at >= _start(query.since))
        if query.until is not None:
            counted = counted.where(reports.c.received_at < _start(query.until + timedelta(days=1)))
        sub = counted.group_by(reports.c.bucket_pk).subquery()
    elif bounded:
        summed = select(bucket_hits.c.bucket_pk, func.sum(bucket_hits.c.hits).label("n"))
        if query.since is not None:
            summed = summed.where(bucket_hits.c.day >= query.since)
        if query.until is not None:
            summed = summed.where(bucket_hits.c.day <= query.until)
        sub = summed.group_by(bucket_hits.c.bucket_pk).subquery()
    source: Any = buckets
    range_hits = buckets.c.hits
    if query.version is not None or bounded:
        source = buckets.join(sub, sub.c.bucket_pk == buckets.c.id)
        range_hits = sub.c.n
    base = select(buckets, range_hits.label("range_hits")).select_from(source).where(*conditions)
    total = conn.execute(select(func.count()).select_from(base.subquery())).scalar_one()
    order: list[Any] = {
        BucketSort.HITS: [range_hits.desc()],
        BucketSort.LAST_SEEN: [buckets.c.last_seen.desc()],
        BucketSort.FIRST_SEEN: [buckets.c.first_seen.desc()],
    }[query.sort]
    page = base.order_by(*order, buckets.c.id).limit(query.limit).offset(query.offset)
    rows = tuple(
        BucketSummary(bucket_row(row, None), int(row["range_hits"]))
        for row in conn.execute(page).mappings()
    )
    return BucketPage(rows, total)


def _guids(conn: Connection, pks: set[int]) -> dict[int, str]:
    if not pks:
        return {}
    query = select(buckets.c.id, buckets.c.bucket_id).where(buckets.c.id.in_(sorted(pks)))
    return {row[0]: row[1] for row in conn.execute(query)}


def _with_targets(conn: Connection, rows: Sequence[RowMapping]) -> list[BucketRow]:
    names = _guids(conn, {row["merged_into"] for row in rows if row["merged_into"] is not None})
    return [bucket_row(row, names.get(row["merged_into"])) for row in rows]


def find_buckets(conn: Connection, scope: Scope, bucket_id: str) -> list[BucketRow]:
    """Buckets in scope with this GUID."""
    query = (
        select(buckets)
        .where(buckets.c.bucket_id == bucket_id.lower(), _scoped(buckets.c.product_id, scope))
        .order_by(buckets.c.product_id)
    )
    return _with_targets(conn, list(conn.execute(query).mappings()))


def get_bucket(
    conn: Connection,
    scope: Scope,
    ref: BucketRef,
    days: tuple[date, date],
    samples: int,
) -> BucketDetail:
    """One bucket's page (see :meth:`QueryRepository.get_bucket`)."""
    if not 0 <= samples <= 1000:
        raise InvalidArgumentError("samples must be in 0..1000")
    found = [
        row for row in find_buckets(conn, scope, ref.bucket_id) if row.product_id == ref.product_id
    ]
    if not found:
        raise NotFoundError(f"no bucket {ref.bucket_id}")
    bucket = found[0]
    pk = conn.execute(
        select(buckets.c.id).where(
            buckets.c.product_id == ref.product_id, buckets.c.bucket_id == bucket.bucket_id
        )
    ).scalar_one()
    since, until = days
    per_day = conn.execute(
        select(bucket_hits.c.day, bucket_hits.c.hits)
        .where(bucket_hits.c.bucket_pk == pk, bucket_hits.c.day.between(since, until))
        .order_by(bucket_hits.c.day)
    ).all()
    samples_query = (
        select(reports)
        .where(reports.c.bucket_pk == pk)
        .order_by(reports.c.received_at.desc(), reports.c.report_id)
        .limit(samples)
    )
    merged_from = conn.execute(
        select(buckets.c.bucket_id).where(buckets.c.merged_into == pk).order_by(buckets.c.id)
    ).scalars()
    return BucketDetail(
        bucket=bucket,
        hits_per_day=tuple(DayCount(day, hits) for day, hits in per_day),
        versions=_distribution(conn, pk, reports.c.app_version),
        os=_distribution(conn, pk, reports.c.os),
        sample_reports=tuple(
            report_row(row, bucket.bucket_id) for row in conn.execute(samples_query).mappings()
        ),
        solution=_bucket_solution(conn, pk, bucket),
        merged_from=tuple(merged_from),
    )


def _distribution(conn: Connection, pk: int, column: Any) -> tuple[ValueCount, ...]:
    count = func.count()
    query = (
        select(column, count)
        .where(reports.c.bucket_pk == pk)
        .group_by(column)
        .order_by(count.desc(), column)
        .limit(_DISTRIBUTION_LIMIT)
    )
    return tuple(ValueCount(value, n) for value, n in conn.execute(query))


def _bucket_solution(conn: Connection, pk: int, bucket: BucketRow) -> SolutionRow | None:
    rows = list(
        conn.execute(
            select(solutions)
            .where(solutions.c.product_id == bucket.product_id)
            .where((solutions.c.bucket_pk == pk) | solutions.c.pattern.is_not(None))
            .order_by(solutions.c.id)
        ).mappings()
    )
    own = [row for row in rows if row["bucket_pk"] == pk]
    if own:
        return solution_row(own[-1], bucket.bucket_id)
    by_id = {row["id"]: row for row in rows}
    candidates = [(row["id"], row["pattern"], Solution(row["message"], row["url"])) for row in rows]
    text = signature_text(bucket.event_type, [p.value for p in bucket.signature])
    for entry in PatternCache().put(bucket.product_id, 0, candidates):
        if entry.pattern.search(text):
            return solution_row(by_id[entry.id], None)
    return None


def get_report(conn: Connection, scope: Scope, report_id: str) -> ReportRow:
    """One report with its files."""
    try:
        report_id = canonical_report_id(report_id)
    except InvalidArgumentError as exc:
        raise NotFoundError(f"no report {report_id!r}") from exc
    query = (
        select(reports, buckets.c.bucket_id.label("bucket_guid"))
        .join(buckets, buckets.c.id == reports.c.bucket_pk)
        .where(reports.c.report_id == report_id, _scoped(reports.c.product_id, scope))
    )
    row = conn.execute(query).mappings().first()
    if row is None:
        raise NotFoundError(f"no report {report_id}")
    files = conn.execute(
        select(report_files.c.name, report_files.c.size)
        .where(report_files.c.report_id == report_id)
        .order_by(report_files.c.name)
    ).all()
    return report_row(row, row["bucket_guid"], tuple(ReportFile(n, s) for n, s in files))


def reports_wanting_bundle(conn: Connection, scope: Scope, limit: int) -> list[str]:
    """Reports whose bundle was asked for and not received, oldest first."""
    query = (
        select(reports.c.report_id)
        .where(
            reports.c.bundle_state == BundleState.WANTED.value,
            _scoped(reports.c.product_id, scope),
        )
        .order_by(reports.c.received_at, reports.c.report_id)
        .limit(max(0, limit))
    )
    return list(conn.execute(query).scalars())


def list_solutions(conn: Connection, scope: Scope, product_id: int | None) -> list[SolutionRow]:
    """Solutions in scope, oldest first."""
    query = (
        select(solutions, buckets.c.bucket_id.label("bucket_guid"))
        .outerjoin(buckets, buckets.c.id == solutions.c.bucket_pk)
        .where(_scoped(solutions.c.product_id, scope))
        .order_by(solutions.c.id)
    )
    if product_id is not None:
        query = query.where(solutions.c.product_id == product_id)
    return [solution_row(row, row["bucket_guid"]) for row in conn.execute(query).mappings()]
