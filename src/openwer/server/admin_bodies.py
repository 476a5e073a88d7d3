"""The JSON bodies of the admin API, read strictly into frozen values.

Each ``parse_*`` takes the decoded object (:func:`openwer.formats.json_body.load_json_object`
already bounded its size, nesting and numbers) and returns a value or raises ``FormatError``
naming the field (the server answers 400). Types are exact, as in the ingest protocol; unlike
the ingest protocol, **unknown fields are refused**: an admin's misspelt ``"fixed_In"`` must not
quietly resolve a bucket without its version. Dump types are numbers or WER names
(:mod:`openwer.server.dump_type_names`).

Pure; thread-safe.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from openwer.errors import FormatError, InvalidArgumentError
from openwer.formats import json_body as rules
from openwer.server.dump_type_names import (
    DUMP_TYPE_NAMES,
    REQUESTABLE_DUMP_TYPES,
    parse_dump_type,
)
from openwer.server.storage import BucketStatus, DataPolicy
from openwer.types import DumpType

__all__ = [
    "DataRequestOrder",
    "NewSolution",
    "SolutionEdit",
    "StatusChange",
    "parse_data_request",
    "parse_merge_target",
    "parse_new_solution",
    "parse_policy",
    "parse_solution_edit",
    "parse_status_change",
]

_SETTABLE_STATUSES = {s.value: s for s in BucketStatus if s is not BucketStatus.REGRESSED}
_MAX_TEXT = 4096  # above every storage limit: the libraries give the precise message
_MAX_FILES = 64
_MAX_POLICY_NUMBER = 1_000_000_000


@dataclass(frozen=True, slots=True)
class StatusChange:
    """``{"status": "resolved"|"ignored"|"new", "fixed_in": "2.1.0"}``."""

    status: BucketStatus
    fixed_in: str | None


@dataclass(frozen=True, slots=True)
class DataRequestOrder:
    """``{"count": N, "dump_type": 2|"MiniDump", "files": [...]}``."""

    count: int
    dump_type: DumpType
    files: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class NewSolution:
    """``{"product", "bucket_id"|"pattern", "event_type"?, "message", "url"?}``."""

    product: str
    message: str
    url: str | None
    bucket_id: str | None
    pattern: str | None
    event_type: str | None


@dataclass(frozen=True, slots=True)
class SolutionEdit:
    """``{"message"?, "url"?}``: ``change_url`` tells an absent URL from ``"url": null``."""

    message: str | None
    url: str | None
    change_url: bool


def _fields(body: dict[str, Any], known: Collection[str], what: str) -> None:
    unknown = sorted(body.keys() - set(known))
    if unknown:
        raise FormatError(
            f"{what}: unknown field {unknown[0][:64]!r}; the fields are {', '.join(sorted(known))}"
        )


def _dump_type(value: Any, allowed: Collection[DumpType], what: str, field: str) -> DumpType:
    try:
        return parse_dump_type(value, allowed, what=f"{what}: {field}")
    except InvalidArgumentError as exc:
        raise FormatError(str(exc)) from exc


def parse_status_change(body: dict[str, Any]) -> StatusChange:
    """A bucket status change; ``fixed_in`` only with ``resolved``."""
    what = "status change"
    _fields(body, ("status", "fixed_in"), what)
    raw = rules.text(rules.required(body, "status", what), "status", what, 16)
    status = _SETTABLE_STATUSES.get(raw)
    if status is None:
        raise FormatError(f"{what}: status must be resolved, ignored or new, not {raw!r}")
    fixed_in = rules.optional_text(body.get("fixed_in"), "fixed_in", what, 128, 1)
    if fixed_in is not None and status is not BucketStatus.RESOLVED:
        raise FormatError(f"{what}: fixed_in goes with status resolved only")
    return StatusChange(status, fixed_in)


def parse_merge_target(body: dict[str, Any]) -> str:
    """The ``into`` bucket GUID of a merge."""
    what = "merge"
    _fields(body, ("into",), what)
    return rules.text(rules.required(body, "into", what), "into", what, 64, 1)


def parse_data_request(body: dict[str, Any]) -> DataRequestOrder:
    """An explicit data request; the dump type defaults to MiniDump."""
    what = "data request"
    _fields(body, ("count", "dump_type", "files"), what)
    count = rules.whole_number(rules.required(body, "count", what), "count", what, 1000, 1)
    dump_type = DumpType.MINI_DUMP
    if "dump_type" in body:
        dump_type = _dump_type(body["dump_type"], REQUESTABLE_DUMP_TYPES, what, "dump_type")
    files = body.get("files", [])
    if type(files) is not list or len(files) > _MAX_FILES:
        raise FormatError(f"{what}: files must be an array of at most {_MAX_FILES} names")
    names = tuple(rules.text(f, "files[]", what, 259, 1) for f in files)
    return DataRequestOrder(count, dump_type, names)


def parse_new_solution(body: dict[str, Any]) -> NewSolution:
    """A new solution: ``product``, ``message`` and one of ``bucket_id`` and ``pattern``."""
    what = "solution"
    _fields(body, ("product", "bucket_id", "pattern", "event_type", "message", "url"), what)
    get = body.get
    solution = NewSolution(
        product=rules.text(rules.required(body, "product", what), "product", what, 128, 1),
        message=rules.text(rules.required(body, "message", what), "message", what, _MAX_TEXT, 1),
        url=rules.optional_text(get("url"), "url", what, _MAX_TEXT, 1),
        bucket_id=rules.optional_text(get("bucket_id"), "bucket_id", what, 64, 1),
        pattern=rules.optional_text(get("pattern"), "pattern", what, _MAX_TEXT, 1),
        event_type=rules.optional_text(get("event_type"), "event_type", what, 64, 1),
    )
    if (solution.bucket_id is None) == (solution.pattern is None):
        raise FormatError(f"{what}: give either bucket_id or pattern")
    return solution


def parse_solution_edit(body: dict[str, Any]) -> SolutionEdit:
    """A solution edit: ``message`` and/or ``url`` (``null`` removes the URL)."""
    what = "solution edit"
    fixed = {"product", "bucket_id", "pattern", "event_type"} & body.keys()
    if fixed:
        raise FormatError(
            f"{what}: {sorted(fixed)[0]} cannot change; delete the solution and add a new one"
        )
    _fields(body, ("message", "url"), what)
    if not body:
        raise FormatError(f"{what}: give message, url or both")
    message = None
    if "message" in body:
        message = rules.text(body["message"], "message", what, _MAX_TEXT, 1)
    url = rules.optional_text(body.get("url"), "url", what, _MAX_TEXT, 1)
    return SolutionEdit(message, url, "url" in body)


def parse_policy(body: dict[str, Any]) -> DataPolicy:
    """A whole data-request policy (``PUT`` replaces it): the three numbers are required, the
    dump type defaults to MiniDump (``0``/``None`` asks for the report's files without a dump).
    """
    what = "policy"
    numbers = ("first_n", "one_in_k", "max_bundles_per_day")
    _fields(body, (*numbers, "default_dump_type"), what)
    first_n, one_in_k, per_day = (
        rules.whole_number(rules.required(body, name, what), name, what, _MAX_POLICY_NUMBER)
        for name in numbers
    )
    dump_type = DumpType.MINI_DUMP
    if "default_dump_type" in body:
        dump_type = _dump_type(
            body["default_dump_type"], DUMP_TYPE_NAMES, what, "default_dump_type"
        )
    return DataPolicy(first_n, one_in_k, per_day, dump_type)
