"""Admin contract (products, keys, tokens, merges, solutions, isolation) on every backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from server_storage_support import (
    BACKENDS,
    FakeClock,
    backend_repository,
    migrated_postgres_url,
    report_id,
    stage1,
)

from openwer.errors import InvalidArgumentError, NotFoundError
from openwer.formats.protocol import Solution, Stage1Response
from openwer.server.storage import (
    BucketQuery,
    BucketRef,
    BucketStatus,
    DataPolicy,
    ProductRow,
    Repository,
    Scope,
    Stage1Item,
)
from openwer.types import DumpType

ADMIN = Scope.everything()


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    """A fresh migrated PostgreSQL database for this module."""
    yield from migrated_postgres_url()


@pytest.fixture(params=BACKENDS)
def repo(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Repository]:
    """Every backend, empty."""
    yield from backend_repository(request, tmp_path, FakeClock())


@pytest.fixture
def product(repo: Repository) -> ProductRow:
    """A product with the default policy."""
    return repo.create_product("demo")


def answer(repo: Repository, product_id: int, number: int, module: str = "m.py") -> Stage1Response:
    """Ingest one stage 1 and return its answer."""
    (outcome,) = repo.ingest_stage1([Stage1Item(product_id, stage1(number, module=module))])
    assert outcome.response is not None
    return outcome.response


def test_products_are_unique_and_found_by_name(repo: Repository) -> None:
    """Names are unique once stripped; policies are stored and replaced."""
    made = repo.create_product(
        "  app ", DataPolicy(first_n=1, default_dump_type=DumpType.HEAP_DUMP)
    )
    assert made.name == "app"
    assert repo.get_product("app") == made
    with pytest.raises(InvalidArgumentError):
        repo.create_product("app")
    with pytest.raises(InvalidArgumentError):
        repo.create_product("  ")
    with pytest.raises(NotFoundError):
        repo.get_product("nope")
    changed = repo.set_policy(made.id, DataPolicy(one_in_k=7))
    assert changed.policy == DataPolicy(one_in_k=7)
    assert repo.list_products(ADMIN) == [changed]
    with pytest.raises(NotFoundError):
        repo.set_policy(999, DataPolicy())
    with pytest.raises(InvalidArgumentError):
        DataPolicy(first_n=-1)


def test_ingest_keys_verify_rotate_and_revoke(repo: Repository, product: ProductRow) -> None:
    """A key verifies to its product until revoked; rotation revokes every older key."""
    first = repo.create_ingest_key(product.id)
    second = repo.create_ingest_key(product.id)
    assert first.secret.startswith("owi_")
    assert first.secret != second.secret
    assert repo.verify_ingest_key(first.secret) == product
    assert repo.verify_ingest_key("owi_wrong") is None
    repo.revoke_ingest_key(first.id)
    repo.revoke_ingest_key(first.id)
    assert repo.verify_ingest_key(first.secret) is None
    rotated = repo.rotate_ingest_key(product.id)
    assert repo.verify_ingest_key(second.secret) is None
    assert repo.verify_ingest_key(rotated.secret) == product
    keys = repo.list_ingest_keys(product.id)
    assert [(k.id, k.revoked_at is None) for k in keys] == [
        (first.id, False),
        (second.id, False),
        (rotated.id, True),
    ]
    with pytest.raises(NotFoundError):
        repo.create_ingest_key(999)
    with pytest.raises(NotFoundError):
        repo.revoke_ingest_key(999_999)
    with pytest.raises(NotFoundError):
        repo.list_ingest_keys(999)


def test_admin_tokens_verify_until_revoked(repo: Repository) -> None:
    """Admin tokens carry a label, verify, and stop verifying once revoked."""
    issued = repo.create_admin_token(" ops ")
    assert issued.secret.startswith("owa_")
    row = repo.verify_admin_token(issued.secret)
    assert row is not None
    assert (row.id, row.label) == (issued.id, "ops")
    assert repo.verify_admin_token("owa_nope") is None
    repo.revoke_admin_token(issued.id)
    assert repo.verify_admin_token(issued.secret) is None
    with pytest.raises(NotFoundError):
        repo.revoke_admin_token(999_999)
    with pytest.raises(InvalidArgumentError):
        repo.create_admin_token("")


def test_merge_moves_hits_and_redirects_later_hits(repo: Repository, product: ProductRow) -> None:
    """After a merge the target has both histories and the source's new hits count on it."""
    source = BucketRef(product.id, answer(repo, product.id, 1, "a.py").bucket_id)
    answer(repo, product.id, 2, "a.py")
    target = BucketRef(product.id, answer(repo, product.id, 3, "b.py").bucket_id)
    repo.request_data(ADMIN, source, 2, DumpType.HEAP_DUMP)
    merged = repo.merge_buckets(ADMIN, source, target)
    assert (merged.bucket_id, merged.hits, merged.explicit_remaining) == (target.bucket_id, 3, 2)
    later = answer(repo, product.id, 4, "a.py")
    assert later.bucket_id == target.bucket_id
    assert later.data_request is not None
    assert later.data_request.explicit
    assert repo.get_report(ADMIN, report_id(1)).bucket_id == target.bucket_id
    page = repo.list_buckets(ADMIN, BucketQuery())
    assert [(s.bucket.bucket_id, s.range_hits) for s in page.rows] == [(target.bucket_id, 4)]
    detail = repo.get_bucket(ADMIN, target)
    assert detail.merged_from == (source.bucket_id,)
    assert sum(day.hits for day in detail.hits_per_day) == 4
    (source_row,) = repo.find_buckets(ADMIN, source.bucket_id)
    assert source_row.merged_into == target.bucket_id
    assert repo.merge_buckets(ADMIN, source, target).bucket_id == target.bucket_id  # idempotent
    with pytest.raises(InvalidArgumentError):
        repo.set_bucket_status(ADMIN, source, BucketStatus.IGNORED)


def test_merge_follows_and_refuses(repo: Repository, product: ProductRow) -> None:
    """Merging into a merged bucket merges into its target; cycles and cross-product refused."""
    a, b, c, d = (
        BucketRef(product.id, answer(repo, product.id, n, f"{n}.py").bucket_id)
        for n in (1, 2, 3, 4)
    )
    repo.merge_buckets(ADMIN, a, b)
    assert repo.merge_buckets(ADMIN, c, a).bucket_id == b.bucket_id
    assert repo.find_buckets(ADMIN, c.bucket_id)[0].merged_into == b.bucket_id
    with pytest.raises(InvalidArgumentError):
        repo.merge_buckets(ADMIN, b, a)  # a is merged into b: b into itself
    with pytest.raises(InvalidArgumentError):
        repo.merge_buckets(ADMIN, a, d)  # a is merged already (into b)
    with pytest.raises(InvalidArgumentError):
        repo.merge_buckets(ADMIN, b, b)
    repo.merge_buckets(ADMIN, b, d)  # b's merged buckets follow it
    assert {r.merged_into for r in repo.find_buckets(ADMIN, a.bucket_id)} == {d.bucket_id}
    assert repo.get_bucket(ADMIN, d).bucket.hits == 4
    other = repo.create_product("other")
    e = BucketRef(other.id, answer(repo, other.id, 5, "5.py").bucket_id)
    with pytest.raises(InvalidArgumentError):
        repo.merge_buckets(ADMIN, e, d)
    with pytest.raises(NotFoundError):
        repo.merge_buckets(ADMIN, BucketRef(product.id, e.bucket_id), d)


def test_solutions_by_bucket_and_by_pattern(repo: Repository, product: ProductRow) -> None:
    """A bucket's own solution wins; else the first matching pattern; changes show at once."""
    own_bucket = answer(repo, product.id, 1, "crashy.dll").bucket_id
    answer(repo, product.id, 2, "other.py")
    broad = repo.add_solution(ADMIN, product.id, "Update the driver", pattern=r"\|crashy\.dll$")
    repo.add_solution(ADMIN, product.id, "Never used", pattern="crashy")
    assert answer(repo, product.id, 3, "crashy.dll").solution == Solution("Update the driver")
    assert answer(repo, product.id, 4, "other.py").solution is None
    own = repo.add_solution(ADMIN, product.id, "Known bug", "https://x/1", bucket_id=own_bucket)
    assert answer(repo, product.id, 5, "crashy.dll").solution == Solution(
        "Known bug", "https://x/1"
    )
    repo.update_solution(ADMIN, own.id, "Fixed in 2.0", None)
    assert answer(repo, product.id, 6, "crashy.dll").solution == Solution("Fixed in 2.0")
    repo.delete_solution(ADMIN, own.id)
    assert answer(repo, product.id, 7, "crashy.dll").solution == Solution("Update the driver")
    detail = repo.get_bucket(ADMIN, BucketRef(product.id, own_bucket))
    assert detail.solution is not None
    assert detail.solution.id == broad.id
    listed = repo.list_solutions(ADMIN, product.id)
    assert [(s.message, s.pattern) for s in listed] == [
        ("Update the driver", r"\|crashy\.dll$"),
        ("Never used", "crashy"),
    ]


def test_solution_arguments_are_checked(repo: Repository, product: ProductRow) -> None:
    """Exactly one target, a compilable bounded pattern without nested repeats, a message."""
    bucket = answer(repo, product.id, 1).bucket_id
    for kwargs in (
        {},
        {"bucket_id": bucket, "pattern": "x"},
        {"pattern": "(unclosed"},
        {"pattern": "(a+)+$"},
        {"pattern": "x" * 501},
    ):
        with pytest.raises(InvalidArgumentError):
            repo.add_solution(ADMIN, product.id, "m", **kwargs)
    with pytest.raises(InvalidArgumentError):
        repo.add_solution(ADMIN, product.id, " ", bucket_id=bucket)
    with pytest.raises(NotFoundError):
        repo.add_solution(ADMIN, product.id, "m", bucket_id="00000000-0000-8000-8000-000000000000")
    with pytest.raises(NotFoundError):
        repo.update_solution(ADMIN, 999_999, "m")
    with pytest.raises(NotFoundError):
        repo.delete_solution(ADMIN, 999_999)


def test_a_products_scope_never_sees_another_product(repo: Repository) -> None:
    """Every read and change through product A's scope is blind to product B."""
    mine, theirs = repo.create_product("mine"), repo.create_product("theirs")
    scope = Scope.products([mine.id])
    answer(repo, mine.id, 1, "same.py")
    their_bucket = answer(repo, theirs.id, 2, "same.py").bucket_id
    ref = BucketRef(theirs.id, their_bucket)
    solution = repo.add_solution(ADMIN, theirs.id, "secret", bucket_id=their_bucket)
    assert [p.name for p in repo.list_products(scope)] == ["mine"]
    page = repo.list_buckets(scope, BucketQuery())
    assert (page.total, [s.bucket.product_id for s in page.rows]) == (1, [mine.id])
    assert [b.product_id for b in repo.find_buckets(scope, their_bucket)] == [mine.id]
    assert repo.list_solutions(scope) == []
    assert repo.reports_wanting_bundle(scope) == [report_id(1)]
    assert repo.list_buckets(Scope.products([]), BucketQuery()).total == 0
    for call in (
        lambda: repo.get_bucket(scope, ref),
        lambda: repo.get_report(scope, report_id(2)),
        lambda: repo.set_bucket_status(scope, ref, BucketStatus.IGNORED),
        lambda: repo.request_data(scope, ref, 5),
        lambda: repo.merge_buckets(scope, ref, ref),
        lambda: repo.add_solution(scope, theirs.id, "x", bucket_id=their_bucket),
        lambda: repo.update_solution(scope, solution.id, "x"),
        lambda: repo.delete_solution(scope, solution.id),
    ):
        with pytest.raises((NotFoundError, InvalidArgumentError)):
            call()
    with pytest.raises(NotFoundError):
        repo.get_report(scope, "not a uuid")
    assert repo.get_report(ADMIN, report_id(2)).product_id == theirs.id
    assert repo.find_buckets(ADMIN, their_bucket)[1].status is BucketStatus.NEW
