"""Restart registration (``RegisterApplicationRestart``) and the child's side of ``openwer run``.

WER restarts an application after a crash only if the application registered for it beforehand
(wer-spec.md §3). Here the registration is kept in this process and, when the program runs under
``openwer run``, handed to that supervisor, which is a separate parent process and does the
restart. The rules are WER's:

* The command line holds the arguments only; the supervisor prepends the program (see below).
  ``None`` or an empty command line removes the previous arguments but stays registered.
  A command line longer than :data:`RESTART_MAX_CMD_LINE` (1024) characters is refused.
* :class:`RestartFlags` say when *not* to restart; ``NO_CRASH`` keeps ``openwer run`` from
  restarting after a crash. Only the four documented bits are accepted.
* The registration may be refreshed from the recovery callback (it is not refused in recovery).
* :func:`restart_settings` answers for this process only, like ``GetApplicationRestartSettings``.
* A forked child starts unregistered: the registration belongs to a process, as on Windows.

The channel to ``openwer run`` (also read by :mod:`openwer.supervisor.channel`)::

    OPENWER_SUPERVISOR_DIR=<dir>     set by openwer run in the program's environment; a private
                                     (0700) folder that lives as long as the supervisor
    <dir>/<pid>.restart.json         this process's registration, replaced atomically (write a
                                     temp file in <dir>, rename); removed by unregister_restart()
                                     {"version": 1, "pid": 1234, "command_line": "--restore x",
                                      "arguments": ["--restore", "x"], "flags": 0,
                                      "program": ["python3", "app.py"] | null}
    <dir>/<pid>.reported             written by the in-process crash path once the crash report
                                     is queued (mark_crash_reported): this crash is reported, the
                                     supervisor must not file a second report; it also tells the
                                     supervisor that a non-zero exit was a crash
                                     {"version": 1, "pid": 1234, "report_key": "AppCrash_…" | null}

``program`` is the part of this interpreter's command line that names the program, taken from
``sys.orig_argv`` (``python3 -u app.py`` for ``python3 -u app.py --port 80``, ``python3 -m pkg``
for ``-m``): it plays the role of the executable WER prepends, so a Python program is restarted
as itself and not as a bare interpreter. When it cannot be worked out (``sys.argv`` was changed,
an embedded interpreter) it is ``null`` and the supervisor prepends the original ``argv[0]``.

Without ``OPENWER_SUPERVISOR_DIR`` the registration is kept in this process only, and
:attr:`RestartRegistration.delivery` says so (``IN_PROCESS``): nothing will restart the program.

Failure contract: :func:`register_restart` raises :class:`~openwer.errors.InvalidArgumentError`
for arguments WER refuses; a channel that cannot be written never raises (it is logged on the
``openwer`` logger and shows as ``UNDELIVERED``). Thread-safe: one lock serialises registration
changes and their channel writes.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shlex
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum, IntFlag
from pathlib import Path

from openwer.errors import InvalidArgumentError

__all__ = [
    "CHANNEL_VERSION",
    "ENV_SUPERVISOR_DIR",
    "REPORTED_SUFFIX",
    "RESTART_MAX_CMD_LINE",
    "RESTART_NO_CRASH",
    "RESTART_NO_HANG",
    "RESTART_NO_PATCH",
    "RESTART_NO_REBOOT",
    "RESTART_SUFFIX",
    "RestartDelivery",
    "RestartFlags",
    "RestartRegistration",
    "mark_crash_reported",
    "register_restart",
    "restart_settings",
    "unregister_restart",
]

log = logging.getLogger("openwer")

RESTART_MAX_CMD_LINE = 1024
"""WER's limit on the restart command line, in characters (winbase.h)."""

ENV_SUPERVISOR_DIR = "OPENWER_SUPERVISOR_DIR"
"""The environment variable through which ``openwer run`` names its channel folder."""

RESTART_SUFFIX = ".restart.json"
REPORTED_SUFFIX = ".reported"
CHANNEL_VERSION = 1


class RestartFlags(IntFlag):
    """``RESTART_NO_*``: the failures after which the application does *not* want a restart."""

    NONE = 0
    NO_CRASH = 1
    NO_HANG = 2
    NO_PATCH = 4
    NO_REBOOT = 8


RESTART_NO_CRASH = RestartFlags.NO_CRASH
RESTART_NO_HANG = RestartFlags.NO_HANG
RESTART_NO_PATCH = RestartFlags.NO_PATCH
RESTART_NO_REBOOT = RestartFlags.NO_REBOOT

_ALL_FLAGS = 0xF  # the four documented RESTART_NO_* bits


class RestartDelivery(Enum):
    """Whether a supervisor knows about the registration."""

    SUPERVISOR = "supervisor"  # written to openwer run's channel
    IN_PROCESS = "in-process"  # no supervisor: kept in this process only, nothing will restart it
    UNDELIVERED = "undelivered"  # a supervisor is named but its channel could not be written


@dataclass(frozen=True, slots=True)
class RestartRegistration:
    """This process's restart registration, as ``GetApplicationRestartSettings`` returns it.

    ``command_line`` holds the arguments without the program (as WER stores it); ``arguments``
    is the same split into words (``shlex`` rules for a string, as given for a sequence).
    """

    command_line: str
    arguments: tuple[str, ...]
    flags: RestartFlags
    delivery: RestartDelivery


_lock = threading.Lock()
_registration: RestartRegistration | None = None


def register_restart(
    args: Sequence[str] | str | None = None, flags: RestartFlags | int = RestartFlags.NONE
) -> RestartRegistration:
    """Register this process for restart (``RegisterApplicationRestart``) and return the result.

    Args:
        args: The arguments to restart with, without the program: a command line string
            (split with POSIX shell rules) or a sequence of words. ``None`` or empty: restart
            without arguments.
        flags: :class:`RestartFlags`: when not to restart.

    Raises:
        InvalidArgumentError: a command line over 1024 characters, a NUL character, unbalanced
            quotes, a word that is not a string, or flags outside the four ``RESTART_NO_*`` bits.
    """
    command_line, arguments = _command_line(args)
    if not isinstance(flags, int) or int(flags) & ~_ALL_FLAGS or int(flags) < 0:
        raise InvalidArgumentError(f"restart flags must be RESTART_NO_* bits, not {flags!r}")
    global _registration
    with _lock:
        delivery = _publish(command_line, arguments, RestartFlags(int(flags)))
        _registration = RestartRegistration(
            command_line, arguments, RestartFlags(int(flags)), delivery
        )
        return _registration


def unregister_restart() -> None:
    """Remove the registration (``UnregisterApplicationRestart``); a no-op when there is none.

    Never raises: a channel file that cannot be removed is logged.
    """
    global _registration
    with _lock:
        _registration = None
        directory = _supervisor_dir()
        if directory is not None:
            try:
                (directory / f"{os.getpid()}{RESTART_SUFFIX}").unlink(missing_ok=True)
            except OSError as exc:
                log.warning("openwer: could not withdraw the restart registration: %s", exc)


def restart_settings() -> RestartRegistration | None:
    """Return this process's registration, or ``None`` when it is not registered."""
    return _registration


def mark_crash_reported(report_key: str | None) -> bool:
    """Tell ``openwer run`` that this process's crash is reported (the crash path calls this).

    Call it once the crash report is queued, before the recovery callback runs, with the
    report's store key (``None`` when the report was not stored, e.g. WER is disabled). The
    supervisor then files no second report and treats the exit as a crash. Returns True when
    a supervisor was told; False without a supervisor or when the marker could not be written
    (logged). Never raises.
    """
    try:
        directory = _supervisor_dir()
        if directory is None:
            return False
        payload = {"version": CHANNEL_VERSION, "pid": os.getpid(), "report_key": report_key}
        return _write_file(directory, f"{os.getpid()}{REPORTED_SUFFIX}", payload)
    except Exception:  # on the crash path: never break the host
        log.exception("openwer: could not tell openwer run that the crash is reported")
        return False


def _command_line(args: Sequence[str] | str | None) -> tuple[str, tuple[str, ...]]:
    if args is None:
        return "", ()
    if isinstance(args, str):
        if "\0" in args:
            raise InvalidArgumentError("the restart command line must not contain NUL")
        _check_length(args)
        try:
            return args, tuple(shlex.split(args))
        except ValueError as exc:
            raise InvalidArgumentError(f"invalid restart command line: {exc}") from exc
    arguments = tuple(args)
    for word in arguments:
        if not isinstance(word, str) or "\0" in word:
            raise InvalidArgumentError(f"restart arguments must be strings without NUL: {word!r}")
    command_line = shlex.join(arguments)
    _check_length(command_line)
    return command_line, arguments


def _check_length(command_line: str) -> None:
    if len(command_line) > RESTART_MAX_CMD_LINE:
        raise InvalidArgumentError(
            f"the restart command line is {len(command_line)} characters; "
            f"WER allows {RESTART_MAX_CMD_LINE}"
        )


def _publish(command_line: str, arguments: tuple[str, ...], flags: RestartFlags) -> RestartDelivery:
    directory = _supervisor_dir()
    if directory is None:
        return RestartDelivery.IN_PROCESS
    payload = {
        "version": CHANNEL_VERSION,
        "pid": os.getpid(),
        "command_line": command_line,
        "arguments": list(arguments),
        "flags": int(flags),
        "program": _program_prefix(),
    }
    written = _write_file(directory, f"{os.getpid()}{RESTART_SUFFIX}", payload)
    return RestartDelivery.SUPERVISOR if written else RestartDelivery.UNDELIVERED


def _supervisor_dir() -> Path | None:
    value = os.environ.get(ENV_SUPERVISOR_DIR, "")
    return Path(value) if os.path.isabs(value) else None


def _program_prefix() -> list[str] | None:
    """The interpreter's command line up to and including the script (or ``-m``/``-c`` target)."""
    orig = list(getattr(sys, "orig_argv", []) or [])
    argv = list(sys.argv)
    if not orig or not argv or len(orig) < len(argv):
        return None
    cut = len(orig) - len(argv) + 1
    if orig[cut:] != argv[1:]:
        return None  # sys.argv was changed after start: its tail no longer matches
    return orig[:cut]


def _write_file(directory: Path, name: str, payload: Mapping[str, object]) -> bool:
    """Atomically replace ``directory/name`` with ``payload`` (JSON); on error log, return False.

    No fsync: the channel lives only as long as the supervisor, so durability across a power
    cut means nothing; the rename alone gives readers the old file or the new one.
    """
    data = json.dumps(payload, separators=(",", ":")).encode()
    temp = directory / f".{name}.{threading.get_ident()}.tmp"
    try:
        descriptor = os.open(
            temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600
        )
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(descriptor, view) :]
        finally:
            os.close(descriptor)
        os.replace(temp, directory / name)
    except OSError as exc:
        log.warning("openwer: cannot write %s for openwer run: %s", directory / name, exc)
        with contextlib.suppress(OSError):
            temp.unlink(missing_ok=True)
        return False
    return True


def _forget_after_fork() -> None:
    global _lock, _registration
    _lock = threading.Lock()
    _registration = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)
