"""Password hashing and the sign-in throttle of the dashboard."""

from __future__ import annotations

import pytest

from openwer.errors import InvalidArgumentError
from openwer.server.dashboard.login_throttle import LoginThrottle, ThrottlePolicy
from openwer.server.dashboard.passwords import (
    check_unknown_user,
    hash_password,
    needs_rehash,
    verify_password,
)


class Ticks:
    """A monotonic clock tests move."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_passwords_are_argon2id_hashes_that_verify() -> None:
    """The hash is a salted argon2id PHC string; only the right password verifies."""
    first, second = hash_password("hunter2 hunter2"), hash_password("hunter2 hunter2")
    assert first.startswith("$argon2id$")
    assert first != second
    assert verify_password(first, "hunter2 hunter2")
    assert not verify_password(first, "hunter2 hunter3")
    assert not verify_password(first, "")
    assert not verify_password("not a hash", "hunter2 hunter2")
    assert not check_unknown_user("anything")
    assert not needs_rehash(first)
    assert needs_rehash("$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA")
    for bad in ("", "x" * 1025):
        with pytest.raises(InvalidArgumentError):
            hash_password(bad)


def test_one_mistake_never_delays_the_correct_password() -> None:
    """After one (or up to three) failures the next attempt may be made at once."""
    ticks = Ticks()
    throttle = LoginThrottle(clock=ticks)
    assert throttle.failed("alice", "10.0.0.1") == 0
    assert throttle.retry_after("alice", "10.0.0.1") == 0
    throttle.succeeded("alice", "10.0.0.1")
    for _ in range(3):
        throttle.failed("alice", "10.0.0.1")
    assert throttle.retry_after("alice", "10.0.0.1") == 0


def test_repeated_failures_back_off_exponentially_up_to_a_cap() -> None:
    """The fourth failure costs 1 s, then 2, 4, 8 … up to five minutes."""
    ticks = Ticks()
    policy = ThrottlePolicy()
    throttle = LoginThrottle(policy, clock=ticks)
    delays = [throttle.failed("Alice", "10.0.0.1") for _ in range(14)]
    assert delays[:3] == [0, 0, 0]
    assert delays[3:8] == [1, 2, 4, 8, 16]
    assert max(delays) == policy.max_delay == 300
    assert throttle.retry_after("alice", "10.0.0.1") == 300  # case does not reset the count
    ticks.now += 299
    assert throttle.retry_after("alice", "10.0.0.1") == pytest.approx(1)
    ticks.now += 1
    assert throttle.retry_after("alice", "10.0.0.1") == 0


def test_pairs_are_independent_and_forgotten() -> None:
    """Another address or another name is not slowed; an old streak is forgotten."""
    ticks = Ticks()
    throttle = LoginThrottle(ThrottlePolicy(free_failures=1, forget_after=60), clock=ticks)
    throttle.failed("alice", "10.0.0.1")
    throttle.failed("alice", "10.0.0.1")
    assert throttle.retry_after("alice", "10.0.0.1") > 0
    assert throttle.retry_after("alice", "10.0.0.2") == 0
    assert throttle.retry_after("bob", "10.0.0.1") == 0
    ticks.now += 61
    assert throttle.retry_after("alice", "10.0.0.1") == 0
    assert throttle.failed("alice", "10.0.0.1") == 0  # a fresh streak


def test_the_table_of_pairs_is_bounded() -> None:
    """The oldest pairs are dropped first when the table is full."""
    throttle = LoginThrottle(ThrottlePolicy(free_failures=0, max_entries=2), clock=Ticks())
    for name in ("a", "b", "c"):
        throttle.failed(name, "ip")
    assert throttle.retry_after("a", "ip") == 0
    assert throttle.retry_after("c", "ip") > 0
