"""The ingest rules, as pure functions every backend shares (memory, SQLite, PostgreSQL).

Given a bucket's counters as they stand under the bucket's lock (a row lock on PostgreSQL, the
write lock on SQLite) and the new hits in arrival order, :func:`plan_hits` decides each hit's
ordinal, whether its bundle is wanted (explicit request first, then the product's policy within
the day's bound, and only what the user's consent allows), and the bucket's new status
(regression). The backends only read the counters and write the plan back, so the rules cannot
drift between them.

Versions compare with :mod:`packaging.version` when both sides are PEP 440 versions, else as
tuples of their decimal numbers (``"3.11.7"`` → ``(3, 11, 7)``, ``"2024-05 build 7"`` →
``(2024, 5, 7)``), which orders the usual dotted versions the way people expect.

Pure: no I/O, no clock; thread-safe.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

from openwer.formats.protocol import DataRequest, Solution, Stage1Request, Stage1Response
from openwer.server.storage.model import BucketStatus, DataPolicy
from openwer.types import ConsentLevel, DumpType

try:
    from packaging.version import InvalidVersion, Version

    _HAVE_PACKAGING = True
except ImportError:  # pragma: no cover - packaging is nearly always installed
    _HAVE_PACKAGING = False

__all__ = [
    "BucketCounters",
    "HitFacts",
    "HitPlan",
    "app_version_of",
    "build_response",
    "consent_allows",
    "os_of",
    "plan_hits",
    "signature_text",
    "upload_url",
    "version_at_least",
]

_NUMBERS = re.compile(r"\d+")
_VERSION_NAME = re.compile(r"version", re.IGNORECASE)
_OS_NAMES = ("os", "os version")


@dataclass(frozen=True, slots=True)
class BucketCounters:
    """The part of a bucket the ingest rules read and write."""

    hits: int
    status: BucketStatus
    fixed_in_version: str | None
    explicit_remaining: int
    explicit_dump_type: DumpType | None


@dataclass(frozen=True, slots=True)
class HitFacts:
    """What the rules need to know about one new hit."""

    day: date
    consent: ConsentLevel
    app_version: str | None


@dataclass(frozen=True, slots=True)
class HitPlan:
    """The outcome of :func:`plan_hits`.

    ``requests[i]`` and ``ordinals[i]`` belong to the i-th hit; ``hits_by_day`` and
    ``bundles_by_day`` are the increments for the bucket's daily rows.
    """

    counters: BucketCounters
    ordinals: tuple[int, ...]
    requests: tuple[DataRequest | None, ...]
    hits_by_day: Mapping[date, int]
    bundles_by_day: Mapping[date, int]


def plan_hits(
    counters: BucketCounters,
    policy: DataPolicy,
    bundles_asked: Mapping[date, int],
    hits: Sequence[HitFacts],
) -> HitPlan:
    """Apply ``hits`` (in arrival order) to a bucket; ``bundles_asked`` is per day so far."""
    current = counters
    ordinals: list[int] = []
    requests: list[DataRequest | None] = []
    hits_by_day: dict[date, int] = {}
    bundles_by_day: dict[date, int] = {}
    for hit in hits:
        ordinal = current.hits + 1
        status = current.status
        regressed_now = status is BucketStatus.RESOLVED and (
            current.fixed_in_version is None
            or (
                hit.app_version is not None
                and version_at_least(hit.app_version, current.fixed_in_version)
            )
        )
        if regressed_now:
            status = BucketStatus.REGRESSED
        remaining = current.explicit_remaining
        explicit_type = current.explicit_dump_type or DumpType.MINI_DUMP
        asked_today = bundles_asked.get(hit.day, 0) + bundles_by_day.get(hit.day, 0)
        request: DataRequest | None = None
        if remaining > 0 and consent_allows(hit.consent, explicit_type):
            remaining -= 1
            request = DataRequest(dump_type=explicit_type, explicit=True)
        elif (
            status is not BucketStatus.IGNORED
            and consent_allows(hit.consent, policy.default_dump_type)
            and asked_today < policy.max_bundles_per_day
            and (
                ordinal <= policy.first_n
                or (policy.one_in_k > 0 and ordinal % policy.one_in_k == 0)
                or regressed_now
            )
        ):
            request = DataRequest(dump_type=policy.default_dump_type)
        if request is not None:
            bundles_by_day[hit.day] = bundles_by_day.get(hit.day, 0) + 1
        hits_by_day[hit.day] = hits_by_day.get(hit.day, 0) + 1
        ordinals.append(ordinal)
        requests.append(request)
        current = replace(current, hits=ordinal, status=status, explicit_remaining=remaining)
    return HitPlan(current, tuple(ordinals), tuple(requests), hits_by_day, bundles_by_day)


def consent_allows(consent: ConsentLevel, dump_type: DumpType) -> bool:
    """True when a user at ``consent`` may send a bundle holding ``dump_type``.

    ``ALWAYS_ASK`` means the client asks the user at send time, so the server may ask; heap
    (full) dumps need ``ALL_DATA``; smaller dumps need at least ``PARAMETERS_AND_SAFE_DATA``.
    """
    if consent is ConsentLevel.ALWAYS_ASK or consent >= ConsentLevel.ALL_DATA:
        return True
    if consent >= ConsentLevel.PARAMETERS_AND_SAFE_DATA:
        return dump_type not in (DumpType.HEAP_DUMP, DumpType.MAX)
    return False


def version_at_least(version: str, minimum: str) -> bool:
    """True when ``version`` is ``minimum`` or newer (see the module docstring)."""
    if _HAVE_PACKAGING:
        try:
            return Version(version) >= Version(minimum)
        except InvalidVersion:
            pass
    return _numbers(version) >= _numbers(minimum)


def _numbers(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in _NUMBERS.findall(version)[:16])


def signature_text(event_type: str, values: Sequence[str]) -> str:
    """The string regex solutions match: ``"<event type>|P0|P1|…"``."""
    return "|".join((event_type, *values))


def app_version_of(request: Stage1Request) -> str | None:
    """The application version: ``request.app_version``, else P1 when its name says version."""
    if request.app_version:
        return request.app_version
    if len(request.signature) > 1 and _VERSION_NAME.search(request.signature[1].name):
        return request.signature[1].value or None
    return None


def os_of(request: Stage1Request) -> str | None:
    """The OS: the client field ``os``, else the dynamic signature parameter "OS Version"."""
    for key, value in request.client:
        if key.casefold() == "os" and value:
            return value
    for parameter in request.dynamic_signature:
        if parameter.name.casefold() in _OS_NAMES and parameter.value:
            return parameter.value
    return None


def upload_url(report_id: str) -> str:
    """Where stage 2 sends the bundle of ``report_id``."""
    return f"/api/v1/reports/{report_id}/bundle"


def build_response(
    report_id: str,
    bucket_id: str,
    legacy_bucket_id: int,
    data_request: DataRequest | None,
    solution: Solution | None,
) -> Stage1Response:
    """The stage 1 answer for a report counted in bucket ``bucket_id``."""
    return Stage1Response(
        bucket_id=bucket_id,
        legacy_bucket_id=legacy_bucket_id,
        bucket_table=1,
        data_request=data_request,
        upload_url=upload_url(report_id) if data_request is not None else None,
        solution=solution,
    )
