"""LocalDumps rotation: Python dumps and minidumps share one DumpCount; other files stay."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from openwer.platform.local_dump_folder import MINIDUMP_SUFFIX, PYTHON_DUMP_SUFFIX, make_room


def _dump(folder: Path, name: str, age: int) -> Path:
    path = folder / name
    path.write_bytes(b"x")
    os.utime(path, ns=(age, age))
    return path


def test_oldest_dumps_of_either_kind_go_first(tmp_path: Path) -> None:
    """With keep=3, the two oldest of four dumps go, whatever wrote them; notes stay."""
    oldest = _dump(tmp_path, f"a.1{MINIDUMP_SUFFIX}", 1_000)
    older = _dump(tmp_path, f"a.2{PYTHON_DUMP_SUFFIX}", 2_000)
    newer = _dump(tmp_path, f"a.3{MINIDUMP_SUFFIX}", 3_000)
    newest = _dump(tmp_path, f"a.4{PYTHON_DUMP_SUFFIX}", 4_000)
    note = _dump(tmp_path, "README.txt", 1)
    (tmp_path / f"folder{MINIDUMP_SUFFIX}").mkdir()
    make_room(tmp_path, keep=3)
    assert not oldest.exists()
    assert not older.exists()
    assert newer.exists()
    assert newest.exists()
    assert note.exists()
    assert (tmp_path / f"folder{MINIDUMP_SUFFIX}").is_dir()


def test_a_dump_that_cannot_be_removed_is_logged_not_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rotation never fails the dump being written."""
    _dump(tmp_path, f"a.1{MINIDUMP_SUFFIX}", 1_000)

    def refuse(path: object) -> None:
        raise PermissionError("read-only")

    monkeypatch.setattr(os, "unlink", refuse)
    make_room(tmp_path, keep=1)
    assert (tmp_path / f"a.1{MINIDUMP_SUFFIX}").exists()
