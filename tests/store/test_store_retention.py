"""The pure prune planner and the retention policy's validation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openwer.errors import InvalidArgumentError
from openwer.store import PruneReason, PruneResult, RetentionPolicy, StoreArea
from openwer.store.retention import PruneCandidate, PrunedReport, plan_prune

NOW = datetime(2024, 6, 1, tzinfo=UTC)
Q = StoreArea.QUEUE
A = StoreArea.ARCHIVE


def _candidate(
    key: str, days_old: float, size: int = 100, area: StoreArea = Q, damaged: bool = False
) -> PruneCandidate:
    return PruneCandidate(key, area, NOW - timedelta(days=days_old), size, is_damaged=damaged)


def test_defaults_are_wers() -> None:
    """The default policy is MaxQueueCount 50, MaxArchiveCount 1000, one month, 100 %."""
    policy = RetentionPolicy()
    assert (policy.max_queue_count, policy.max_archive_count) == (50, 1000)
    assert policy.max_age == timedelta(days=30)
    assert policy.max_queue_disk_share == 1.0
    assert policy.count_limit(Q) == 50
    assert policy.count_limit(A) == 1000


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_queue_count": -1},
        {"max_archive_count": -5},
        {"max_age": timedelta(0)},
        {"max_queue_disk_share": 1.5},
        {"max_queue_disk_share": -0.1},
    ],
)
def test_invalid_policies_are_refused(kwargs: dict[str, object]) -> None:
    """Negative counts, non-positive ages and shares outside 0–1 are invalid."""
    with pytest.raises(InvalidArgumentError):
        RetentionPolicy(**kwargs)  # type: ignore[arg-type]


def test_age_then_count_then_disk_share() -> None:
    """Each rule removes the oldest first, in the documented order."""
    candidates = [
        _candidate("ancient", 45),
        _candidate("q1", 5, 400),
        _candidate("q2", 4, 300),
        _candidate("q3", 3, 200),
        _candidate("q4", 2, 100),
        _candidate("a-old", 50, area=A),
        _candidate("a1", 3, area=A),
        _candidate("a2", 1, area=A),
        _candidate("junk-old", 31, damaged=True),
        _candidate("junk-new", 1, damaged=True),
    ]
    policy = RetentionPolicy(max_queue_count=3, max_archive_count=1, max_queue_disk_share=0.5)
    plan = plan_prune(candidates, policy, now=NOW, free_bytes=500)
    by_reason = {reason: [p.key for p in plan if p.reason is reason] for reason in PruneReason}
    assert by_reason[PruneReason.AGE] == ["ancient", "junk-old", "a-old"]
    assert by_reason[PruneReason.COUNT] == ["q1", "a1"]
    # total = 500 free + 1100 queued bytes; budget 800; kept 600 fits after the count rule.
    assert by_reason[PruneReason.DISK_SHARE] == []
    tight = RetentionPolicy(max_queue_count=3, max_queue_disk_share=0.2, max_age=None)
    plan = plan_prune(candidates, tight, now=NOW, free_bytes=0)
    assert [p.key for p in plan if p.reason is PruneReason.DISK_SHARE] == ["q2", "q3"]


def test_nothing_to_do_and_no_age_limit() -> None:
    """Within every limit nothing is removed; max_age None keeps old reports."""
    candidates = [_candidate("old", 4000), _candidate("new", 1)]
    assert plan_prune(candidates, RetentionPolicy(max_age=None), now=NOW, free_bytes=0) == ()


def test_prune_result_summaries() -> None:
    """PruneResult counts, sums and filters what it removed."""
    result = PruneResult(
        (PrunedReport("a", Q, PruneReason.AGE, 10), PrunedReport("b", A, PruneReason.COUNT, 5))
    )
    assert result.removed_count == 2
    assert result.removed_bytes == 15
    assert result.keys() == ("a", "b")
    assert result.keys(PruneReason.COUNT) == ("b",)
    assert PruneResult().removed_count == 0


@given(
    sizes=st.lists(st.integers(0, 10_000), max_size=30),
    limit=st.integers(0, 40),
    share=st.floats(0, 1),
    free=st.integers(0, 100_000),
)
def test_plan_invariants(sizes: list[int], limit: int, share: float, free: int) -> None:
    """The kept queue meets the count and disk limits and only the oldest are removed."""
    candidates = [_candidate(f"r{i:02d}", 30 - i * 0.5, size) for i, size in enumerate(sizes)]
    policy = RetentionPolicy(max_queue_count=limit, max_queue_disk_share=share, max_age=None)
    plan = plan_prune(candidates, policy, now=NOW, free_bytes=free)
    removed = {p.key for p in plan}
    kept = [c for c in candidates if c.key not in removed]
    assert len(kept) <= limit
    assert sum(c.size_bytes for c in kept) <= share * (free + sum(sizes)) + 1e-6
    assert [c.key for c in candidates[: len(removed)]] == sorted(removed)
