"""Bucket lifecycle by bucket GUID: find, resolve/ignore/reopen, merge, explicit data requests.

What the admin API (:mod:`openwer.server.routes.admin_buckets`) and ``openwer buckets`` share:
each function takes a GUID as an admin types it, plus an optional product name (a GUID may
exist in several products; without a name the bucket of the lowest product id is meant, as in
the query API), checks the request against the bucket's state, then makes one storage call.

Failure contract: ``NotFoundError`` for an unknown bucket or product; ``InvalidArgumentError``
for a bad argument (a count out of range, a merge into itself or across products);
``InvalidStateError`` when the bucket's state forbids the change (it is merged into another
bucket, or the merge target is merged into it), which HTTP answers with 409. Refused requests
change nothing; storage re-checks under its lock, so a concurrent merge is refused there too
(as ``InvalidArgumentError``). Storage errors pass through (``StoreError``).

Thread safety: as the repository's; every function blocks (call from worker threads).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from openwer.errors import InvalidArgumentError, InvalidStateError, NotFoundError
from openwer.server.dump_type_names import REQUESTABLE_DUMP_TYPES, dump_type_name
from openwer.server.storage import BucketRef, BucketRow, BucketStatus, Repository, Scope
from openwer.types import DumpType

__all__ = [
    "MAX_REQUEST_COUNT",
    "cancel_data_request",
    "change_status",
    "find_bucket",
    "merge_bucket",
    "product_names",
    "product_scope",
    "request_data",
]

MAX_REQUEST_COUNT = 1000
_ADMIN = Scope.everything()


def product_names(repository: Repository) -> dict[int, str]:
    """``{product id: name}`` of every product."""
    return {p.id: p.name for p in repository.list_products(_ADMIN)}


def product_scope(repository: Repository, product: str | None) -> Scope:
    """Every product, or only the one named ``product`` (``NotFoundError`` if none)."""
    if product is None:
        return _ADMIN
    return Scope.products([repository.get_product(product).id])


def _guid(bucket_id: str) -> str | None:
    try:
        return str(uuid.UUID(bucket_id))
    except ValueError:
        return None


def find_bucket(repository: Repository, bucket_id: str, product: str | None = None) -> BucketRow:
    """The bucket with GUID ``bucket_id`` (of ``product`` when named, else of the lowest
    product id); ``NotFoundError`` when there is none (a string that is no GUID included)."""
    scope = product_scope(repository, product)
    guid = _guid(bucket_id)
    found = [] if guid is None else repository.find_buckets(scope, guid)
    if not found:
        where = "" if product is None else f" in product {product!r}"
        raise NotFoundError(f"no bucket {bucket_id[:64]!r}{where}")
    return min(found, key=lambda b: b.product_id)


def _ref(bucket: BucketRow) -> BucketRef:
    return BucketRef(bucket.product_id, bucket.bucket_id)


def _live(bucket: BucketRow, change: str) -> BucketRef:
    if bucket.merged_into is not None:
        raise InvalidStateError(
            f"bucket {bucket.bucket_id} is merged into {bucket.merged_into}: {change} that one"
        )
    return _ref(bucket)


def change_status(
    repository: Repository,
    bucket_id: str,
    status: BucketStatus,
    fixed_in_version: str | None = None,
    product: str | None = None,
) -> BucketRow:
    """Resolve (optionally fixed in ``fixed_in_version``), ignore, or reopen (``NEW``) a bucket.

    A later hit of a resolved bucket marks it regressed: any hit without a fixed-in version, a
    hit from that version or newer with one. ``REGRESSED`` cannot be asked for.
    """
    if status is BucketStatus.REGRESSED:
        raise InvalidArgumentError("a bucket becomes regressed by a hit, not by request")
    if fixed_in_version is not None and status is not BucketStatus.RESOLVED:
        raise InvalidArgumentError("only a resolved bucket has a fixed-in version")
    ref = _live(find_bucket(repository, bucket_id, product), "change")
    return repository.set_bucket_status(_ADMIN, ref, status, fixed_in_version)


def merge_bucket(
    repository: Repository, source_id: str, into_id: str, product: str | None = None
) -> BucketRow:
    """Merge bucket ``source_id`` into ``into_id`` (same product); return the bucket that now
    counts both. Merging again into the same target returns it unchanged."""
    source = find_bucket(repository, source_id, product)
    into = _guid(into_id)
    if into is None:
        raise InvalidArgumentError(f"the merge target is not a bucket id: {into_id[:64]!r}")
    if into == source.bucket_id:
        raise InvalidArgumentError("a bucket cannot be merged into itself")
    if source.merged_into is not None and source.merged_into != into:
        raise InvalidStateError(
            f"bucket {source.bucket_id} is merged into {source.merged_into} already"
        )
    targets = repository.find_buckets(Scope.products([source.product_id]), into)
    if not targets:
        if repository.find_buckets(_ADMIN, into):
            raise InvalidArgumentError(
                f"bucket {into} is not in the product of {source.bucket_id}:"
                " only buckets of one product can be merged"
            )
        raise NotFoundError(f"no bucket {into}")
    target = targets[0]
    if target.merged_into == source.bucket_id:
        raise InvalidStateError(f"bucket {into} is merged into {source.bucket_id} already")
    return repository.merge_buckets(_ADMIN, _ref(source), _ref(target))


def request_data(
    repository: Repository,
    bucket_id: str,
    count: int,
    dump_type: DumpType = DumpType.MINI_DUMP,
    files: Sequence[str] = (),
    product: str | None = None,
) -> BucketRow:
    """Ask for the bundles of the bucket's next ``count`` hits (1 to :data:`MAX_REQUEST_COUNT`)
    with ``dump_type``; replaces the bucket's open request.

    Consent still applies: a hit whose user does not allow ``dump_type`` is not asked and does
    not use up the request. ``files`` must be empty: explicit requests ask for a dump only.
    """
    if not 1 <= count <= MAX_REQUEST_COUNT:
        raise InvalidArgumentError(f"count is {count}; it must be 1 to {MAX_REQUEST_COUNT}")
    if dump_type not in REQUESTABLE_DUMP_TYPES:
        raise InvalidArgumentError(f"dump type {dump_type_name(dump_type)} cannot be requested")
    if files:
        raise InvalidArgumentError(
            "explicit requests cannot ask for extra files yet; the bundle carries the dump and"
            " the files its report lists"
        )
    ref = _live(find_bucket(repository, bucket_id, product), "ask")
    return repository.request_data(_ADMIN, ref, count, dump_type)


def cancel_data_request(
    repository: Repository, bucket_id: str, product: str | None = None
) -> BucketRow:
    """Withdraw the bucket's open explicit request (nothing happens when there is none)."""
    ref = _live(find_bucket(repository, bucket_id, product), "ask")
    return repository.request_data(_ADMIN, ref, 0)
