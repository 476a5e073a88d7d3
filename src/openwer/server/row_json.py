"""The JSON forms of storage rows that the admin API and ``openwer buckets|solutions`` print.

One shape per row kind, shared by HTTP answers and the CLI's ``--json`` so both stay alike
(docs/protocol.md "Admin API", docs/cli.md). Buckets, bucket details and reports have the
shapes of the query API (:mod:`openwer.server.routes.queries`). Shapes only gain fields.
Product names come from a ``{product id: name}`` map the caller reads once.

Pure; thread-safe.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from openwer.server.dump_type_names import dump_type_name
from openwer.server.solution_patterns import split_scoped_pattern
from openwer.server.storage import (
    BucketDetail,
    BucketRow,
    DataPolicy,
    ProductRow,
    ReportRow,
    SolutionRow,
)

__all__ = [
    "bucket_json",
    "data_requests_json",
    "detail_json",
    "policy_json",
    "product_json",
    "report_json",
    "solution_json",
]


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def bucket_json(bucket: BucketRow, names: Mapping[int, str]) -> dict[str, Any]:
    """A bucket as ``GET /api/v1/buckets`` lists it (without ``range_hits``)."""
    return {
        "id": bucket.bucket_id,
        "product": names.get(bucket.product_id),
        "legacy_bucket_id": bucket.legacy_bucket_id,
        "event_type": bucket.event_type,
        "signature": [{"name": p.name, "value": p.value} for p in bucket.signature],
        "hits": bucket.hits,
        "first_seen": _time(bucket.first_seen),
        "last_seen": _time(bucket.last_seen),
        "status": bucket.status.value,
        "fixed_in_version": bucket.fixed_in_version,
        "merged_into": bucket.merged_into,
        "bundles_collected": bucket.bundles_collected,
    }


def data_requests_json(bucket: BucketRow, names: Mapping[int, str]) -> dict[str, Any]:
    """A bucket's explicit data requests: storage holds at most one open request per bucket.

    ``files`` is always empty: explicit requests ask for a dump only (see docs/protocol.md).
    """
    requests = []
    if bucket.explicit_remaining > 0 and bucket.explicit_dump_type is not None:
        kind = bucket.explicit_dump_type
        requests.append(
            {
                "remaining": bucket.explicit_remaining,
                "dump_type": int(kind),
                "dump_type_name": dump_type_name(kind),
                "files": [],
            }
        )
    return {
        "bucket_id": bucket.bucket_id,
        "product": names.get(bucket.product_id),
        "requests": requests,
        "bundles_collected": bucket.bundles_collected,
    }


def detail_json(detail: BucketDetail, names: Mapping[int, str]) -> dict[str, Any]:
    """A bucket as ``GET /api/v1/buckets/{id}`` shows it."""
    bucket = detail.bucket
    solution = detail.solution
    return {
        **bucket_json(bucket, names),
        "hits_per_day": [{"day": d.day.isoformat(), "hits": d.hits} for d in detail.hits_per_day],
        "versions": [{"value": v.value, "count": v.count} for v in detail.versions],
        "os": [{"value": v.value, "count": v.count} for v in detail.os],
        "sample_reports": [report_json(r, names) for r in detail.sample_reports],
        "data_requests": {
            "explicit_remaining": bucket.explicit_remaining,
            "explicit_dump_type": (
                None if bucket.explicit_dump_type is None else int(bucket.explicit_dump_type)
            ),
            "bundles_collected": bucket.bundles_collected,
        },
        "solution": None
        if solution is None
        else {"id": solution.id, "message": solution.message, "url": solution.url},
        "merged_from": list(detail.merged_from),
    }


def report_json(row: ReportRow, names: Mapping[int, str]) -> dict[str, Any]:
    """A report as ``GET /api/v1/reports/{id}`` shows it."""
    return {
        "id": row.report_id,
        "product": names.get(row.product_id),
        "bucket_id": row.bucket_id,
        "received_at": _time(row.received_at),
        "event_type": row.event_type,
        "report_type": row.report_type,
        "app_version": row.app_version,
        "os": row.os,
        "client": dict(row.client),
        "consent": int(row.consent),
        "hit_ordinal": row.hit_ordinal,
        "bundle": {
            "wanted": row.bundle_wanted,
            "state": row.bundle_state.value,
            "size": row.bundle_size,
            "received_at": _time(row.bundle_received_at),
        },
        "files": [{"name": f.name, "size": f.size} for f in row.files],
    }


def solution_json(row: SolutionRow, names: Mapping[int, str]) -> dict[str, Any]:
    """A solution; a pattern limited to one event type shows as ``event_type`` + ``pattern``."""
    event_type, pattern = (None, None) if row.pattern is None else split_scoped_pattern(row.pattern)
    return {
        "id": row.id,
        "product": names.get(row.product_id),
        "bucket_id": row.bucket_id,
        "pattern": pattern,
        "event_type": event_type,
        "message": row.message,
        "url": row.url,
        "created_at": _time(row.created_at),
    }


def policy_json(policy: DataPolicy) -> dict[str, Any]:
    """A product's data-request policy."""
    return {
        "first_n": policy.first_n,
        "one_in_k": policy.one_in_k,
        "max_bundles_per_day": policy.max_bundles_per_day,
        "default_dump_type": int(policy.default_dump_type),
        "default_dump_type_name": dump_type_name(policy.default_dump_type),
    }


def product_json(product: ProductRow) -> dict[str, Any]:
    """A product with its policy."""
    return {
        "name": product.name,
        "id": product.id,
        "created_at": _time(product.created_at),
        "policy": policy_json(product.policy),
    }
