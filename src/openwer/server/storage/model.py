"""The storage's vocabulary: scopes, policies, inputs and named outcomes.

Every type here is a frozen dataclass or an enum, so values cross threads (the ingest batcher's
writer thread, the ASGI event loop) without copies or locks. Rows read back from storage are in
:mod:`openwer.server.storage.rows`.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from openwer.errors import InvalidArgumentError
from openwer.formats.modules_manifest import PackageVersion
from openwer.formats.protocol import Stage1Request, Stage1Response
from openwer.types import DumpType

__all__ = [
    "BucketQuery",
    "BucketRef",
    "BucketSort",
    "BucketStatus",
    "BundleOutcome",
    "BundleResult",
    "BundleState",
    "BundleUpload",
    "DataPolicy",
    "IssuedSecret",
    "PrunedBundle",
    "ReportFile",
    "Scope",
    "Stage1Item",
    "Stage1Outcome",
    "Stage1Status",
    "canonical_report_id",
]


class BucketStatus(enum.StrEnum):
    """A bucket's lifecycle state.

    ``NEW`` until someone acts on it; ``RESOLVED`` (optionally "fixed in version X");
    ``REGRESSED`` when a resolved bucket is hit again (from X or newer when X is set);
    ``IGNORED`` buckets still count hits but the product policy asks no data for them.
    """

    NEW = "new"
    RESOLVED = "resolved"
    REGRESSED = "regressed"
    IGNORED = "ignored"


class BundleState(enum.StrEnum):
    """Where a report's bundle (the stage 2 CAB) stands."""

    NONE = "none"  # not asked for
    WANTED = "wanted"  # asked for in the stage 1 answer, not received yet
    STORED = "stored"  # received; ``bundle_key`` names the blob
    PRUNED = "pruned"  # received, then removed by retention (hit counts stay)


class Stage1Status(enum.StrEnum):
    """What ingesting one stage 1 did."""

    NEW = "new"  # a new report: one hit counted, answer stored
    REPEAT = "repeat"  # the report id was seen before: the stored answer, no new hit
    ID_CONFLICT = "id_conflict"  # the report id belongs to another product: refused
    WRONG_PRODUCT = "wrong_product"  # unknown product, or ``request.product`` names another


class BundleOutcome(enum.StrEnum):
    """What recording a stage 2 bundle did."""

    STORED = "stored"  # recorded now
    ALREADY_STORED = "already_stored"  # recorded before (or since pruned): keep the old blob
    NOT_REQUESTED = "not_requested"  # the server did not ask for this report's bundle
    UNKNOWN_REPORT = "unknown_report"  # no such report for this product


class BucketSort(enum.StrEnum):
    """Orders of :meth:`QueryRepository.list_buckets`; every order is descending."""

    HITS = "hits"  # hits within the query's days (all days when unbounded)
    LAST_SEEN = "last_seen"
    FIRST_SEEN = "first_seen"


@dataclass(frozen=True, slots=True)
class Scope:
    """The products a caller may see and change: a key's product, or everything (admins).

    Build with :meth:`products` or :meth:`everything`; there is no implicit "all".
    """

    product_ids: frozenset[int] | None

    @classmethod
    def products(cls, product_ids: Iterable[int]) -> Scope:
        """A scope limited to ``product_ids`` (possibly none at all)."""
        return cls(frozenset(product_ids))

    @classmethod
    def everything(cls) -> Scope:
        """The scope of an admin token: every product."""
        return cls(None)

    def allows(self, product_id: int) -> bool:
        """True when ``product_id`` is inside the scope."""
        return self.product_ids is None or product_id in self.product_ids


@dataclass(frozen=True, slots=True)
class BucketRef:
    """One bucket: bucket GUIDs are per signature, so the same GUID may exist in two products.

    ``bucket_id`` is kept in canonical form (lower case, dashed); a non-GUID is refused with
    ``InvalidArgumentError``.
    """

    product_id: int
    bucket_id: str

    def __post_init__(self) -> None:
        try:
            canonical = str(uuid.UUID(self.bucket_id))
        except (ValueError, TypeError, AttributeError) as exc:
            raise InvalidArgumentError(f"not a bucket id: {self.bucket_id!r}") from exc
        object.__setattr__(self, "bucket_id", canonical)


@dataclass(frozen=True, slots=True)
class DataPolicy:
    """A product's data-request policy (progressive data collection, as WER's servers do).

    A new report's bundle is wanted when its hit ordinal in its bucket is ``<= first_n`` or a
    multiple of ``one_in_k`` (0 turns sampling off), and the bucket has had fewer than
    ``max_bundles_per_day`` bundles asked for that day (UTC). Explicit per-bucket requests are
    not subject to this policy.
    """

    first_n: int = 5
    one_in_k: int = 100
    max_bundles_per_day: int = 50
    default_dump_type: DumpType = DumpType.MINI_DUMP

    def __post_init__(self) -> None:
        for name in ("first_n", "one_in_k", "max_bundles_per_day"):
            value = getattr(self, name)
            if not 0 <= value <= 1_000_000_000:
                raise InvalidArgumentError(f"DataPolicy.{name} must be in 0..1e9, not {value}")


@dataclass(frozen=True, slots=True)
class Stage1Item:
    """One stage 1 to ingest for ``product_id`` (the product of the caller's ingest key).

    ``received_at`` (timezone-aware) defaults to the repository's clock.
    """

    product_id: int
    request: Stage1Request
    received_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Stage1Outcome:
    """The result of one stage 1: ``response`` is set for ``NEW`` and ``REPEAT``."""

    report_id: str
    status: Stage1Status
    response: Stage1Response | None = None
    hit_ordinal: int | None = None


@dataclass(frozen=True, slots=True)
class ReportFile:
    """One file of a stored bundle (name inside the CAB and size in bytes)."""

    name: str
    size: int


@dataclass(frozen=True, slots=True)
class BundleUpload:
    """A stage 2 bundle the blob store has written under ``blob_key``.

    ``packages`` are the Python packages its ``modules.json`` names (indexed for the
    dashboard's distributions when the bundle is recorded).
    """

    product_id: int
    report_id: str
    blob_key: str
    size: int
    files: tuple[ReportFile, ...] = ()
    received_at: datetime | None = None
    packages: tuple[PackageVersion, ...] = ()


@dataclass(frozen=True, slots=True)
class BundleResult:
    """The outcome of recording a bundle and the blob key storage holds for the report.

    When ``outcome`` is not ``STORED`` and ``blob_key`` differs from the upload's, the caller
    deletes the blob it wrote (``blob_key`` is ``None`` once pruned).
    """

    outcome: BundleOutcome
    blob_key: str | None


@dataclass(frozen=True, slots=True)
class PrunedBundle:
    """A bundle retention removed from the books; the blob store deletes ``blob_key``."""

    report_id: str
    blob_key: str
    size: int


@dataclass(frozen=True, slots=True)
class IssuedSecret:
    """A new ingest key or admin token. ``secret`` is shown once; storage keeps only its hash."""

    id: int
    secret: str
    product_id: int | None = None


@dataclass(frozen=True, slots=True)
class BucketQuery:
    """Filters of :meth:`QueryRepository.list_buckets`.

    ``since``/``until`` are inclusive UTC days; ``version`` counts only reports of that app
    version. Merged buckets are never listed (their hits count on the target).
    """

    event_type: str | None = None
    version: str | None = None
    since: date | None = None
    until: date | None = None
    status: BucketStatus | None = None
    sort: BucketSort = BucketSort.HITS
    limit: int = 50
    offset: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= 1000:
            raise InvalidArgumentError(f"limit must be in 1..1000, not {self.limit}")
        if self.offset < 0:
            raise InvalidArgumentError(f"offset must be >= 0, not {self.offset}")


def canonical_report_id(report_id: str) -> str:
    """``report_id`` as a lower-case dashed UUID; ``InvalidArgumentError`` if it is not one."""
    try:
        return str(uuid.UUID(report_id))
    except (ValueError, TypeError, AttributeError) as exc:
        raise InvalidArgumentError(f"report id is not a UUID: {report_id!r}") from exc
