"""Crash-safe moves of report folders through a store's ``Temp`` area.

A move is a rename out of the area into ``Temp`` under a name that states the intent
(``archive~P~<key>``, ``delete~<random>~<key>``), the work on the folder there, and for archiving
a rename into ``ReportArchive``. Every step is a single rename or an idempotent removal, so a
process killed at any instant leaves the report in exactly one place, and whoever next holds the
store lock finishes the move from the name alone (:mod:`openwer.store.directory_recovery`).

Callers hold the store's exclusive lock. Raises ``OSError`` unchanged.
"""

from __future__ import annotations

import os
from pathlib import Path

from openwer.platform.atomic_file import fsync_directory, rename_durably
from openwer.platform.tree_removal import remove_entry
from openwer.store.naming import REPORT_WER_NAME

__all__ = ["finish_archive", "finish_delete", "remove_through_temp"]


def finish_archive(staging: Path, destination: Path, *, parameters_only: bool) -> None:
    """Finish moving the report folder ``staging`` (in ``Temp``) to ``destination``.

    With ``parameters_only`` every entry but Report.wer is removed first (WER's archive "keeps
    Report.wer and drops the data"), so the archive never shows a half-stripped report.
    Idempotent: a rerun after a crash continues where the last one stopped.
    """
    if parameters_only:
        with os.scandir(staging) as entries:
            names = [entry.name for entry in entries if entry.name != REPORT_WER_NAME]
        for name in names:
            try:
                remove_entry(staging / name)
            except FileNotFoundError:
                continue
        if names:
            fsync_directory(staging)
    rename_durably(staging, destination)


def finish_delete(staging: Path) -> None:
    """Finish deleting the folder (or stray entry) ``staging`` in ``Temp``; idempotent."""
    try:
        remove_entry(staging)
    except FileNotFoundError:
        return
    fsync_directory(staging.parent)


def remove_through_temp(entry: Path, staging: Path) -> None:
    """Remove an area entry: one rename out of sight, then the deletion.

    Readers never see a half-deleted report: the entry leaves the area whole, and a crash
    during the deletion leaves ``staging`` for :func:`finish_delete` to complete.
    """
    rename_durably(entry, staging)
    finish_delete(staging)
