"""Process identities that survive pid reuse, and whether the process they name still runs."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from openwer.platform import process_identity
from openwer.platform.process_identity import (
    ProcessIdentity,
    ProcessLiveness,
    current_process_identity,
    process_liveness,
)


def test_token_round_trip() -> None:
    """to_token and from_token are inverses; other strings are not tokens."""
    identity = ProcessIdentity(1234, 987654, "0badcafe", 4026531836)
    assert ProcessIdentity.from_token(identity.to_token()) == identity
    for bad in ("", "1.2.3", "x.1.0badcafe.1", "1.2.0BADCAFE.3", "1.2.0badcafe.3.4", "-1.2.abc.3"):
        assert ProcessIdentity.from_token(bad) is None


def test_current_identity_matches_proc() -> None:
    """The current identity has this pid, a start time from /proc and is cached."""
    identity = current_process_identity()
    assert identity.pid == os.getpid()
    with open(f"/proc/{os.getpid()}/stat", "rb") as handle:
        ticks = int(handle.read().rpartition(b")")[2].split()[19])
    assert identity.start_ticks == ticks
    assert len(identity.boot) == 8
    assert current_process_identity() is identity
    assert process_liveness(identity) is ProcessLiveness.ALIVE


def _identity_of(pid: int) -> ProcessIdentity:
    with open(f"/proc/{pid}/stat", "rb") as handle:
        ticks = int(handle.read().rpartition(b")")[2].split()[19])
    return replace(current_process_identity(), pid=pid, start_ticks=ticks)


def test_running_then_zombie_then_reaped_child() -> None:
    """A running child is alive; once it exits it is gone, zombie or reaped."""
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE
    )
    identity = _identity_of(child.pid)
    assert process_liveness(identity) is ProcessLiveness.ALIVE
    assert child.stdin is not None
    child.stdin.close()
    deadline = time.monotonic() + 10
    # Not reaped yet: the child is a zombie, which can write nothing.
    while process_liveness(identity) is ProcessLiveness.ALIVE and time.monotonic() < deadline:
        time.sleep(0.01)
    assert process_liveness(identity) is ProcessLiveness.GONE
    child.wait()
    assert process_liveness(identity) is ProcessLiveness.GONE


def test_reused_pid_other_boot_and_other_namespace() -> None:
    """A different start time or boot means gone; a different pid namespace means unknown."""
    here = current_process_identity()
    parent = _identity_of(os.getppid())
    assert process_liveness(parent) is ProcessLiveness.ALIVE
    assert process_liveness(replace(parent, start_ticks=parent.start_ticks + 1)) is (
        ProcessLiveness.GONE
    )
    other_boot = "ffffffff" if here.boot != "ffffffff" else "00000001"
    assert process_liveness(replace(here, boot=other_boot)) is ProcessLiveness.GONE
    other_ns = replace(here, pid_namespace=here.pid_namespace + 1)
    assert process_liveness(other_ns) is ProcessLiveness.UNKNOWN


def _no_proc_entry(pid: object) -> None:
    raise FileNotFoundError(f"/proc/{pid}/stat")


def test_liveness_without_proc(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without /proc the answer falls back to kill(pid, 0)."""
    here = current_process_identity()
    monkeypatch.setattr(process_identity, "_read_stat", _no_proc_entry)
    monkeypatch.setattr("openwer.platform.process_identity.os.path.isdir", lambda path: False)
    parent = replace(here, pid=os.getppid())
    assert process_liveness(parent) is ProcessLiveness.ALIVE
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert process_liveness(replace(here, pid=child.pid)) is ProcessLiveness.GONE
    assert process_liveness(replace(here, pid=1)) is ProcessLiveness.ALIVE


def test_missing_proc_entry_means_gone() -> None:
    """A pid with no /proc entry (while /proc works) is gone."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    identity = replace(current_process_identity(), pid=child.pid)
    assert process_liveness(identity) is ProcessLiveness.GONE


def test_unreadable_sources_give_unknown_values(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without /proc files the identity still forms, with zero start time and namespace."""

    def refuse(*args: object, **kwargs: object) -> object:
        raise OSError("no /proc here")

    monkeypatch.setattr(process_identity, "open", refuse, raising=False)
    monkeypatch.setattr("openwer.platform.process_identity.os.stat", refuse)
    monkeypatch.setattr(process_identity, "_cached", None)
    identity = current_process_identity()
    assert (identity.start_ticks, identity.boot, identity.pid_namespace) == (0, "00000000", 0)
    monkeypatch.setattr(process_identity, "_cached", None)


def test_hidden_or_odd_proc_entries_count_as_alive(monkeypatch: pytest.MonkeyPatch) -> None:
    """A process /proc will not show (hidepid) or whose stat does not parse is never 'gone'."""
    other = replace(current_process_identity(), pid=os.getppid())

    def hidden(pid: object) -> None:
        raise PermissionError(f"/proc/{pid}/stat")

    monkeypatch.setattr(process_identity, "_read_stat", hidden)
    assert process_liveness(other) is ProcessLiveness.ALIVE
    monkeypatch.setattr(process_identity, "_read_stat", lambda pid: None)
    assert process_liveness(other) is ProcessLiveness.ALIVE


def test_unparsable_stat_is_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A stat line without the expected fields parses to None."""
    fake = tmp_path / "stat"
    fake.write_bytes(b"123 (odd) S 1")
    real_open = open
    monkeypatch.setattr(
        process_identity, "open", lambda path, mode: real_open(fake, mode), raising=False
    )
    assert process_identity._read_stat(123) is None
