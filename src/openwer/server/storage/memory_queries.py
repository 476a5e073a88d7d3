"""Reads of the memory fake: the SQL queries' semantics on plain objects.

Called under the repository's lock.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

from openwer.errors import InvalidArgumentError, NotFoundError
from openwer.formats.protocol import Solution
from openwer.server.storage.decisions import signature_text
from openwer.server.storage.memory_state import MemBucket, MemoryState, MemReport
from openwer.server.storage.model import (
    BucketQuery,
    BucketRef,
    BucketSort,
    BundleState,
    Scope,
    canonical_report_id,
)
from openwer.server.storage.rows import (
    BucketDetail,
    BucketPage,
    BucketSummary,
    DayCount,
    ReportRow,
    SolutionRow,
    ValueCount,
)
from openwer.server.storage.solution_match import PatternCache

__all__ = ["bucket_detail", "bucket_page", "report", "wanting_bundle"]

_DISTRIBUTION_LIMIT = 20


def _range_hits(state: MemoryState, bucket: MemBucket, query: BucketQuery) -> int | None:
    """Hits in the query's range, or ``None`` when the bucket has none and a range is set."""
    bounded = query.since is not None or query.until is not None
    if query.version is None and not bounded:
        return bucket.hits

    def inside(day: date) -> bool:
        return (query.since is None or day >= query.since) and (
            query.until is None or day <= query.until
        )

    if query.version is not None:
        count = sum(
            1
            for r in state.reports.values()
            if r.bucket_pk == bucket.pk
            and r.app_version == query.version
            and inside(r.received_at.date())
        )
    else:
        days = [
            hits for (pk, day), (hits, _) in state.daily.items() if pk == bucket.pk and inside(day)
        ]
        if not days:
            return None
        count = sum(days)
    return count if count or query.version is None else None


def bucket_page(state: MemoryState, scope: Scope, query: BucketQuery) -> BucketPage:
    """See :meth:`QueryRepository.list_buckets`."""
    matches: list[tuple[MemBucket, int]] = []
    for bucket in state.buckets.values():
        if bucket.merged_into is not None or not scope.allows(bucket.product_id):
            continue
        if query.event_type is not None and bucket.event_type != query.event_type:
            continue
        if query.status is not None and bucket.status is not query.status:
            continue
        hits = _range_hits(state, bucket, query)
        if hits is not None:
            matches.append((bucket, hits))
    if query.sort is BucketSort.HITS:
        matches.sort(key=lambda m: (-m[1], m[0].pk))
    elif query.sort is BucketSort.LAST_SEEN:
        matches.sort(key=lambda m: (-m[0].last_seen.timestamp(), m[0].pk))
    else:
        matches.sort(key=lambda m: (-m[0].first_seen.timestamp(), m[0].pk))
    page = matches[query.offset : query.offset + query.limit]
    rows = tuple(BucketSummary(state.bucket_row(b), hits) for b, hits in page)
    return BucketPage(rows, len(matches))


def _distribution(values: list[str | None]) -> tuple[ValueCount, ...]:
    counted = sorted(Counter(values).items(), key=lambda kv: (-kv[1], kv[0] is None, kv[0] or ""))
    return tuple(ValueCount(value, n) for value, n in counted[:_DISTRIBUTION_LIMIT])


def _solution(state: MemoryState, bucket: MemBucket) -> SolutionRow | None:
    ordered = sorted(state.solutions.values(), key=lambda s: s.id)
    own = [s for s in ordered if s.bucket_pk == bucket.pk]
    if own:
        return state.solution_row(own[-1])
    by_id = {s.id: s for s in ordered}
    rows = [
        (s.id, s.pattern, Solution(s.message, s.url))
        for s in ordered
        if s.product_id == bucket.product_id and s.pattern is not None
    ]
    text = signature_text(bucket.event_type, [p.value for p in bucket.signature])
    for entry in PatternCache().put(bucket.product_id, 0, rows):
        if entry.pattern.search(text):
            return state.solution_row(by_id[entry.id])
    return None


def bucket_detail(
    state: MemoryState, scope: Scope, ref: BucketRef, days: tuple[date, date], samples: int
) -> BucketDetail:
    """See :meth:`QueryRepository.get_bucket`."""
    if not 0 <= samples <= 1000:
        raise InvalidArgumentError("samples must be in 0..1000")
    bucket = state.bucket(scope, ref)
    since, until = days
    per_day = sorted(
        (day, row[0])
        for (pk, day), row in state.daily.items()
        if pk == bucket.pk and since <= day <= until
    )
    mine = [r for r in state.reports.values() if r.bucket_pk == bucket.pk]
    newest = sorted(mine, key=lambda r: (-r.received_at.timestamp(), r.report_id))[:samples]
    merged = sorted(
        (b for b in state.buckets.values() if b.merged_into == bucket.pk), key=lambda b: b.pk
    )
    return BucketDetail(
        bucket=state.bucket_row(bucket),
        hits_per_day=tuple(DayCount(day, hits) for day, hits in per_day),
        versions=_distribution([r.app_version for r in mine]),
        os=_distribution([r.os for r in mine]),
        sample_reports=tuple(state.report_row(r, with_files=False) for r in newest),
        solution=_solution(state, bucket),
        merged_from=tuple(b.bucket_id for b in merged),
    )


def report(state: MemoryState, scope: Scope, report_id: str) -> ReportRow:
    """See :meth:`QueryRepository.get_report`."""
    try:
        found: MemReport | None = state.reports.get(canonical_report_id(report_id))
    except InvalidArgumentError as exc:
        raise NotFoundError(f"no report {report_id!r}") from exc
    if found is None or not scope.allows(found.product_id):
        raise NotFoundError(f"no report {report_id}")
    return state.report_row(found)


def wanting_bundle(state: MemoryState, scope: Scope, limit: int) -> list[str]:
    """See :meth:`QueryRepository.reports_wanting_bundle`."""
    wanted = sorted(
        (
            r
            for r in state.reports.values()
            if r.bundle_state is BundleState.WANTED and scope.allows(r.product_id)
        ),
        key=lambda r: (r.received_at, r.report_id),
    )
    return [r.report_id for r in wanted[: max(0, limit)]]
