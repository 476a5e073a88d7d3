"""WER's ``LocalDumps`` for native crashes: a real minidump kept in ``DumpFolder``.

Written whatever the reporting settings say (WER collects local dumps even when reporting is
disabled or consent is denied), named as WER names them, ``<application>.<pid>.dmp`` (with
``.<n>`` added when that name exists), at most ``DumpCount`` dumps in the folder: the oldest
``.dmp`` or Python ``.pydump.json`` dump is removed first, as WER replaces the oldest. The file is
written atomically with mode 0600. Never raises: returns the path, or None (logged).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from openwer.platform.atomic_file import replace_file
from openwer.platform.local_dump_folder import MINIDUMP_SUFFIX, make_room
from openwer.settings import LocalDumpSettings

__all__ = ["MINIDUMP_SUFFIX", "write_local_minidump"]

log = logging.getLogger("openwer")

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def write_local_minidump(
    dump: bytes, application: str, pid: int, settings: LocalDumpSettings | None
) -> Path | None:
    """Keep ``dump`` in the local dump folder when ``settings`` ask for local dumps."""
    if settings is None or settings.dump_count <= 0:
        return None
    try:
        folder = settings.dump_folder
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        make_room(folder, settings.dump_count)
        stem = f"{_UNSAFE.sub('_', application)[:64] or 'program'}.{pid}"
        target = folder / f"{stem}{MINIDUMP_SUFFIX}"
        number = 1
        while target.exists():
            target = folder / f"{stem}.{number}{MINIDUMP_SUFFIX}"
            number += 1
        replace_file(target, dump, temp_path=folder / f".{target.name}.tmp", mode=0o600)
    except Exception:
        log.exception("openwer: writing the local minidump failed")
        return None
    return target
