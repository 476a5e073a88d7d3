"""When ``openwer run`` restarts its program, and with which command line.

WER restarts an application after a crash only if it registered for restart
(``RegisterApplicationRestart``) without ``RESTART_NO_CRASH``, and only if it had been running
for at least 60 seconds, so that a program crashing at start-up is not restarted in a loop
(wer-spec.md §3). ``openwer run`` adds two bounds of its own: it restarts only when asked
(``--restart``) and at most ``--max-restarts`` times, and never after someone asked it to stop
(SIGINT, SIGTERM, SIGHUP, SIGQUIT).

The command line of a restart is the program part (the registration's ``program``, else the
original ``argv[0]``: what WER calls prepending the executable) followed by the registered
arguments.

Pure: :meth:`RestartPolicy.decide` and :func:`restart_command` look only at their arguments.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from openwer.errors import InvalidArgumentError
from openwer.supervisor.channel import RestartRequest

__all__ = [
    "DEFAULT_MAX_RESTARTS",
    "DEFAULT_MIN_UPTIME_S",
    "RestartDecision",
    "RestartPolicy",
    "restart_command",
]

DEFAULT_MIN_UPTIME_S = 60.0
DEFAULT_MAX_RESTARTS = 3


class RestartDecision(Enum):
    """Whether a run is followed by a restart, and if not, why not."""

    RESTART = "restart"
    NOT_ENABLED = "not-enabled"  # openwer run without --restart
    NOT_A_CRASH = "not-a-crash"  # it exited, or was stopped by a non-crash signal
    STOP_REQUESTED = "stop-requested"  # openwer run was asked to stop
    NOT_REGISTERED = "not-registered"  # it never called register_restart()
    OPTED_OUT = "opted-out"  # registered with RESTART_NO_CRASH
    OPTED_OUT_OF_HANG = "opted-out-of-hang"  # killed after a hang; registered with RESTART_NO_HANG
    TOO_SOON = "too-soon"  # ran less than the minimum uptime (the 60-second rule)
    LIMIT_REACHED = "limit-reached"  # restarted --max-restarts times already


@dataclass(frozen=True, slots=True)
class RestartPolicy:
    """``--restart``, ``--max-restarts`` and the minimum uptime (60 s, WER's rule).

    Raises:
        InvalidArgumentError: a negative bound.
    """

    enabled: bool = False
    max_restarts: int = DEFAULT_MAX_RESTARTS
    min_uptime_s: float = DEFAULT_MIN_UPTIME_S

    def __post_init__(self) -> None:
        if self.max_restarts < 0:
            raise InvalidArgumentError("the number of restarts cannot be negative")
        if self.min_uptime_s < 0:
            raise InvalidArgumentError("the minimum uptime cannot be negative")

    def decide(
        self,
        *,
        crashed: bool,
        request: RestartRequest | None,
        uptime_s: float,
        restarts_so_far: int,
        stop_requested: bool,
        hung: bool = False,
    ) -> RestartDecision:
        """Decide whether to restart after one run (checks in the order of the enum).

        ``hung``: the supervisor killed the run after a hang to restart it (``--on-hang
        restart``), which counts as a failure here; the registration must then allow a restart
        after a hang instead of after a crash.
        """
        if not self.enabled:
            return RestartDecision.NOT_ENABLED
        if not crashed and not hung:
            return RestartDecision.NOT_A_CRASH
        if stop_requested:
            return RestartDecision.STOP_REQUESTED
        if request is None:
            return RestartDecision.NOT_REGISTERED
        if hung and not request.restarts_after_hang:
            return RestartDecision.OPTED_OUT_OF_HANG
        if not hung and not request.restarts_after_crash:
            return RestartDecision.OPTED_OUT
        if uptime_s < self.min_uptime_s:
            return RestartDecision.TOO_SOON
        if restarts_so_far >= self.max_restarts:
            return RestartDecision.LIMIT_REACHED
        return RestartDecision.RESTART


def restart_command(original: Sequence[str], request: RestartRequest) -> tuple[str, ...]:
    """The program part (registered, else ``original[0]``) plus the registered arguments."""
    program = request.program or (original[0],)
    return (*program, *request.arguments)
