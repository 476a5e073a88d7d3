"""Recovery of a directory store's ``Temp`` area after processes died in the middle of work.

* ``new~<writer>~…`` and ``doc~<writer>~…``: a report or a Report.wer being written. Removed when
  the writer is gone (its pid is free, reused by a younger process, a zombie, or from an earlier
  boot); never touched while the writer lives. A writer in another pid namespace cannot be
  checked, so its leftovers are removed only after ``stale_after``.
* ``archive~…`` and ``delete~…``: an interrupted move, finished (see
  :mod:`openwer.store.folder_moves`). These are created only under the store lock, which the
  caller holds, so their creator is known to be gone or done.
* Anything else was not made by the store and is left alone.

The caller holds the store's exclusive lock. Never raises for one entry: a failure is recorded
as :attr:`~openwer.store.recovery.RecoveryOutcome.FAILED` and retried by the next pass.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

from openwer.platform.process_identity import (
    ProcessIdentity,
    ProcessLiveness,
    process_liveness,
)
from openwer.platform.tree_removal import remove_entry
from openwer.store.folder_moves import finish_archive, finish_delete
from openwer.store.layout import StoreLayout, TempEntry, TempKind, parse_temp_name
from openwer.store.naming import validate_key
from openwer.store.recovery import RecoveryAction, RecoveryOutcome

__all__ = ["finish_pending_moves", "recover_temp"]


def finish_pending_moves(layout: StoreLayout) -> list[RecoveryAction]:
    """Finish every interrupted archive move and delete found in ``Temp``."""
    actions: list[RecoveryAction] = []
    for name in _temp_names(layout):
        parsed = parse_temp_name(name)
        if parsed is not None and parsed.kind in (TempKind.ARCHIVE, TempKind.DELETE):
            actions.append(_finish_move(layout, name, parsed))
    return actions


def recover_temp(layout: StoreLayout, *, stale_after: timedelta) -> list[RecoveryAction]:
    """Look at every ``Temp`` entry and clean up or finish what dead processes left."""
    actions: list[RecoveryAction] = []
    for name in _temp_names(layout):
        parsed = parse_temp_name(name)
        if parsed is not None and parsed.kind in (TempKind.ARCHIVE, TempKind.DELETE):
            actions.append(_finish_move(layout, name, parsed))
        elif parsed is not None and parsed.writer is not None:
            actions.append(_clean_write(layout, name, parsed.writer, stale_after))
        else:
            actions.append(RecoveryAction(name, RecoveryOutcome.KEPT_UNRECOGNIZED))
    return actions


def _temp_names(layout: StoreLayout) -> list[str]:
    try:
        return sorted(os.listdir(layout.temp))
    except FileNotFoundError:
        return []


def _finish_move(layout: StoreLayout, name: str, parsed: TempEntry) -> RecoveryAction:
    staging = layout.temp / name
    try:
        if parsed.kind is TempKind.DELETE:
            finish_delete(staging)
            return RecoveryAction(name, RecoveryOutcome.COMPLETED_DELETE)
        key = validate_key(parsed.key or "")
        finish_archive(staging, layout.archive / key, parameters_only=parsed.parameters_only)
    except (OSError, ValueError) as exc:
        return RecoveryAction(name, RecoveryOutcome.FAILED, str(exc))
    return RecoveryAction(name, RecoveryOutcome.COMPLETED_ARCHIVE, key)


def _clean_write(
    layout: StoreLayout, name: str, writer: ProcessIdentity, stale_after: timedelta
) -> RecoveryAction:
    path = layout.temp / name
    liveness = process_liveness(writer)
    if liveness is ProcessLiveness.UNKNOWN:
        try:
            modified = datetime.fromtimestamp(os.lstat(path).st_mtime, UTC)
        except OSError as exc:
            return RecoveryAction(name, RecoveryOutcome.FAILED, str(exc))
        if datetime.now(UTC) - modified > stale_after:
            liveness = ProcessLiveness.GONE
    if liveness is not ProcessLiveness.GONE:
        return RecoveryAction(name, RecoveryOutcome.KEPT_LIVE_WRITER, writer.to_token())
    try:
        remove_entry(path)
    except FileNotFoundError:
        pass
    except OSError as exc:
        return RecoveryAction(name, RecoveryOutcome.FAILED, str(exc))
    return RecoveryAction(name, RecoveryOutcome.REMOVED_ABANDONED_WRITE, writer.to_token())
