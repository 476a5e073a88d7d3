"""Reading SQL result rows into the frozen rows of :mod:`openwer.server.storage.rows`.

Also the dialect's upsert-capable ``insert``. Pure; thread-safe.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import RowMapping, Table
from sqlalchemy.dialects import postgresql, sqlite

from openwer.errors import StoreError
from openwer.formats.protocol import SignatureParameter
from openwer.server.storage.model import BucketStatus, BundleState, DataPolicy, ReportFile
from openwer.server.storage.rows import BucketRow, ProductRow, ReportRow, SolutionRow
from openwer.types import ConsentLevel, DumpType

__all__ = [
    "bucket_row",
    "policy_columns",
    "product_row",
    "report_row",
    "signature_json",
    "signature_of",
    "solution_row",
    "upsert_insert",
]


def upsert_insert(dialect: str, table: Table) -> Any:
    """``INSERT`` with ``on_conflict_do_nothing``/``on_conflict_do_update`` for ``dialect``."""
    if dialect == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def policy_columns(policy: DataPolicy) -> dict[str, int]:
    """The products columns holding ``policy``."""
    return {
        "first_n": policy.first_n,
        "one_in_k": policy.one_in_k,
        "max_bundles_per_day": policy.max_bundles_per_day,
        "default_dump_type": int(policy.default_dump_type),
    }


def product_row(row: RowMapping) -> ProductRow:
    """A products row."""
    return ProductRow(
        id=row["id"],
        name=row["name"],
        created_at=row["created_at"],
        policy=DataPolicy(
            first_n=row["first_n"],
            one_in_k=row["one_in_k"],
            max_bundles_per_day=row["max_bundles_per_day"],
            default_dump_type=DumpType(row["default_dump_type"]),
        ),
    )


def signature_json(parameters: tuple[SignatureParameter, ...]) -> list[list[str]]:
    """The JSON form of a signature: ``[[name, value], …]``."""
    return [[parameter.name, parameter.value] for parameter in parameters]


def signature_of(value: Any) -> tuple[SignatureParameter, ...]:
    """Read back :func:`signature_json`."""
    try:
        return tuple(SignatureParameter(str(name), str(text)) for name, text in value)
    except (TypeError, ValueError) as exc:
        raise StoreError(f"a stored signature is damaged: {value!r}") from exc


def bucket_row(row: RowMapping, merged_into: str | None) -> BucketRow:
    """A buckets row; ``merged_into`` is the target's GUID (the row holds its key)."""
    dump = row["explicit_dump_type"]
    return BucketRow(
        product_id=row["product_id"],
        bucket_id=row["bucket_id"],
        legacy_bucket_id=row["legacy_id"],
        event_type=row["event_type"],
        signature=signature_of(row["signature"]),
        hits=row["hits"],
        first_seen=row["first_seen"],
        last_seen=row["last_seen"],
        status=BucketStatus(row["status"]),
        fixed_in_version=row["fixed_in_version"],
        merged_into=merged_into,
        bundles_collected=row["bundles_collected"],
        explicit_remaining=row["explicit_remaining"],
        explicit_dump_type=None if dump is None else DumpType(dump),
    )


def report_row(row: RowMapping, bucket_id: str, files: tuple[ReportFile, ...] = ()) -> ReportRow:
    """A reports row; ``bucket_id`` is the GUID of the bucket counting it."""
    return ReportRow(
        report_id=row["report_id"],
        product_id=row["product_id"],
        bucket_id=bucket_id,
        received_at=row["received_at"],
        event_type=row["event_type"],
        report_type=row["report_type"],
        app_version=row["app_version"],
        os=row["os"],
        client=tuple((str(key), str(value)) for key, value in row["client"]),
        consent=ConsentLevel(row["consent"]),
        hit_ordinal=row["hit_ordinal"],
        bundle_wanted=bool(row["bundle_wanted"]),
        bundle_state=BundleState(row["bundle_state"]),
        bundle_key=row["bundle_key"],
        bundle_size=row["bundle_size"],
        bundle_received_at=row["bundle_received_at"],
        files=files,
    )


def solution_row(row: RowMapping, bucket_id: str | None) -> SolutionRow:
    """A solutions row; ``bucket_id`` is the GUID of its bucket, if any."""
    return SolutionRow(
        id=row["id"],
        product_id=row["product_id"],
        bucket_id=bucket_id,
        pattern=row["pattern"],
        message=row["message"],
        url=row["url"],
        created_at=row["created_at"],
    )
