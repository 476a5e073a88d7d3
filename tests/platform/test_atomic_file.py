"""Durable writes: exclusive create + fsync, copy, replace by rename, directory fsync."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from openwer.platform.atomic_file import (
    copy_new_file,
    fsync_directory,
    rename_durably,
    replace_file,
    write_new_file,
)


def test_write_new_file_writes_bytes_with_mode(tmp_path: Path) -> None:
    """A new file gets exactly the bytes and the requested mode."""
    target = tmp_path / "a.bin"
    write_new_file(target, b"hello" * 1000, mode=0o600)
    assert target.read_bytes() == b"hello" * 1000
    assert target.stat().st_mode & 0o777 == 0o600


def test_write_new_file_refuses_existing_file_and_symlink(tmp_path: Path) -> None:
    """An existing name, or a symlink planted there, is never written through."""
    existing = tmp_path / "exists"
    existing.write_bytes(b"old")
    with pytest.raises(FileExistsError):
        write_new_file(existing, b"new")
    assert existing.read_bytes() == b"old"
    outside = tmp_path / "outside"
    outside.write_bytes(b"secret")
    link = tmp_path / "link"
    link.symlink_to(outside)
    with pytest.raises(FileExistsError):
        write_new_file(link, b"evil")
    assert outside.read_bytes() == b"secret"


def test_write_new_file_removes_partial_file_on_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When fsync fails the half-written file is removed."""

    def failing_fsync(descriptor: int) -> None:
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr("openwer.platform.atomic_file.os.fsync", failing_fsync)
    target = tmp_path / "partial"
    with pytest.raises(OSError, match="I/O error"):
        write_new_file(target, b"data")
    assert not target.exists()


def test_copy_new_file_copies_large_content(tmp_path: Path) -> None:
    """copy_new_file copies every byte (several sendfile chunks) and returns the count."""
    source = tmp_path / "src"
    data = os.urandom(3 * 1024 * 1024 + 17)
    source.write_bytes(data)
    assert copy_new_file(source, tmp_path / "dst") == len(data)
    assert (tmp_path / "dst").read_bytes() == data


def test_copy_new_file_falls_back_without_sendfile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where sendfile is refused, a read/write loop copies instead."""

    def no_sendfile(out_fd: int, in_fd: int, offset: int, count: int) -> int:
        raise OSError(errno.EINVAL, "Invalid argument")

    monkeypatch.setattr("openwer.platform.atomic_file.os.sendfile", no_sendfile)
    source = tmp_path / "src"
    source.write_bytes(b"abc" * 100_000)
    assert copy_new_file(source, tmp_path / "dst") == 300_000
    assert (tmp_path / "dst").read_bytes() == b"abc" * 100_000


def test_copy_new_file_failure_cleans_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A copy that fails for another reason removes the destination and raises."""

    def broken_sendfile(out_fd: int, in_fd: int, offset: int, count: int) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("openwer.platform.atomic_file.os.sendfile", broken_sendfile)
    source = tmp_path / "src"
    source.write_bytes(b"x")
    with pytest.raises(OSError, match="No space"):
        copy_new_file(source, tmp_path / "dst")
    assert not (tmp_path / "dst").exists()


def test_copy_new_file_missing_source(tmp_path: Path) -> None:
    """A missing source raises FileNotFoundError and creates nothing."""
    with pytest.raises(FileNotFoundError):
        copy_new_file(tmp_path / "nope", tmp_path / "dst")
    assert not (tmp_path / "dst").exists()


def test_replace_file_swaps_content_atomically(tmp_path: Path) -> None:
    """replace_file puts the new content in place and consumes the temp file."""
    target = tmp_path / "Report.wer"
    target.write_bytes(b"old")
    temp = tmp_path / "temp"
    replace_file(target, b"new", temp_path=temp)
    assert target.read_bytes() == b"new"
    assert not temp.exists()


def test_replace_file_failure_removes_temp(tmp_path: Path) -> None:
    """If the rename fails (target folder gone) the temp file is removed."""
    temp = tmp_path / "temp"
    with pytest.raises(FileNotFoundError):
        replace_file(tmp_path / "missing" / "x", b"new", temp_path=temp)
    assert not temp.exists()


def test_rename_durably_across_directories(tmp_path: Path) -> None:
    """rename_durably moves a folder between directories; a non-empty target refuses it."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "r").mkdir()
    (tmp_path / "a" / "r" / "f").write_bytes(b"1")
    rename_durably(tmp_path / "a" / "r", tmp_path / "b" / "r")
    assert (tmp_path / "b" / "r" / "f").read_bytes() == b"1"
    (tmp_path / "a" / "r").mkdir()
    (tmp_path / "a" / "r" / "g").write_bytes(b"2")
    with pytest.raises(OSError, match=r"not empty|exists") as raised:
        rename_durably(tmp_path / "b" / "r", tmp_path / "a" / "r")
    assert raised.value.errno in (errno.ENOTEMPTY, errno.EEXIST)


def test_fsync_directory_requires_a_directory(tmp_path: Path) -> None:
    """fsync_directory syncs a folder and refuses a plain file."""
    fsync_directory(tmp_path)
    (tmp_path / "f").write_bytes(b"")
    with pytest.raises(NotADirectoryError):
        fsync_directory(tmp_path / "f")
