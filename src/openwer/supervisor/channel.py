"""The supervisor's side of the channel between ``openwer run`` and the program it runs.

``openwer run`` creates a private folder (mode 0700, under ``$TMPDIR``) and names it in the
program's environment as ``OPENWER_SUPERVISOR_DIR``. The program (through
:mod:`openwer.capture.restart`) leaves two kinds of files there, named by its pid::

    <pid>.restart.json   its restart registration, atomically replaced on every change and
                         removed by unregister_restart():
                         {"version": 1, "pid": 1234, "command_line": "--restore x",
                          "arguments": ["--restore", "x"], "flags": 0,
                          "program": ["python3", "app.py"] | null}
    <pid>.reported       written by its crash path once the crash report is queued:
                         {"version": 1, "pid": 1234, "report_key": "AppCrash_…" | null}

The supervisor reads both after it has reaped the process (so a pid cannot have been reused in
between), then forgets them. Only files of the supervised process itself count: a grandchild
inherits the variable, but its pid never matches. The two sides share no code (``capture`` and
``supervisor`` are independent layers); this docstring and the one of
:mod:`openwer.capture.restart` are the contract, and a test checks that both sides agree.

Failure contract: reading is lenient: a missing, oversized, unreadable or malformed file reads as
"nothing registered"/"not reported" (malformed ones are logged on the ``openwer`` logger).
:meth:`SupervisorChannel.create` raises ``OSError`` when the folder cannot be made.
Thread safety: one channel per supervisor; its methods touch only the files of the pid given.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

__all__ = [
    "ENV_SUPERVISOR_DIR",
    "REPORTED_SUFFIX",
    "RESTART_NO_CRASH",
    "RESTART_NO_HANG",
    "RESTART_SUFFIX",
    "CrashMarker",
    "RestartRequest",
    "SupervisorChannel",
]

log = logging.getLogger("openwer")

ENV_SUPERVISOR_DIR = "OPENWER_SUPERVISOR_DIR"
RESTART_SUFFIX = ".restart.json"
REPORTED_SUFFIX = ".reported"
RESTART_NO_CRASH = 1
"""WER's ``RESTART_NO_CRASH`` bit (wer-spec.md §3): no restart after a crash."""
RESTART_NO_HANG = 2
"""WER's ``RESTART_NO_HANG`` bit: no restart after ``openwer run`` killed a hung program."""

_MAX_FILE_SIZE = 64 * 1024


@dataclass(frozen=True, slots=True)
class RestartRequest:
    """A supervised process's restart registration, as it left it in the channel.

    ``program`` is the part of its own command line that names the program (``None``: use the
    original ``argv[0]``); ``arguments`` are the registered arguments, without the program.
    """

    pid: int
    arguments: tuple[str, ...]
    flags: int
    program: tuple[str, ...] | None = None

    @property
    def restarts_after_crash(self) -> bool:
        """False when the process opted out with ``RESTART_NO_CRASH``."""
        return not self.flags & RESTART_NO_CRASH

    @property
    def restarts_after_hang(self) -> bool:
        """False when the process opted out with ``RESTART_NO_HANG``."""
        return not self.flags & RESTART_NO_HANG


@dataclass(frozen=True, slots=True)
class CrashMarker:
    """The in-process crash path's note that it reported this process's crash."""

    pid: int
    report_key: str | None


@dataclass(frozen=True)
class SupervisorChannel:
    """The channel folder of one ``openwer run``; a context manager that removes it on exit."""

    directory: Path

    @classmethod
    def create(cls) -> SupervisorChannel:
        """Make a new private channel folder.

        Raises:
            OSError: the folder cannot be created.
        """
        return cls(Path(tempfile.mkdtemp(prefix="openwer-run-")))

    def __enter__(self) -> SupervisorChannel:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def environment(self, base: Mapping[str, str]) -> dict[str, str]:
        """Return ``base`` plus ``OPENWER_SUPERVISOR_DIR`` naming this channel."""
        return {**base, ENV_SUPERVISOR_DIR: str(self.directory)}

    def restart_request(self, pid: int) -> RestartRequest | None:
        """Return the restart registration ``pid`` left, or ``None``."""
        data = self._read(pid, RESTART_SUFFIX)
        if data is None:
            return None
        arguments, flags, program = data.get("arguments"), data.get("flags"), data.get("program")
        if (
            not _is_words(arguments)
            or not isinstance(flags, int)
            or isinstance(flags, bool)
            or (program is not None and (not _is_words(program) or not program))
        ):
            log.warning("openwer: ignoring a malformed restart registration of pid %d", pid)
            return None
        assert isinstance(arguments, list)
        return RestartRequest(
            pid, tuple(arguments), flags, tuple(program) if isinstance(program, list) else None
        )

    def crash_marker(self, pid: int) -> CrashMarker | None:
        """Return the note that ``pid``'s crash was reported in process, or ``None``."""
        data = self._read(pid, REPORTED_SUFFIX)
        if data is None:
            return None
        key = data.get("report_key")
        return CrashMarker(pid, key if isinstance(key, str) and key else None)

    def forget(self, pid: int) -> None:
        """Remove every file ``pid`` left (after it was reaped)."""
        for suffix in (RESTART_SUFFIX, REPORTED_SUFFIX):
            try:
                (self.directory / f"{pid}{suffix}").unlink(missing_ok=True)
            except OSError as exc:
                log.warning("openwer: could not remove a channel file: %s", exc)

    def close(self) -> None:
        """Remove the channel folder and what is left in it; never raises."""
        shutil.rmtree(self.directory, ignore_errors=True)

    def _read(self, pid: int, suffix: str) -> dict[str, Any] | None:
        path = self.directory / f"{pid}{suffix}"
        try:
            descriptor = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
        except OSError:
            return None
        try:
            raw = os.read(descriptor, _MAX_FILE_SIZE + 1)
        except OSError:
            return None
        finally:
            os.close(descriptor)
        try:
            if len(raw) > _MAX_FILE_SIZE:
                raise ValueError("file too large")
            data = json.loads(raw)
        except ValueError:
            log.warning("openwer: ignoring the malformed channel file %s", path)
            return None
        if not isinstance(data, dict) or data.get("pid") != pid:
            log.warning("openwer: ignoring the channel file %s: it names another process", path)
            return None
        return data


def _is_words(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(word, str) for word in value)
