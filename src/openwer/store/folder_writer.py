"""Building a report folder in a store's ``Temp`` area, ready to be published by one rename.

Every file is created with ``O_EXCL | O_NOFOLLOW`` and fsynced, then the folder itself is
fsynced, so that the rename that publishes it (done by the caller) exposes complete, durable
content. A writer killed here leaves only a ``Temp`` folder named after it, which
:meth:`~openwer.store.base.ReportStore.recover` removes once the writer is gone.

Safe from any thread and process: each build has its own fresh folder.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from openwer.errors import FileNotFoundForReportError
from openwer.platform.atomic_file import copy_new_file, fsync_directory, write_new_file
from openwer.store.entry import StagedFile
from openwer.store.naming import REPORT_WER_NAME

__all__ = ["write_report_folder"]


def write_report_folder(
    folder: Path,
    report_wer: bytes,
    files: Sequence[StagedFile],
    *,
    folder_mode: int,
    file_mode: int,
) -> int:
    """Create ``folder`` holding Report.wer and ``files``, all fsynced; return the total bytes.

    Raises:
        FileNotFoundForReportError: a staged source path does not exist.
        OSError: anything else (the caller removes ``folder``).
    """
    os.mkdir(folder, folder_mode)
    total = len(report_wer)
    for staged in files:
        target = folder / staged.name
        if isinstance(staged.source, bytes):
            write_new_file(target, staged.source, mode=file_mode)
            total += len(staged.source)
            continue
        try:
            total += copy_new_file(staged.source, target, mode=file_mode)
        except FileNotFoundError as exc:
            if not os.path.exists(staged.source):
                message = f"the file {staged.name!r} of the report comes from {staged.source}, "
                raise FileNotFoundForReportError(message + "which does not exist") from exc
            raise
    write_new_file(folder / REPORT_WER_NAME, report_wer, mode=file_mode)
    fsync_directory(folder)
    return total
