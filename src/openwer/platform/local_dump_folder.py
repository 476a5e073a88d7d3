"""The LocalDumps folder: the dump files' suffixes and WER's ``DumpCount`` rotation.

Python dumps (``<app>.<pid>.pydump.json``, written by ``openwer.install()``) and minidumps
(``<app>.<pid>.dmp``, written by native capture) share one folder and one ``DumpCount``, as WER
keeps at most ``DumpCount`` dumps per folder whatever wrote them: :func:`make_room` deletes the
oldest of either kind until fewer than ``keep`` remain.

Failure contract: never raises for a dump it cannot stat or delete (logged; the new dump is still
written). Not safe against two processes rotating at once beyond what unlink gives: a dump
deleted twice is simply gone.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

__all__ = ["MINIDUMP_SUFFIX", "PYTHON_DUMP_SUFFIX", "make_room"]

log = logging.getLogger("openwer")

PYTHON_DUMP_SUFFIX = ".pydump.json"
MINIDUMP_SUFFIX = ".dmp"


def make_room(folder: Path, keep: int) -> None:
    """Delete the oldest dumps in ``folder`` until fewer than ``keep`` remain."""
    dumps: list[tuple[int, str]] = []
    for entry in os.scandir(folder):
        if not entry.name.endswith((MINIDUMP_SUFFIX, PYTHON_DUMP_SUFFIX)):
            continue
        try:
            if entry.is_file(follow_symlinks=False):
                dumps.append((entry.stat(follow_symlinks=False).st_mtime_ns, entry.path))
        except OSError:
            continue
    dumps.sort()
    while len(dumps) >= keep:
        _, path = dumps.pop(0)
        try:
            os.unlink(path)
        except OSError as error:
            log.warning("openwer: could not remove the old dump %s: %s", path, error)
