"""Tests of the supervisor's side of the channel: lenient reading, one pid's files only."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from openwer.supervisor.channel import (
    ENV_SUPERVISOR_DIR,
    CrashMarker,
    RestartRequest,
    SupervisorChannel,
)


@pytest.fixture
def channel() -> Iterator[SupervisorChannel]:
    """A fresh channel folder, removed after the test."""
    with SupervisorChannel.create() as made:
        yield made


def _write(channel: SupervisorChannel, name: str, payload: object) -> None:
    (channel.directory / name).write_text(json.dumps(payload))


def test_create_and_close() -> None:
    """The folder is private (0700), named in the environment, and removed on close."""
    made = SupervisorChannel.create()
    assert made.directory.stat().st_mode & 0o777 == 0o700
    env = made.environment({"PATH": "/bin"})
    assert env == {"PATH": "/bin", ENV_SUPERVISOR_DIR: str(made.directory)}
    (made.directory / "leftover").write_text("x")
    made.close()
    assert not made.directory.exists()
    made.close()  # twice is harmless


def test_reads_a_registration(channel: SupervisorChannel) -> None:
    """A well-formed registration reads back; forget() removes the pid's files."""
    _write(
        channel,
        "42.restart.json",
        {"version": 1, "pid": 42, "arguments": ["-x"], "flags": 1, "program": ["py", "a.py"]},
    )
    _write(channel, "42.reported", {"version": 1, "pid": 42, "report_key": "K"})
    assert channel.restart_request(42) == RestartRequest(42, ("-x",), 1, ("py", "a.py"))
    assert channel.crash_marker(42) == CrashMarker(42, "K")
    channel.forget(42)
    assert list(channel.directory.iterdir()) == []


@pytest.mark.parametrize(
    "payload",
    [
        "not json",
        ["a", "list"],
        {"pid": 7, "arguments": "not-a-list", "flags": 0},
        {"pid": 7, "arguments": [1], "flags": 0},
        {"pid": 7, "arguments": [], "flags": "0"},
        {"pid": 7, "arguments": [], "flags": True},
        {"pid": 7, "arguments": [], "flags": 0, "program": []},
        {"pid": 7, "arguments": [], "flags": 0, "program": "py"},
        {"pid": 8, "arguments": [], "flags": 0},
    ],
)
def test_malformed_registrations_read_as_none(
    channel: SupervisorChannel, payload: object, caplog: pytest.LogCaptureFixture
) -> None:
    """Bad JSON, wrong types or another pid: no registration, and a warning."""
    path = channel.directory / "7.restart.json"
    path.write_text(payload if isinstance(payload, str) else json.dumps(payload))
    assert channel.restart_request(7) is None
    assert "openwer" in caplog.text


def test_oversized_file_is_ignored(channel: SupervisorChannel) -> None:
    """A file over 64 KiB is not read as a registration."""
    big = {"pid": 9, "arguments": ["x" * 70_000], "flags": 0}
    _write(channel, "9.restart.json", big)
    assert channel.restart_request(9) is None


def test_symlinks_are_not_followed(channel: SupervisorChannel, tmp_path: Path) -> None:
    """A symbolic link planted in the channel is not read."""
    target = tmp_path / "elsewhere.json"
    target.write_text(json.dumps({"pid": 5, "report_key": "K"}))
    os.symlink(target, channel.directory / "5.reported")
    assert channel.crash_marker(5) is None


def test_missing_files(channel: SupervisorChannel) -> None:
    """No file: not registered, not reported; an empty key reads as None."""
    assert channel.restart_request(1) is None
    assert channel.crash_marker(1) is None
    _write(channel, "1.reported", {"pid": 1, "report_key": ""})
    assert channel.crash_marker(1) == CrashMarker(1, None)
