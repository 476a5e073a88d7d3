"""Ingest, bundles and retention of the memory fake: the SQL semantics on plain objects.

The rules themselves are the shared pure functions (:func:`.decisions.plan_hits`,
:mod:`.solution_match`); this module only stores. Called under the repository's lock.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from openwer.formats.protocol import Solution
from openwer.server.storage.decisions import (
    BucketCounters,
    build_response,
    plan_hits,
    signature_text,
)
from openwer.server.storage.memory_state import MemBucket, MemoryState, MemReport
from openwer.server.storage.model import (
    BundleOutcome,
    BundleResult,
    BundleState,
    BundleUpload,
    PrunedBundle,
    Stage1Outcome,
    Stage1Status,
    canonical_report_id,
)
from openwer.server.storage.prepared import PreparedItem, first_occurrences
from openwer.server.storage.solution_match import PatternCache, first_match

__all__ = ["ingest", "prune", "record"]


def ingest(state: MemoryState, prepared: Sequence[PreparedItem]) -> list[Stage1Outcome]:
    """Ingest a checked batch (see :meth:`IngestRepository.ingest_stage1`)."""
    outcomes: dict[int, Stage1Outcome] = {}
    unique, repeats = first_occurrences(prepared)
    fresh: list[PreparedItem] = []
    for item in unique:
        product = state.products.get(item.product_id)
        stored = state.reports.get(item.report_id)
        named = item.request.product
        if product is None or (named is not None and named != product.name):
            outcomes[item.index] = Stage1Outcome(item.report_id, Stage1Status.WRONG_PRODUCT)
        elif stored is None:
            fresh.append(item)
        elif stored.product_id != item.product_id:
            outcomes[item.index] = Stage1Outcome(item.report_id, Stage1Status.ID_CONFLICT)
        else:
            outcomes[item.index] = Stage1Outcome(
                item.report_id, Stage1Status.REPEAT, stored.answer, stored.hit_ordinal
            )
    groups: dict[int, list[PreparedItem]] = defaultdict(list)
    for item in fresh:
        groups[_target(state, _bucket_for(state, item))].append(item)
    for pk in sorted(groups):
        _count(state, pk, groups[pk], outcomes)
    for index, first in repeats.items():
        outcome = outcomes[first]
        if outcome.status is Stage1Status.NEW:
            outcome = replace(outcome, status=Stage1Status.REPEAT)
        outcomes[index] = outcome
    return [outcomes[index] for index in range(len(prepared))]


def _bucket_for(state: MemoryState, item: PreparedItem) -> MemBucket:
    pk = state.bucket_keys.get(item.key)
    if pk is None:
        pk = next(state.ids)
        state.bucket_keys[item.key] = pk
        state.buckets[pk] = MemBucket(
            pk=pk,
            product_id=item.product_id,
            bucket_id=item.bucket_id,
            legacy_id=item.legacy_id,
            event_type=item.request.event_type,
            signature=item.request.signature,
            first_seen=item.received_at,
            last_seen=item.received_at,
        )
    return state.buckets[pk]


def _target(state: MemoryState, bucket: MemBucket) -> int:
    return bucket.pk if bucket.merged_into is None else bucket.merged_into


def _count(
    state: MemoryState, pk: int, group: list[PreparedItem], outcomes: dict[int, Stage1Outcome]
) -> None:
    bucket = state.buckets[pk]
    counters = BucketCounters(
        bucket.hits,
        bucket.status,
        bucket.fixed_in_version,
        bucket.explicit_remaining,
        bucket.explicit_dump_type,
    )
    asked = {day: row[1] for (bpk, day), row in state.daily.items() if bpk == pk}
    policy = state.product(bucket.product_id).policy
    plan = plan_hits(counters, policy, asked, [item.facts for item in group])
    bucket.hits = plan.counters.hits
    bucket.status = plan.counters.status
    bucket.explicit_remaining = plan.counters.explicit_remaining
    bucket.last_seen = max(bucket.last_seen, *(item.received_at for item in group))
    for day, hits in plan.hits_by_day.items():
        row = state.daily.setdefault((pk, day), [0, 0])
        row[0] += hits
        row[1] += plan.bundles_by_day.get(day, 0)
    for item, ordinal, request in zip(group, plan.ordinals, plan.requests, strict=True):
        solution = _solution(state, pk, item)
        response = build_response(
            item.report_id, bucket.bucket_id, bucket.legacy_id, request, solution
        )
        state.reports[item.report_id] = MemReport(
            report_id=item.report_id,
            product_id=item.product_id,
            bucket_pk=pk,
            origin_bucket_pk=state.bucket_keys[item.key],
            received_at=item.received_at,
            event_type=item.request.event_type,
            report_type=int(item.request.report_type),
            app_version=item.facts.app_version,
            os=item.os,
            client=item.request.client,
            consent=item.request.consent,
            hit_ordinal=ordinal,
            answer=response,
            bundle_state=BundleState.NONE if request is None else BundleState.WANTED,
        )
        outcomes[item.index] = Stage1Outcome(item.report_id, Stage1Status.NEW, response, ordinal)


def _solution(state: MemoryState, pk: int, item: PreparedItem) -> Solution | None:
    ordered = sorted(state.solutions.values(), key=lambda s: s.id)
    own = [s for s in ordered if s.bucket_pk == pk]
    if own:
        return Solution(own[-1].message, own[-1].url)
    rows = [
        (s.id, s.pattern, Solution(s.message, s.url))
        for s in ordered
        if s.product_id == item.product_id and s.pattern is not None
    ]
    patterns = PatternCache().put(item.product_id, 0, rows)
    return first_match(patterns, signature_text(item.request.event_type, item.values))


def record(state: MemoryState, upload: BundleUpload, now: datetime) -> BundleResult:
    """Record a bundle (see :meth:`IngestRepository.record_bundle`)."""
    report = state.reports.get(canonical_report_id(upload.report_id))
    if report is None or report.product_id != upload.product_id:
        return BundleResult(BundleOutcome.UNKNOWN_REPORT, None)
    if report.bundle_state is BundleState.NONE:
        return BundleResult(BundleOutcome.NOT_REQUESTED, None)
    if report.bundle_state is not BundleState.WANTED:
        return BundleResult(BundleOutcome.ALREADY_STORED, report.bundle_key)
    report.bundle_state = BundleState.STORED
    report.bundle_key = upload.blob_key
    report.bundle_size = upload.size
    report.bundle_received_at = upload.received_at or now
    report.files = upload.files
    state.buckets[report.bucket_pk].bundles_collected += 1
    return BundleResult(BundleOutcome.STORED, upload.blob_key)


def prune(
    state: MemoryState, older_than: datetime | None, max_total_bytes: int | None, limit: int
) -> list[PrunedBundle]:
    """Prune bundles (see :meth:`AdminRepository.prune_bundles`)."""
    stored = sorted(
        (r for r in state.reports.values() if r.bundle_state is BundleState.STORED),
        key=lambda r: (r.bundle_received_at, r.report_id),
    )
    chosen: list[MemReport] = []
    if older_than is not None:
        chosen = [r for r in stored if r.bundle_received_at < older_than][:limit]  # type: ignore[operator]
    if max_total_bytes is not None and len(chosen) < limit:
        remaining = [r for r in stored if r not in chosen]
        newer_total = 0
        beyond: list[MemReport] = []
        for report in reversed(remaining):
            newer_total += report.bundle_size or 0
            if newer_total > max_total_bytes:
                beyond.append(report)
        chosen.extend(list(reversed(beyond))[: limit - len(chosen)])
    pruned = []
    for report in chosen:
        pruned.append(
            PrunedBundle(report.report_id, report.bundle_key or "", report.bundle_size or 0)
        )
        report.bundle_state = BundleState.PRUNED
        report.bundle_key = None
    return pruned
