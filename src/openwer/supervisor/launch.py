"""Starting the supervised program: ``posix_spawnp``, no shell, no ``subprocess.Popen``.

Popen is avoided on purpose: it would want to reap the process itself, while the supervisor must
take the exit status from its own ``waitpid`` (a second reaper leaves ``Popen.returncode`` at 0).
The program is looked up on ``PATH`` like a shell does, inherits the supervisor's process group,
working directory and standard streams (openwer's own descriptors are close-on-exec), starts with
the signal mask given, and with SIGPIPE and SIGXFSZ back at their default action (Python ignores
them; ``subprocess`` restores them the same way). Signals ignored when ``openwer run`` started
stay ignored.

Failure contract: :class:`LaunchError` when the program cannot be started, carrying the status
a shell reports for that case (127 not found, 126 found but not runnable). Thread-safe.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterable, Mapping, Sequence

from openwer.errors import InvalidArgumentError, OpenwerError

__all__ = ["COMMAND_NOT_FOUND", "COMMAND_NOT_RUNNABLE", "LaunchError", "spawn"]

_RESTORED_TO_DEFAULT = (signal.SIGPIPE, signal.SIGXFSZ)
COMMAND_NOT_FOUND = 127
COMMAND_NOT_RUNNABLE = 126


class LaunchError(OpenwerError):
    """The program could not be started; ``exit_status`` is what a shell would exit with."""

    def __init__(self, message: str, exit_status: int) -> None:
        super().__init__(message)
        self.exit_status = exit_status


def spawn(argv: Sequence[str], env: Mapping[str, str], *, sigmask: Iterable[int] = ()) -> int:
    """Start ``argv`` (``argv[0]`` looked up on ``PATH`` from ``env``) and return its pid.

    Raises:
        InvalidArgumentError: ``argv`` is empty.
        LaunchError: the program does not exist (127) or cannot be run (126).
    """
    if not argv:
        raise InvalidArgumentError("there is no command to run")
    program = argv[0]
    try:
        return os.posix_spawnp(
            program,
            list(argv),
            dict(env),
            setsigmask=list(sigmask),
            setsigdef=_RESTORED_TO_DEFAULT,
        )
    except FileNotFoundError as exc:
        raise LaunchError(f"{program}: command not found", COMMAND_NOT_FOUND) from exc
    except PermissionError as exc:
        raise LaunchError(f"{program}: permission denied", COMMAND_NOT_RUNNABLE) from exc
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise LaunchError(f"{program}: cannot run: {reason}", COMMAND_NOT_RUNNABLE) from exc
