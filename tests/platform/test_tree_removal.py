"""Removing store entries without following symlinks, and reading free disk space."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from openwer.platform import tree_removal
from openwer.platform.disk_space import free_bytes
from openwer.platform.tree_removal import remove_entry


def test_removes_file_folder_and_symlink_only(tmp_path: Path) -> None:
    """Files, folders and links go; link targets outside stay untouched."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_bytes(b"keep")
    entry = tmp_path / "entry"
    entry.mkdir()
    (entry / "f").write_bytes(b"x")
    (entry / "sub").mkdir()
    (entry / "sub" / "link").symlink_to(outside)
    (entry / "filelink").symlink_to(outside / "secret")
    remove_entry(entry)
    assert not entry.exists()
    link = tmp_path / "toplink"
    link.symlink_to(outside)
    remove_entry(link)
    assert not link.exists()
    plain = tmp_path / "plain"
    plain.write_bytes(b"")
    remove_entry(plain)
    assert (outside / "secret").read_bytes() == b"keep"


def test_missing_entry_raises(tmp_path: Path) -> None:
    """Removing what does not exist raises FileNotFoundError."""
    with pytest.raises(FileNotFoundError):
        remove_entry(tmp_path / "nothing")


def test_concurrent_removal_is_tolerated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Entries vanishing during the walk (another remover) do not fail the removal."""
    entry = tmp_path / "entry"
    entry.mkdir()
    (entry / "f").write_bytes(b"x")
    real_rmtree = shutil.rmtree

    def racing_rmtree(path: Path, onerror: object) -> None:
        real_rmtree(path)
        # Replay what the walk would report had another remover won the race.
        handler = tree_removal._ignore_missing
        handler(None, str(path), (FileNotFoundError, FileNotFoundError(str(path)), None))
        with pytest.raises(PermissionError):
            handler(None, str(path), (PermissionError, PermissionError("denied"), None))

    monkeypatch.setattr("openwer.platform.tree_removal.shutil.rmtree", racing_rmtree)
    remove_entry(entry)
    assert not entry.exists()


def test_free_bytes_is_positive(tmp_path: Path) -> None:
    """free_bytes reports the space left on the file system of a path."""
    assert free_bytes(tmp_path) > 0
    with pytest.raises(FileNotFoundError):
        free_bytes(tmp_path / "missing")
