"""Tests of the restart decision and the restart command line."""

from __future__ import annotations

import pytest

from openwer.errors import InvalidArgumentError
from openwer.supervisor.channel import RestartRequest
from openwer.supervisor.restart_policy import (
    DEFAULT_MAX_RESTARTS,
    DEFAULT_MIN_UPTIME_S,
    RestartDecision,
    RestartPolicy,
    restart_command,
)

REGISTERED = RestartRequest(10, ("--restore",), 0)


def _decide(policy: RestartPolicy, **changes: object) -> RestartDecision:
    facts: dict[str, object] = {
        "crashed": True,
        "request": REGISTERED,
        "uptime_s": 61.0,
        "restarts_so_far": 0,
        "stop_requested": False,
    }
    facts.update(changes)
    return policy.decide(**facts)  # type: ignore[arg-type]


def test_defaults_follow_wer() -> None:
    """No restarts unless asked; 60-second rule; three restarts at most."""
    policy = RestartPolicy()
    assert (policy.enabled, policy.max_restarts, policy.min_uptime_s) == (False, 3, 60.0)
    assert (DEFAULT_MAX_RESTARTS, DEFAULT_MIN_UPTIME_S) == (3, 60.0)


def test_sixty_second_rule() -> None:
    """59.9 s of uptime is too soon; 60 s is enough."""
    policy = RestartPolicy(enabled=True)
    assert _decide(policy, uptime_s=59.9) is RestartDecision.TOO_SOON
    assert _decide(policy, uptime_s=60.0) is RestartDecision.RESTART


@pytest.mark.parametrize(
    ("changes", "decision"),
    [
        ({"crashed": False}, RestartDecision.NOT_A_CRASH),
        ({"stop_requested": True}, RestartDecision.STOP_REQUESTED),
        ({"request": None}, RestartDecision.NOT_REGISTERED),
        ({"request": RestartRequest(10, (), 1)}, RestartDecision.OPTED_OUT),
        ({"request": RestartRequest(10, (), 2 | 4 | 8)}, RestartDecision.RESTART),
        ({"restarts_so_far": 3}, RestartDecision.LIMIT_REACHED),
    ],
)
def test_decisions(changes: dict[str, object], decision: RestartDecision) -> None:
    """Each condition gives its named decision; flags other than NO_CRASH do not matter."""
    assert _decide(RestartPolicy(enabled=True), **changes) is decision


def test_disabled_policy() -> None:
    """Without --restart nothing is restarted."""
    assert _decide(RestartPolicy()) is RestartDecision.NOT_ENABLED


@pytest.mark.parametrize("bad", [{"max_restarts": -1}, {"min_uptime_s": -0.5}])
def test_negative_bounds_are_refused(bad: dict[str, float]) -> None:
    """Negative bounds are invalid arguments."""
    with pytest.raises(InvalidArgumentError):
        RestartPolicy(enabled=True, **bad)  # type: ignore[arg-type]


def test_restart_command() -> None:
    """The registered program part wins; without one the original argv[0] is prepended."""
    original = ("python3", "app.py", "--port", "80")
    assert restart_command(original, REGISTERED) == ("python3", "--restore")
    with_program = RestartRequest(10, ("--restore",), 0, ("python3", "-u", "app.py"))
    assert restart_command(original, with_program) == ("python3", "-u", "app.py", "--restore")
