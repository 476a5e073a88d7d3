"""The Report.wer values that describe the reporting process (docs/events.md, "Report.wer").

* ``AppSessionGuid``: one GUID per process instance, shaped as WER's: the process id in the first
  8 hex digits and the process's start time (FILETIME, little-endian) in the last 16.
* ``ProcessUptimeMs``: milliseconds since the process started.
* ``CommandLine``: ``sys.orig_argv`` (the interpreter, its options, the script and its
  arguments) joined as a shell would quote it, with secret-looking option values redacted.
* ``PythonExecutable``: ``sys.executable``.

The start time is read once per process (``/proc``) and remembered (a forked child reads its
own). Never raises: a value that cannot be known is left out. Thread-safe.
"""

from __future__ import annotations

import os
import shlex
import sys
import time
from datetime import UTC, datetime

from openwer.capture.application import clean_text
from openwer.capture.redaction import redact_command_line
from openwer.formats.filetime import datetime_to_filetime
from openwer.platform.system_info import process_start_time

__all__ = ["MAX_COMMAND_LINE", "app_session_guid", "process_values"]

MAX_COMMAND_LINE = 4096

# (pid, start time): re-read when the pid changes, i.e. in a forked child.
_start: tuple[int, float | None] | None = None


def _start_time() -> float | None:
    global _start
    pid = os.getpid()
    known = _start
    if known is None or known[0] != pid:
        known = _start = (pid, process_start_time())
    return known[1]


def app_session_guid() -> str:
    """Return this process instance's ``AppSessionGuid`` (see the module docstring)."""
    start = _start_time()
    filetime = 0
    if start is not None:
        filetime = datetime_to_filetime(datetime.fromtimestamp(start, UTC))
    raw = filetime.to_bytes(8, "little").hex()
    return f"{os.getpid() & 0xFFFFFFFF:08x}-0000-0000-{raw[:4]}-{raw[4:]}"


def process_values() -> dict[str, str]:
    """Return the process's Report.wer values (``AppSessionGuid``, ``ProcessUptimeMs``…)."""
    values = {"AppSessionGuid": app_session_guid()}
    start = _start_time()
    if start is not None:
        values["ProcessUptimeMs"] = str(max(0, round((time.time() - start) * 1000)))
    argv = list(getattr(sys, "orig_argv", None) or sys.argv)
    if argv:
        line = clean_text(shlex.join(redact_command_line(argv)))
        values["CommandLine"] = line[:MAX_COMMAND_LINE]
    if sys.executable:
        values["PythonExecutable"] = clean_text(sys.executable)
    return values
