"""Tests of restart registration: WER's rules and the channel to ``openwer run``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from openwer.capture import restart
from openwer.capture.restart import (
    ENV_SUPERVISOR_DIR,
    RESTART_MAX_CMD_LINE,
    RestartDelivery,
    RestartFlags,
    mark_crash_reported,
    register_restart,
    restart_settings,
    unregister_restart,
)
from openwer.errors import InvalidArgumentError
from openwer.supervisor import channel
from openwer.supervisor.channel import SupervisorChannel


@pytest.fixture(autouse=True)
def _unregistered(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(ENV_SUPERVISOR_DIR, raising=False)
    unregister_restart()
    yield
    unregister_restart()


@pytest.fixture
def supervisor_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A channel folder named in the environment, as openwer run does."""
    folder = tmp_path / "channel"
    folder.mkdir(mode=0o700)
    monkeypatch.setenv(ENV_SUPERVISOR_DIR, str(folder))
    return folder


def test_flags_have_wer_values() -> None:
    """RESTART_NO_* and RESTART_MAX_CMD_LINE have winbase.h's values."""
    assert RESTART_MAX_CMD_LINE == 1024
    assert [int(f) for f in (restart.RESTART_NO_CRASH, restart.RESTART_NO_HANG)] == [1, 2]
    assert [int(f) for f in (restart.RESTART_NO_PATCH, restart.RESTART_NO_REBOOT)] == [4, 8]


def test_not_registered_by_default() -> None:
    """Without a registration restart_settings() answers None (WER: ERROR_NOT_FOUND)."""
    assert restart_settings() is None


def test_without_supervisor_the_registration_stays_in_process() -> None:
    """No OPENWER_SUPERVISOR_DIR: registered, and reported as kept in this process only."""
    registration = register_restart(["--restore", "my file"], RestartFlags.NO_HANG)
    assert registration.delivery is RestartDelivery.IN_PROCESS
    assert registration.arguments == ("--restore", "my file")
    assert registration.command_line == "--restore 'my file'"
    assert registration.flags is RestartFlags.NO_HANG
    assert restart_settings() == registration


def test_string_command_line_is_split_like_a_shell() -> None:
    """A command line string keeps its text and is split with POSIX quoting rules."""
    registration = register_restart('--open "a b" c')
    assert registration.command_line == '--open "a b" c'
    assert registration.arguments == ("--open", "a b", "c")


@pytest.mark.parametrize("empty", [None, "", []])
def test_empty_command_line_removes_the_arguments_but_stays_registered(
    empty: str | list[str] | None,
) -> None:
    """None or empty removes the previous command line; the process stays registered."""
    register_restart(["--old"])
    registration = register_restart(empty)
    assert registration.arguments == ()
    assert registration.command_line == ""
    assert restart_settings() == registration


def test_command_line_limit_is_1024_characters() -> None:
    """1024 characters are accepted; 1025 raise InvalidArgumentError (E_INVALIDARG)."""
    assert len(register_restart("x" * 1024).command_line) == 1024
    with pytest.raises(InvalidArgumentError):
        register_restart("x" * 1025)
    with pytest.raises(InvalidArgumentError):
        register_restart(["y" * 1000, "z" * 30])  # joined with a space: 1031


@pytest.mark.parametrize(
    "bad",
    ["unbalanced 'quote", "nul\0inside", ["ok", "nul\0"], [b"bytes"]],
)
def test_malformed_command_lines_are_refused(bad: object) -> None:
    """Unbalanced quotes, NUL characters and non-string words are invalid arguments."""
    with pytest.raises(InvalidArgumentError):
        register_restart(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("flags", [16, -1, 0x100])
def test_unknown_flags_are_refused(flags: int) -> None:
    """Only the four RESTART_NO_* bits are accepted."""
    with pytest.raises(InvalidArgumentError):
        register_restart(None, flags)


def test_a_refused_registration_keeps_the_previous_one() -> None:
    """A failed call leaves the earlier registration in place."""
    first = register_restart(["--keep"])
    with pytest.raises(InvalidArgumentError):
        register_restart("x" * 2000)
    assert restart_settings() == first


def test_supervisor_reads_the_registration(supervisor_dir: Path) -> None:
    """With a supervisor the registration lands in its channel, readable by its side."""
    registration = register_restart(["--restored"], RestartFlags.NO_CRASH)
    assert registration.delivery is RestartDelivery.SUPERVISOR
    request = SupervisorChannel(supervisor_dir).restart_request(os.getpid())
    assert request is not None
    assert request.arguments == ("--restored",)
    assert request.flags == 1
    assert not request.restarts_after_crash
    assert [p.name for p in supervisor_dir.iterdir()] == [f"{os.getpid()}.restart.json"]


def test_unregister_withdraws_the_file(supervisor_dir: Path) -> None:
    """unregister_restart() removes the channel file, so the supervisor sees no registration."""
    register_restart(["--x"])
    unregister_restart()
    assert restart_settings() is None
    assert SupervisorChannel(supervisor_dir).restart_request(os.getpid()) is None


def test_unwritable_channel_is_logged_not_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A channel folder that does not exist gives UNDELIVERED and a warning, never an error."""
    monkeypatch.setenv(ENV_SUPERVISOR_DIR, str(tmp_path / "gone"))
    registration = register_restart(["--x"])
    assert registration.delivery is RestartDelivery.UNDELIVERED
    assert mark_crash_reported("key") is False
    assert "cannot write" in caplog.text


def test_relative_channel_path_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only an absolute OPENWER_SUPERVISOR_DIR names a supervisor."""
    monkeypatch.setenv(ENV_SUPERVISOR_DIR, "relative/dir")
    assert register_restart(None).delivery is RestartDelivery.IN_PROCESS


def test_crash_marker_reaches_the_supervisor(supervisor_dir: Path) -> None:
    """mark_crash_reported() leaves <pid>.reported with the report key."""
    assert mark_crash_reported("AppCrash_x_1_2_guid") is True
    marker = SupervisorChannel(supervisor_dir).crash_marker(os.getpid())
    assert marker is not None
    assert marker.report_key == "AppCrash_x_1_2_guid"


def test_crash_marker_without_supervisor() -> None:
    """Without a supervisor there is nobody to tell: False, nothing written."""
    assert mark_crash_reported(None) is False


def test_crash_marker_never_raises(supervisor_dir: Path) -> None:
    """Even a key that cannot be written as JSON only gives False (logged)."""
    assert mark_crash_reported(object()) is False  # type: ignore[arg-type]


def test_both_sides_of_the_channel_agree() -> None:
    """The child's and the supervisor's copies of the channel constants are the same."""
    assert restart.ENV_SUPERVISOR_DIR == channel.ENV_SUPERVISOR_DIR
    assert restart.RESTART_SUFFIX == channel.RESTART_SUFFIX
    assert restart.REPORTED_SUFFIX == channel.REPORTED_SUFFIX
    assert int(restart.RESTART_NO_CRASH) == channel.RESTART_NO_CRASH


_CHILD = """
import sys
from openwer.capture.restart import register_restart
print(register_restart(["--again"]).delivery.value)
"""


@pytest.mark.parametrize(
    ("launch", "program_tail"),
    [(["-u", "{script}", "a", "b"], ["-u", "{script}"]), (["-c", _CHILD, "a"], ["-c", _CHILD])],
)
def test_program_prefix_names_the_python_program(
    supervisor_dir: Path, tmp_path: Path, launch: list[str], program_tail: list[str]
) -> None:
    """A Python child records its interpreter command line up to the script as the program."""
    script = tmp_path / "child.py"
    script.write_text(_CHILD)
    argv = [sys.executable, *(a.replace("{script}", str(script)) for a in launch)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=True)
    assert done.stdout.strip() == "supervisor"
    (written,) = supervisor_dir.glob("*.restart.json")
    data = json.loads(written.read_text())
    assert data["version"] == 1
    assert data["arguments"] == ["--again"]
    assert data["program"] == [
        sys.executable,
        *(a.replace("{script}", str(script)) for a in program_tail),
    ]


def test_program_prefix_is_null_when_argv_was_changed(supervisor_dir: Path) -> None:
    """A program that rewrote sys.argv leaves program null: the supervisor uses argv[0]."""
    code = "import sys; sys.argv[1:] = ['changed']\n" + _CHILD
    subprocess.run([sys.executable, "-c", code, "x"], check=True, timeout=30)
    (written,) = supervisor_dir.glob("*.restart.json")
    assert json.loads(written.read_text())["program"] is None


def test_forked_child_starts_unregistered() -> None:
    """Registration belongs to a process: a forked child is not registered."""
    register_restart(["--parent"])
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        os._exit(0 if restart_settings() is None else 1)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0
    assert restart_settings() is not None
