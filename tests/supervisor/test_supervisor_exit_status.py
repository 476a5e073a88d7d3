"""Tests of exit-status decoding and of ending openwer run the way its program ended."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from openwer.supervisor.exit_status import (
    FATAL_SIGNALS,
    ChildExit,
    decode_wait_status,
    mirror_exit,
    signal_name,
)


def _status_of(code: str) -> tuple[int, int]:
    """Run ``code`` in a child and reap it with our own waitpid (no Popen: it would reap too)."""
    pid = os.posix_spawn(sys.executable, [sys.executable, "-c", code], dict(os.environ))
    return os.waitpid(pid, 0)


def test_decode_exit_code() -> None:
    """An exit code decodes as such, with a shell status equal to it."""
    pid, status = _status_of("raise SystemExit(7)")
    child = decode_wait_status(pid, status)
    assert child == ChildExit(pid, exit_code=7)
    assert child.shell_status == 7
    assert not child.fatal_signal
    assert child.describe() == "exited with status 7"


def test_decode_signal() -> None:
    """Death by a signal decodes as that signal; the shell shows 128 + its number."""
    pid, status = _status_of(
        "import os, resource, signal\n"
        "resource.setrlimit(resource.RLIMIT_CORE, (0, 0))\n"
        "os.kill(os.getpid(), signal.SIGBUS)"
    )
    child = decode_wait_status(pid, status)
    assert child.signal == signal.SIGBUS
    assert child.exit_code is None
    assert child.fatal_signal
    assert child.shell_status == 128 + signal.SIGBUS
    assert child.describe() == "killed by SIGBUS"
    assert ChildExit(1, signal=6, core_dumped=True).describe() == "killed by SIGABRT (core dumped)"


def test_stop_status_is_not_an_end() -> None:
    """A stop notification is refused: only terminations decode."""
    stopped = (signal.SIGSTOP << 8) | 0x7F
    with pytest.raises(ValueError, match="not a termination"):
        decode_wait_status(1, stopped)


def test_fatal_signals_are_wers_crashes() -> None:
    """The crash signals are SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGSYS and SIGTRAP."""
    names = {signal_name(number) for number in FATAL_SIGNALS}
    assert names == {"SIGSEGV", "SIGBUS", "SIGILL", "SIGFPE", "SIGABRT", "SIGSYS", "SIGTRAP"}
    assert signal_name(77) == "signal 77"


def test_mirror_exit_code() -> None:
    """An exit code is mirrored as SystemExit with that code."""
    with pytest.raises(SystemExit) as caught:
        mirror_exit(ChildExit(1, exit_code=3))
    assert caught.value.code == 3


@pytest.mark.parametrize("number", [signal.SIGSEGV, signal.SIGTERM, signal.SIGPIPE, signal.SIGINT])
def test_mirror_signal_in_a_child(number: int) -> None:
    """A process mirroring a signal dies of it, without a core file, even if it was handled."""
    code = (
        "import signal, sys\n"
        "from openwer.supervisor.exit_status import ChildExit, mirror_exit\n"
        "signal.signal(signal.SIGTERM, lambda *a: None)\n"  # handled before: must be reset
        f"signal.pthread_sigmask(signal.SIG_BLOCK, {{{number}}})\n"  # blocked: must be unblocked
        f"mirror_exit(ChildExit(1, signal={number}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], timeout=30)
    assert done.returncode == -number


def test_mirror_harmless_signal_exits_with_shell_status() -> None:
    """A signal whose default is to ignore (SIGCHLD) cannot kill: exit 128 + its number."""
    code = (
        "import signal\n"
        "from openwer.supervisor.exit_status import ChildExit, mirror_exit\n"
        "mirror_exit(ChildExit(1, signal=signal.SIGURG))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], timeout=30)
    assert done.returncode == 128 + signal.SIGURG
