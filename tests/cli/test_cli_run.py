"""Tests of ``openwer run``: a real supervisor process around real programs."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from openwer.cli.run_command import run
from openwer.store import StoreArea, StoreScope, open_store

PY = sys.executable
NO_CORE = "import resource; resource.setrlimit(resource.RLIMIT_CORE, (0, 0))\n"

# `openwer run` as the console script runs it; registers the command if main.py does not yet.
_LAUNCH = (
    "import sys\n"
    "from openwer.cli.main import cli, main\n"
    "from openwer.cli.run_command import run\n"
    "if 'run' not in cli.commands:\n"
    "    cli.add_command(run)\n"
    "main()\n"
)


def _openwer_run(*args: str, **popen: object) -> subprocess.Popen[str]:
    return subprocess.Popen(  # type: ignore[call-overload, no-any-return]
        [PY, "-c", _LAUNCH, "run", *args], text=True, **popen
    )


def _finish(process: subprocess.Popen[str]) -> tuple[int, str]:
    _, err = process.communicate(timeout=30)
    return process.returncode, err


def _queued() -> list[str]:
    return open_store(StoreScope.USER).keys(StoreArea.QUEUE)


@pytest.mark.parametrize("status", [0, 3, 255])
def test_exit_status_is_mirrored(openwer_home: Path, status: int) -> None:
    """openwer run exits with its program's exit status, and says nothing."""
    code, err = _finish(
        _openwer_run("--", PY, "-c", f"raise SystemExit({status})", stderr=subprocess.PIPE)
    )
    assert code == status
    assert err == ""
    assert _queued() == []


def test_fatal_signal_is_mirrored_with_one_report(openwer_home: Path) -> None:
    """A program dying of SIGSEGV makes openwer run die of SIGSEGV, with one APPCRASH report."""
    crash = NO_CORE + "import ctypes; ctypes.string_at(0)"
    code, err = _finish(_openwer_run("--", PY, "-c", crash, stderr=subprocess.PIPE))
    assert code == -signal.SIGSEGV
    assert "crashed: killed by SIGSEGV; an APPCRASH report is queued" in err
    (key,) = _queued()
    assert key.startswith("AppCrash_")
    assert not any(Path.cwd().glob("core*"))


def test_in_process_report_is_not_doubled(openwer_home: Path) -> None:
    """An unhandled exception the program reported itself: exit 1, no second report."""
    program = (
        "from openwer.capture.restart import mark_crash_reported\n"
        "mark_crash_reported('AppCrash_from_the_hook')\n"
        "raise RuntimeError('boom')\n"
    )
    code, err = _finish(_openwer_run("--", PY, "-c", program, stderr=subprocess.PIPE))
    assert code == 1
    assert "reported as AppCrash_from_the_hook" in err
    assert _queued() == []


def test_sigterm_reaches_the_program(tmp_path: Path) -> None:
    """SIGTERM sent to openwer run is passed on; the program's own exit status comes back."""
    ready = tmp_path / "ready"
    program = (
        "import os, signal, sys, time\n"
        "signal.signal(signal.SIGTERM, lambda n, f: os._exit(42))\n"
        f"open({str(ready)!r}, 'w').close()\n"
        "time.sleep(20)\n"
    )
    process = _openwer_run("--", PY, "-c", program)
    deadline = time.monotonic() + 20
    while not ready.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=20) == 42


def test_unhandled_sigterm_kills_both(tmp_path: Path) -> None:
    """A program killed by the forwarded SIGTERM makes openwer run die of SIGTERM too."""
    ready = tmp_path / "ready"
    program = f"import time\nopen({str(ready)!r}, 'w').close()\ntime.sleep(20)\n"
    process = _openwer_run("--", PY, "-c", program)
    deadline = time.monotonic() + 20
    while not ready.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=20) == -signal.SIGTERM


_COUNT_SIGINT = """
import signal, sys, time
received = []
signal.signal(signal.SIGINT, lambda n, f: received.append(n))
print("ready", flush=True)
deadline = time.monotonic() + 10
while not received and time.monotonic() < deadline:
    time.sleep(0.01)
time.sleep(0.3)  # a second, forwarded SIGINT would arrive meanwhile
sys.exit(10 + len(received))
"""


def test_ctrl_c_from_the_terminal_is_not_doubled() -> None:
    """Ctrl-C reaches the program once: the terminal signals it; openwer run does not repeat it."""
    controller, side = os.openpty()
    try:
        launch = "import fcntl, termios\nfcntl.ioctl(0, termios.TIOCSCTTY, 0)\n" + _LAUNCH
        process = subprocess.Popen(
            [PY, "-c", launch, "run", "--", PY, "-c", _COUNT_SIGINT],
            stdin=side,
            stdout=side,
            stderr=side,
            start_new_session=True,
        )
        os.close(side)
        shown = b""
        deadline = time.monotonic() + 20
        while b"ready" not in shown and time.monotonic() < deadline:
            if select.select([controller], [], [], 0.1)[0]:
                shown += os.read(controller, 4096)
        os.write(controller, b"\x03")
        assert process.wait(timeout=20) == 11
    finally:
        os.close(controller)


def test_restart_through_the_command_line(openwer_home: Path, tmp_path: Path) -> None:
    """--restart restarts a registered, crashed program; --max-restarts bounds it."""
    log = tmp_path / "runs.log"
    program = tmp_path / "app.py"
    program.write_text(
        "import sys\n"
        "from openwer.capture.restart import mark_crash_reported, register_restart\n"
        f"open({str(log)!r}, 'a').write(' '.join(sys.argv[1:]) + '\\n')\n"
        "register_restart(['--again'])\n"
        "mark_crash_reported(None)\n"
        "sys.exit(1)\n"
    )
    env = {**os.environ, "OPENWER_RESTART_MIN_UPTIME": "0"}
    options = ["--restart", "--max-restarts", "1", "--"]
    process = _openwer_run(*options, PY, str(program), "--first", stderr=subprocess.PIPE, env=env)
    code, err = _finish(process)
    assert code == 1
    assert log.read_text().splitlines() == ["--first", "--again"]
    assert f"openwer: restarting: {PY} {program} --again" in err
    assert f"not restarting {Path(PY).name}: it was restarted 1 time already" in err


def test_sixty_second_rule_is_explained(openwer_home: Path, tmp_path: Path) -> None:
    """A crash in the first 60 s is not restarted, and openwer run says why."""
    program = (
        "from openwer.capture.restart import mark_crash_reported, register_restart\n"
        "register_restart(None)\n"
        "mark_crash_reported(None)\n"
        "raise SystemExit(2)\n"
    )
    code, err = _finish(_openwer_run("--restart", PY, "-c", program, stderr=subprocess.PIPE))
    assert code == 2
    assert "less than 60 s" in err


def test_command_not_found() -> None:
    """A program that does not exist: one error line and a shell's 127."""
    code, err = _finish(_openwer_run("openwer-test-no-such-program", stderr=subprocess.PIPE))
    assert code == 127
    assert err == "openwer: error: openwer-test-no-such-program: command not found\n"


def test_in_process_invocation_mirrors_exit_code(openwer_home: Path) -> None:
    """The command itself, called in process, ends with the program's exit status."""
    result = CliRunner().invoke(run, ["--", PY, "-c", "raise SystemExit(5)"])
    assert result.exit_code == 5


def test_in_process_launch_error() -> None:
    """The command reports a program that cannot start with 127 and one line."""
    result = CliRunner().invoke(run, ["openwer-test-no-such-program"])
    assert result.exit_code == 127
    assert "command not found" in result.output


@pytest.mark.parametrize(
    "args", [[], ["--restart"], ["--max-restarts", "-1", "true"], ["--bogus", "true"]]
)
def test_usage_errors_exit_2(args: list[str]) -> None:
    """No command, a negative bound or an unknown option of openwer run are usage errors."""
    assert CliRunner().invoke(run, args).exit_code == 2


def test_program_options_are_not_openwer_options(openwer_home: Path) -> None:
    """Options after the program name belong to the program, even without --."""
    result = CliRunner().invoke(run, [PY, "--version"])
    assert result.exit_code == 0


def test_help() -> None:
    """--help describes the command and hides the test-only option."""
    result = CliRunner().invoke(run, ["--help"])
    assert result.exit_code == 0
    assert "--max-restarts" in result.output
    assert "--min-uptime" not in result.output


def test_in_process_restart_messages(openwer_home: Path, tmp_path: Path) -> None:
    """Each crash, restart and refusal to restart is one line on stderr."""
    program = (
        "import sys\n"
        "from openwer.capture.restart import mark_crash_reported, register_restart\n"
        "if sys.argv[1:] == ['--again']:\n"
        "    raise SystemExit(0)\n"
        "register_restart(['--again'])\n"
        "mark_crash_reported('AppCrash_k')\n"
        "raise SystemExit(1)\n"
    )
    result = CliRunner().invoke(
        run,
        ["--restart", "--", PY, "-c", program],
        env={"OPENWER_RESTART_MIN_UPTIME": "0"},
    )
    assert result.exit_code == 0  # the restarted program exits 0
    lines = result.output.splitlines()
    assert lines[0].endswith("crashed: exited with status 1; reported as AppCrash_k")
    assert lines[1].startswith("openwer: restarting: ")
    assert len(lines) == 2


def test_in_process_signal_messages(openwer_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A fatal signal is reported by openwer run and then mirrored (here: intercepted)."""
    mirrored: list[int | None] = []

    def fake_mirror(child: object) -> None:
        mirrored.append(getattr(child, "signal", None))
        raise SystemExit(99)

    monkeypatch.setattr("openwer.cli.run_command.mirror_exit", fake_mirror)
    crash = NO_CORE + "import os; os.abort()"
    result = CliRunner().invoke(run, ["--restart", "--", PY, "-c", crash])
    assert result.exit_code == 99
    assert mirrored == [signal.SIGABRT]
    assert "killed by SIGABRT; an APPCRASH report is queued" in result.output
    assert "not restarting" in result.output
    assert "it did not register for restart" in result.output
    assert len(_queued()) == 1
