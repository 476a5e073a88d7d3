"""WER's LocalDumps for Python crashes: a JSON "dump" of every thread, kept in ``DumpFolder``.

When ``LocalDumps`` is configured (globally or for this application), every crash writes a dump
into ``DumpFolder``, keeping at most ``DumpCount`` of them (the oldest replaced), whatever the
reporting settings say: WER collects local dumps even when reporting is disabled or consent is
denied. A Python "dump" is a JSON document (format ``openwer-python-dump``, version 1)::

    {"format": "openwer-python-dump", "version": 1, "created": "<ISO-8601>", "pid": 123,
     "application": {"name", "version", "path"}, "python": {"version", "implementation",
     "executable"}, "exception": {"type", "message"}, "stack": {…stack.json…},
     "threads": {…threads.json…}, "locals": {…locals.json…} | null, "dump_type": 1}

``locals`` is filled only for a full dump (``DumpType`` 2, or custom flags asking for memory),
values repr-truncated and secret-looking names redacted. The file is named
``<application>.<pid>.<UTC time>.pydump.json`` and written atomically. Never raises.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

from openwer.capture.config import CaptureConfig
from openwer.capture.exception_chain import stack_document
from openwer.capture.local_variables import locals_document
from openwer.capture.signature import signature_entries
from openwer.capture.source_layout import current_layout
from openwer.capture.thread_stacks import thread_stacks_document
from openwer.platform.atomic_file import replace_file
from openwer.platform.local_dump_folder import PYTHON_DUMP_SUFFIX, make_room
from openwer.settings import LocalDumpSettings, LocalDumpType

__all__ = ["DUMP_SUFFIX", "write_local_dump"]

log = logging.getLogger("openwer")

DUMP_SUFFIX = PYTHON_DUMP_SUFFIX
# MINIDUMP_TYPE bits that ask for memory contents: the Python analogue is local variables.
_MEMORY_FLAGS = 0x2 | 0x200 | 0x400 | 0x800  # FullMemory, PrivateReadWrite, IndirectlyRef, FullInfo
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _includes_locals(settings: LocalDumpSettings) -> bool:
    if settings.dump_type is LocalDumpType.FULL:
        return True
    return settings.dump_type is LocalDumpType.CUSTOM and bool(
        settings.custom_dump_flags & _MEMORY_FLAGS
    )


def _document(
    exc: BaseException, config: CaptureConfig, settings: LocalDumpSettings
) -> dict[str, object]:
    layout = current_layout()
    crashed_stack: object = None
    local_vars: object = None
    try:
        crashed_stack, _ = stack_document(exc, config, layout, None)
    except Exception as error:  # partial beats nothing
        crashed_stack = {"error": type(error).__name__}
    threads, _ = thread_stacks_document(config, layout)
    if _includes_locals(settings):
        _, entries = signature_entries(exc)
        local_vars, _ = locals_document(entries, config, layout)
    try:
        message = str(exc)
    except Exception:
        message = "<str() failed>"
    return {
        "format": "openwer-python-dump",
        "version": 1,
        "created": datetime.now(UTC).isoformat(),
        "pid": os.getpid(),
        "application": {
            "name": config.app_name,
            "version": config.app_version,
            "path": config.app_path,
        },
        "python": {
            "version": platform.python_version(),
            "implementation": platform.python_implementation(),
            "executable": sys.executable,
        },
        "exception": {"type": type(exc).__qualname__, "message": message[:4096]},
        "stack": crashed_stack,
        "threads": threads,
        "locals": local_vars,
        "dump_type": int(settings.dump_type),
    }


def write_local_dump(
    exc: BaseException, config: CaptureConfig, settings: LocalDumpSettings | None
) -> Path | None:
    """Write the local dump of ``exc`` when ``settings`` ask for one; return its path or None."""
    if settings is None or settings.dump_count <= 0:
        return None
    try:
        folder = settings.dump_folder
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        make_room(folder, settings.dump_count)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        app = _UNSAFE.sub("_", config.app_name)[:64] or "python"
        target = folder / f"{app}.{os.getpid()}.{stamp}{DUMP_SUFFIX}"
        data = json.dumps(_document(exc, config, settings), indent=1).encode("ascii")
        replace_file(target, data, temp_path=folder / f".{target.name}.tmp", mode=0o600)
    except Exception:
        log.exception("openwer: writing the local dump failed")
        return None
    return target
