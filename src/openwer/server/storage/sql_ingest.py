"""The stage 1 ingest transaction (SQLite and PostgreSQL).

One call handles a whole batch in the caller's transaction, in phases that take locks in one
global order (bucket rows by id, then report ids sorted), so concurrent server processes on one
PostgreSQL cannot deadlock on each other in the usual case (and a deadlock or lost race is
retried by the caller):

1. products of the batch (policy, solutions version); items of unknown products are refused;
2. report ids already stored: a repeat gets its stored answer and no hit (another product's id
   is refused);
3. buckets: missing ones inserted (``ON CONFLICT DO NOTHING``: concurrent inserts of one new
   bucket make one row), merge targets found, target rows locked (``SELECT … FOR UPDATE``; on
   SQLite the transaction holds the write lock already);
4. :func:`~openwer.server.storage.decisions.plan_hits` per target bucket: ordinals, data
   requests, explicit request countdown, regression;
5. writes: buckets (absolute values computed under the lock), daily rows (upsert), then the
   reports (``INSERT … ON CONFLICT DO NOTHING RETURNING``). If another process stored one of
   these report ids meanwhile, fewer rows come back: :class:`RetryTransactionError` rolls the
   whole batch back and it is redone (the repeat is then seen in phase 2), so no hit is ever
   counted twice.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import Connection, RowMapping

from openwer.formats.protocol import Solution
from openwer.server.storage import sql_ingest_statements as stmt
from openwer.server.storage.answer_codec import answer_from_json, answer_to_json
from openwer.server.storage.decisions import (
    BucketCounters,
    HitPlan,
    build_response,
    plan_hits,
    signature_text,
)
from openwer.server.storage.model import BucketStatus, BundleState, Stage1Outcome, Stage1Status
from openwer.server.storage.prepared import PreparedItem, first_occurrences
from openwer.server.storage.rows import ProductRow
from openwer.server.storage.solution_match import PatternCache, PatternSolution, first_match
from openwer.server.storage.sql_rows import product_row, signature_json
from openwer.types import DumpType

__all__ = ["RetryTransactionError", "ingest_batch"]


class RetryTransactionError(Exception):
    """The transaction lost a race with another process; roll back and run it again."""


@dataclass(frozen=True, slots=True)
class _Product:
    row: ProductRow
    solutions_version: int


def ingest_batch(
    conn: Connection, dialect: str, prepared: Sequence[PreparedItem], patterns: PatternCache
) -> list[Stage1Outcome]:
    """Ingest ``prepared`` in ``conn``'s transaction; outcomes in the items' order."""
    outcomes: dict[int, Stage1Outcome] = {}
    unique, repeats = first_occurrences(prepared)
    known = _load_products(conn, {item.product_id for item in unique})
    candidates: list[PreparedItem] = []
    for item in unique:
        product = known.get(item.product_id)
        named = item.request.product
        if product is None or (named is not None and named != product.row.name):
            outcomes[item.index] = Stage1Outcome(item.report_id, Stage1Status.WRONG_PRODUCT)
        else:
            candidates.append(item)
    stored = _load_stored(conn, [item.report_id for item in candidates])
    fresh: list[PreparedItem] = []
    for item in candidates:
        previous = stored.get(item.report_id)
        if previous is None:
            fresh.append(item)
        elif previous["product_id"] != item.product_id:
            outcomes[item.index] = Stage1Outcome(item.report_id, Stage1Status.ID_CONFLICT)
        else:
            outcomes[item.index] = Stage1Outcome(
                item.report_id,
                Stage1Status.REPEAT,
                answer_from_json(previous["answer"]),
                previous["hit_ordinal"],
            )
    if fresh:
        outcomes.update(_count_fresh(conn, dialect, fresh, known, patterns))
    for index, first in repeats.items():
        outcome = outcomes[first]
        if outcome.status is Stage1Status.NEW:
            outcome = replace(outcome, status=Stage1Status.REPEAT)
        outcomes[index] = outcome
    return [outcomes[index] for index in range(len(prepared))]


def _sql(conn: Connection) -> stmt.DialectStatements:
    return stmt.dialect_statements(conn.dialect.name)


def _load_products(conn: Connection, ids: Iterable[int]) -> dict[int, _Product]:
    rows = conn.execute(_sql(conn).select_products, {"ids": sorted(ids)}).mappings()
    return {row["id"]: _Product(product_row(row), row["solutions_version"]) for row in rows}


def _load_stored(conn: Connection, report_ids: list[str]) -> dict[str, RowMapping]:
    if not report_ids:
        return {}
    rows = conn.execute(_sql(conn).select_stored, {"ids": report_ids}).mappings()
    return {row["report_id"]: row for row in rows}


def _bucket_keys(
    conn: Connection, keys: Iterable[tuple[int, str]]
) -> dict[tuple[int, str], tuple[int, int | None]]:
    wanted = set(keys)
    guids = sorted({guid for _, guid in wanted})
    found: dict[tuple[int, str], tuple[int, int | None]] = {}
    for row in conn.execute(_sql(conn).select_keys, {"guids": guids}).mappings():
        key = (row["product_id"], row["bucket_id"])
        if key in wanted:
            found[key] = (row["id"], row["merged_into"])
    return found


def _ensure_buckets(
    conn: Connection, dialect: str, fresh: Sequence[PreparedItem]
) -> dict[tuple[int, str], tuple[int, int | None]]:
    first_item: dict[tuple[int, str], PreparedItem] = {}
    for item in fresh:
        first_item.setdefault(item.key, item)
    found = _bucket_keys(conn, first_item)
    missing = sorted(key for key in first_item if key not in found)
    if missing:
        rows = [_new_bucket(first_item[key]) for key in missing]
        conn.execute(_sql(conn).insert_buckets, rows)
        found.update(_bucket_keys(conn, missing))
    return found


def _new_bucket(item: PreparedItem) -> dict[str, Any]:
    return {
        "product_id": item.product_id,
        "bucket_id": item.bucket_id,
        "legacy_id": item.legacy_id,
        "event_type": item.request.event_type,
        "signature": signature_json(item.request.signature),
        "hits": 0,
        "first_seen": item.received_at,
        "last_seen": item.received_at,
        "status": BucketStatus.NEW.value,
        "bundles_collected": 0,
        "explicit_remaining": 0,
    }


def _count_fresh(
    conn: Connection,
    dialect: str,
    fresh: Sequence[PreparedItem],
    known: Mapping[int, _Product],
    patterns: PatternCache,
) -> dict[int, Stage1Outcome]:
    sources = _ensure_buckets(conn, dialect, fresh)
    target_of = {key: merged or pk for key, (pk, merged) in sources.items()}
    locked = conn.execute(
        _sql(conn).lock_targets, {"pks": sorted(set(target_of.values()))}
    ).mappings()
    targets = {row["id"]: row for row in locked}
    if any(row["merged_into"] is not None for row in targets.values()):
        raise RetryTransactionError("a bucket was merged while this batch was counted")
    groups: dict[int, list[PreparedItem]] = defaultdict(list)
    for item in fresh:
        groups[target_of[item.key]].append(item)
    asked = _bundles_asked(conn, list(groups), {item.facts.day for item in fresh})
    plans: dict[int, HitPlan] = {}
    for pk in sorted(groups):
        row = targets[pk]
        counters = BucketCounters(
            hits=row["hits"],
            status=BucketStatus(row["status"]),
            fixed_in_version=row["fixed_in_version"],
            explicit_remaining=row["explicit_remaining"],
            explicit_dump_type=_dump_type(row["explicit_dump_type"]),
        )
        plans[pk] = plan_hits(
            counters,
            known[row["product_id"]].row.policy,
            asked.get(pk, {}),
            [item.facts for item in groups[pk]],
        )
    answers = _Solutions(conn, known, patterns, list(groups))
    outcomes: dict[int, Stage1Outcome] = {}
    report_rows: list[dict[str, Any]] = []
    for pk, group in groups.items():
        target, plan = targets[pk], plans[pk]
        for item, ordinal, request in zip(group, plan.ordinals, plan.requests, strict=True):
            response = build_response(
                item.report_id,
                target["bucket_id"],
                target["legacy_id"],
                request,
                answers.solution_for(pk, item),
            )
            outcomes[item.index] = Stage1Outcome(
                item.report_id, Stage1Status.NEW, response, ordinal
            )
            report_rows.append(_report_values(item, pk, sources[item.key][0], ordinal, response))
    _write_buckets(conn, dialect, targets, groups, plans)
    _insert_reports(conn, report_rows)
    return outcomes


def _dump_type(value: int | None) -> DumpType | None:
    return None if value is None else DumpType(value)


def _bundles_asked(conn: Connection, pks: list[int], days: set[date]) -> dict[int, dict[date, int]]:
    asked: dict[int, dict[date, int]] = defaultdict(dict)
    for pk, day, bundles in conn.execute(
        _sql(conn).select_asked, {"pks": sorted(pks), "days": sorted(days)}
    ):
        asked[pk][day] = bundles
    return asked


class _Solutions:
    """The solution of each hit: its bucket's own (newest), else the product's first regex."""

    def __init__(
        self,
        conn: Connection,
        known: Mapping[int, _Product],
        patterns: PatternCache,
        pks: list[int],
    ) -> None:
        self._conn = conn
        self._known = known
        self._patterns = patterns
        self._own: dict[int, Solution] = {}
        if any(product.solutions_version for product in known.values()):
            for pk, message, url in conn.execute(
                _sql(conn).select_own_solutions, {"pks": sorted(pks)}
            ):
                self._own[pk] = Solution(message, url)
        self._matched: dict[tuple[int, str], Solution | None] = {}

    def solution_for(self, pk: int, item: PreparedItem) -> Solution | None:
        own = self._own.get(pk)
        if own is not None:
            return own
        if item.key not in self._matched:
            product = self._known[item.product_id]
            compiled: tuple[PatternSolution, ...] = ()
            if product.solutions_version:
                found = self._patterns.get(item.product_id, product.solutions_version)
                compiled = found if found is not None else self._load(product)
            text = signature_text(item.request.event_type, item.values)
            self._matched[item.key] = first_match(compiled, text) if compiled else None
        return self._matched[item.key]

    def _load(self, product: _Product) -> tuple[PatternSolution, ...]:
        rows = [
            (sid, pattern, Solution(message, url))
            for sid, pattern, message, url in self._conn.execute(
                stmt.SELECT_PATTERNS, {"product": product.row.id}
            )
        ]
        return self._patterns.put(product.row.id, product.solutions_version, rows)


def _report_values(
    item: PreparedItem, pk: int, origin: int, ordinal: int, response: Any
) -> dict[str, Any]:
    request = item.request
    wanted = response.data_request is not None
    return {
        "report_id": item.report_id,
        "product_id": item.product_id,
        "bucket_pk": pk,
        "origin_bucket_pk": origin,
        "received_at": item.received_at,
        "event_type": request.event_type,
        "report_type": int(request.report_type),
        "app_version": item.facts.app_version,
        "os": item.os,
        "client": [list(pair) for pair in request.client],
        "consent": int(request.consent),
        "hit_ordinal": ordinal,
        "bundle_wanted": wanted,
        "bundle_state": (BundleState.WANTED if wanted else BundleState.NONE).value,
        "answer": answer_to_json(response),
    }


def _write_buckets(
    conn: Connection,
    dialect: str,
    targets: Mapping[int, RowMapping],
    groups: Mapping[int, list[PreparedItem]],
    plans: Mapping[int, HitPlan],
) -> None:
    updates = []
    daily = []
    for pk in sorted(groups):
        plan = plans[pk]
        last_seen = max(targets[pk]["last_seen"], *(item.received_at for item in groups[pk]))
        updates.append(
            {
                "b_pk": pk,
                "b_hits": plan.counters.hits,
                "b_last_seen": last_seen,
                "b_status": plan.counters.status.value,
                "b_explicit": plan.counters.explicit_remaining,
            }
        )
        for day in sorted(plan.hits_by_day):
            daily.append(
                {
                    "bucket_pk": pk,
                    "day": day,
                    "hits": plan.hits_by_day[day],
                    "bundles": plan.bundles_by_day.get(day, 0),
                }
            )
    conn.execute(stmt.UPDATE_BUCKET, updates)
    conn.execute(_sql(conn).upsert_daily, daily)


def _insert_reports(conn: Connection, rows: list[dict[str, Any]]) -> None:
    rows.sort(key=lambda row: row["report_id"])
    statements = _sql(conn)
    if not statements.columnar_reports:
        conn.execute(statements.insert_reports, rows)
        return
    columns = {
        name: [json.dumps(row[name]) if name in stmt.JSON_COLUMNS else row[name] for row in rows]
        for name, _ in stmt.REPORT_COLUMNS
    }
    inserted = conn.execute(statements.insert_reports, columns).scalars().all()
    if len(inserted) != len(rows):
        raise RetryTransactionError("a report id of this batch was stored concurrently")
