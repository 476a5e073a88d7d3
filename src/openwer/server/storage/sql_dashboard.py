"""``SqlDashboardReads``: the dashboard's reads on SQLite or PostgreSQL.

Semantics are documented on :class:`~openwer.server.storage.dashboard_model.DashboardReads`.
Each read is one read transaction on the transactions of a ``SqlRepository``
(:attr:`SqlRepository.transactions`). Every query is written to stay on an index range: the
ranking reads ``bucket_hits`` by day through ``(day, bucket_pk, hits)``; a version or OS filter
reads the product's reports through ``(product_id, received_at, app_version, os, bucket_pk)``;
a bucket's facets read ``(bucket_pk, received_at, app_version, os, bundle_state)``; baselines
read a product's newest reports only (:data:`BASELINE_REPORTS`). Thread-safe.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, distinct, func, select

from openwer.errors import InvalidArgumentError, NotFoundError
from openwer.formats.protocol import Stage1Response
from openwer.server.storage import sql_queries
from openwer.server.storage.answer_codec import answer_from_json
from openwer.server.storage.dashboard_model import (
    BASELINE_PACKAGE_ROWS,
    BASELINE_REPORTS,
    BucketFacets,
    BucketListPage,
    BucketListQuery,
    BucketListRow,
    BucketListSort,
    BucketOverview,
    Facet,
    FacetValue,
)
from openwer.server.storage.model import BucketRef, BundleState, Scope, canonical_report_id
from openwer.server.storage.rows import BucketDetail, DayCount
from openwer.server.storage.schema import (
    bucket_hits,
    buckets,
    products,
    report_packages,
    reports,
)
from openwer.server.storage.sql_rows import bucket_row, report_row
from openwer.server.storage.sql_transactions import Transactions

__all__ = ["SqlDashboardReads"]

_MAX_TREND_DAYS = 400


def _start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


class SqlDashboardReads:
    """The dashboard's reads (see the module docstring)."""

    def __init__(self, transactions: Transactions) -> None:
        self._tx = transactions

    def bucket_list(self, scope: Scope, query: BucketListQuery) -> BucketListPage:
        """See :meth:`DashboardReads.bucket_list`."""
        return self._tx.read(lambda conn: _bucket_list(conn, scope, query))

    def event_types(self, scope: Scope) -> list[str]:
        """See :meth:`DashboardReads.event_types`."""

        def work(conn: Connection) -> list[str]:
            pids = _product_ids(conn, scope, None)
            query = (
                select(buckets.c.event_type)
                .where(buckets.c.product_id.in_(pids))
                .distinct()
                .order_by(buckets.c.event_type)
            )
            return list(conn.execute(query).scalars())

        return self._tx.read(work)

    def bucket_overview(
        self,
        scope: Scope,
        ref: BucketRef,
        since: date,
        until: date,
        reports_limit: int = 25,
        reports_offset: int = 0,
    ) -> BucketOverview:
        """See :meth:`DashboardReads.bucket_overview`."""
        if not 1 <= reports_limit <= 500 or not 0 <= reports_offset <= 10_000_000:
            raise InvalidArgumentError("reports_limit must be in 1..500, offset >= 0")
        return self._tx.read(
            lambda conn: _overview(conn, scope, ref, since, until, reports_limit, reports_offset)
        )

    def report_answer(self, scope: Scope, report_id: str) -> Stage1Response:
        """See :meth:`DashboardReads.report_answer`."""
        try:
            report_id = canonical_report_id(report_id)
        except InvalidArgumentError as exc:
            raise NotFoundError(f"no report {report_id!r}") from exc

        def work(conn: Connection) -> Stage1Response:
            row = conn.execute(
                select(reports.c.product_id, reports.c.answer).where(
                    reports.c.report_id == report_id
                )
            ).first()
            if row is None or not scope.allows(row[0]):
                raise NotFoundError(f"no report {report_id}")
            return answer_from_json(row[1])

        return self._tx.read(work)


# -- the bucket list --------------------------------------------------------------------------


def _product_ids(conn: Connection, scope: Scope, wanted: frozenset[int] | None) -> list[int]:
    """The products both in ``scope`` and in ``wanted``: always an explicit list, so every
    query can range over an index that starts with the product."""
    query = select(products.c.id).order_by(products.c.id)
    if scope.product_ids is not None:
        query = query.where(products.c.id.in_(sorted(scope.product_ids)))
    if wanted is not None:
        query = query.where(products.c.id.in_(sorted(wanted)))
    return list(conn.execute(query).scalars())


def _ranked_hits(query: BucketListQuery, pids: list[int]) -> Any:
    """A subquery ``(bucket_pk, n)`` of the hits that rank the list, or ``None`` (all time,
    no version or OS filter: the bucket's own total ranks it)."""
    if query.app_version is not None or query.os is not None:
        counted = select(reports.c.bucket_pk, func.count().label("n")).where(
            reports.c.product_id.in_(pids)
        )
        if query.since is not None:
            counted = counted.where(
                reports.c.received_at >= _start(query.since),
                reports.c.received_at < _start(query.until + timedelta(days=1)),
            )
        if query.app_version is not None:
            counted = counted.where(reports.c.app_version == query.app_version)
        if query.os is not None:
            counted = counted.where(reports.c.os == query.os)
        return counted.group_by(reports.c.bucket_pk).subquery()
    if query.since is not None:
        summed = select(bucket_hits.c.bucket_pk, func.sum(bucket_hits.c.hits).label("n")).where(
            bucket_hits.c.day >= query.since, bucket_hits.c.day <= query.until
        )
        return summed.group_by(bucket_hits.c.bucket_pk).subquery()
    return None


def _bucket_list(conn: Connection, scope: Scope, query: BucketListQuery) -> BucketListPage:
    trend_since = max(query.trend_start, query.until - timedelta(days=_MAX_TREND_DAYS - 1))
    pids = _product_ids(conn, scope, query.product_ids)
    if not pids:
        return BucketListPage((), 0, trend_since, query.until)
    conditions: list[ColumnElement[bool]] = [
        buckets.c.product_id.in_(pids),
        buckets.c.merged_into.is_(None),
    ]
    if query.event_type is not None:
        conditions.append(buckets.c.event_type == query.event_type)
    if query.statuses is not None:
        conditions.append(buckets.c.status.in_(sorted(s.value for s in query.statuses)))
    ranked = _ranked_hits(query, pids)
    source: Any = buckets
    hits: Any = buckets.c.hits
    if ranked is not None:
        source = buckets.join(ranked, ranked.c.bucket_pk == buckets.c.id)
        hits = ranked.c.n
    order: list[Any] = {
        BucketListSort.HITS: [hits.desc()],
        BucketListSort.LAST_SEEN: [buckets.c.last_seen.desc()],
        BucketListSort.FIRST_SEEN: [buckets.c.first_seen.desc()],
    }[query.sort]
    page = (
        select(buckets, hits.label("range_hits"), func.count().over().label("total"))
        .select_from(source)
        .where(*conditions)
        .order_by(*order, buckets.c.id)
        .limit(query.limit)
        .offset(query.offset)
    )
    rows = list(conn.execute(page).mappings())
    if rows:
        total = int(rows[0]["total"])
    else:  # past the last page: the window count came back with no row to carry it
        counted = select(func.count()).select_from(source).where(*conditions)
        total = int(conn.execute(counted).scalar_one())
    days = _daily(conn, [row["id"] for row in rows], trend_since, query.until)
    span = (query.until - trend_since).days + 1
    listed = tuple(
        BucketListRow(
            bucket=bucket_row(row, None),
            range_hits=int(row["range_hits"] or 0),
            daily=tuple(
                days.get((row["id"], trend_since + timedelta(days=i)), 0) for i in range(span)
            ),
        )
        for row in rows
    )
    return BucketListPage(listed, total, trend_since, query.until)


def _daily(
    conn: Connection, pks: list[int], since: date, until: date
) -> dict[tuple[int, date], int]:
    """Hits per (bucket, day) of a page's buckets: one query for the whole page."""
    if not pks:
        return {}
    query = select(bucket_hits.c.bucket_pk, bucket_hits.c.day, bucket_hits.c.hits).where(
        bucket_hits.c.bucket_pk.in_(pks), bucket_hits.c.day.between(since, until)
    )
    return {(pk, day): int(hits) for pk, day, hits in conn.execute(query)}


# -- the bucket page --------------------------------------------------------------------------


def _overview(
    conn: Connection,
    scope: Scope,
    ref: BucketRef,
    since: date,
    until: date,
    limit: int,
    offset: int,
) -> BucketOverview:
    detail, pk = _detail(conn, scope, ref, since, until)
    page = (
        select(reports)
        .where(reports.c.bucket_pk == pk)
        .order_by(reports.c.received_at.desc(), reports.c.report_id.desc())
        .limit(limit)
        .offset(offset)
    )
    listed = tuple(report_row(row, ref.bucket_id) for row in conn.execute(page).mappings())
    newest_stored = (
        select(reports)
        .where(reports.c.bucket_pk == pk, reports.c.bundle_state == BundleState.STORED.value)
        .order_by(reports.c.received_at.desc(), reports.c.report_id.desc())
        .limit(1)
    )
    sample = conn.execute(newest_stored).mappings().first()
    return BucketOverview(
        detail=detail,
        facets=_facets(conn, ref.product_id, pk, since, until),
        reports=listed,
        sample=None if sample is None else report_row(sample, ref.bucket_id),
    )


def _detail(
    conn: Connection, scope: Scope, ref: BucketRef, since: date, until: date
) -> tuple[BucketDetail, int]:
    """The query API's bucket detail without its version and OS counts (the page computes
    them against a baseline in :func:`_facets`; counting twice would double the cost of a
    bucket of 100,000 reports), and the bucket's key."""
    found = [
        b
        for b in sql_queries.find_buckets(conn, scope, ref.bucket_id)
        if b.product_id == ref.product_id
    ]
    if not found:
        raise NotFoundError(f"no bucket {ref.bucket_id}")
    bucket = found[0]
    pk: int = conn.execute(
        select(buckets.c.id).where(
            buckets.c.product_id == ref.product_id, buckets.c.bucket_id == ref.bucket_id
        )
    ).scalar_one()
    per_day = conn.execute(
        select(bucket_hits.c.day, bucket_hits.c.hits)
        .where(bucket_hits.c.bucket_pk == pk, bucket_hits.c.day.between(since, until))
        .order_by(bucket_hits.c.day)
    ).all()
    merged_from = conn.execute(
        select(buckets.c.bucket_id).where(buckets.c.merged_into == pk).order_by(buckets.c.id)
    ).scalars()
    detail = BucketDetail(
        bucket=bucket,
        hits_per_day=tuple(DayCount(day, int(hits)) for day, hits in per_day),
        versions=(),
        os=(),
        sample_reports=(),
        # The very answer stage 1 gives (own solution, else the first matching pattern).
        solution=sql_queries._bucket_solution(conn, pk, bucket),
        merged_from=tuple(merged_from),
    )
    return detail, pk


def _facets(conn: Connection, product_id: int, pk: int, since: date, until: date) -> BucketFacets:
    own = conn.execute(
        select(reports.c.app_version, reports.c.os, func.count())
        .where(
            reports.c.bucket_pk == pk,
            reports.c.received_at >= _start(since),
            reports.c.received_at < _start(until + timedelta(days=1)),
        )
        .group_by(reports.c.app_version, reports.c.os)
    ).all()
    recent = (  # the baseline: the rest of the product, its newest reports
        select(reports.c.app_version, reports.c.os)
        .where(reports.c.product_id == product_id, reports.c.bucket_pk != pk)
        .order_by(reports.c.received_at.desc())
        .limit(BASELINE_REPORTS)
        .subquery()
    )
    baseline = conn.execute(
        select(recent.c.app_version, recent.c.os, func.count()).group_by(
            recent.c.app_version, recent.c.os
        )
    ).all()
    own_versions: Counter[str | None] = Counter()
    own_os: Counter[str | None] = Counter()
    for version, os_name, n in own:
        own_versions[version] += int(n)
        own_os[os_name] += int(n)
    base_versions: Counter[str | None] = Counter()
    base_os: Counter[str | None] = Counter()
    for version, os_name, n in baseline:
        base_versions[version] += int(n)
        base_os[os_name] += int(n)
    return BucketFacets(
        versions=_facet("Application version", own_versions, base_versions),
        os=_facet("OS", own_os, base_os),
        packages=_packages(conn, product_id, pk),
    )


def _packages(conn: Connection, product_id: int, pk: int) -> Facet:
    merged = list(conn.execute(select(buckets.c.id).where(buckets.c.merged_into == pk)).scalars())
    origins = [pk, *merged]
    mine = report_packages.c.origin_bucket_pk.in_(origins)
    own_rows = conn.execute(
        select(report_packages.c.name, report_packages.c.version, func.count())
        .where(mine)
        .group_by(report_packages.c.name, report_packages.c.version)
    ).all()
    own_total = conn.execute(
        select(func.count(distinct(report_packages.c.report_id))).where(mine)
    ).scalar_one()
    if not own_rows:
        return Facet("Python packages", 0, 0, ())
    recent = (
        select(report_packages.c.name, report_packages.c.version, report_packages.c.report_id)
        .where(report_packages.c.product_id == product_id, ~mine)
        .order_by(report_packages.c.received_at.desc())
        .limit(BASELINE_PACKAGE_ROWS)
        .subquery()
    )
    base_rows = conn.execute(
        select(recent.c.name, recent.c.version, func.count()).group_by(
            recent.c.name, recent.c.version
        )
    ).all()
    base_total = conn.execute(select(func.count(distinct(recent.c.report_id)))).scalar_one()
    own: Counter[str | None] = Counter(
        {f"{name}=={version}": int(n) for name, version, n in own_rows}
    )
    base: Counter[str | None] = Counter(
        {f"{name}=={version}": int(n) for name, version, n in base_rows}
    )
    return _facet("Python packages", own, base, int(own_total), int(base_total))


def _facet(
    name: str,
    own: Counter[str | None],
    base: Counter[str | None],
    own_total: int | None = None,
    base_total: int | None = None,
) -> Facet:
    """A facet of ``own`` counts against ``base`` counts; the values ``own`` has, the
    over-represented first, then the most frequent."""
    total = own_total if own_total is not None else sum(own.values())
    baseline_total = base_total if base_total is not None else sum(base.values())
    values = [
        FacetValue(
            value=value,
            count=count,
            share=count / total if total else 0.0,
            baseline_count=base.get(value, 0),
            baseline_share=base.get(value, 0) / baseline_total if baseline_total else 0.0,
            baseline_total=baseline_total,
        )
        for value, count in own.items()
    ]
    values.sort(key=lambda v: (not v.over_represented, -v.count, _sort_text(v.value)))
    return Facet(name, total, baseline_total, tuple(values))


def _sort_text(value: str | None) -> str:
    return "\uffff" if value is None else value
